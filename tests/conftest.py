"""Shared fixtures and paths."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))  # tests/reference_probe.py


def shared_real_dir() -> Path:
    """The real samples and weights beside the checkout (absent in a user's clone)."""
    return Path(os.environ.get("EOBENCH_SHARED_REAL", REPO.parent / "shared" / "real"))


@pytest.fixture
def repo() -> Path:
    return REPO


WORKFLOW_PARTS = [
    "Snakefile",
    "rules",
    "scripts",
    "config",
    "envs",
    "profiles",
    "report",
    "eobench",
    "tests/configs",
]
TINY = "tests/configs/tiny.yaml"


def copy_workflow(destination: Path) -> Path:
    """A copy of the workflow, so test runs never write into the checkout."""
    for part in WORKFLOW_PARTS:
        source = REPO / part
        target = destination / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def snakemake(workdir: Path, *args: str, timeout: float | None = None):
    """Run Snakemake in ``workdir`` with this interpreter; return the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The tiny configuration run locally through the whole DAG, once per test session."""
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"))
    result = snakemake(workdir, "all", "--cores", "2", "--configfile", TINY)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir, result


@pytest.fixture(scope="session")
def small_synthetic_dataset(tmp_path_factory):
    """A 40-sample synthetic dataset of 32 x 32 px (store, samples table, labels)."""
    from eobench.data.synth import build_synthetic_dataset

    folder = tmp_path_factory.mktemp("small_synthetic")
    build_synthetic_dataset(
        folder / "cubes.zarr",
        folder / "samples.parquet",
        folder / "labels",
        n_samples=40,
        size=32,
        seed=0,
        progress=False,
    )
    return folder


def pytest_collection_modifyitems(config, items):
    """Run the SLURM test last and start its run now, in the background.

    Last: once it has installed SLURM, importing Snakemake's SLURM plugin (every Snakemake
    start) waits about 9 s for `scontrol show config` when no controller answers. Started
    now: its apt install and queue waits overlap the rest of the suite (tests/slurm_run.py).
    """
    items.sort(key=lambda item: item.path.name == "test_slurm.py")
    if items and items[-1].path.name == "test_slurm.py":
        from slurm_run import slurm_run

        slurm_run()


def pytest_sessionfinish(session, exitstatus):
    from slurm_run import stop

    stop()
