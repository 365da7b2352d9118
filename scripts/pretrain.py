"""Rule pretrain: one method under one seed (checkpoint with metadata, curves)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.pretraining.run import PretrainingJob, run_pretraining

    w = smk.wildcards
    job = PretrainingJob(
        w.method, dict(smk.params.method), dict(smk.params.architecture),
        dict(smk.params.objectives), dict(smk.params.training), dict(smk.params.captions),
        list(smk.params.reconstruct), int(w.seed), smk.params.device, w.dataset,
    )  # fmt: skip
    gpus = int(smk.resources.get("gpu", 0) or 0)
    if gpus > 1:  # one rank per GPU under torchrun (DDP), inside the job's allocation
        from eobench.pretraining.launch import run_distributed

        paths = {"cubes": smk.input.cubes, "splits": smk.input.splits, "state": smk.params.state,
                 "checkpoint": smk.output.checkpoint, "curves": smk.output.curves}  # fmt: skip
        run_distributed(job, paths, gpus)
        return
    run_pretraining(
        smk.input.cubes, smk.input.splits, job, smk.output.checkpoint, smk.output.curves,
        smk.params.state,
    )  # fmt: skip


run(main, snakemake)
