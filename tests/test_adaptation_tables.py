"""Adaptation tables and paired Wilcoxon tests, against pandas, scipy and worked numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from adaptation_metrics import adaptation_metrics
from scipy import stats

from eobench.adaptation.significance import compare_modes, one_sided_wilcoxon
from eobench.errors import EobenchError
from eobench.tables.adaptation import (
    low_shot_table,
    per_seed_gains,
    per_task_table,
    ttt_table,
)
from eobench.tables.render import render_table


@pytest.fixture(scope="module")
def metrics():
    return adaptation_metrics()


def hand_holm(p_values):
    """Holm's step-down adjustment written out: sort, scale by m - i, running max, cap."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, (len(p_values) - rank) * p_values[i])
        adjusted[i] = min(running, 1.0)
    return adjusted


def test_one_sided_wilcoxon_is_scipys_and_one_without_a_difference():
    rng = np.random.default_rng(3)
    old = rng.uniform(0.3, 0.7, 6)
    new = old + rng.normal(0.01, 0.02, 6)
    expected = stats.wilcoxon(new, old, alternative="greater").pvalue
    assert one_sided_wilcoxon(new, old) == pytest.approx(expected)
    assert one_sided_wilcoxon(old + 0.1, old) == pytest.approx(1 / 64)  # all 6 above: 2^-6
    assert one_sided_wilcoxon(old, old) == 1.0  # every difference zero
    assert one_sided_wilcoxon([], []) == 1.0  # no pairs
    # A pair with a missing score is dropped, not counted.
    with_nan = one_sided_wilcoxon(np.append(old + 0.1, np.nan), np.append(old, 0.5))
    assert with_nan == pytest.approx(1 / 64)


def test_compare_modes_pairs_runs_and_holm_corrects_the_table(metrics):
    chosen = metrics[(metrics["inputs"] == "multimodal") & (metrics["subset"] == "train_100")]
    table = compare_modes(chosen, ["JT-TTT", "JT-TTT-Geo"], "JT")
    assert len(table) == 2 * 2 * 2  # modes x tasks x test splits
    raw = []
    for row in table.itertuples(index=False):
        both = chosen[(chosen["task"] == row.task) & (chosen["test_split"] == row.test_split)]
        by_mode = both.pivot_table(index=["encoder", "seed"], columns="mode", values="score")
        expected = stats.wilcoxon(by_mode[row.mode], by_mode["JT"], alternative="greater")
        assert row.n_pairs == 6  # 2 encoders x 3 seeds
        assert row.p_value == pytest.approx(expected.pvalue)
        assert row.mean_difference == pytest.approx((by_mode[row.mode] - by_mode["JT"]).mean())
        raw.append(expected.pvalue)
    np.testing.assert_allclose(table["p_holm"], hand_holm(raw))


def three_seed_runs(jt, ttt):
    """One encoder's JT and JT-TTT runs on one task and test split, a score per seed."""
    rows = []
    for mode, scores in (("JT", jt), ("JT-TTT", ttt)):
        for seed, score in zip((41, 42, 43), scores, strict=True):
            rows.append({"mode": mode, "seed": seed, "score": score, "ttt_steps": seed - 40})
    frame = pd.DataFrame(rows)
    constant = adaptation_metrics().iloc[0].drop(["mode", "seed", "score", "ttt_steps"])
    return frame.assign(**constant.to_dict())


def test_normalised_improvement_is_the_mean_of_per_seed_values():
    # Per seed: changes 0.1, 0, 0.1; normalised 0.1/0.5, 0, 0.1/0.2.
    runs = three_seed_runs(jt=[0.5, 0.6, 0.8], ttt=[0.6, 0.6, 0.9])
    gains = per_seed_gains(runs)
    ttt_rows = gains[gains["mode"] == "JT-TTT"]
    np.testing.assert_allclose(ttt_rows["normalised_improvement"], [0.2, 0.0, 0.5])
    assert gains.loc[gains["mode"] == "JT", "change"].isna().all()
    table, notes = ttt_table(runs, modes=["JT", "JT-TTT"])
    row = table.set_index("mode").loc["JT-TTT"]
    assert row["random change vs JT"] == pytest.approx(0.2 / 3)
    assert row["random normalised improvement"] == pytest.approx(0.7 / 3)  # not 0.0667/0.3667
    assert row["random mean"] == pytest.approx(0.7)
    assert row["random std"] == pytest.approx(np.std([0.6, 0.6, 0.9], ddof=1))
    assert row["random TTT steps"] == pytest.approx(2.0)
    # Two of three seeds above JT, one tie: scipy drops the tie, 2 pairs, p = 1/4.
    assert row["random p (Holm)"] == pytest.approx(0.25)
    assert "geographic mean" not in table  # this table has one test split
    assert any("Every row: weights pretrained, inputs rgb, subset train_100" in n for n in notes)
    assert "encoder" in table  # one encoder, but a row label: kept


def test_normalised_improvement_is_missing_where_jt_is_perfect():
    gains = per_seed_gains(three_seed_runs(jt=[1.0, 0.6, 0.8], ttt=[1.0, 0.7, 0.9]))
    values = gains.loc[gains["mode"] == "JT-TTT", "normalised_improvement"].to_numpy()
    assert np.isnan(values[0]) and values[1:] == pytest.approx([0.25, 0.5])


def test_ttt_table_against_a_groupby_by_hand(metrics):
    table, notes = ttt_table(metrics)
    keys = ["task", "encoder", "weights", "inputs", "subset", "mode"]
    assert len(table) == 2 * 2 * 3 * 3 * 3  # tasks x encoders x inputs x subsets x modes
    assert list(table["mode"].unique()) == ["JT", "JT-TTT", "JT-TTT-Geo"]
    ttt = metrics[metrics["mode"].isin(["JT", "JT-TTT", "JT-TTT-Geo"])]
    for split in ("random", "geographic"):
        part = ttt[ttt["test_split"] == split]
        expected = part.groupby(keys)["score"].agg(["mean", "std"])
        got = table.set_index(keys)[[f"{split} mean", f"{split} std"]]
        got.columns = ["mean", "std"]
        pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_names=False)
        steps = part.groupby(keys)["ttt_steps"].mean()
        steps[steps.index.get_level_values("mode") == "JT"] = np.nan  # JT adapts nothing
        np.testing.assert_allclose(
            table.set_index(keys)[f"{split} TTT steps"].sort_index(), steps.sort_index()
        )
    row = table[
        (table["task"] == "species")
        & (table["encoder"] == "galileo")
        & (table["inputs"] == "s2")
        & (table["subset"] == "train_50")
        & (table["mode"] == "JT-TTT-Geo")
    ].iloc[0]
    runs = metrics[
        (metrics["task"] == "species")
        & (metrics["encoder"] == "galileo")
        & (metrics["inputs"] == "s2")
        & (metrics["subset"] == "train_50")
        & (metrics["test_split"] == "geographic")
    ].pivot(index="seed", columns="mode", values="score")
    change = runs["JT-TTT-Geo"] - runs["JT"]
    assert row["geographic change vs JT"] == pytest.approx(change.mean())
    assert row["geographic normalised improvement"] == pytest.approx(
        (change / (1 - runs["JT"])).mean()
    )
    assert any("Holm-corrected over the 8 tests" in note for note in notes)


def test_per_task_table_rows_and_numbers(metrics):
    table, notes = per_task_table(metrics, "biomass")
    assert len(table) == 2 * 5 * 3 * 3  # encoders x modes x inputs x subsets
    assert list(table.columns) == [
        "encoder",
        "weights",
        "mode",
        "inputs",
        "subset",
        "random mean",
        "random std",
        "geographic mean",
        "geographic std",
        "seeds",
    ]
    assert list(table["subset"].iloc[:3]) == ["train_100", "train_50", "train_5"]
    biomass = metrics[(metrics["task"] == "biomass") & (metrics["test_split"] == "geographic")]
    expected = biomass.groupby(["encoder", "mode", "inputs", "subset"])["score"].mean()
    got = table.set_index(["encoder", "mode", "inputs", "subset"])["geographic mean"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    assert "R²" in notes[-1]


def test_low_shot_table_change_against_the_full_training_split(metrics):
    table, _ = low_shot_table(metrics)
    assert len(table) == 2 * 2 * 3 * 3  # tasks x encoders x inputs x subsets
    assert dict(zip(table["subset"], table["percent"], strict=False)) == {
        "train_100": 100,
        "train_50": 50,
        "train_5": 5,
    }
    runs = metrics[
        (metrics["mode"] == "FT")
        & (metrics["test_split"] == "random")
        & (metrics["task"] == "species")
        & (metrics["encoder"] == "galileo_random")
        & (metrics["inputs"] == "rgb")
    ]
    means = runs.groupby("subset")["score"].mean()
    row = table[
        (table["task"] == "species")
        & (table["encoder"] == "galileo_random")
        & (table["inputs"] == "rgb")
        & (table["subset"] == "train_5")
    ].iloc[0]
    assert row["mean"] == pytest.approx(means["train_5"])
    assert row["change vs train_100"] == pytest.approx(means["train_5"] - means["train_100"])


def test_bad_metrics_are_named_in_one_line(metrics):
    with pytest.raises(EobenchError, match=r"missing columns \['ttt_steps'\]"):
        ttt_table(metrics.drop(columns="ttt_steps"))
    with pytest.raises(EobenchError, match=r"tables\.ttt: the adaptation metrics have no rows"):
        ttt_table(metrics[metrics["mode"] == "FT"])
    with pytest.raises(EobenchError, match=r"tables\.per_task \(soil_ph\)"):
        per_task_table(metrics, "soil_ph")
    with pytest.raises(EobenchError, match="subset 'few' is not train_<percent>"):
        low_shot_table(metrics.replace({"subset": {"train_5": "few"}}))
    with pytest.raises(EobenchError, match="duplicate rows"):
        compare_modes(pd.concat([metrics, metrics]), ["JT-TTT"])
    with pytest.raises(EobenchError, match="mode 'JT' has two rows for one run"):
        ttt_table(pd.concat([metrics, metrics]))


def test_tables_render_through_the_generic_templates(metrics, repo, tmp_path):
    table, notes = ttt_table(metrics[metrics["subset"] == "train_100"])
    paths = [tmp_path / f"ttt.{ext}" for ext in ("csv", "md", "tex")]
    render_table(
        table,
        *paths,
        repo / "report/templates/table.md.j2",
        repo / "report/templates/table.tex.j2",
        {"decimals": 3, "caption": "TTT", "label": "tab:ttt"},
        notes=notes,
    )
    markdown = paths[1].read_text()
    assert "| random p (Holm) |" in markdown
    first = table.iloc[0]
    jt_line = next(line for line in markdown.splitlines() if "| JT |" in line)
    # JT is the baseline: its change, normalised improvement and p print as dashes.
    assert f"| JT | {first['random mean']:.3f} | {first['random std']:.3f} | – | – | – |" in (
        jt_line
    )
    assert "random change vs JT" in paths[2].read_text()
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]), table, check_dtype=False)
