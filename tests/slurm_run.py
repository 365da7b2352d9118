"""The SLURM test's run, started in the background when the test is collected.

Installing SLURM (apt) and waiting on its queue is mostly idle time: started at
collection, the run overlaps the rest of the suite instead of adding its minutes at the
end. tests/test_slurm.py waits for it and compares its outputs with the local run's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from conftest import REPO, TINY, copy_workflow

#: The main tables (Table 4, leaderboard): the DAG of the foundation, about 20 jobs; the
#: ablations add nothing SLURM-specific and would double the queue time.
NEUCO_TABLES = [
    f"results/tables/synth_tiny/neuco/{name}"
    for name in ("task_scores.tex", "task_scores.md", "leaderboard.tex")
]
#: The adaptation suite fans out one job per backbone, input, mode, training subset and
#: seed: tiny.yaml's FT runs on train_5, its 2 seeds.
ADAPTATION_METRICS = [
    f"results/adaptation/synth_tiny_mmearth/vit/s2/FT/train_5/seed{seed}/metrics.csv"
    for seed in (41, 42)
]
TIMEOUT_S = 1500


def cluster_profile(workdir: Path) -> Path:
    """profiles/slurm with only what this one-node cluster needs changed."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    profile.pop("software-deployment-method")  # no conda here: use this environment
    profile.pop("set-resources")  # no GPU partition on the test cluster
    profile["default-resources"].update(
        {"slurm_partition": "debug", "mem_mb": 1500, "cpus_per_task": 1}
    )
    profile.update(
        {
            "jobs": 4,
            "slurm-no-account": True,
            "slurm-init-seconds-before-status-checks": 2,
            "latency-wait": 5,
        }
    )
    target = workdir / "profiles" / "slurm_test" / "config.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(yaml.safe_dump(profile))
    return target.parent


@dataclass
class SlurmRun:
    """Start the cluster, then the tiny targets through profiles/slurm, in a thread."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="eobench-slurm-")))
    skip_reason: str | None = None
    result: subprocess.CompletedProcess | None = None
    process: subprocess.Popen | None = None
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    def start(self) -> SlurmRun:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def wait(self) -> SlurmRun:
        """Join the thread; an error it met is raised here, in the test."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self

    def stop(self) -> None:
        """Kill a run still going when the session ends early; remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _run(self) -> None:
        try:
            self._start_and_run()
        except BaseException as error:  # a thread's exception would otherwise be lost
            self.error = error

    def _start_and_run(self) -> None:
        self.skip_reason = start_cluster()
        if self.skip_reason:
            return
        copy_workflow(self.workdir)
        profile = cluster_profile(self.workdir)
        command = [sys.executable, "-m", "snakemake", *NEUCO_TABLES, *ADAPTATION_METRICS]
        command += ["--workflow-profile", str(profile), "--configfile", TINY]
        self.process = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = self.process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            err += f"\nkilled after {TIMEOUT_S} s"
        self.result = subprocess.CompletedProcess(command, self.process.returncode, out, err)


def start_cluster() -> str | None:
    """Install and start the one-node cluster; the reason it cannot run, or None."""
    try:
        result = subprocess.run(
            ["bash", str(REPO / "tests" / "slurm" / "setup_cluster.sh")],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return "SLURM could not be installed and started within 10 minutes"
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return f"no local SLURM cluster: {reason}"
    return None


_RUN: SlurmRun | None = None


def slurm_run() -> SlurmRun:
    """The session's SLURM run, started on first call."""
    global _RUN
    if _RUN is None:
        _RUN = SlurmRun().start()
    return _RUN


def stop() -> None:
    if _RUN is not None:
        _RUN.stop()
