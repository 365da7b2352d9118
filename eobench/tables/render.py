"""Render score tables as CSV, Markdown and LaTeX from jinja2 templates.

LaTeX templates use their own delimiters (``((* block *))``, ``((( variable )))``,
``((= comment =))``) because jinja2's ``{#`` comment opener collides with LaTeX, and
every text cell goes through the ``latex`` escape filter (task names carry underscores).
Markdown templates use jinja2's defaults and the ``md`` filter (escapes ``|``).

Captions are plain text in both formats: LaTeX's special characters are escaped and a few
Unicode symbols (± ² × ≤ ≥ and dashes) become their LaTeX commands. The LaTeX tables need
``\\usepackage{booktabs,graphicx}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from eobench.errors import EobenchError
from eobench.io import write_csv, write_text


class SettingsError(EobenchError, ValueError):
    """An unknown or ill-typed key in a table's or figure's settings block.

    A ValueError for callers and an :class:`EobenchError` (a one-line message) in rules.
    """


# Each settings block: key -> (default, kind); the kinds are checked by checked_settings.
TASK_SCORE_SETTINGS = {
    "decimals": (2, "count"),
    "caption": (
        "Per-task score (mean ± standard deviation over the K splits; R² for regression, "
        "F1 for classification) of every encoder and temporal aggregation; the best score "
        "of each task in bold.",
        "text",
    ),
    "label": ("tab:task-scores", "label"),
}
LEADERBOARD_SETTINGS = {
    "decimals": (2, "count"),
    "weight_decimals": (3, "count"),
    "caption": (
        "Leaderboard, best first: aggregated rank, mean quality score Q over tasks, weighted "
        "rank score and Q per task; the last row holds the task weights.",
        "text",
    ),
    "label": ("tab:leaderboard", "label"),
}

_KINDS = {
    "number": ("a number", lambda v: _is_number(v)),
    "positive": ("a positive number", lambda v: _is_number(v) and v > 0),
    "positive_int": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "count": ("a non-negative integer", lambda v: _is_int(v) and v >= 0),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "text": ("a string", lambda v: isinstance(v, str)),
    "label": (
        "a LaTeX label (letters, digits and : . _ - / +)",
        lambda v: isinstance(v, str) and re.fullmatch(r"[\w:.\-/+]+", v) is not None,
    ),
    "names": (
        "null or a list of strings",
        lambda v: v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v)),
    ),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def checked_settings(
    settings: Mapping[str, Any] | None, spec: Mapping[str, tuple[Any, str]], what: str
) -> dict[str, Any]:
    """The defaults of ``spec`` updated with ``settings``, every value checked.

    Raises
    ------
    SettingsError
        For an unknown key or a value of the wrong kind, naming ``what`` and the key.
    """
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(spec))
    if unknown:
        raise SettingsError(f"{what}: unknown setting {unknown[0]!r} (known: {sorted(spec)})")
    checked = {}
    for key, (default, kind) in spec.items():
        value = settings.get(key, default)
        description, valid = _KINDS[kind]
        if not valid(value):
            raise SettingsError(f"{what}.{key}: {value!r} is not {description}")
        checked[key] = value
    return checked


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
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "±": r"$\pm$",
    "²": r"$^2$",
    "×": r"$\times$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "−": r"$-$",
    "–": "--",
    "—": "---",
}


def latex_escape(text: Any) -> str:
    """Escape LaTeX's special characters in plain text (and map ± ² × ≤ ≥ and dashes)."""
    return "".join(_LATEX_SPECIAL.get(char, char) for char in str(text))


def markdown_escape(text: Any) -> str:
    """Escape the characters that would break a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _template(template_path: str | Path, latex: bool) -> jinja2.Template:
    path = Path(template_path)
    if not path.is_file():
        raise EobenchError(f"{path}: table template not found")
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
    environment.filters["md"] = markdown_escape
    try:
        return environment.get_template(path.name)
    except jinja2.TemplateSyntaxError as exc:
        raise EobenchError(f"{path}:{exc.lineno}: template syntax error: {exc.message}") from exc


def _render(template_path, latex: bool, context: dict[str, Any]) -> str:
    try:
        return _template(template_path, latex).render(**context)
    except jinja2.UndefinedError as exc:
        raise EobenchError(f"{template_path}: {exc.message}") from exc


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any, decimals: int) -> str | None:
    """``value`` with ``decimals`` digits; None for a missing value (the template decides)."""
    if _is_missing(value):
        return None
    text = f"{float(value):.{decimals}f}"
    # -0.004 prints as "-0.00": drop the sign of a printed zero.
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _provenance(provenance: dict[str, Any] | None) -> str:
    """One line of JSON; ``>`` is written ``\\u003e`` (still JSON) so no ``-->`` can end
    the Markdown comment early."""
    text = json.dumps(provenance, sort_keys=True, default=str) if provenance else ""
    return text.replace(">", "\\u003e")


def _metric_names(metric: str) -> dict[str, str]:
    names = {"r2": ("R²", "R$^2$"), "f1": ("F1", "F1")}
    md, tex = names.get(metric, (metric, latex_escape(metric)))
    return {"md": md, "tex": tex}


def render_task_scores(
    task_scores: pd.DataFrame,
    out_csv,
    out_md,
    out_tex,
    md_template,
    tex_template,
    settings: Mapping[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """Table 4 of the paper: methods x tasks, cells "mean ± std", best per task in bold.

    Parameters
    ----------
    task_scores : DataFrame
        One row per (method, task) with ``method, encoder, aggregation, task, metric,
        mean_score, std_score``. Methods and tasks keep their order of appearance.
    out_csv, out_md, out_tex : path
        The wide numeric table (``method, encoder, aggregation`` then ``<task>_mean``,
        ``<task>_std``), and the rendered Markdown and LaTeX tables.
    md_template, tex_template : path
        jinja2 templates (the LaTeX one with ``((* *))``, ``((( )))``, ``((= =))``).
    settings : dict
        ``decimals``, ``caption``, ``label`` (see ``TASK_SCORE_SETTINGS``).
    provenance : dict
        Written as a comment at the end of the Markdown and LaTeX tables.

    Notes
    -----
    The best cell of a task is the largest mean *as printed*, so cells that print equal
    are all bold. A missing std prints the mean alone; a missing mean prints a dash.
    """
    settings = checked_settings(settings, TASK_SCORE_SETTINGS, "tables.task_scores")
    required = ["method", "encoder", "aggregation", "task", "metric", "mean_score", "std_score"]
    _check_columns(task_scores, required, "task scores")
    if task_scores.duplicated(["method", "task"]).any():
        raise EobenchError("task scores: duplicate (method, task) rows")
    decimals = settings["decimals"]
    tasks = list(dict.fromkeys(task_scores["task"]))
    methods = task_scores.drop_duplicates("method")[["method", "encoder", "aggregation"]]
    metric_of = dict(zip(task_scores["task"], task_scores["metric"], strict=False))
    mean = task_scores.pivot(index="method", columns="task", values="mean_score")
    std = task_scores.pivot(index="method", columns="task", values="std_score")

    wide = methods.reset_index(drop=True)
    for task in tasks:
        wide[f"{task}_mean"] = wide["method"].map(mean[task]).astype(float)
        wide[f"{task}_std"] = wide["method"].map(std[task]).astype(float)
    write_csv(out_csv, wide)

    printed = {
        task: {m: _number(mean.loc[m, task], decimals) for m in methods["method"]} for task in tasks
    }
    best = {}
    for task in tasks:
        values = [float(v) for v in printed[task].values() if v is not None]
        best[task] = max(values) if values else None
    rows = []
    for method, encoder, aggregation in methods.itertuples(index=False):
        cells = []
        for task in tasks:
            shown = printed[task][method]
            cells.append(
                {
                    "mean": shown,
                    "std": _number(std.loc[method, task], decimals) if shown else None,
                    "best": shown is not None and float(shown) == best[task],
                }
            )
        rows.append(
            {"method": method, "encoder": encoder, "aggregation": aggregation, "cells": cells}
        )
    context = {
        "tasks": [{"name": t, "metric": _metric_names(metric_of[t])} for t in tasks],
        "rows": rows,
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance(provenance),
    }
    write_text(out_md, _render(md_template, False, context))
    write_text(out_tex, _render(tex_template, True, context))


def render_leaderboard(
    leaderboard: pd.DataFrame,
    weights: pd.Series | Mapping[str, float],
    out_md,
    out_tex,
    md_template,
    tex_template,
    settings: Mapping[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """The leaderboard (rows in the given order, best first) and a final row of task weights.

    Parameters
    ----------
    leaderboard : DataFrame
        ``method, mean_q, weighted_score, aggregated_rank`` and one Q column per task.
    weights : Series or mapping
        Task -> weight; its order is the order of the task columns.
    settings : dict
        ``decimals``, ``weight_decimals``, ``caption``, ``label`` (``LEADERBOARD_SETTINGS``).
    """
    settings = checked_settings(settings, LEADERBOARD_SETTINGS, "tables.leaderboard")
    weights = pd.Series(weights, dtype=float)
    tasks = [str(task) for task in weights.index]
    _check_columns(
        leaderboard,
        ["method", "mean_q", "weighted_score", "aggregated_rank", *tasks],
        "leaderboard",
    )
    decimals = settings["decimals"]
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
        "weights": [_number(w, settings["weight_decimals"]) for w in weights],
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance(provenance),
    }
    write_text(out_md, _render(md_template, False, context))
    write_text(out_tex, _render(tex_template, True, context))


def _check_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise EobenchError(f"{what}: missing columns {missing}")


GENERIC_TABLE_SETTINGS = {
    "decimals": (2, "count"),
    "caption": ("", "text"),
    "label": ("tab:table", "label"),
}


def render_table(
    frame: pd.DataFrame,
    out_csv,
    out_md,
    out_tex,
    md_template,
    tex_template,
    settings: Mapping[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    what: str = "tables.table",
) -> None:
    """Any tidy table as CSV (full precision), Markdown and LaTeX (``decimals`` digits).

    Integers print as integers, floats with ``decimals`` digits, missing values as a
    dash; column names are the headers. Used by the ablation, runtime and claims tables,
    whose layout is the table itself.
    """
    settings = checked_settings(settings, GENERIC_TABLE_SETTINGS, what)
    write_csv(out_csv, frame)
    decimals = settings["decimals"]

    def cell(value: Any) -> dict[str, Any]:
        if _is_missing(value) or value is pd.NA:
            return {"text": None, "numeric": False}
        if isinstance(value, bool):
            return {"text": str(value), "numeric": False}
        if isinstance(value, int | np.integer):
            return {"text": str(int(value)), "numeric": True}
        if isinstance(value, float | np.floating):
            return {"text": _number(value, decimals), "numeric": True}
        return {"text": str(value), "numeric": False}

    rows = [[cell(value) for value in row] for row in frame.itertuples(index=False)]
    numeric = [
        all(row[j]["numeric"] or row[j]["text"] is None for row in rows) and len(rows) > 0
        for j in range(frame.shape[1])
    ]
    context = {
        "columns": [
            {"name": str(name), "numeric": numeric[j]} for j, name in enumerate(frame.columns)
        ],
        "rows": rows,
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance(provenance),
    }
    write_text(out_md, _render(md_template, False, context))
    write_text(out_tex, _render(tex_template, True, context))
