"""Paired significance of one adaptation mode against another (MMEarth-Bench Sec. 5).

Two methods are paired over the runs they share: same task and test split, same encoder,
weights, inputs, subset and seed. On the default grid (one inputs and subset per TTT
run) the pairs are the (encoder, seed) pairs of the issue. Each comparison is a
one-sided Wilcoxon signed-rank test (alternative: the new method scores higher), and the
p-values of one table are Holm-corrected together with :func:`eobench.statistics.holm`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from eobench.errors import EobenchError
from eobench.statistics import holm

#: The columns that identify one run apart from its mode: what two modes are paired on.
PAIR_COLUMNS = ("dataset", "encoder", "weights", "inputs", "subset", "seed")
#: The columns that make one comparison: a test on one task and one test split.
COMPARISON_COLUMNS = ("task", "test_split")


def one_sided_wilcoxon(new: np.ndarray, old: np.ndarray) -> float:
    """p-value of the one-sided Wilcoxon signed-rank test that ``new`` exceeds ``old``.

    Pairs with a missing score are dropped. Without a pair whose difference is not zero
    (no pairs left, or every difference zero) there is nothing to rank, so p is 1 by
    definition (scipy would warn and return NaN or 1). scipy's exact distribution is used
    for small samples: with n pairs the smallest p is ``2 ** -n`` (1/8 for 3 seeds).
    """
    new, old = np.asarray(new, dtype=float), np.asarray(old, dtype=float)
    kept = ~np.isnan(new) & ~np.isnan(old)
    difference = new[kept] - old[kept]
    if not np.any(difference != 0):
        return 1.0
    return float(stats.wilcoxon(difference, alternative="greater").pvalue)


def paired_scores(
    metrics: pd.DataFrame, new_mode: str, old_mode: str, pair_columns=PAIR_COLUMNS
) -> pd.DataFrame:
    """Scores of ``new_mode`` and ``old_mode`` side by side, one row per shared run.

    Returns the comparison and pair columns, ``new`` and ``old`` (the two scores) and
    ``difference`` (new - old). Runs only one of the modes has are left out.
    """
    keys = [*COMPARISON_COLUMNS, *[c for c in pair_columns if c in metrics]]
    by_mode = {
        mode: metrics.loc[metrics["mode"] == mode, [*keys, "score"]]
        for mode in (new_mode, old_mode)
    }
    for mode, rows in by_mode.items():
        duplicated = rows.duplicated(keys)
        if duplicated.any():
            first = rows.loc[duplicated, keys].iloc[0].to_dict()
            raise EobenchError(f"adaptation metrics: mode {mode!r} has duplicate rows {first}")
    pairs = by_mode[new_mode].merge(by_mode[old_mode], on=keys, suffixes=("_new", "_old"))
    pairs = pairs.rename(columns={"score_new": "new", "score_old": "old"})
    pairs["difference"] = pairs["new"] - pairs["old"]
    return pairs


def compare_modes(
    metrics: pd.DataFrame, new_modes: Sequence[str], old_mode: str = "JT"
) -> pd.DataFrame:
    """One-sided Wilcoxon test of every mode of ``new_modes`` against ``old_mode``.

    One comparison per (task, test split, new mode); the p-values of all of them are
    Holm-corrected together (they make one table).

    Parameters
    ----------
    metrics : DataFrame
        The tidy adaptation metrics (method key, ``task``, ``test_split``, ``score``).
    new_modes : sequence of str
        The modes tested for an improvement, e.g. ``["JT-TTT", "JT-TTT-Geo"]``.
    old_mode : str
        The mode they are compared with.

    Returns
    -------
    DataFrame
        ``task, test_split, mode, baseline, n_pairs, mean_difference, p_value, p_holm``;
        tasks and test splits in their order of appearance. A comparison without pairs
        has ``n_pairs`` 0, a NaN mean difference and p 1.
    """
    rows = []
    for mode in new_modes:
        pairs = paired_scores(metrics, mode, old_mode)
        present = metrics[metrics["mode"].isin([mode, old_mode])]
        for (task, test_split), _ in present.groupby(list(COMPARISON_COLUMNS), sort=False):
            chosen = pairs[(pairs["task"] == task) & (pairs["test_split"] == test_split)]
            chosen = chosen.dropna(subset=["difference"])
            rows.append(
                {
                    "task": task,
                    "test_split": test_split,
                    "mode": mode,
                    "baseline": old_mode,
                    "n_pairs": len(chosen),
                    "mean_difference": chosen["difference"].mean() if len(chosen) else np.nan,
                    "p_value": one_sided_wilcoxon(chosen["new"], chosen["old"]),
                }
            )
    table = pd.DataFrame(
        rows,
        columns=[
            "task",
            "test_split",
            "mode",
            "baseline",
            "n_pairs",
            "mean_difference",
            "p_value",
        ],
    )
    table["p_holm"] = holm(table["p_value"].to_numpy()) if len(table) else []
    return table


__all__ = ["compare_modes", "one_sided_wilcoxon", "paired_scores"]
