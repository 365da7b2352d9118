"""The claims table on hand-made score tables: each rule by hand, one coverage rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eobench.tables.claims import (
    CLAIM_COLUMNS,
    FAIL,
    NOT_RUN,
    NOT_TESTABLE,
    PASS,
    check_claims,
    compressor_lambda_order,
    layers_by_task_kind,
    mlp_gain_is_nonlinearity,
    post_beats_pre,
    post_beats_pre_for_pretrained,
    pretrained_beat_averaging,
    random_tasks_down_weighted,
    ranking_across_heads,
    vit_best_at_native_size,
)

TASKS = ["biomass_mean", "clouds_reg", "landcover_forest", "crops"]


def task_scores(post_minus_pre: dict[str, list[float]], same: tuple[str, ...] = ()):
    """Scores of pre and post tables per encoder: pre 0.5 on every task, post = pre + d."""
    rows = []
    for encoder, differences in post_minus_pre.items():
        for aggregation in ("pre", "post"):
            for task, difference in zip(TASKS, differences, strict=True):
                method = f"{encoder}/{aggregation}"
                twin = f"{encoder}/pre" if encoder in same and aggregation == "post" else None
                rows.append(
                    {
                        "method": method,
                        "encoder": encoder,
                        "aggregation": aggregation,
                        "same_as": twin,
                        "task": task,
                        "task_type": "regr",
                        "mean_score": 0.5 + (difference if aggregation == "post" else 0.0),
                    }
                )
    return pd.DataFrame(rows)


def test_post_against_pre_counts_every_task_per_encoder():
    scores = task_scores(
        {
            "rcf": [0.1, 0.2, -0.1, 0.3],  # post wins 3 of 4
            "pca": [0.1, -0.2, -0.1, -0.3],  # 1 of 4
            "averaging": [1e-7, 0, 0, 0],  # identical tables: left out
            "random": [0.1, 0.1, 0.1, 0.1],  # baseline: left out
        },
        same=("averaging",),
    )
    row = post_beats_pre(scores, baselines=["random"])
    assert row["status"] == FAIL  # pca: 1/4
    assert "rcf 3/4, pca 1/4" in row["evidence"]
    assert "identical pre and post tables: averaging (left out)" in row["evidence"]
    assert "baselines left out: random" in row["evidence"]
    assert row["covers"] == "rcf, pca"
    passing = post_beats_pre(scores[scores["encoder"] != "pca"], baselines=["random"])
    assert passing["status"] == PASS and passing["covers"] == "rcf"


def test_post_against_pre_compares_the_printed_numbers():
    # post - pre = 0.004 prints 0.50 vs 0.50 at 2 decimals: not a win.
    scores = task_scores({"rcf": [0.004, 0.004, 0.2, 0.2]})
    row = post_beats_pre(scores, baselines=[])
    assert "rcf 2/4 (2 printed equal)" in row["evidence"] and row["status"] == FAIL
    assert "rcf 4/4" in post_beats_pre(scores, baselines=[], decimals=3)["evidence"]


def depth_summary(mean_scores: dict[tuple[str, str], float], tasks=("a", "b")):
    """Probe-depth summary: the same mean score on every task of an (encoder, head)."""
    rows = [
        {
            "encoder": encoder,
            "head": head,
            "head_parameters": 10,
            "task": task,
            "task_type": "regr",
            "mean_score": score,
            "q": score * 10 + 0.1 * t,
        }
        for (encoder, head), score in mean_scores.items()
        for t, task in enumerate(tasks)
    ]
    frame = pd.DataFrame(rows)
    frame["method"] = frame["encoder"] + "/post/" + frame["head"]
    return frame


def test_an_mlp_gain_that_the_converged_probe_closes_is_optimisation():
    summary = depth_summary(
        {
            ("pca", "linear"): 0.40,
            ("pca", "mlp1"): 0.45,  # +0.05 over the paper's probe
            ("pca", "converged"): 0.46,  # +0.06: closes it
            ("rcf", "linear"): 0.30,
            ("rcf", "mlp1"): 0.40,  # +0.10
            ("rcf", "converged"): 0.32,  # +0.02: the MLP's gain is non-linearity
            ("random", "linear"): -0.2,
            ("random", "mlp1"): 0.0,
            ("random", "converged"): -0.1,
        }
    )
    row = mlp_gain_is_nonlinearity(summary, baselines=["random"])
    assert row["status"] == FAIL
    assert (
        "pca: MLP +0.050, converged +0.060 (closed: optimisation, not non-linearity)"
        in (row["evidence"])
    )
    assert "rcf: MLP +0.100, converged +0.020; baselines left out: random" in row["evidence"]
    assert row["covers"] == "pca, rcf"
    assert "random" not in row["covers"]
    rcf_only = mlp_gain_is_nonlinearity(summary[summary["encoder"] != "pca"], ["random"])
    assert rcf_only["status"] == PASS


def test_ranking_across_heads_by_hand():
    same = {(e, h): s for e, s in (("a", 0.6), ("b", 0.4), ("c", 0.2)) for h in ("linear", "mlp1")}
    assert ranking_across_heads(depth_summary(same), baselines=[])["status"] == PASS
    # mlp1 reverses the order: rho = -1.
    flipped = dict(same)
    flipped.update({("a", "mlp1"): 0.2, ("c", "mlp1"): 0.6})
    row = ranking_across_heads(depth_summary(flipped), baselines=[])
    assert row["status"] == FAIL
    assert "linear-probe order a, b, c; ρ mlp1 -1.00" in row["evidence"]
    # The baseline is left out of the ranking; two encoders are too few.
    with_random = {**same, ("random", "linear"): 0.0, ("random", "mlp1"): 0.9}
    row = ranking_across_heads(depth_summary(with_random), baselines=["random"])
    assert row["status"] == PASS and row["covers"] == "a, b, c"
    two = {k: v for k, v in same.items() if k[0] != "c"}
    assert ranking_across_heads(depth_summary(two), baselines=[])["status"] == NOT_RUN


def test_vit_best_at_native_size_by_hand():
    def sizes(scores):
        return pd.DataFrame(
            {
                "encoder": "vit",
                "size": [16, 64, 256, 1024],
                "task": "a",
                "mean_score": scores,
                "q": 0.0,
            }
        )

    spec = {"vit": {"recipe": "vit", "native_dim": 192}}
    # 256 is the first size holding all 192 features; 1024 is zero padding.
    row = vit_best_at_native_size(sizes([0.1, 0.3, 0.5, 0.5]), spec, [])
    assert row["status"] == PASS
    assert "N=256 0.500" in row["evidence"]
    row = vit_best_at_native_size(sizes([0.1, 0.6, 0.5, 0.5]), spec, [])
    assert row["status"] == FAIL and "scoring above it: N=64" in row["evidence"]
    assert vit_best_at_native_size(None, spec, [])["status"] == NOT_RUN


def test_layers_shallow_for_regression_deep_for_semantic_tasks():
    rows = []
    for layer in range(4):
        rows += [
            {
                "encoder": "vit",
                "layer": layer,
                "task": "biomass_mean",
                "mean_score": 0.6 - 0.1 * layer,
            },
            {
                "encoder": "vit",
                "layer": layer,
                "task": "clouds_reg",
                "mean_score": 0.5 - 0.1 * layer,
            },
            {"encoder": "vit", "layer": layer, "task": "crops", "mean_score": 0.5 + 0.1 * layer},
            {"encoder": "vit", "layer": layer, "task": "random_reg", "mean_score": 0.9},
        ]
    summary = pd.DataFrame(rows)
    row = layers_by_task_kind(summary, baselines=[])
    assert row["status"] == PASS
    evidence = row["evidence"]
    assert "regression tasks best at layer 0 (mean score 0.250-0.550 over layers)" in evidence
    assert "semantic tasks at layer 3 (0.500-0.800)" in evidence
    reversed_ = summary.assign(layer=3 - summary["layer"])
    assert layers_by_task_kind(reversed_, baselines=[])["status"] == FAIL
    # Regression best at layer 2 of 0-3 is past the middle (1.5): not shallow, even
    # though the semantic tasks peak deeper still.
    late = summary.sort_values(["task", "layer"]).reset_index(drop=True)
    regression = late["task"].isin(["biomass_mean", "clouds_reg"])
    late.loc[regression, "mean_score"] = [0.1, 0.2, 0.3, 0.25] * 2
    assert layers_by_task_kind(late, baselines=[])["status"] == FAIL


def test_random_tasks_down_weighted_uses_the_weights_without_baselines():
    weights = pd.DataFrame(
        {
            "task": ["biomass_mean", "nodata", "random_reg", "random_cls"],
            "weight_all_methods": [0.3, 0.2, 0.25, 0.25],  # the random encoder inflates them
            "weight_without_baselines": [0.5, 0.4, 0.05, 0.05],
        }
    )
    row = random_tasks_down_weighted(weights)
    assert row["status"] == PASS
    assert (
        "without baselines: random_reg 0.050, random_cls 0.050, lowest other nodata 0.400"
        in (row["evidence"])
    )
    assert "leaderboard: random_reg 0.250" in row["evidence"]
    swapped = weights.assign(weight_without_baselines=[0.5, 0.04, 0.4, 0.06])
    assert random_tasks_down_weighted(swapped)["status"] == FAIL


def _full_claims(baselines):
    scores = task_scores({"rcf": [0.1, 0.2, -0.1, 0.3], "random": [0.1] * 4})
    board = pd.DataFrame(
        {
            "method": ["rcf/post", "random/pre"],
            "encoder": ["rcf", "random"],
            "mean_q": [3.0, -0.004],
        }
    )
    depth = depth_summary(
        {
            (e, h): s
            for e, base in (("rcf", 0.3), ("pca", 0.5), ("oracle", 0.8), ("random", -0.1))
            for h, s in (("linear", base), ("mlp1", base + 0.01), ("converged", base + 0.02))
        }
    )
    return check_claims(scores, board, depth_summary=depth, baselines=baselines)


def test_every_row_follows_one_coverage_rule():
    claims = _full_claims(["random"])
    assert list(claims.columns) == CLAIM_COLUMNS
    floor = claims["source"] == "beyond the paper (floor check)"
    # Every claim about encoders leaves the baseline out; the floor check covers only it.
    assert not claims.loc[~floor, "covers"].str.contains("random").any()
    assert claims.loc[floor, "covers"].item() == "random"
    # -0.004 prints as 0.00 (2 decimals): at or below zero.
    assert claims.loc[floor, "status"].item() == PASS
    assert "random/pre: 0.00" in claims.loc[floor, "evidence"].item()
    without = _full_claims([])
    ran = without[without["status"].isin([PASS, FAIL])]
    assert ran.loc[ran["source"] != "Table 4", "covers"].str.contains("random").all()


def test_not_run_and_not_testable_rows_say_why():
    claims = _full_claims(["random"]).set_index("claim")
    assert (claims["status"] == NOT_TESTABLE).sum() >= 1
    untestable = claims[claims["status"] == NOT_TESTABLE]
    assert untestable["evidence"].str.len().gt(20).all()
    assert "pretrain" in " ".join(untestable["evidence"])
    not_run = claims[claims["status"] == NOT_RUN]
    # No size, layer, weight, pretrained or compressor inputs here: those rows are NOT
    # RUN, with the reason.
    assert len(not_run) == 7
    assert not_run["evidence"].str.contains("not in this run|no |needs").all()


@pytest.mark.parametrize("baselines", [["random"], []])
def test_claims_table_has_one_row_per_finding(baselines):
    claims = _full_claims(baselines)
    assert claims["claim"].is_unique
    assert set(claims["status"]) <= {PASS, FAIL, NOT_RUN, NOT_TESTABLE}
    assert not claims.isna().any().any()
    np.testing.assert_array_equal(claims.columns, CLAIM_COLUMNS)


def board(mean_q: dict[str, float], same_as: dict[str, str] | None = None) -> pd.DataFrame:
    methods = list(mean_q)
    return pd.DataFrame(
        {
            "method": methods,
            "encoder": [m.split("/")[0] for m in methods],
            "aggregation": [m.split("/")[1] for m in methods],
            "mean_q": list(mean_q.values()),
            "same_as": [(same_as or {}).get(m) for m in methods],
        }
    )


def test_pretrained_encoders_are_compared_with_the_best_averaging_table():
    scores = {"averaging/none": 2.0, "averaging/post": 1.5, "presto/pre": 1.0}
    row = pretrained_beat_averaging(board({**scores, "presto/post": 2.5}), ["presto"])
    assert row["status"] == PASS
    assert row["evidence"] == "best mean Q: averaging 2.00; presto 2.50"
    # 2.004 prints as 2.00: not above the baseline's 2.00.
    row = pretrained_beat_averaging(board({**scores, "presto/post": 2.004}), ["presto"])
    assert row["status"] == FAIL
    row = pretrained_beat_averaging(board(scores), ["presto", "galileo"])
    assert row["status"] == FAIL and row["covers"] == "presto"
    assert pretrained_beat_averaging(board(scores), [])["status"] == NOT_RUN
    assert pretrained_beat_averaging(board({"presto/pre": 1.0}), ["presto"])["status"] == NOT_RUN


def test_post_against_pre_for_pretrained_encoders_leaves_the_others_out():
    scores = task_scores({"presto": [0.1, 0.2, -0.1, 0.3], "rcf": [-0.1] * 4})
    row = post_beats_pre_for_pretrained(scores, ["presto"])
    assert row["status"] == PASS and row["covers"] == "presto"
    assert "presto 3/4" in row["evidence"]
    assert post_beats_pre_for_pretrained(scores, ["rcf"])["status"] == FAIL
    assert post_beats_pre_for_pretrained(scores, ["galileo"])["status"] == NOT_RUN


def test_compressor_lambdas_are_ordered_by_mean_q_over_aggregations():
    lambdas = {"comp_a": 0.025, "comp_b": 0.1, "comp_c": 0.5}
    q = {"comp_a/pre": 1.0, "comp_a/post": 3.0, "comp_b/pre": 1.5, "comp_b/post": 2.5}
    row = compressor_lambda_order(board({**q, "comp_c/pre": 0.5, "comp_c/post": 1.0}), lambdas)
    assert row["status"] == PASS  # 2.0 >= 2.0 > 0.75
    assert row["evidence"] == (
        "mean Q (averaged over aggregations): lambda 0.025 2.00, lambda 0.1 2.00, lambda 0.5 0.75"
    )
    row = compressor_lambda_order(board({**q, "comp_c/pre": 3.5, "comp_c/post": 1.0}), lambdas)
    assert row["status"] == FAIL  # 0.5 (2.25) is not the worst
    worse = {**q, "comp_a/post": 2.8, "comp_c/pre": 0.5, "comp_c/post": 1.0}
    assert compressor_lambda_order(board(worse), lambdas)["status"] == FAIL
    row = compressor_lambda_order(board(q), lambdas)
    assert row["status"] == NOT_RUN and "needs lambdas" in row["evidence"]
