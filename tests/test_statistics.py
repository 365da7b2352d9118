"""Leaderboard statistics against scipy and hand-worked examples."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eobench.scoring import leaderboard, quality_score
from eobench.statistics import (
    bootstrap_leaderboard,
    companion_table,
    holm,
    leaderboard_with_intervals,
    lower_confidence_bound,
    paired_tests,
    score_cube,
    weight_diagnostics,
)


def split_table(means, k=20, spread=0.05, seed=0):
    """Split scores of methods x tasks around the given means."""
    rng = np.random.default_rng(seed)
    rows = []
    for method, task_means in means.items():
        for task, mean in task_means.items():
            for split, score in enumerate(mean + spread * rng.normal(size=k)):
                rows.append({"method": method, "task": task, "split": split, "score": score})
    return pd.DataFrame(rows)


def test_holm_textbook_example():
    # Holm (1979) style: p = 0.01, 0.04, 0.03, 0.005 -> sorted 0.005, 0.01, 0.03, 0.04
    # multipliers 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04 -> monotone 0.02, 0.03, 0.06, 0.06.
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert holm(np.array([0.9, 0.8]))[0] == 1.0


def test_paired_tests_match_scipy_wilcoxon():
    table = split_table({"a": {"t": 0.5}, "b": {"t": 0.52}, "c": {"t": 0.7}})
    tests = paired_tests(table)
    cube, _, _ = score_cube(table)
    row = tests.query("method_a == 'a' and method_b == 'c'").iloc[0]
    expected = stats.wilcoxon(cube[0, 0], cube[2, 0]).pvalue
    assert row["p_value"] == pytest.approx(expected)
    assert row["p_holm"] == pytest.approx(min(1.0, holm(tests["p_value"].to_numpy())[1]))
    assert row["p_holm"] < 0.01  # 0.2 apart with spread 0.05 over 20 splits
    assert len(tests) == 3


def test_bootstrap_intervals_cover_the_point_estimate_and_separate_clear_winners():
    table = split_table(
        {
            "strong": {"t1": 0.8, "t2": 0.7, "t3": 0.9},
            "weak": {"t1": 0.2, "t2": 0.1, "t3": 0.3},
            "middle": {"t1": 0.5, "t2": 0.45, "t3": 0.55},
        }
    )
    for resample in ("splits", "tasks"):
        boot = bootstrap_leaderboard(table, resample=resample, n_boot=200).set_index("method")
        assert (boot["mean_q_low"] <= boot["mean_q"] + 1e-9).all()
        assert (boot["mean_q"] <= boot["mean_q_high"] + 1e-9).all()
        assert boot.loc["strong", "rank_high"] == 1 and boot.loc["weak", "rank_low"] == 3
        assert boot.loc["strong", "mean_q_low"] > boot.loc["weak", "mean_q_high"]


def test_bootstrap_mean_q_is_the_leaderboard_mean_q():
    table = split_table({"a": {"t1": 0.3, "t2": 0.6}, "b": {"t1": 0.5, "t2": 0.2}})
    boot = bootstrap_leaderboard(table, n_boot=10).set_index("method")
    expected = np.mean(
        [quality_score(g["score"]) for _, g in table.query("method == 'a'").groupby("task")]
    )
    assert boot.loc["a", "mean_q"] == pytest.approx(expected)


def test_weights_without_the_random_baseline():
    q = pd.DataFrame(
        {"t1": [10.0, 12.0, -30.0], "t2": [5.0, 9.0, 6.0]}, index=["a", "b", "random/pre"]
    )
    diagnostics = weight_diagnostics(q, ["random/pre"]).set_index("task")
    # With the random baseline t1's spread is huge; without it both tasks spread alike.
    assert diagnostics.loc["t1", "weight_all_methods"] > 0.8
    expected = np.array([np.std([10, 12], ddof=1), np.std([5, 9], ddof=1)])
    np.testing.assert_allclose(diagnostics["weight_without_baselines"], expected / expected.sum())


def test_q_is_not_monotone_but_the_lower_bound_is():
    # A weaker method (lower mean, larger spread) gets the higher Q on a negative mean.
    weaker = np.array([-0.9, 0.1] * 10)  # mean -0.4, std 0.5
    stronger = np.array([-0.31, -0.29] * 10)  # mean -0.3, std 0.01
    assert weaker.mean() < stronger.mean()
    assert quality_score(weaker) > quality_score(stronger)
    assert lower_confidence_bound(weaker) < lower_confidence_bound(stronger)


def test_lower_confidence_bound_matches_scipy_interval():
    scores = np.random.default_rng(3).normal(0.4, 0.1, size=15)
    low, _ = stats.t.interval(0.90, len(scores) - 1, loc=scores.mean(), scale=stats.sem(scores))
    assert lower_confidence_bound(scores, level=0.95) == pytest.approx(low)


def test_companion_table_shape_and_order():
    table = split_table({"b": {"x": 0.5, "y": 0.1}, "a": {"x": 0.2, "y": 0.3}})
    companion = companion_table(table)
    assert list(companion.index) == ["b", "a"] and list(companion.columns) == ["x", "y"]
    assert companion.loc["b", "x"] > companion.loc["a", "x"]


def test_rank_by_lower_bound_shares_a_rank_within_the_tolerance():
    # b is a with float-rounding noise; c is clearly worse on both tasks.
    scores = split_table({"a": {"t1": 0.6, "t2": 0.3}, "c": {"t1": 0.2, "t2": 0.1}}, k=10)
    twin = scores[scores["method"] == "a"].assign(method="b")
    twin["score"] += 1e-9 * np.arange(len(twin))
    scores = pd.concat([scores, twin], ignore_index=True)
    table = companion_table(scores)
    exact, _, _ = leaderboard(table)
    tolerant, _, _ = leaderboard(table, tie_tolerance=1e-4)
    exact_ranks = exact.set_index("method")["aggregated_rank"]
    assert exact_ranks["a"] != exact_ranks["b"]  # the noise orders them
    ranks = tolerant.set_index("method")["aggregated_rank"]
    assert ranks["a"] == ranks["b"] == 1 and ranks["c"] == 3
    # The bootstrap draws see the same tie: equal rank intervals for a and b.
    intervals = bootstrap_leaderboard(scores, n_boot=50, tie_tolerance=1e-4).set_index("method")
    assert intervals.loc["a", "rank_low"] == intervals.loc["b", "rank_low"] == 1
    assert intervals.loc["a", "rank_high"] == intervals.loc["b", "rank_high"] == 1


def test_intervals_table_names_a_duplicate_in_its_twins_row():
    board = pd.DataFrame(
        {
            "method": ["a/pre", "a/post", "b/pre"],
            "same_as": [None, "a/pre", None],
            "mean_q": [2.0, 2.0, 1.0],
            "aggregated_rank": [1, 1, 2],
        }
    )
    intervals = pd.DataFrame(
        {
            "method": ["a/pre", "b/pre"] * 2,
            "resample": ["splits", "splits", "tasks", "tasks"],
            "mean_q_low": [1.5, 0.5, 1.0, 0.0],
            "mean_q_high": [2.5, 1.5, 3.0, 2.0],
            "rank_low": [1.0, 1.0, 1.0, 2.0],
            "rank_high": [2.0, 2.0, 1.0, 2.0],
        }
    )
    companion = pd.DataFrame({"method": ["b/pre", "a/pre"], "aggregated_rank": [1, 2]})
    table = leaderboard_with_intervals(board, intervals, companion)
    assert table["method"].tolist() == ["a/pre = a/post", "b/pre"]
    assert table["rank by lower bound"].tolist() == [2, 1]
