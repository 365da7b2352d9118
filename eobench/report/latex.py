"""Compiling ``report/paper.tex`` against the paper folder, where ``pdflatex`` exists.

Kept apart from :mod:`eobench.report.paper` so that the rule that compiles needs little
beyond TeX (its environment: ``envs/latex.yaml``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from eobench.errors import EobenchError
from eobench.io import atomic_path


def compile_paper(tex: str | os.PathLike, folder: str | os.PathLike, pdf: str | os.PathLike):
    """Compile ``tex`` with ``pdflatex`` in the paper ``folder`` (twice, for references);
    the PDF goes to ``pdf``, auxiliary files to a temporary folder."""
    if shutil.which("pdflatex") is None:
        raise EobenchError("pdflatex not found: install TeX Live (e.g. texlive-latex-extra)")
    tex = Path(tex).resolve()
    with tempfile.TemporaryDirectory() as build:
        command = [
            "pdflatex",
            "-interaction=nonstopmode",
            "-halt-on-error",
            f"-output-directory={build}",
            "-jobname=paper",
            str(tex),
        ]
        for _ in range(2):
            result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
            if result.returncode != 0:
                error = next(
                    (line for line in result.stdout.splitlines() if line.startswith("!")),
                    "see the log",
                )
                raise EobenchError(f"{tex.name} does not compile in {folder}: {error}")
        with atomic_path(pdf) as tmp:
            shutil.copy2(Path(build) / "paper.pdf", tmp)
