"""MMEarth-Bench's findings on adaptation, checked against this run's metrics.

Rows of the claims table (:data:`eobench.tables.claims.CLAIM_COLUMNS`, the same statuses):
a FAIL is a finding about the data, not an error; NOT RUN means the runs a claim needs
are not part of this configuration. Means are taken as the tables print them: rounded to
``decimals`` digits before they are compared, so no verdict turns on a difference the
tables do not show.
"""

from __future__ import annotations

import pandas as pd

from eobench.adaptation.significance import compare_modes, paired_scores
from eobench.tables.adaptation import (
    INPUTS,
    TEST_SPLITS,
    TTT_BASELINE,
    TTT_MODES,
    check_metrics,
    ordered,
)
from eobench.tables.claims import CLAIM_COLUMNS, FAIL, NOT_RUN, PASS, _row, printed

SOURCE_TTT = "MMEarth-Bench TTT table"
SOURCE_GEOGRAPHIC = "MMEarth-Bench Fig. 5"
SOURCE_LOW_SHOT = "MMEarth-Bench Fig. 4"
#: Decimals of the evidence: changes by TTT are a few thousandths of R².
DEFAULT_DECIMALS = 3


def _encoders(rows: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(rows["encoder"]))


def _signed(value: float, decimals: int) -> str:
    return f"{printed(value, decimals):+.{decimals}f}"


def ttt_improves_on_jt(
    metrics: pd.DataFrame, mode: str = "JT-TTT", decimals: int = DEFAULT_DECIMALS
) -> dict[str, str]:
    """TTT-MMR scores above JT on the random and on the geographic test.

    The rule: for each test split, the mean over every run both modes have (tasks,
    encoders, inputs, subsets, seeds) of the TTT score minus the JT score of the same
    run, as printed, is above zero. The evidence adds the TTT table's Holm-corrected
    one-sided Wilcoxon p of every task (the same tests as the table's).
    """
    claim = "TTT-MMR improves on joint training (JT) on the random and the geographic test"
    pairs = paired_scores(metrics, mode, TTT_BASELINE).dropna(subset=["difference"])
    splits = [s for s in TEST_SPLITS if s in set(pairs["test_split"])]
    if len(splits) < len(TEST_SPLITS):
        return _row(claim, SOURCE_TTT, NOT_RUN, _encoders(pairs),
                    f"needs {mode} and {TTT_BASELINE} runs on both test splits")  # fmt: skip
    tests = compare_modes(metrics, [m for m in TTT_MODES if m != TTT_BASELINE])
    tests = tests[tests["mode"] == mode]
    parts, verdicts = [], []
    for split in splits:
        chosen = pairs[pairs["test_split"] == split]
        mean = printed(chosen["difference"].mean(), decimals)
        verdicts.append(mean > 0)
        p_values = ", ".join(
            f"{row.task} {row.p_holm:.3g}"
            for row in tests[tests["test_split"] == split].itertuples(index=False)
        )
        parts.append(
            f"{split} test {mean:+.{decimals}f} (mean {mode} - {TTT_BASELINE} over "
            f"{len(chosen)} paired runs; Wilcoxon p (Holm) {p_values})"
        )
    status = PASS if all(verdicts) else FAIL
    return _row(claim, SOURCE_TTT, status, _encoders(pairs), "; ".join(parts))


def geographic_below_random(
    metrics: pd.DataFrame, mode: str = "FT", decimals: int = DEFAULT_DECIMALS
) -> dict[str, str]:
    """Every task's geographic test (Africa) scores below its random test.

    Per task, the mean ``mode`` score over the runs scored on both tests (encoders,
    inputs, subsets, seeds), as printed; PASS if geographic < random on every task.
    """
    claim = f"the geographic test (Africa) scores below the random test, on every task ({mode})"
    runs = metrics[metrics["mode"] == mode]
    keys = ["task", "dataset", "encoder", "weights", "inputs", "subset", "seed"]
    wide = runs.pivot_table(index=keys, columns="test_split", values="score", sort=False)
    if not set(TEST_SPLITS) <= set(wide.columns):
        return _row(claim, SOURCE_GEOGRAPHIC, NOT_RUN, _encoders(runs),
                    f"needs {mode} runs scored on both test splits")  # fmt: skip
    means = wide[list(TEST_SPLITS)].dropna().groupby(level="task", sort=False).mean()
    parts, verdicts = [], []
    for task, row in means.iterrows():
        random, geographic = printed(row["random"], decimals), printed(row["geographic"], decimals)
        verdicts.append(geographic < random)
        parts.append(f"{task} random {random:.{decimals}f}, geographic {geographic:.{decimals}f}")
    evidence = "mean over encoders, inputs, subsets and seeds: " + "; ".join(parts)
    status = PASS if all(verdicts) else FAIL
    return _row(claim, SOURCE_GEOGRAPHIC, status, _encoders(runs), evidence)


def _low_shot_runs(metrics: pd.DataFrame, mode: str) -> pd.DataFrame:
    """``mode`` runs on the random test: the setting of the low-shot figure."""
    return metrics[(metrics["mode"] == mode) & (metrics["test_split"] == "random")]


def pretrained_above_random_init(
    metrics: pd.DataFrame,
    subset: str = "train_5",
    mode: str = "FT",
    decimals: int = DEFAULT_DECIMALS,
) -> dict[str, str]:
    """Pretrained encoders score above randomly initialised ones at the smallest subset.

    Per input, the mean random-test score of ``mode`` on ``subset`` over tasks, encoders
    and seeds, pretrained against random init, as printed; PASS if pretrained is above
    random init for every input that has both.
    """
    claim = f"pretrained encoders score above random init with {subset} ({mode}, per input)"
    runs = _low_shot_runs(metrics, mode)
    runs = runs[runs["subset"] == subset]
    weights = set(runs["weights"])
    if "pretrained" not in weights:
        return _row(claim, SOURCE_LOW_SHOT, NOT_RUN, [],
                    f"no pretrained encoder with {mode} on {subset} in this run")  # fmt: skip
    if "random_init" not in weights:
        return _row(claim, SOURCE_LOW_SHOT, NOT_RUN, _encoders(runs),
                    f"no random-init encoder with {mode} on {subset} in this run")  # fmt: skip
    means = runs.groupby(["inputs", "weights"], sort=False)["score"].mean().unstack()
    means = means.dropna(subset=["pretrained", "random_init"])
    parts, verdicts = [], []
    for inputs in ordered(means.index, INPUTS):
        pretrained = printed(means.loc[inputs, "pretrained"], decimals)
        random_init = printed(means.loc[inputs, "random_init"], decimals)
        verdicts.append(pretrained > random_init)
        parts.append(
            f"{inputs} pretrained {pretrained:.{decimals}f}, random init {random_init:.{decimals}f}"
        )
    evidence = "mean random-test score over tasks, encoders and seeds: " + "; ".join(parts)
    status = PASS if all(verdicts) else FAIL
    return _row(claim, SOURCE_LOW_SHOT, status, _encoders(runs), evidence)


def multimodal_most_robust(
    metrics: pd.DataFrame,
    full: str = "train_100",
    low: str = "train_5",
    mode: str = "FT",
    decimals: int = DEFAULT_DECIMALS,
) -> dict[str, str]:
    """Pretrained encoders lose least from ``full`` to ``low`` with multimodal input.

    Per input, the drop is the mean random-test score of ``mode`` on ``full`` minus that
    on ``low`` (means over tasks, pretrained encoders and seeds, as printed); PASS if the
    multimodal drop is smaller than every other input's.
    """
    claim = f"with pretrained encoders, multimodal input loses least from {full} to {low} ({mode})"
    runs = _low_shot_runs(metrics, mode)
    runs = runs[runs["weights"] == "pretrained"]
    if runs.empty:
        return _row(claim, SOURCE_LOW_SHOT, NOT_RUN, [],
                    f"no pretrained encoder with {mode} in this run")  # fmt: skip
    means = runs.groupby(["inputs", "subset"], sort=False)["score"].mean().unstack()
    missing = [s for s in (full, low) if s not in means.columns]
    if missing:
        return _row(claim, SOURCE_LOW_SHOT, NOT_RUN, _encoders(runs),
                    f"subsets {missing} not run")  # fmt: skip
    drops = (
        means[full].map(lambda v: printed(v, decimals))
        - means[low].map(lambda v: printed(v, decimals))
    ).dropna()
    others = [i for i in ordered(drops.index, INPUTS) if i != "multimodal"]
    if "multimodal" not in drops.index or not others:
        return _row(claim, SOURCE_LOW_SHOT, NOT_RUN, _encoders(runs),
                    "needs multimodal and another input on both subsets")  # fmt: skip
    holds = all(drops["multimodal"] < drops[i] for i in others)
    evidence = f"drop of the mean random-test score from {full} to {low}: " + ", ".join(
        f"{i} {drops[i]:.{decimals}f}" for i in ordered(drops.index, INPUTS)
    )
    return _row(claim, SOURCE_LOW_SHOT, PASS if holds else FAIL, _encoders(runs), evidence)


def check_adaptation_claims(
    metrics: pd.DataFrame, decimals: int = DEFAULT_DECIMALS
) -> pd.DataFrame:
    """The adaptation rows of the claims table (columns :data:`CLAIM_COLUMNS`)."""
    check_metrics(metrics)
    rows = [
        ttt_improves_on_jt(metrics, decimals=decimals),
        geographic_below_random(metrics, decimals=decimals),
        pretrained_above_random_init(metrics, decimals=decimals),
        multimodal_most_robust(metrics, decimals=decimals),
    ]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


__all__ = [
    "check_adaptation_claims",
    "geographic_below_random",
    "multimodal_most_robust",
    "pretrained_above_random_init",
    "ttt_improves_on_jt",
]
