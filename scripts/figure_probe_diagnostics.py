"""Rule figure_probe_diagnostics: curves, predictions and confusion matrices of one run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.diagnostics import plot_probe_diagnostics
    from eobench.provenance import provenance

    plot_probe_diagnostics(
        pd.read_parquet(smk.input.history),
        pd.read_parquet(smk.input.predictions),
        smk.output.pdf,
        smk.output.png,
        dict(smk.params.settings),
        provenance({**dict(smk.params.settings), **dict(smk.wildcards)}),
    )


run(main, snakemake)
