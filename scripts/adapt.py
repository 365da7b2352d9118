"""Rule adapt: LP, FT or JT of one backbone on every task (checkpoints and metrics)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.adaptation.run import make_job, run_training_job
    from eobench.encoders.weights import encoder_spec_with_weights

    w = smk.wildcards
    folder = str(Path(smk.input.weights[0]).parent) if smk.input.weights else None
    spec = encoder_spec_with_weights(smk.params.encoder, folder, f"adaptation.encoders.{w.encoder}")
    job = make_job(
        w.dataset,
        w.encoder,
        spec,
        w.inputs,
        smk.params.inputs,
        w.mode,
        w.subset,
        int(w.seed),
        smk.params.tasks,
        smk.params.reconstruct,
        smk.params.training,
    )
    run_training_job(
        smk.input.cubes,
        smk.input.splits,
        smk.output.model,
        smk.output.metrics,
        job,
        smk.params.state_dir,
        device=smk.params.device,
    )


run(main, snakemake)
