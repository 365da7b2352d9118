"""Rule figure_channel_correlation: correlation of the 27 input channels (paper Fig. 10)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import logging

    from eobench.plots.channel_correlation import plot_channel_correlation
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    result = plot_channel_correlation(
        smk.input.cubes,
        smk.output.pdf,
        smk.output.png,
        smk.output.csv,
        settings,
        provenance(settings),
    )
    logging.getLogger("eobench").info(
        "correlated %d channels over %d pixels of %d samples",
        len(result.channels),
        result.n_pixels,
        result.n_samples,
    )


run(main, snakemake)
