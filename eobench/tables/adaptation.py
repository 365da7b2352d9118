"""Tables of the adaptation stage: the TTT table, per-task tables and the low-shot table.

Every builder reads the tidy adaptation metrics (one row per run and test split: the
method key ``encoder, weights, mode, inputs, subset, seed`` and ``dataset, task,
task_kind, metric, test_split, score, n_test, best_epoch, ttt_steps``) and returns a tidy
frame and the notes printed under it, ready for
:func:`eobench.tables.outputs.write_rule_table`.

Means and standard deviations are over seeds; the standard deviation is the sample one
(ddof=1), NaN for a single seed. Key columns with one value in the whole table (say,
every run used ``subset`` train_100) are left out of the rows and named in a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from eobench.adaptation.results import METRIC_COLUMNS, check_metrics
from eobench.adaptation.significance import compare_modes
from eobench.errors import EobenchError

#: Display order of the values of the key columns; values not named follow in their
#: order of appearance.
MODES = ("LP", "FT", "JT", "JT-TTT", "JT-TTT-Geo")
INPUTS = ("rgb", "s2", "multimodal")
SUBSETS = ("train_100", "train_50", "train_5")
WEIGHTS = ("pretrained", "random_init")
TEST_SPLITS = ("random", "geographic")
#: The modes of the TTT table and the one they are compared with.
TTT_MODES = ("JT", "JT-TTT", "JT-TTT-Geo")
TTT_BASELINE = "JT"

_ORDERS = {"mode": MODES, "inputs": INPUTS, "subset": SUBSETS, "weights": WEIGHTS}
_STD_NOTE = "std: the sample standard deviation over seeds (ddof=1; a dash for one seed)."


def subset_percent(subset: str) -> int:
    """The share of the training split a subset column holds: ``train_5`` -> 5."""
    match = re.fullmatch(r"train_(\d+)", str(subset))
    if match is None:
        raise EobenchError(f"adaptation metrics: subset {subset!r} is not train_<percent>")
    return int(match.group(1))


def ordered(values: Iterable, known: Sequence = ()) -> list:
    """The distinct ``values``: those of ``known`` first, in its order, then the others in
    their order of appearance."""
    present = list(dict.fromkeys(values))
    return [v for v in known if v in present] + [v for v in present if v not in known]


def sort_rows(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` sorted by ``columns``, each in its display order (:func:`ordered`)."""
    keys = {
        column: frame[column].map(
            {v: i for i, v in enumerate(ordered(frame[column], _ORDERS.get(column, ())))}
        )
        for column in columns
    }
    order = pd.DataFrame(keys).sort_values(list(columns), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def seed_statistics(metrics: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Mean and sample std of the score over seeds, and the number of seeds, per ``by``."""
    grouped = metrics.groupby(list(by), sort=False, dropna=False)["score"]
    return grouped.agg(mean="mean", std="std", seeds="count").reset_index()


def drop_constant(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Leave out the ``columns`` with one value in every row; a note naming their values."""
    constant = [c for c in columns if c in frame and frame[c].nunique(dropna=False) == 1]
    if not constant or frame.empty:
        return frame, []
    values = ", ".join(f"{c} {frame[c].iloc[0]}" for c in constant)
    return frame.drop(columns=constant), [f"Every row: {values}."]


def _wide_by_test_split(
    frame: pd.DataFrame, keys: Sequence[str], values: Sequence[str]
) -> pd.DataFrame:
    """One row per ``keys``; the ``values`` of each test split as ``"<split> <value>"``."""
    splits = ordered(frame["test_split"], TEST_SPLITS)
    wide = frame.pivot(index=list(keys), columns="test_split", values=list(values))
    wide = wide.reindex(columns=pd.MultiIndex.from_product([values, splits]))
    wide = wide[[(value, split) for split in splits for value in values]]
    wide.columns = [f"{split} {value}" for value, split in wide.columns]
    return wide.reset_index()


def _select(metrics: pd.DataFrame, what: str, **equal) -> pd.DataFrame:
    """The rows whose columns equal the given values; an error naming what is missing."""
    chosen = metrics
    for column, value in equal.items():
        values = [value] if isinstance(value, str) else list(value)
        chosen = chosen[chosen[column].isin(values)]
    if chosen.empty:
        wanted = ", ".join(f"{column} {value}" for column, value in equal.items())
        raise EobenchError(f"{what}: the adaptation metrics have no rows with {wanted}")
    return chosen


# -- the TTT table --------------------------------------------------------------------------


def per_seed_gains(metrics: pd.DataFrame, baseline: str = TTT_BASELINE) -> pd.DataFrame:
    """Every run's score with the change against the same run in mode ``baseline``.

    ``change`` is ``score - baseline score`` and ``normalised_improvement`` is
    ``(score - baseline) / (1 - baseline)``: the share of the baseline's remaining gap to
    the perfect score (1 for R² and mAP) that the mode closes; NaN where the baseline is
    1 or missing. Rows of the baseline mode get NaN for both.
    """
    keys = ["dataset", "task", "test_split", "encoder", "weights", "inputs", "subset", "seed"]
    reference = metrics.loc[metrics["mode"] == baseline, [*keys, "score"]]
    reference = reference.rename(columns={"score": "baseline_score"})
    try:
        gains = metrics.merge(reference, on=keys, how="left", validate="many_to_one")
    except pd.errors.MergeError:
        raise EobenchError(
            f"adaptation metrics: mode {baseline!r} has two rows for one run and test split"
        ) from None
    old = gains["baseline_score"]
    gains["change"] = gains["score"] - old
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (1.0 - old).where(old < 1.0)
        gains["normalised_improvement"] = gains["change"] / gap
    is_baseline = gains["mode"] == baseline
    gains.loc[is_baseline, ["change", "normalised_improvement"]] = np.nan
    return gains


def ttt_table(
    metrics: pd.DataFrame, modes: Sequence[str] = TTT_MODES, baseline: str = TTT_BASELINE
) -> tuple[pd.DataFrame, list[str]]:
    """MMEarth-Bench's TTT table: JT, TTT-MMR and TTT-MMR-Geo on both test splits.

    Rows are task x encoder (with its weights, inputs and subset) x mode; for each test
    split the columns are the mean and std of the score over seeds, the mean change
    against ``baseline`` and the mean normalised improvement (both means over seeds of
    the per-seed values, see :func:`per_seed_gains`), the Holm-corrected one-sided
    Wilcoxon p of the mode against ``baseline`` (:func:`compare_modes`: one test per
    task, test split and mode over the runs both have, so the p is shared by the
    encoders of a task) and the mean number of TTT steps used on test.
    """
    check_metrics(metrics)
    chosen = _select(metrics, "tables.ttt", mode=list(modes))
    gains = per_seed_gains(chosen, baseline)
    keys = ["task", "encoder", "weights", "inputs", "subset", "mode"]
    grouped = gains.groupby([*keys, "test_split"], sort=False, dropna=False)
    summary = grouped.agg(
        mean=("score", "mean"),
        std=("score", "std"),
        change=("change", "mean"),
        normalised_improvement=("normalised_improvement", "mean"),
        steps=("ttt_steps", "mean"),
        seeds=("seed", "nunique"),
    ).reset_index()
    summary.loc[summary["mode"] == baseline, "steps"] = float("nan")  # no TTT: a dash
    tests = compare_modes(chosen, [m for m in modes if m != baseline], baseline)
    summary = summary.merge(
        tests[["task", "test_split", "mode", "p_holm"]],
        on=["task", "test_split", "mode"],
        how="left",
    )
    seeds = summary.groupby(keys, sort=False, dropna=False)["seeds"].max()
    values = ["mean", "std", "change", "normalised_improvement", "p_holm", "steps"]
    wide = _wide_by_test_split(summary, keys, values).merge(
        seeds.reset_index(), on=keys, how="left"
    )
    wide = sort_rows(wide, keys)
    wide.columns = [_ttt_header(c, baseline) for c in wide.columns]
    wide, notes = drop_constant(wide, ["weights", "inputs", "subset"])
    return wide, [*notes, *_ttt_notes(tests, baseline)]


def _ttt_header(column: str, baseline: str) -> str:
    names = {
        "change": f"change vs {baseline}",
        "normalised_improvement": "normalised improvement",
        "p_holm": "p (Holm)",
        "steps": "TTT steps",
    }
    split, _, value = column.partition(" ")
    return f"{split} {names[value]}" if value in names else column


def _ttt_notes(tests: pd.DataFrame, baseline: str) -> list[str]:
    smallest = int(tests["n_pairs"].min()) if len(tests) else 0
    return [
        "mean, std: the score over seeds (R² for regression, mAP for species); " + _STD_NOTE,
        f"change vs {baseline}: mean over seeds of score - {baseline} score of the same run; "
        f"normalised improvement: mean over seeds of (score - {baseline}) / (1 - {baseline}).",
        f"p (Holm): one-sided Wilcoxon signed-rank test (the mode above {baseline}) over the "
        "runs of a task and test split that both modes have (pairs of encoder, weights, "
        "inputs, subset and seed), so shared by the rows of a task and test split; "
        f"Holm-corrected over the {len(tests)} tests of this table; p = 1 without a non-zero "
        f"difference. With n pairs the smallest p is 2^-n (fewest pairs here: {smallest}).",
        "TTT steps: mean over seeds of the steps used on test (chosen on validation).",
    ]


# -- per-task and low-shot tables --------------------------------------------------------


def per_task_table(metrics: pd.DataFrame, task: str) -> tuple[pd.DataFrame, list[str]]:
    """One task's scores: a row per method (encoder, weights, mode, inputs) and subset,
    the mean and std over seeds on the random and the geographic test."""
    check_metrics(metrics)
    chosen = _select(metrics, f"tables.per_task ({task})", task=task)
    keys = ["encoder", "weights", "mode", "inputs", "subset"]
    summary = seed_statistics(chosen, [*keys, "test_split"])
    seeds = summary.groupby(keys, sort=False, dropna=False)["seeds"].max().reset_index()
    wide = _wide_by_test_split(summary, keys, ["mean", "std"]).merge(seeds, on=keys)
    wide, notes = drop_constant(sort_rows(wide, keys), ["weights", "inputs", "subset"])
    metric = _metric_name(chosen)
    notes = [
        *notes,
        f"Task {task}: {metric} on the random test (split test) and the geographic test "
        "(the samples in Africa), mean over seeds. " + _STD_NOTE,
    ]
    return wide, notes


def low_shot_table(
    metrics: pd.DataFrame, mode: str = "FT", test_split: str = "random"
) -> tuple[pd.DataFrame, list[str]]:
    """The numbers of the low-shot figure: task x encoder x inputs x subset, mean and std
    over seeds of ``mode`` on ``test_split``, and the change against ``train_100``."""
    check_metrics(metrics)
    chosen = _select(metrics, "tables.low_shot", mode=mode, test_split=test_split)
    keys = ["task", "encoder", "weights", "inputs", "subset"]
    summary = sort_rows(seed_statistics(chosen, keys), keys)
    summary.insert(
        summary.columns.get_loc("subset") + 1, "percent", summary["subset"].map(subset_percent)
    )
    full = summary.loc[summary["subset"] == "train_100", [*keys[:-1], "mean"]]
    summary = summary.merge(full.rename(columns={"mean": "full"}), on=keys[:-1], how="left")
    summary["change vs train_100"] = summary["mean"] - summary.pop("full")
    notes = [
        f"Mode {mode}, {test_split} test; percent: the share of the training split used. "
        + _STD_NOTE,
        "change vs train_100: mean score minus the mean score of the same task, encoder "
        "and inputs trained on all of the training split (a dash where it was not run).",
    ]
    return summary, notes


def _metric_name(metrics: pd.DataFrame) -> str:
    names = {"r2": "R²", "map": "mAP"}
    return ", ".join(names.get(m, m) for m in dict.fromkeys(metrics["metric"]))


#: The tables a rule can ask for (``params.kind``): name -> builder of the metrics.
TABLES = {
    "ttt": ttt_table,
    "per_task": per_task_table,
    "low_shot": low_shot_table,
}

__all__ = [
    "METRIC_COLUMNS",
    "TABLES",
    "check_metrics",
    "low_shot_table",
    "per_seed_gains",
    "per_task_table",
    "ttt_table",
]
