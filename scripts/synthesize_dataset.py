"""Rule synthesize_dataset: build the embedded synthetic dataset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.data.synth import build_synthetic_dataset

    settings = {k: v for k, v in smk.params.dataset.items() if k != "source"}
    build_synthetic_dataset(
        smk.output.cubes,
        smk.output.samples,
        smk.output.labels,
        smk.output.tasks,
        progress=True,
        **settings,
    )


run(main, snakemake)
