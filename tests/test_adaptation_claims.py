"""The adaptation claims: every status of every claim on generated metrics, numbers by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from adaptation_metrics import MODE_GAIN, adaptation_metrics

from eobench.tables.adaptation_claims import (
    check_adaptation_claims,
    geographic_below_random,
    multimodal_most_robust,
    pretrained_above_random_init,
    ttt_improves_on_jt,
)
from eobench.tables.claims import CLAIM_COLUMNS, FAIL, NOT_RUN, PASS


@pytest.fixture(scope="module")
def metrics():
    return adaptation_metrics()


def test_ttt_claim_passes_fails_and_is_not_run(metrics):
    row = ttt_improves_on_jt(metrics)
    assert row["status"] == PASS and row["covers"] == "galileo, galileo_random"
    pairs = metrics[metrics["mode"].isin(["JT", "JT-TTT"])].pivot_table(
        index=["task", "encoder", "inputs", "subset", "seed"],
        columns=["test_split", "mode"],
        values="score",
    )
    for split in ("random", "geographic"):
        change = (pairs[(split, "JT-TTT")] - pairs[(split, "JT")]).mean()
        assert (
            f"{split} test {change:+.3f} (mean JT-TTT - JT over 108 paired runs"
            in (row["evidence"])
        )
    worse = adaptation_metrics(mode_gain={**MODE_GAIN, "JT-TTT": 0.0})  # below JT's 0.01
    assert ttt_improves_on_jt(worse)["status"] == FAIL
    without_ttt = metrics[metrics["mode"] != "JT-TTT"]
    assert ttt_improves_on_jt(without_ttt)["status"] == NOT_RUN
    random_only = metrics[metrics["test_split"] == "random"]
    assert ttt_improves_on_jt(random_only)["status"] == NOT_RUN


def test_ttt_claim_compares_the_printed_change():
    # A change of +0.0004 prints +0.000 at 3 decimals: no improvement the table shows.
    tiny = adaptation_metrics(noise=0.0, mode_gain={**MODE_GAIN, "JT-TTT": 0.0104})
    assert ttt_improves_on_jt(tiny)["status"] == FAIL
    assert ttt_improves_on_jt(tiny, decimals=4)["status"] == PASS


def test_geographic_claim(metrics):
    row = geographic_below_random(metrics)
    assert row["status"] == PASS
    ft = metrics[(metrics["mode"] == "FT") & (metrics["task"] == "species")]
    means = ft.groupby("test_split")["score"].mean()
    assert (
        f"species random {means['random']:.3f}, geographic {means['geographic']:.3f}"
        in row["evidence"]
    )
    easier_abroad = adaptation_metrics(geographic_drop=-0.05)
    assert geographic_below_random(easier_abroad)["status"] == FAIL
    # One task harder at home is enough to fail "on every task".
    mixed = metrics.copy()
    home = (mixed["task"] == "biomass") & (mixed["test_split"] == "random")
    mixed.loc[home, "score"] -= 0.2
    assert geographic_below_random(mixed)["status"] == FAIL
    assert "species random" in geographic_below_random(mixed)["evidence"]
    random_only = metrics[metrics["test_split"] == "random"]
    assert geographic_below_random(random_only)["status"] == NOT_RUN


def test_pretrained_claim(metrics):
    row = pretrained_above_random_init(metrics)
    assert row["status"] == PASS
    low = metrics[
        (metrics["mode"] == "FT")
        & (metrics["subset"] == "train_5")
        & (metrics["test_split"] == "random")
        & (metrics["inputs"] == "s2")
    ]
    means = low.groupby("weights")["score"].mean()
    assert (
        f"s2 pretrained {means['pretrained']:.3f}, random init {means['random_init']:.3f}"
        in row["evidence"]
    )
    assert pretrained_above_random_init(adaptation_metrics(pretrained=-0.1))["status"] == FAIL
    random_only = metrics[metrics["weights"] == "random_init"]
    row = pretrained_above_random_init(random_only)
    assert row["status"] == NOT_RUN and "no pretrained encoder" in row["evidence"]
    pretrained_only = metrics[metrics["weights"] == "pretrained"]
    row = pretrained_above_random_init(pretrained_only)
    assert row["status"] == NOT_RUN and "no random-init encoder" in row["evidence"]
    without_5 = metrics[metrics["subset"] != "train_5"]
    assert pretrained_above_random_init(without_5)["status"] == NOT_RUN


def shifted(metrics, inputs: str, subset: str, by: float) -> pd.DataFrame:
    """``metrics`` with ``by`` added to every score of one input on one subset."""
    changed = metrics.copy()
    rows = (changed["inputs"] == inputs) & (changed["subset"] == subset)
    changed.loc[rows, "score"] += by
    return changed


def test_multimodal_robustness_claim(metrics):
    robust = shifted(metrics, "multimodal", "train_5", 0.05)
    row = multimodal_most_robust(robust)
    assert row["status"] == PASS and row["covers"] == "galileo"  # pretrained encoders only
    runs = robust[
        (robust["mode"] == "FT")
        & (robust["test_split"] == "random")
        & (robust["weights"] == "pretrained")
    ]
    means = runs.groupby(["inputs", "subset"])["score"].mean().map(lambda v: round(v, 3))
    drops = {i: means[(i, "train_100")] - means[(i, "train_5")] for i in ("rgb", "s2")}
    assert f"rgb {drops['rgb']:.3f}, s2 {drops['s2']:.3f}, multimodal" in row["evidence"]
    fragile = shifted(metrics, "multimodal", "train_5", -0.05)
    assert multimodal_most_robust(fragile)["status"] == FAIL
    no_multimodal = robust[robust["inputs"] != "multimodal"]
    assert multimodal_most_robust(no_multimodal)["status"] == NOT_RUN
    only_multimodal = robust[robust["inputs"] == "multimodal"]
    assert multimodal_most_robust(only_multimodal)["status"] == NOT_RUN
    no_low_shot = robust[robust["subset"] != "train_5"]
    row = multimodal_most_robust(no_low_shot)
    assert row["status"] == NOT_RUN and "train_5" in row["evidence"]
    no_pretrained = robust[robust["weights"] != "pretrained"]
    assert multimodal_most_robust(no_pretrained)["status"] == NOT_RUN


def test_claims_table_has_the_claims_columns_and_joins_the_claims_table(metrics):
    claims = check_adaptation_claims(metrics)
    assert list(claims.columns) == CLAIM_COLUMNS and len(claims) == 4
    assert set(claims["status"]) <= {PASS, FAIL, NOT_RUN}
    assert claims["evidence"].str.len().gt(0).all()
