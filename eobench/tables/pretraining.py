"""Tables of the pretraining stage: the GeoMeld ablation and image-text retrieval.

Both read the tidy evaluation of every checkpoint (rule ``pretraining_results``: one row
per method, seed and score: ``method, method_type, architecture, seed, evaluation, task,
test_split, metric, k, score``) and return the frame and the notes printed under it, for
:func:`eobench.tables.outputs.write_rule_table`. Means are over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eobench.errors import EobenchError

PROBE = "linear_probe"
DIRECTIONS = {
    "retrieval_text_to_image": "text-to-image",
    "retrieval_image_to_text": "image-to-text",
}
#: The ablation's rows, as GeoMeld names them, by position in ``pretraining.ablation``.
ABLATION_LABELS = ("MP-MAE", "+ JEPA", "+ ITC", "MP-MAE + JEPA + ITC (full)")
COLUMNS = ("method", "method_type", "architecture", "seed", "evaluation", "task",
           "test_split", "metric", "k", "score")  # fmt: skip


def read_evaluation(path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise EobenchError(f"{path}: pretraining evaluation lacks columns {missing}")
    return frame


def _methods_in_order(frame: pd.DataFrame, first: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(frame["method"]))
    return [m for m in first if m in present] + [m for m in present if m not in first]


def probe_means(frame: pd.DataFrame) -> pd.DataFrame:
    """Linear-probe score per method, task and test split, averaged over seeds."""
    probe = frame[frame["evaluation"] == PROBE]
    return probe.groupby(["method", "task", "test_split"], sort=False)["score"].mean().reset_index()


def mean_probe_score(frame: pd.DataFrame, method: str, test_split: str = "random") -> float:
    """The mean over tasks of a method's linear-probe score on ``test_split``."""
    means = probe_means(frame)
    chosen = means[(means["method"] == method) & (means["test_split"] == test_split)]
    return float(chosen["score"].mean()) if len(chosen) else float("nan")


def ablation_table(frame: pd.DataFrame, ablation: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """GeoMeld's ablation under linear probing: the ablation's methods first (MP-MAE,
    + JEPA, + ITC, full), then every other method for reference; one column per task on
    the random test, the mean over tasks on each test."""
    means = probe_means(frame)
    if means.empty:
        raise EobenchError("the pretraining evaluation has no linear-probe scores")
    tasks = list(dict.fromkeys(means["task"]))
    kinds = frame.drop_duplicates("method").set_index("method")
    seeds = frame.groupby("method")["seed"].nunique()
    rows = []
    for method in _methods_in_order(frame, ablation):
        chosen = means[means["method"] == method]
        random = chosen[chosen["test_split"] == "random"].set_index("task")["score"]
        geographic = chosen[chosen["test_split"] == "geographic"]["score"]
        label = ABLATION_LABELS[ablation.index(method)] if method in ablation[:4] else ""
        row = {
            "row": label or "reference",
            "method": method,
            "objective": kinds.loc[method, "method_type"],
            "backbone": kinds.loc[method, "architecture"],
            "seeds": int(seeds[method]),
        }
        row.update({task: float(random.get(task, np.nan)) for task in tasks})
        row["mean (random)"] = float(random.mean())
        row["mean (geographic)"] = float(geographic.mean())
        rows.append(row)
    metrics = frame[frame["evaluation"] == PROBE].drop_duplicates("task").set_index("task")
    notes = [
        "Frozen features (mean token) and a ridge probe per task, penalty chosen on "
        "validation; task columns: the random test; "
        + ", ".join(f"{t}: {metrics.loc[t, 'metric']}" for t in tasks)
        + " (biomass: its tile mean).",
        "Means over seeds; reference rows: the other methods and the random-init twins.",
    ]
    return pd.DataFrame(rows), notes


def retrieval_table(
    frame: pd.DataFrame, order: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """Recall@k (%) text-to-image and image-to-text per method with a text tower, and the
    chance level (k / n) as the last row."""
    scores = frame[frame["evaluation"].isin(list(DIRECTIONS))]
    if scores.empty:
        raise EobenchError("the pretraining evaluation has no retrieval scores (no ITC method)")
    means = scores.groupby(["method", "evaluation", "k"], sort=False)[["score", "chance"]].mean()
    ks = sorted(scores["k"].unique())
    rows = []
    for method in _methods_in_order(scores, order):
        row = {"method": method}
        for evaluation, direction in DIRECTIONS.items():
            for k in ks:
                row[f"{direction} R@{k}"] = 100 * float(means.loc[(method, evaluation, k), "score"])
        rows.append(row)
    chance = {"method": "chance"}
    for evaluation, direction in DIRECTIONS.items():
        for k in ks:
            chance[f"{direction} R@{k}"] = 100 * float(
                means.xs((evaluation, k), level=("evaluation", "k"))["chance"].iloc[0]
            )
    rows.append(chance)
    n = round(ks[0] / scores[scores["k"] == ks[0]]["chance"].iloc[0])
    notes = [
        f"Recall@k in % on the {n} held-out random-test tiles and their grounded captions "
        "(derived from the generative truth, verified, never noisy); chance: k / n.",
        "GeoMeld reports text-to-image R@5 up to 39.6 on its own data.",
    ]
    return pd.DataFrame(rows), notes


TABLES = {"ablation": ablation_table, "retrieval": retrieval_table}
