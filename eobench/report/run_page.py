"""The report's run page: what ran, on what, and how long each stage took.

Run times come from the ``benchmark:`` files Snakemake writes for every job
(``results/benchmarks/<rule>/...tsv``: wall seconds, peak memory, CPU time); a rule's
stage is the ``rules/*.smk`` file that defines it.
"""

from __future__ import annotations

import html
import os
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from eobench.io import write_text
from eobench.report.html import html_page


def read_benchmarks(folder: str | os.PathLike) -> pd.DataFrame:
    """One row per benchmark file under ``folder``: rule, job, seconds, peak RSS (MB),
    CPU seconds. The rule is the first folder below ``folder`` (or the file's name, for
    a rule without wildcards)."""
    folder = Path(folder)
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        record = pd.read_csv(path, sep="\t").iloc[-1]
        parts = path.relative_to(folder).with_suffix("").parts
        rows.append(
            {
                "rule": parts[0],
                "job": "/".join(parts[1:]) or parts[0],
                "seconds": float(record["s"]),
                "max_rss_mb": _number(record.get("max_rss")),
                "cpu_seconds": _number(record.get("cpu_time")),
            }
        )
    return pd.DataFrame(rows, columns=["rule", "job", "seconds", "max_rss_mb", "cpu_seconds"])


def _number(value: Any) -> float:
    # Snakemake writes "-" where it could not measure (a job shorter than its sampling).
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def stage_times(benchmarks: pd.DataFrame, stages: Mapping[str, str]) -> pd.DataFrame:
    """Jobs, total and longest wall seconds, CPU seconds and peak memory per stage
    (unknown rules under ``other``), stages in order of total time."""
    frame = benchmarks.assign(stage=benchmarks["rule"].map(stages).fillna("other"))
    table = frame.groupby("stage").agg(
        jobs=("job", "size"),
        wall_seconds=("seconds", "sum"),
        longest_job_seconds=("seconds", "max"),
        cpu_seconds=("cpu_seconds", "sum"),
        peak_memory_mb=("max_rss_mb", "max"),
    )
    return table.sort_values("wall_seconds", ascending=False).reset_index()


def machine() -> dict[str, str]:
    """The machine and software of the job that writes the page."""
    versions = {}
    for package in ("torch", "numpy", "pandas", "snakemake"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        **versions,
    }


def _definition_list(items: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td>{html.escape(str(v))}</td></tr>"
        for k, v in items.items()
    )
    return f"<table>{rows}</table>"


def write_run_page(
    path: str | os.PathLike,
    run: Mapping[str, Any],
    config: Mapping[str, Any],
    stages: pd.DataFrame,
    jobs: pd.DataFrame,
) -> None:
    """The run page: the run's identity (``run``: config hash, code version, ...), the
    machine, run time per stage, the ten longest jobs and the whole configuration."""
    longest = jobs.sort_values("seconds", ascending=False).head(10)
    body = "".join(
        [
            "<h1>What ran</h1>",
            _definition_list(run),
            "<h2>Machine (of the job that wrote this page)</h2>",
            _definition_list(machine()),
            "<h2>Run time per stage</h2>",
            "<p>From the benchmark file of every job under <code>results/benchmarks/</code>"
            " (the latest run of each job); wall seconds add up jobs that may have run in"
            " parallel.</p>",
            stages.to_html(index=False, float_format=lambda v: f"{v:.1f}", border=0),
            "<h2>Longest jobs</h2>",
            longest.to_html(index=False, float_format=lambda v: f"{v:.1f}", border=0),
            "<h2>Configuration (defaults filled in)</h2>",
            f"<pre>{html.escape(yaml.safe_dump(dict(config), sort_keys=False))}</pre>",
        ]
    )
    write_text(path, html_page("run", body))
