"""Recompute one output's job in a fresh folder from its recorded inputs, and compare.

The job's input files (folders too) are copied into an empty working directory with their
modification times, and Snakemake runs the output's target there with ``--allowed-rules``
naming the job's rule alone, so nothing upstream is recomputed: the job is checked on
exactly the inputs it ran on. Every output of the job is then compared with the run's.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eobench.errors import EobenchError
from eobench.io import CHECKSUMS_NAME
from eobench.reproducibility.compare import DIFFERENT, Comparison, compare_outputs
from eobench.reproducibility.records import JobRecord, SnakemakeCall, job_outputs

logger = logging.getLogger(__name__)


def recompute(
    output: str,
    records: Mapping[str, JobRecord],
    call: SnakemakeCall,
    workdir: str | os.PathLike = ".",
    tolerance: float = 0.0,
    cores: int = 1,
) -> list[Comparison]:
    """Rerun the job that wrote ``output`` (a path relative to ``workdir``) in a temporary
    folder and compare each of its outputs with the run's (see
    :func:`~eobench.reproducibility.compare.compare_outputs`)."""
    record = records[output]
    outputs = job_outputs(records, output)
    workdir = Path(workdir).resolve()
    with tempfile.TemporaryDirectory(prefix="eobench-verify-") as folder:
        fresh = Path(folder) / "work"
        fresh.mkdir()
        for source in record.inputs or ():
            _copy_input(workdir, fresh, source)
        configfile = Path(folder) / "config.json"
        call.write_config(configfile, _config_for_fresh_folder(call.config, workdir))
        command = call.command(
            configfile, output, "--allowed-rules", record.rule, "--cores", str(cores)
        )
        logger.info("recomputing %s (rule %s): %s", output, record.rule, " ".join(command))
        result = subprocess.run(command, cwd=fresh, capture_output=True, text=True)
        logger.info("snakemake output:\n%s%s", result.stdout, result.stderr)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            failed = f"the recomputation failed ({last})"
            return [Comparison(path, DIFFERENT, where=failed) for path in outputs]
        return [compare_outputs(workdir / p, fresh / p, tolerance, p) for p in outputs]


def _copy_input(workdir: Path, fresh: Path, source: str) -> None:
    """Copy one recorded input into the fresh folder (absolute paths are read in place)."""
    if Path(source).is_absolute():
        return
    if os.path.normpath(source).startswith(".."):
        raise EobenchError(
            f"{source}: an input outside the working directory; give it as an absolute "
            "path to recompute what reads it"
        )
    original, copy = workdir / source, fresh / source
    copy.parent.mkdir(parents=True, exist_ok=True)
    if original.is_dir():
        shutil.copytree(original, copy, copy_function=shutil.copy2)
        return
    shutil.copy2(original, copy)
    if original.name == CHECKSUMS_NAME:
        # A verified weights folder: the rule reads the files its checksum list names.
        for line in original.read_text().splitlines():
            name = line.split(maxsplit=1)[1].strip()
            shutil.copy2(original.parent / name, copy.parent / name)


def _config_for_fresh_folder(config: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """The run's config with the weights folders made absolute: they are searched while
    planning (which encoders run), and where verified weights come from changes no result."""
    copy = json.loads(json.dumps(config))
    weights = copy.get("weights") or {}
    if "local_dirs" in weights:
        weights["local_dirs"] = [str(workdir / folder) for folder in weights["local_dirs"]]
    return copy


#: Columns of the verification report: one row per output of every recomputed job.
REPORT_COLUMNS = ("requested", "rule", "output", "status", "max_abs_diff", "where")


def verification_table(
    outputs: list[str],
    records: Mapping[str, JobRecord],
    call: SnakemakeCall,
    workdir: str | os.PathLike = ".",
    tolerance: float = 0.0,
    cores: int = 1,
):
    """Recompute the job of each of ``outputs`` once (two outputs of one job share it) and
    return the report: per output of each job, how it compares with the run's."""
    import pandas as pd

    rows, done = [], set()
    for requested in outputs:
        if requested in done:
            continue
        done.update(job_outputs(records, requested))
        for comparison in recompute(requested, records, call, workdir, tolerance, cores):
            rows.append(
                (
                    requested,
                    records[requested].rule,
                    comparison.output,
                    comparison.status,
                    comparison.max_abs_diff,
                    comparison.where,
                )
            )
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS))


def verification_markdown(table, tolerance: float) -> str:
    """The verification report as a Markdown page."""
    rule = (
        "byte for byte"
        if tolerance == 0
        else f"numbers within {tolerance:g}, figures byte for byte"
    )
    lines = [
        "# Verification",
        "",
        f"Outputs of {table['requested'].nunique()} job(s) recomputed from their recorded "
        f"inputs and compared with the run's ({rule}).",
        "",
        "| output | rule | status | max abs diff | where |",
        "|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        gap = "" if _missing(row.max_abs_diff) else f"{row.max_abs_diff:.3g}"
        lines.append(f"| `{row.output}` | {row.rule} | {row.status} | {gap} | {row.where} |")
    return "\n".join(lines) + "\n"


def _missing(value) -> bool:
    return value is None or value != value
