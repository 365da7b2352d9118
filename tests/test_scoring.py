"""Q, ranks, weights and the leaderboard on hand-worked examples."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from eobench.scoring import (
    leaderboard,
    leaderboard_of_distinct,
    q_matrix,
    quality_score,
    summarise_tasks,
    task_weights,
    tolerant_ranks,
)


def test_quality_score_hand_worked():
    # mean 0.5, population std 0.1 -> Q = 100 * 0.02 * 0.5 / (0.1 + 0.02) = 8.333...
    assert quality_score(np.array([0.4, 0.6])) == pytest.approx(100 * 0.02 * 0.5 / 0.12)


def test_quality_score_matches_reference_formula():
    # The evaluator writes Q = mean / (0.02 + std) * 2.
    scores = np.array([0.31, 0.52, 0.47, 0.12, 0.66])
    assert quality_score(scores) == pytest.approx(scores.mean() / (0.02 + scores.std()) * 2)


def test_quality_score_ignores_nan_splits():
    assert quality_score(np.array([0.4, np.nan, 0.6])) == pytest.approx(quality_score([0.4, 0.6]))
    assert np.isnan(quality_score(np.array([np.nan, np.nan])))


def test_quality_score_of_identical_splits_is_capped_by_epsilon():
    # std 0: Q = 100 * mean.
    assert quality_score(np.array([0.3, 0.3, 0.3])) == pytest.approx(30.0)


def test_leaderboard_hand_worked_with_ties():
    q = pd.DataFrame({"t1": [10.0, 10.0, 4.0], "t2": [1.0, 3.0, 2.0]}, index=["a", "b", "c"])
    board, weights, excluded = leaderboard(q)
    # t1 ranks (min ties): a=1, b=1, c=3; t2: b=1, c=2, a=3.
    # std ddof=1: t1 = sqrt(12) = 3.4641, t2 = 1 -> weights 0.77603, 0.22397.
    w1 = np.sqrt(12) / (np.sqrt(12) + 1)
    assert weights["t1"] == pytest.approx(w1)
    expected = {"a": w1 * 1 + (1 - w1) * 3, "b": w1 * 1 + (1 - w1) * 1, "c": w1 * 3 + (1 - w1) * 2}
    got = dict(zip(board["method"], board["weighted_score"], strict=True))
    assert got == pytest.approx(expected)
    assert board["method"].tolist() == ["b", "a", "c"]
    assert board["aggregated_rank"].tolist() == [1, 2, 3]
    assert board.set_index("method")["mean_q"]["a"] == pytest.approx(5.5)
    assert excluded == []


def test_leaderboard_shares_rank_on_equal_weighted_scores():
    q = pd.DataFrame({"t1": [2.0, 1.0], "t2": [1.0, 2.0]}, index=["a", "b"])
    board, weights, _ = leaderboard(q)
    assert weights.tolist() == pytest.approx([0.5, 0.5])
    assert board["aggregated_rank"].tolist() == [1, 1]


def test_leaderboard_with_one_method_uses_uniform_weights():
    q = pd.DataFrame({"t1": [3.0], "t2": [5.0], "t3": [1.0]}, index=["only"])
    board, weights, _ = leaderboard(q)
    assert weights.tolist() == pytest.approx([1 / 3] * 3)
    assert board["aggregated_rank"].tolist() == [1]
    assert board["weighted_score"].iloc[0] == pytest.approx(1.0)


def test_leaderboard_leaves_out_methods_with_nan():
    q = pd.DataFrame({"t1": [3.0, np.nan, 1.0], "t2": [1.0, 2.0, 2.0]}, index=["a", "b", "c"])
    board, _, excluded = leaderboard(q)
    assert excluded == ["b"]
    assert set(board["method"]) == {"a", "c"}


def test_weights_match_pandas_std():
    rng = np.random.default_rng(1)
    q = pd.DataFrame(rng.normal(size=(6, 4)), columns=list("wxyz"))
    expected = q.std(ddof=1) / q.std(ddof=1).sum()
    pd.testing.assert_series_equal(task_weights(q), expected.rename("weight"))


def test_summarise_tasks_and_pivot():
    split_scores = pd.DataFrame(
        {
            "method": ["m1"] * 4 + ["m2"] * 4,
            "task": ["a", "a", "b", "b"] * 2,
            "task_type": ["regr", "regr", "cls", "cls"] * 2,
            "split": [0, 1] * 4,
            "score": [0.4, 0.6, 0.5, np.nan, 0.1, 0.3, 0.2, 0.2],
        }
    )
    summary = summarise_tasks(split_scores)
    row = summary.set_index(["method", "task"]).loc[("m1", "b")]
    assert row["n_splits"] == 1 and row["mean_score"] == 0.5 and row["std_score"] == 0.0
    assert summary.set_index(["method", "task"]).loc[("m1", "a"), "q"] == pytest.approx(
        100 * 0.02 * 0.5 / 0.12
    )
    q = q_matrix(summary)
    assert list(q.index) == ["m1", "m2"] and list(q.columns) == ["a", "b"]


def test_tolerant_ranks_at_zero_are_the_evaluators_min_ranks():
    rng = np.random.default_rng(3)
    q = rng.integers(0, 4, size=(9, 5)).astype(float)
    assert (tolerant_ranks(q, 0.0) == rankdata(-q, axis=0, method="min")).all()


def test_tolerant_ranks_hand_worked():
    # 10 and 10 - 4e-7 tie (averaging pre/post); 9.99995 is 5e-5 below 10, within 1e-4 of
    # both; 9.9 is 0.1 below all three: one plus three better values.
    q = np.array([10.0, 10.0 - 4e-7, 9.99995, 9.9])
    assert tolerant_ranks(q, 1e-4).tolist() == [1, 1, 1, 4]
    assert tolerant_ranks(q, 0.0).tolist() == [1, 2, 3, 4]
    # Not transitive: 1.2 t below the best is worse than it, yet ties with 0.6 t below.
    assert tolerant_ranks(np.array([10.0, 9.4, 8.8]), 1.0).tolist() == [1, 1, 2]


def test_leaderboard_ties_within_tolerance_share_the_better_rank():
    # a and b differ by float rounding on t1 and t2; c is genuinely worse on t1, best on t2.
    q = pd.DataFrame(
        {"t1": [5.0, 5.0 - 4e-7, 1.0], "t2": [2.0, 2.0 + 3e-7, 4.0]}, index=["a", "b", "c"]
    )
    exact, _, _ = leaderboard(q)
    # Exact: t1 ranks a=1, b=2, c=3; t2: c=1, b=2, a=3. Std of Q (ddof=1): t1 2.309,
    # t2 1.155 (rounding noise aside), so w1 = 2/3: a = 2/3 + 1 = 1.667, b = 2.
    w1 = q["t1"].std(ddof=1) / (q["t1"].std(ddof=1) + q["t2"].std(ddof=1))
    assert w1 == pytest.approx(2 / 3, abs=1e-6)
    got = exact.set_index("method")["weighted_score"]
    assert got["a"] == pytest.approx(w1 * 1 + (1 - w1) * 3)
    assert got["b"] == pytest.approx(w1 * 2 + (1 - w1) * 2)
    assert (
        exact.set_index("method").loc["a", "aggregated_rank"]
        != exact.set_index("method").loc["b", "aggregated_rank"]
    )
    tolerant, _, _ = leaderboard(q, tie_tolerance=1e-4)
    # Tolerant: t1 a=1, b=1, c=3; t2 c=1, a=2, b=2: a and b have the same weighted score.
    got = tolerant.set_index("method")
    assert got.loc["a", "weighted_score"] == pytest.approx(w1 * 1 + (1 - w1) * 2)
    assert got.loc["a", "weighted_score"] == got.loc["b", "weighted_score"]
    assert got.loc["a", "aggregated_rank"] == got.loc["b", "aggregated_rank"]
    assert got.loc["c", "weighted_score"] == pytest.approx(w1 * 3 + (1 - w1) * 1)


def test_leaderboard_of_distinct_ranks_a_duplicate_once_and_lists_it_with_its_twin():
    q = pd.DataFrame(
        {"t1": [3.0, 3.0 + 1e-7, 1.0, 2.0], "t2": [1.0, 1.0, 3.0, 2.0]},
        index=["avg/pre", "avg/post", "rcf/pre", "rcf/post"],
    )
    board, weights, _ = leaderboard_of_distinct(q, {"avg/post": "avg/pre", "rcf/pre": None})
    expected, expected_weights, _ = leaderboard(q.drop(index="avg/post"))
    pd.testing.assert_series_equal(weights, expected_weights)
    ranked = board[board["same_as"].isna()].reset_index(drop=True)
    pd.testing.assert_frame_equal(ranked.drop(columns="same_as"), expected, check_dtype=False)
    twin = board.set_index("method").loc["avg/post"]
    position = board["method"].tolist()
    assert position.index("avg/post") == position.index("avg/pre") + 1
    assert twin["same_as"] == "avg/pre"
    assert twin["aggregated_rank"] == board.set_index("method").loc["avg/pre", "aggregated_rank"]
    assert twin["t1"] == 3.0 + 1e-7 and twin["mean_q"] == pytest.approx(2.0 + 5e-8)
