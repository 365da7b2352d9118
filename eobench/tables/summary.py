"""A one-page summary of a run: its leaderboards, the claims and where every output is.

Written by rule ``run_summary`` at the end of ``all_tables`` (``results/summary.md``),
from the files the tables were rendered from, so it prints the same numbers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from eobench.scoring import method_label
from eobench.tables.render import format_number, markdown_escape


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool]):
    """A Markdown table; ``numeric`` columns right-aligned."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    lines += ["| " + " | ".join(markdown_escape(c) for c in row) + " |" for row in rows]
    return lines


def leaderboard_section(protocol: str, board: pd.DataFrame, decimals: int = 2) -> list[str]:
    """The protocol's leaderboard, best first, identical methods in one row."""
    same_as = {}
    if "same_as" in board:
        same_as = {
            m: t
            for m, t in zip(board["method"], board["same_as"], strict=True)
            if isinstance(t, str)
        }
    rows = [
        (
            str(int(row.aggregated_rank)),
            method_label(row.method, same_as),
            format_number(row.mean_q, decimals),
            format_number(row.weighted_score, decimals),
        )
        for row in board.itertuples(index=False)
        if row.method not in same_as
    ]
    header = ["rank", "method", "mean Q", "weighted score (lower is better)"]
    return [f"### {protocol}", "", *_table(header, rows, [True, False, True, True]), ""]


def claims_section(claims: pd.DataFrame) -> list[str]:
    """Every claim with its status, source and evidence, and a count per status."""
    counts = claims["status"].value_counts()
    tally = ", ".join(f"{n} {status}" for status, n in counts.items())
    rows = [
        (row.status, row.claim, row.source, row.evidence) for row in claims.itertuples(index=False)
    ]
    table = _table(["status", "claim", "source", "evidence"], rows, [False] * 4)
    return [f"{len(claims)} claims: {tally}.", "", *table, ""]


def outputs_section(tables: Sequence[str], figures: Sequence[str]) -> list[str]:
    """Where every table and figure of the run lives; figures not built yet say so."""
    lines = ["Tables (`all_tables`):", ""]
    lines += [f"- `{path}`" for path in tables]
    lines += ["", "Figures (`all_figures`):", ""]
    for path in figures:
        state = "" if Path(path).exists() else " (not built yet)"
        lines.append(f"- `{path}`{state}")
    return [*lines, ""]


def run_summary(
    leaderboards: Mapping[str, str | os.PathLike],
    claims: str | os.PathLike,
    tables: Sequence[str],
    figures: Sequence[str],
    run: Mapping[str, Any],
    decimals: int = 2,
) -> str:
    """The summary page as Markdown.

    Parameters
    ----------
    leaderboards : mapping
        Protocol -> its ``leaderboard.csv``, in the order of the config's protocols.
    claims : path
        The claims table's CSV.
    tables, figures : paths
        Every table and every figure target of the configuration.
    run : mapping
        What identifies the run: ``dataset``, ``config_hash``, ``code_version`` and any
        other entries (printed in order as ``key: value``).
    decimals : int
        Digits of mean Q and the weighted score (the leaderboard table's).
    """
    lines = [f"# eobench run summary: {run.get('dataset', '')}", ""]
    lines += [f"- {key}: {value}" for key, value in run.items()]
    lines += ["", "## Leaderboards", ""]
    lines += [
        "Per protocol, best first: the aggregated rank orders the weighted score (the "
        "task-weighted sum of per-task Q ranks; lower is better). Methods with the same "
        "embeddings share one row.",
        "",
    ]
    for protocol, path in leaderboards.items():
        lines += leaderboard_section(protocol, pd.read_csv(path), decimals)
    lines += ["## Claims of the paper", ""]
    lines += claims_section(pd.read_csv(claims, keep_default_na=False))
    lines += ["## Outputs", ""]
    lines += outputs_section(tables, figures)
    return "\n".join(lines)


__all__ = ["run_summary"]
