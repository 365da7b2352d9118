"""What produced a result: code version and the settings, stored with every output."""

from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path
from typing import Any

import eobench


@functools.cache
def code_version() -> str:
    """``eobench <version>`` plus the git commit of the checkout (``+dirty`` if modified)."""
    root = Path(eobench.__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty=+dirty", "--abbrev=12"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return f"eobench {eobench.__version__} ({commit})"


def provenance(settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record of the code version, the Python and torch versions and ``settings``."""
    record: dict[str, Any] = {"code_version": code_version(), "python": platform.python_version()}
    try:
        import torch

        record["torch"] = torch.__version__
    except ImportError:  # plotting environments do not need torch
        pass
    if settings is not None:
        record["settings"] = settings
    return record
