"""Rule figure_ablation: one figure of the size, probe-depth or layer-wise ablation."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.ablations import plot_ablation
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_ablation(
        smk.wildcards.figure,
        pd.read_csv(smk.input.summary),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
        encoders=list(smk.params.encoders),
        **dict(smk.params.context),
    )


run(main, snakemake)
