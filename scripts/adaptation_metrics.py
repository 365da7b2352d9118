"""Rule adaptation_metrics: every run's metrics in one tidy table."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.adaptation.results import gather_metrics
    from eobench.io import write_csv

    write_csv(smk.output[0], gather_metrics(list(smk.input)))


run(main, snakemake)
