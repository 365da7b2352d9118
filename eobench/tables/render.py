"""Render score tables as CSV, Markdown and LaTeX from jinja2 templates.

LaTeX templates use their own delimiters (``((* block *))``, ``((( variable )))``,
``((= comment =))``) because jinja2's ``{#`` comment opener collides with LaTeX, and
every text cell goes through the ``latex`` escape filter (task names carry underscores).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from eobench.io import write_csv, write_text

TASK_SCORE_SETTINGS = {
    "decimals": 2,
    "caption": "Per-task score (mean $\\pm$ standard deviation over the K splits; R$^2$ for "
    "regression, F1 for classification) of every encoder and temporal aggregation.",
    "label": "tab:task-scores",
}
LEADERBOARD_SETTINGS = {
    "decimals": 2,
    "caption": "Leaderboard: quality score Q per task, mean Q, weighted score and "
    "aggregated rank; the last row holds the task weights.",
    "label": "tab:leaderboard",
}

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: Any) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_LATEX_SPECIAL.get(char, char) for char in str(text))


def checked_settings(settings: dict[str, Any] | None, defaults: dict[str, Any], what: str):
    """``defaults`` updated with ``settings``; an unknown key is a ValueError naming it."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise ValueError(f"{what}: unknown setting {unknown[0]!r} (known: {sorted(defaults)})")
    return {**defaults, **settings}


def _environment(template_path: str | Path, latex: bool) -> jinja2.Template:
    path = Path(template_path)
    options = {}
    if latex:
        options = dict(
            block_start_string="((*",
            block_end_string="*))",
            variable_start_string="(((",
            variable_end_string=")))",
            comment_start_string="((=",
            comment_end_string="=))",
        )
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(path.parent),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        **options,
    )
    environment.filters["latex"] = latex_escape
    return environment.get_template(path.name)


def _number(value: float, decimals: int) -> str:
    return (
        "--"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.{decimals}f}")
    )


def _provenance_line(provenance: dict[str, Any] | None) -> str:
    return json.dumps(provenance, sort_keys=True, default=str) if provenance else ""


def render_task_scores(
    task_scores: pd.DataFrame,
    out_csv,
    out_md,
    out_tex,
    md_template,
    tex_template,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """Table 4 of the paper: methods x tasks, cells "mean ± std", best per task in bold."""
    settings = checked_settings(settings, TASK_SCORE_SETTINGS, "tables.task_scores")
    decimals = int(settings["decimals"])
    tasks = list(dict.fromkeys(task_scores["task"]))
    methods = task_scores.drop_duplicates("method")[["method", "encoder", "aggregation"]]
    metric_of = dict(zip(task_scores["task"], task_scores["metric"], strict=False))
    mean = task_scores.pivot(index="method", columns="task", values="mean_score")
    std = task_scores.pivot(index="method", columns="task", values="std_score")
    best = {task: mean[task].max() for task in tasks}

    wide = methods.copy()
    for task in tasks:
        wide[f"{task}_mean"] = wide["method"].map(mean[task])
        wide[f"{task}_std"] = wide["method"].map(std[task])
    write_csv(out_csv, wide)

    rows = []
    for method, encoder, aggregation in methods.itertuples(index=False):
        cells = []
        for task in tasks:
            value, spread = mean.loc[method, task], std.loc[method, task]
            cells.append(
                {
                    "mean": _number(value, decimals),
                    "std": _number(spread, decimals),
                    "best": bool(round(value, decimals) == round(best[task], decimals)),
                }
            )
        rows.append(
            {"method": method, "encoder": encoder, "aggregation": aggregation, "cells": cells}
        )
    context = {
        "tasks": [{"name": t, "metric": metric_of[t]} for t in tasks],
        "rows": rows,
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance_line(provenance),
    }
    write_text(out_md, _environment(md_template, latex=False).render(**context))
    write_text(out_tex, _environment(tex_template, latex=True).render(**context))


def render_leaderboard(
    leaderboard: pd.DataFrame,
    weights: pd.Series,
    out_md,
    out_tex,
    md_template,
    tex_template,
    settings: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """The leaderboard (best first) with a final row of task weights."""
    settings = checked_settings(settings, LEADERBOARD_SETTINGS, "tables.leaderboard")
    decimals = int(settings["decimals"])
    tasks = list(weights.index)
    rows = [
        {
            "rank": int(row["aggregated_rank"]),
            "method": row["method"],
            "mean_q": _number(row["mean_q"], decimals),
            "weighted_score": _number(row["weighted_score"], decimals),
            "q": [_number(row[task], decimals) for task in tasks],
        }
        for _, row in leaderboard.iterrows()
    ]
    context = {
        "tasks": tasks,
        "rows": rows,
        "weights": [_number(weights[task], 3) for task in tasks],
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance_line(provenance),
    }
    write_text(out_md, _environment(md_template, latex=False).render(**context))
    write_text(out_tex, _environment(tex_template, latex=True).render(**context))
