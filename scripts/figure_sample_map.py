"""Rule figure_sample_map: sample locations per task coloured by label (paper Fig. 2)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.plots.sample_map import plot_sample_map
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_sample_map(
        smk.input.samples,
        smk.input.labels,
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
    )


run(main, snakemake)
