"""Rule figure_runtime_scaling: run time per task over N, epochs and K (paper Table 5)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.runtime_scaling import plot_runtime_scaling
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_runtime_scaling(
        pd.read_csv(smk.input.table),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
    )


run(main, snakemake)
