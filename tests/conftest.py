"""Shared fixtures and paths."""

import os
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
