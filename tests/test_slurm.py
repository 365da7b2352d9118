"""The tiny configuration through profiles/slurm on a one-node SLURM cluster on localhost.

tests/slurm/setup_cluster.sh installs Debian's slurm-wlm and munge and starts the daemons;
where that is impossible (not root, no apt, no network to the Debian mirror) the test is
skipped with the reason. The SLURM run (tests/slurm_run.py, started in the background
when this test is collected) must produce the same tables as a local run.
"""

import filecmp
import re
from pathlib import Path

import pytest
from kill_resume import compared_files
from slurm_run import ADAPTATION_METRICS, slurm_run

#: What a SLURM run (a part of the tiny DAG) must share with the local run, byte for byte.
FOLDERS = ("results/tables", "results/scores")


@pytest.mark.slow
def test_slurm_run_gives_the_same_tables_as_a_local_run(tiny_run):
    run = slurm_run().wait()
    if run.skip_reason:
        pytest.skip(run.skip_reason)
    local, _ = tiny_run
    workdir, result = run.workdir, run.result
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert "has been submitted with SLURM jobid" in log
    files = compared_files(workdir, FOLDERS)
    assert Path("results/tables/synth_tiny/neuco/task_scores.tex") in files
    assert files == [f for f in compared_files(local, FOLDERS) if f in files]
    differing = [str(f) for f in files if not filecmp.cmp(workdir / f, local / f, shallow=False)]
    assert differing == []
    # every seed ran as its own SLURM job, with the local numbers
    submitted = re.findall(r"rule adapt:\n.*?wildcards: ([^\n]*)", log, flags=re.S)
    assert len(set(submitted)) == 2, submitted
    for path in ADAPTATION_METRICS:
        assert filecmp.cmp(workdir / path, local / path, shallow=False), path
