"""Rule test_time_train: TTT-MMR or TTT-MMR-Geo of JT's checkpoints on every task."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.adaptation.run import make_job
    from eobench.adaptation.test_time import run_ttt_job
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
    run_ttt_job(
        smk.input.cubes,
        smk.input.splits,
        smk.input.model,
        smk.output.metrics,
        smk.output.steps,
        job,
        smk.params.ttt,
        device=smk.params.device,
    )


run(main, snakemake)
