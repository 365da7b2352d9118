"""Style and workflow checks of CI, run by the README's test command: ruff (lint and
format), snakefmt and ``snakemake --lint``, each failing with the tool's own report."""

import subprocess
import sys

import pytest
from conftest import REPO

PYTHON_TREES = ["eobench", "scripts", "tests", "benchmarks"]
CHECKS = {
    "ruff check": [sys.executable, "-m", "ruff", "check", *PYTHON_TREES],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", *PYTHON_TREES],
    "snakefmt": [sys.executable, "-m", "snakefmt", "--check", "rules", "Snakefile"],
    "snakemake --lint": [sys.executable, "-m", "snakemake", "--lint"],
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_check_is_clean(name):
    result = subprocess.run(CHECKS[name], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, f"{name}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    if name == "snakemake --lint":
        assert "Congratulations" in result.stdout + result.stderr
