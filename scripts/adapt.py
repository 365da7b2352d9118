"""Rule adapt: LP, FT or JT of one backbone on every task (checkpoints and metrics)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.adaptation.run import job_of_rule, run_training_job

    run_training_job(
        smk.input.cubes,
        smk.input.splits,
        smk.output.model,
        smk.output.metrics,
        job_of_rule(smk),
        smk.params.state_dir,
        device=smk.params.device,
    )


run(main, snakemake)
