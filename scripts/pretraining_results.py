"""Rule pretraining_results: every run's evaluation and curves in two tidy tables."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.io import write_csv

    for inputs, output in (("evaluations", "evaluation"), ("curves", "curves")):
        frames = [pd.read_csv(path) for path in smk.input[inputs]]
        write_csv(smk.output[output], pd.concat(frames, ignore_index=True))


run(main, snakemake)
