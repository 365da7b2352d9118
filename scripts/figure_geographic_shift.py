"""Rule figure_geographic_shift: random against geographic test per method
(MMEarth-Bench Fig. 5)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):

    from eobench.adaptation.results import read_metrics
    from eobench.plots.adaptation import plot_geographic_shift
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_geographic_shift(
        read_metrics(smk.input.metrics),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
        encoders=list(smk.params.encoders),
    )


run(main, snakemake)
