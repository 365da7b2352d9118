"""Render score tables as CSV, Markdown and LaTeX from jinja2 templates.

LaTeX templates use their own delimiters (``((* block *))``, ``((( variable )))``,
``((= comment =))``) because jinja2's ``{#`` comment opener collides with LaTeX, and
every text cell goes through the ``latex`` escape filter (task names carry underscores).
Markdown templates use jinja2's defaults and the ``md`` filter (escapes ``|``).

Captions are plain text in both formats: LaTeX's special characters are escaped and a few
Unicode symbols (± ² × ≤ ≥ ε ρ and dashes) become their LaTeX commands. The LaTeX tables need
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
from eobench.scoring import method_label


class SettingsError(EobenchError, ValueError):
    """An unknown or ill-typed key in a table's or figure's settings block.

    A ValueError for callers and an :class:`EobenchError` (a one-line message) in rules.
    """


# Each settings block: key -> (default, kind); the kinds are checked by checked_settings.
TASK_SCORE_SETTINGS = {
    "decimals": (2, "count"),
    "chance_tolerance": (0.02, "non_negative"),
    "caption": (
        "Per-task score (mean ± standard deviation over the K splits; R² for regression, "
        "F1 for classification) of every encoder and temporal aggregation, with each "
        "task's ceiling and chance level; the best score of each task in bold unless it "
        "is at chance.",
        "text",
    ),
    "label": ("tab:task-scores", "label"),
}
LEADERBOARD_SETTINGS = {
    "decimals": (2, "count"),
    "weight_decimals": (3, "count"),
    "caption": (
        "Leaderboard, best first: aggregated rank, mean quality score Q over tasks, "
        "weighted rank score (lower is better) and the quality score Q of each task; the "
        "last row holds the task weights.",
        "text",
    ),
    "label": ("tab:leaderboard", "label"),
}

_KINDS = {
    "number": ("a number", lambda v: _is_number(v)),
    "positive": ("a positive number", lambda v: _is_number(v) and v > 0),
    "non_negative": ("a non-negative number", lambda v: _is_number(v) and v >= 0),
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
    "ε": r"$\varepsilon$",
    "ρ": r"$\rho$",
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


def format_number(value: Any, decimals: int) -> str:
    """``value`` as the tables print it: ``decimals`` digits, a dash if missing, no "-0.00"."""
    return _number(value, decimals) or "–"


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
    references: pd.DataFrame | None = None,
) -> None:
    """Table 4 of the paper: methods x tasks, cells "mean ± std", best per task in bold,
    and every task's ceiling and chance level as reference rows.

    Parameters
    ----------
    task_scores : DataFrame
        One row per (method, task) with ``method, encoder, aggregation, task, metric,
        mean_score, std_score`` and optionally ``same_as`` (the method whose embeddings
        a method's are the same as). Methods and tasks keep their order of appearance.
    out_csv, out_md, out_tex : path
        The wide numeric table (``row`` (``method``, ``ceiling`` or ``chance``),
        ``method, encoder, aggregation, same_as`` then ``<task>_mean``, ``<task>_std``;
        every method, duplicates included), and the rendered Markdown and LaTeX tables.
    md_template, tex_template : path
        jinja2 templates (the LaTeX one with ``((* *))``, ``((( )))``, ``((= =))``).
    settings : dict
        ``decimals``, ``chance_tolerance``, ``caption``, ``label``
        (see ``TASK_SCORE_SETTINGS``).
    provenance : dict
        Written as a comment at the end of the Markdown and LaTeX tables.
    references : DataFrame, optional
        ``task, ceiling, chance`` (:mod:`eobench.tables.references`); NaN where unknown.

    Notes
    -----
    The best cell of a task is the largest mean *as printed*, so cells that print equal
    are all bold, unless it is at most the task's chance level plus ``chance_tolerance``:
    then nothing is bold for that task and a note says so. A method whose embeddings are
    the same as an earlier one's is printed once, in its twin's row, with a note. A
    missing std prints the mean alone; a missing mean prints a dash.
    """
    settings = checked_settings(settings, TASK_SCORE_SETTINGS, "tables.task_scores")
    required = ["method", "encoder", "aggregation", "task", "metric", "mean_score", "std_score"]
    _check_columns(task_scores, required, "task scores")
    if task_scores.duplicated(["method", "task"]).any():
        raise EobenchError("task scores: duplicate (method, task) rows")
    decimals = settings["decimals"]
    tasks = list(dict.fromkeys(task_scores["task"]))
    methods = task_scores.drop_duplicates("method").set_index("method")
    same_as = _same_as(methods)
    metric_of = dict(zip(task_scores["task"], task_scores["metric"], strict=False))
    mean = task_scores.pivot(index="method", columns="task", values="mean_score")
    std = task_scores.pivot(index="method", columns="task", values="std_score")
    levels = _reference_levels(references, tasks)
    write_csv(out_csv, _wide_task_scores(methods, same_as, mean, std, levels, tasks))

    shown_methods = [m for m in methods.index if m not in same_as]
    printed = {
        task: {m: _number(mean.loc[m, task], decimals) for m in shown_methods} for task in tasks
    }
    tolerance = settings["chance_tolerance"]
    best, at_chance, no_signal = {}, [], []
    for task in tasks:
        values = [float(v) for v in printed[task].values() if v is not None]
        best[task] = max(values) if values else None
        chance, ceiling = levels.loc[task, "chance"], levels.loc[task, "ceiling"]
        if best[task] is None or math.isnan(chance):
            continue
        # A task whose ceiling is its chance level has no signal: a score above it comes
        # from selecting epochs on small test parts, not from the embedding.
        if not math.isnan(ceiling) and ceiling <= chance + tolerance:
            best[task] = None
            no_signal.append(task)
        elif best[task] <= chance + tolerance:
            best[task] = None
            at_chance.append(task)
    rows = []
    for method in shown_methods:
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
        twins = [m for m, twin in same_as.items() if twin == method]
        rows.append(
            {
                "method": method,
                "encoder": methods.loc[method, "encoder"],
                "aggregation": _aggregation_label(methods, method, twins),
                "cells": cells,
            }
        )
    references_rows = [
        {
            "name": name,
            "cells": [_number(levels.loc[task, name], decimals) for task in tasks],
        }
        for name in ("ceiling", "chance")
        if levels[name].notna().any()
    ]
    notes = _task_score_notes(tolerance, at_chance, same_as, references_rows, no_signal)
    context = {
        "tasks": [{"name": t, "metric": _metric_names(metric_of[t])} for t in tasks],
        "rows": rows,
        "references": references_rows,
        "notes": notes,
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance(provenance),
    }
    write_text(out_md, _render(md_template, False, context))
    write_text(out_tex, _render(tex_template, True, context))


def _same_as(methods: pd.DataFrame) -> dict[str, str]:
    """Method -> the earlier method whose embeddings it shares (only methods that do)."""
    if "same_as" not in methods:
        return {}
    twins = methods["same_as"]
    return {
        method: twin
        for method, twin in twins.items()
        if isinstance(twin, str) and twin and twin in methods.index
    }


def _aggregation_label(methods: pd.DataFrame, method: str, twins: list[str]) -> str:
    """``pre``; ``pre = post`` when the same encoder's post table is identical."""
    label = str(methods.loc[method, "aggregation"])
    encoder = methods.loc[method, "encoder"]
    for twin in twins:
        if methods.loc[twin, "encoder"] == encoder:
            label += f" = {methods.loc[twin, 'aggregation']}"
        else:
            label += f" (= {twin})"
    return label


def _reference_levels(references: pd.DataFrame | None, tasks: list[str]) -> pd.DataFrame:
    """``ceiling`` and ``chance`` per task (rows in ``tasks`` order, NaN where unknown)."""
    levels = pd.DataFrame(index=pd.Index(tasks, name="task"), columns=["ceiling", "chance"])
    if references is not None and len(references):
        _check_columns(references, ["task", "ceiling", "chance"], "task references")
        known = references.set_index("task")[["ceiling", "chance"]]
        levels.update(known.reindex(tasks))
    return levels.astype(float)


def _wide_task_scores(methods, same_as, mean, std, levels, tasks) -> pd.DataFrame:
    """The numeric table: one row per method (duplicates included), then the references."""
    wide = pd.DataFrame(
        {
            "row": "method",
            "method": methods.index,
            "encoder": methods["encoder"].to_numpy(),
            "aggregation": methods["aggregation"].to_numpy(),
            "same_as": [same_as.get(m) for m in methods.index],
        }
    )
    for task in tasks:
        wide[f"{task}_mean"] = wide["method"].map(mean[task]).astype(float)
        wide[f"{task}_std"] = wide["method"].map(std[task]).astype(float)
    extra = [
        {"row": name, **{f"{t}_mean": levels.loc[t, name] for t in tasks}}
        for name in ("ceiling", "chance")
        if levels[name].notna().any()
    ]
    if not extra:
        return wide
    return pd.concat([wide, pd.DataFrame(extra)], ignore_index=True)[wide.columns]


def _task_score_notes(
    tolerance: float,
    at_chance: list[str],
    same_as: dict[str, str],
    references: list,
    no_signal: list[str] = (),
) -> list[str]:
    """The notes under the task-score table: what bold means, what was left out."""
    notes = [
        "Bold: the best score of a task as printed, unless it is at most the chance level "
        f"+ {tolerance:g} or the task's ceiling is its chance level."
    ]
    if no_signal:
        notes.append(
            f"Nothing bold for {', '.join(no_signal)}: the labels carry no signal (ceiling = "
            "chance); scores above chance come from choosing epochs on small test parts."
        )
    if at_chance:
        notes.append(
            f"Nothing bold for {', '.join(at_chance)}: the best score is within "
            f"{tolerance:g} of chance."
        )
    names = {r["name"] for r in references}
    if "ceiling" in names:
        notes.append(
            "ceiling: the best score the data allow (the generator's noise-free signal; "
            "a dash where unknown)."
        )
    if "chance" in names:
        notes.append(
            "chance: the best constant prediction, R² 0 and the F1 of predicting every "
            "sample positive."
        )
    for method, twin in same_as.items():
        notes.append(
            f"{method} has the same embeddings as {twin} (up to float rounding): one row shown."
        )
    return notes


def render_leaderboard(
    leaderboard: pd.DataFrame,
    weights: pd.Series | Mapping[str, float],
    out_md,
    out_tex,
    md_template,
    tex_template,
    settings: Mapping[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    tie_tolerance: float | None = None,
) -> None:
    """The leaderboard (rows in the given order, best first) and a final row of task weights.

    Parameters
    ----------
    leaderboard : DataFrame
        ``method, mean_q, weighted_score, aggregated_rank`` and one Q column per task;
        optionally ``same_as``: a method whose embeddings duplicate another's is not a
        row of its own but named in its twin's row and in a note.
    weights : Series or mapping
        Task -> weight; its order is the order of the task columns.
    settings : dict
        ``decimals``, ``weight_decimals``, ``caption``, ``label`` (``LEADERBOARD_SETTINGS``).
    tie_tolerance : float, optional
        The tolerance within which Q values shared a rank, stated in a note.
    """
    settings = checked_settings(settings, LEADERBOARD_SETTINGS, "tables.leaderboard")
    weights = pd.Series(weights, dtype=float)
    tasks = [str(task) for task in weights.index]
    _check_columns(
        leaderboard,
        ["method", "mean_q", "weighted_score", "aggregated_rank", *tasks],
        "leaderboard",
    )
    same_as = _same_as(leaderboard.set_index("method"))
    decimals = settings["decimals"]
    rows = [
        {
            "rank": int(row["aggregated_rank"]),
            "method": method_label(row["method"], same_as),
            "mean_q": _number(row["mean_q"], decimals),
            "weighted_score": _number(row["weighted_score"], decimals),
            "q": [_number(row[task], decimals) for task in tasks],
        }
        for _, row in leaderboard.iterrows()
        if row["method"] not in same_as
    ]
    notes = [
        "Task columns hold the quality score Q of each task (100 ε mean / (std + ε) of its "
        "K split scores), not R² or F1. Weighted score: the sum over tasks of task weight "
        "× rank; lower is better, and the aggregated rank orders it."
    ]
    if tie_tolerance is not None:
        notes.append(
            f"Q values within {tie_tolerance:g} of a better one share its rank "
            "(scoring.tie_tolerance)."
        )
    notes += [
        f"{method} has the same embeddings as {twin} (up to float rounding): ranked once."
        for method, twin in same_as.items()
    ]
    notes += degeneracy_notes(leaderboard[~leaderboard["method"].isin(same_as)])
    context = {
        "tasks": tasks,
        "rows": rows,
        "weights": [_number(w, settings["weight_decimals"]) for w in weights],
        "notes": notes,
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance(provenance),
    }
    write_text(out_md, _render(md_template, False, context))
    write_text(out_tex, _render(tex_template, True, context))


def degeneracy_notes(leaderboard: pd.DataFrame) -> list[str]:
    """Notes flagging constant dimensions and samples that share one embedding.

    Reads the optional columns ``constant_dims``, ``zero_dims`` and ``duplicate_rows``
    (:func:`eobench.embeddings.embedding_diagnostics`). Dimensions zero for every sample
    go into one note, since the paper's ViT recipe pads a narrow model with zeros on
    purpose; other constant dimensions and duplicated embeddings get a note per method.
    """
    counts = {
        column: leaderboard.get(column, pd.Series(0, index=leaderboard.index)).fillna(0)
        for column in ("constant_dims", "zero_dims", "duplicate_rows")
    }
    zero = [
        f"{method} {int(n)}"
        for method, n in zip(leaderboard["method"], counts["zero_dims"], strict=True)
        if n
    ]
    notes = []
    if zero:
        notes.append(
            "Dimensions that are zero for every sample (zero padding of a narrower encoder "
            "to N, or dead features): " + ", ".join(zero) + "."
        )
    for i, method in enumerate(leaderboard["method"]):
        other = int(counts["constant_dims"].iloc[i] - counts["zero_dims"].iloc[i])
        duplicates = int(counts["duplicate_rows"].iloc[i])
        if other:
            notes.append(f"{method}: {other} embedding dimensions are constant (not zero) "
                         "over all samples.")  # fmt: skip
        if duplicates:
            notes.append(
                f"{method}: {duplicates} samples have exactly the embedding of another sample."
            )
    return notes


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
    notes: list[str] | None = None,
) -> None:
    """Any tidy table as CSV (full precision), Markdown and LaTeX (``decimals`` digits).

    Integers print as integers, floats with ``decimals`` digits, missing values as a
    dash; column names are the headers; ``notes`` are printed under the table. Used by
    the ablation, runtime, interval and claims tables, whose layout is the table itself.
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
        "notes": list(notes or []),
        "caption": settings["caption"],
        "label": settings["label"],
        "provenance": _provenance(provenance),
    }
    write_text(out_md, _render(md_template, False, context))
    write_text(out_tex, _render(tex_template, True, context))
