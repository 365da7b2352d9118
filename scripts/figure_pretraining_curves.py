"""Rule figure_pretraining_curves: training and validation loss per method."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.pretraining import plot_curves
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_curves(
        pd.read_csv(smk.input.curves), smk.output.pdf, smk.output.png, settings,
        provenance(settings),
    )  # fmt: skip


run(main, snakemake)
