"""Multi-GPU pretraining: a job with more than one GPU runs under ``torchrun``.

Rule ``pretrain`` runs its script in-process on one device; with ``resources.gpu`` above
one (inside a SLURM allocation) the script writes the job to a JSON file and starts
``torchrun --standalone --nproc_per_node <gpus> -m eobench.pretraining.launch <file>``, so
that every rank trains as DistributedDataParallel (:mod:`eobench.pretraining.train`) and
rank 0 writes the checkpoint and curves.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from eobench.errors import EobenchError


def run_distributed(job, paths: dict[str, str], processes: int) -> None:
    """Run ``job`` under torchrun with ``processes`` ranks; errors name the job."""
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "job.json"
        spec.write_text(json.dumps({"job": dataclasses.asdict(job), "paths": paths}))
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   f"--nproc_per_node={processes}", "-m", "eobench.pretraining.launch",
                   str(spec)]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
            str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")]))}  # fmt: skip
        result = subprocess.run(command, env=env, check=False)
        if result.returncode != 0:
            raise EobenchError(
                f"pretraining.methods.{job.name}: torchrun with {processes} processes failed "
                f"(exit {result.returncode}); see the rank logs above"
            )


def main(spec_path: str) -> None:
    import torch

    from eobench.pretraining.run import PretrainingJob, run_pretraining

    spec = json.loads(Path(spec_path).read_text())
    job = PretrainingJob(**spec["job"])
    paths = spec["paths"]
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    run_pretraining(paths["cubes"], paths["splits"], job, paths["checkpoint"], paths["curves"],
                    paths.get("state"))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
