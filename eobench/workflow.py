"""Support for the thin rule scripts: logging, threads, and one-line errors.

Every script ends with ``run(main, snakemake)``: messages go to the rule's ``log:`` file,
a user's mistake (:class:`EobenchError`) becomes one line on stderr and in the log and a
non-zero exit, and Snakemake removes the job's outputs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any


def configure_logging(log_path: str | None) -> None:
    """Log INFO and above to ``log_path`` and WARNING and above to stderr."""
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if log_path:
        to_file = logging.FileHandler(log_path, mode="w")
        to_file.setFormatter(formatter)
        root.addHandler(to_file)
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.WARNING)
    to_stderr.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(to_stderr)


def run(main: Callable[[Any], None], smk: Any) -> None:
    """Run a rule script's ``main(snakemake)`` with logging and error handling."""
    from eobench.errors import EobenchError

    log_path = smk.log[0] if len(smk.log) else None
    configure_logging(log_path)
    try:
        import torch

        torch.set_num_threads(max(1, int(smk.threads)))
    except ImportError:  # plotting environments do not need torch
        pass
    try:
        main(smk)
    except EobenchError as exc:
        logging.getLogger("eobench").error("%s", exc)
        # The stderr handler already printed the line; exit without a traceback.
        sys.exit(1)
