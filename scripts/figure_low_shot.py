"""Rule figure_low_shot: test score against the training subset, random init against
pretrained, by input (MMEarth-Bench Fig. 4)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):

    from eobench.adaptation.results import read_metrics
    from eobench.plots.adaptation import plot_low_shot
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_low_shot(
        read_metrics(smk.input.metrics),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
        encoders=list(smk.params.encoders),
    )


run(main, snakemake)
