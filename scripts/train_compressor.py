"""Rule train_compressor: the factorized-prior autoencoder of one lambda, on the training
samples (resumes from its partial checkpoint after a kill)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.encoders.compressor.train import TrainingSettings, split_rows, train_compressor

    params = {**smk.params.training, "lmbda": float(smk.wildcards.lmbda), "seed": smk.params.seed}
    settings = TrainingSettings.from_params(params, "compression.training")
    train_compressor(
        smk.input.cubes,
        split_rows(smk.input.cubes, smk.input.samples, "train"),
        smk.output.checkpoint,
        smk.output.curve,
        settings,
    )


run(main, snakemake)
