"""Rule write_splits: the MMEarth-Bench splits of a dataset (random, geographic, subsets)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.adaptation.splits import write_splits

    write_splits(
        smk.input.samples,
        smk.output[0],
        seed=int(smk.params.seed),
        dataset_key=str(smk.params.dataset_key),
    )


run(main, snakemake)
