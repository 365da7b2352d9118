"""Rule test_time_train: TTT-MMR or TTT-MMR-Geo of JT's checkpoints on every task."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.adaptation.run import job_of_rule
    from eobench.adaptation.test_time import run_ttt_job

    run_ttt_job(
        smk.input.cubes,
        smk.input.splits,
        smk.input.model,
        smk.output.metrics,
        smk.output.steps,
        job_of_rule(smk),
        smk.params.ttt,
        device=smk.params.device,
    )


run(main, snakemake)
