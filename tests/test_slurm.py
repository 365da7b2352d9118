"""The tiny configuration through profiles/slurm on a one-node SLURM cluster on localhost.

tests/slurm/setup_cluster.sh installs Debian's slurm-wlm and munge and starts the daemons;
where that is impossible (not root, no apt, no network to the Debian mirror) the test is
skipped with the reason. The SLURM run must produce the same tables as a local run.
"""

import filecmp
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TINY, copy_workflow, snakemake


def start_cluster() -> None:
    try:
        result = subprocess.run(
            ["bash", str(REPO / "tests" / "slurm" / "setup_cluster.sh")],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("SLURM could not be installed and started within 10 minutes")
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"no local SLURM cluster: {reason}")


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


def compared_files(root: Path) -> list[Path]:
    return sorted(
        p.relative_to(root)
        for folder in ("results/tables", "results/scores")
        for p in (root / folder).rglob("*")
        if p.is_file()
    )


@pytest.mark.slow
def test_slurm_run_gives_the_same_tables_as_a_local_run(tiny_run, tmp_path):
    start_cluster()
    local, _ = tiny_run
    workdir = copy_workflow(tmp_path / "slurm")
    profile = cluster_profile(workdir)
    # The main tables (Table 4, leaderboard): the DAG of the foundation, about 20 jobs;
    # the ablations add nothing SLURM-specific and would double the queue time.
    stem = "results/tables/synth_tiny/neuco"
    # The adaptation suite fans out one job per backbone, input, mode, training subset and
    # seed: tiny.yaml's FT runs, 2 subsets x 2 seeds.
    runs = "results/adaptation/synth_tiny_mmearth/vit/s2/FT"
    adaptation = [f"{runs}/{s}/seed{seed}/metrics.csv" for s in ("train_100", "train_5")
                  for seed in (41, 42)]  # fmt: skip
    result = snakemake(
        workdir,
        *(f"{stem}/{name}" for name in ("task_scores.tex", "task_scores.md", "leaderboard.tex")),
        *adaptation,
        "--workflow-profile",
        str(profile),
        "--configfile",
        TINY,
        timeout=1500,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert "has been submitted with SLURM jobid" in log
    files = compared_files(workdir)
    assert Path("results/tables/synth_tiny/neuco/task_scores.tex") in files
    assert files == [f for f in compared_files(local) if f in files]
    differing = [str(f) for f in files if not filecmp.cmp(workdir / f, local / f, shallow=False)]
    assert differing == []
    # every seed and subset ran as its own SLURM job, with the local numbers
    submitted = re.findall(r"rule adapt:\n.*?wildcards: ([^\n]*)", log, flags=re.S)
    assert len(set(submitted)) == 4, submitted
    for path in adaptation:
        assert filecmp.cmp(workdir / path, local / path, shallow=False), path
