"""Rule rate_distortion: bits per pixel and PSNR of the compressor's lambdas and of a
JPEG2000 sweep on the test images (paper Fig. 11)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.encoders.compressor.rate_distortion import rate_distortion_table
    from eobench.encoders.compressor.train import split_rows
    from eobench.io import write_csv

    settings = dict(smk.params.settings)
    table = rate_distortion_table(
        smk.input.cubes,
        split_rows(smk.input.cubes, smk.input.samples, "test"),
        list(smk.input.checkpoints),
        settings["jpeg2000_levels"],
        batch_size=settings["batch_size"],
        device=settings["device"],
    )
    write_csv(smk.output[0], table)


run(main, snakemake)
