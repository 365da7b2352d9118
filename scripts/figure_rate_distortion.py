"""Rule figure_rate_distortion: PSNR against bits per pixel, compressor and JPEG2000
(paper Fig. 11)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.rate_distortion import plot_rate_distortion
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_rate_distortion(
        pd.read_csv(smk.input.table),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
        encoders=smk.params.encoders,
    )


run(main, snakemake)
