"""The paper's qualitative findings, checked against this run's numbers.

Every check returns one row: the claim, its source in the paper, a status, the encoders
it covers and the figures behind the verdict. Statuses:

- ``PASS`` / ``FAIL``: the finding holds or not on this run's data and encoders (a FAIL
  is a finding, not an error);
- ``NOT RUN``: the inputs are not part of this configuration (an ablation left out);
- ``NOT TESTABLE``: the embedded data or encoders cannot test the finding at all (for
  example, it is about pretrained foundation models), with the reason.

One coverage rule holds for every row: a claim about encoders covers the encoders of
its inputs except the baselines (``statistics.baselines``), whose embeddings carry no
information by design; the floor check, a claim about the baselines, covers only them.
A comparison of two tables of one encoder also leaves out the encoders whose two
tables are the same (``same_as`` of the scoring stage).

Evidence is taken from the numbers the tables print: scores are rounded to the decimals
of the table that prints them before they are compared, so a claim never turns on a
difference the tables do not show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from scipy import stats

from eobench.scoring import leaderboard, q_matrix
from eobench.tables.ablations import probe_depth_table, size_curve
from eobench.tables.render import format_number

PASS, FAIL, NOT_RUN, NOT_TESTABLE = "PASS", "FAIL", "NOT RUN", "NOT TESTABLE"
CLAIM_COLUMNS = ["claim", "source", "status", "covers", "evidence"]

#: Tasks about land-cover semantics (the "semantic" tasks of the layer-wise finding);
#: the other non-random tasks are the physical regression tasks.
SEMANTIC_TASKS = ("crops", "landcover_agriculture", "landcover_forest")
#: Tasks whose labels are noise, by design.
RANDOM_TASKS = ("random_reg", "random_cls")
#: Decimals of the tables the evidence comes from, unless the rule says otherwise.
DEFAULT_DECIMALS = {
    "task_scores": 2,
    "leaderboard": 2,
    "weights": 3,
    "probe_depth": 3,
    "converged_gap": 3,
}


def _row(claim: str, source: str, status: str, covers: Sequence[str] | str, evidence: str):
    covered = covers if isinstance(covers, str) else ", ".join(covers) or "–"
    return {
        "claim": claim,
        "source": source,
        "status": status,
        "covers": covered,
        "evidence": evidence,
    }


def printed(value: float, decimals: int) -> float:
    """``value`` as a table prints it with ``decimals`` digits (then read back)."""
    return float(f"{float(value):.{decimals}f}")


def covered(encoders: Sequence[str], baselines: Sequence[str]) -> list[str]:
    """The coverage rule: the encoders of a claim's input, baselines left out, order kept."""
    return [e for e in dict.fromkeys(encoders) if e not in set(baselines)]


def _left_out(encoders: Sequence[str], baselines: Sequence[str]) -> str:
    left = [e for e in dict.fromkeys(encoders) if e in set(baselines)]
    return f"; baselines left out: {', '.join(left)}" if left else ""


# -- temporal aggregation (Table 4) ----------------------------------------------------


def identical_pairs(task_scores: pd.DataFrame) -> set[str]:
    """Encoders whose ``pre`` and ``post`` tables are the same (column ``same_as``)."""
    if "same_as" not in task_scores:
        return set()
    methods = task_scores.drop_duplicates("method")
    twins = methods.dropna(subset=["same_as"])
    same = set()
    for row in twins.itertuples(index=False):
        if {row.method, row.same_as} == {f"{row.encoder}/pre", f"{row.encoder}/post"}:
            same.add(row.encoder)
    return same


def post_beats_pre(
    task_scores: pd.DataFrame, baselines: Sequence[str], decimals: int = 2
) -> dict[str, str]:
    """Post-encoding beats pre-encoding aggregation on most tasks, for every encoder.

    Counts, per encoder, the tasks where the post table's mean score (as the task-score
    table prints it) is above the pre table's, over all tasks both have.
    """
    claim = "post-encoding beats pre-encoding aggregation on most tasks, for every encoder"
    source = "Table 4"
    wide = task_scores.pivot_table(
        index=["encoder", "task"], columns="aggregation", values="mean_score", sort=False
    )
    if not {"pre", "post"} <= set(wide.columns):
        return _row(claim, source, NOT_RUN, [], "needs pre and post tables")
    wide = wide.dropna(subset=["pre", "post"])
    encoders = list(dict.fromkeys(wide.index.get_level_values("encoder")))
    same = identical_pairs(task_scores)
    chosen = [e for e in covered(encoders, baselines) if e not in same]
    if not chosen:
        return _row(claim, source, NOT_RUN, [], "no encoder whose pre and post tables differ")
    counts, verdicts = [], []
    for encoder in chosen:
        rows = wide.loc[encoder]
        post = rows["post"].map(lambda v: printed(v, decimals))
        pre = rows["pre"].map(lambda v: printed(v, decimals))
        wins, losses = int((post > pre).sum()), int((post < pre).sum())
        verdicts.append(wins > len(rows) / 2)
        ties = len(rows) - wins - losses
        counts.append(
            f"{encoder} {wins}/{len(rows)}" + (f" ({ties} printed equal)" if ties else "")
        )
    evidence = "tasks where post > pre: " + ", ".join(counts)
    if same:
        evidence += f"; identical pre and post tables: {', '.join(sorted(same))} (left out)"
    evidence += _left_out(encoders, baselines)
    return _row(claim, source, PASS if all(verdicts) else FAIL, chosen, evidence)


# -- probe heads (Figs. 5b, 13) ----------------------------------------------------------


def _heads_table(depth_summary: pd.DataFrame, baselines, decimals: int) -> pd.DataFrame:
    """Probe-depth table of the covered encoders, mean scores as printed."""
    table = probe_depth_table(depth_summary[~depth_summary["encoder"].isin(baselines)])
    table["mean_score"] = table["mean_score"].map(lambda v: printed(v, decimals))
    return table


def _mlp_heads(heads: Sequence[str]) -> list[str]:
    return [h for h in heads if h.lower().startswith("mlp")]


def nonlinear_gain(
    depth_summary: pd.DataFrame | None,
    baselines: Sequence[str],
    threshold: float = 0.06,
    decimals: int = 3,
) -> dict[str, str]:
    """Non-linear probes add < ``threshold`` R² to the strongest embeddings, more to the weakest.

    Strongest and weakest by the linear probe's mean R² over regression tasks, as the
    probe-depth table prints it (regression tasks only).
    """
    claim = (
        f"non-linear probes add less than {threshold} R² to the strongest embeddings "
        "and more to the weakest"
    )
    source = "Fig. 5b"
    if depth_summary is None or depth_summary.empty:
        return _row(claim, source, NOT_RUN, [], "probe-depth ablation not in this run")
    regression = depth_summary[depth_summary["task_type"] == "regr"]
    table = _heads_table(regression, baselines, decimals)
    linear = table[table["head"] == "linear"].set_index("encoder")["mean_score"]
    mlp = table[table["head"].isin(_mlp_heads(table["head"].unique()))]
    nonlinear = mlp.groupby("encoder")["mean_score"].max()
    encoders = [e for e in linear.index if e in nonlinear.index]
    if len(encoders) < 2:
        return _row(
            claim, source, NOT_RUN, encoders, "needs the linear and an MLP head on two encoders"
        )
    gain = (nonlinear - linear)[encoders]
    strongest, weakest = linear[encoders].idxmax(), linear[encoders].idxmin()
    holds = gain[strongest] < threshold and gain[weakest] > gain[strongest]
    evidence = (
        f"strongest {strongest} (linear R² {linear[strongest]:.{decimals}f}) gains "
        f"{gain[strongest]:+.{decimals}f}; weakest {weakest} (linear R² "
        f"{linear[weakest]:.{decimals}f}) gains {gain[weakest]:+.{decimals}f}"
    )
    evidence += _left_out(depth_summary["encoder"], baselines)
    return _row(claim, source, PASS if holds else FAIL, encoders, evidence)


def mlp_gain_is_nonlinearity(
    depth_summary: pd.DataFrame | None,
    baselines: Sequence[str],
    decimals: int = 3,
) -> dict[str, str]:
    """Where an MLP beats the paper's linear probe, the converged linear probe does not.

    If the converged linear probe (ridge / L-BFGS logistic regression) matches the best
    MLP's mean score, the MLP's "win" over the paper's probe (AdamW, fixed epochs) is
    optimisation, not non-linearity. All tasks, mean scores as the probe-depth table
    prints them.
    """
    claim = (
        "where an MLP probe beats the paper's linear probe, the gain is non-linearity: "
        "the converged linear probe does not close it"
    )
    source = "Fig. 5b; converged probe beyond the paper"
    if depth_summary is None or not {"linear", "converged"} <= set(depth_summary["head"]):
        return _row(claim, source, NOT_RUN, [], "needs the linear, converged and MLP heads")
    table = _heads_table(depth_summary, baselines, decimals)
    by_head = table.pivot_table(index="encoder", columns="head", values="mean_score", sort=False)
    mlps = _mlp_heads(by_head.columns)
    if not mlps:
        return _row(claim, source, NOT_RUN, [], "needs an MLP head")
    best_mlp = by_head[mlps].max(axis=1)
    winners = [e for e in by_head.index if best_mlp[e] > by_head.loc[e, "linear"]]
    if not winners:
        return _row(claim, source, PASS, list(by_head.index), "no MLP beats the linear probe")
    closed, parts = [], []
    for encoder in winners:
        mlp, converged = best_mlp[encoder], by_head.loc[encoder, "converged"]
        linear = by_head.loc[encoder, "linear"]
        part = (
            f"{encoder}: MLP {mlp - linear:+.{decimals}f}, "
            f"converged {converged - linear:+.{decimals}f}"
        )
        if converged >= mlp:
            closed.append(encoder)
            part += " (closed: optimisation, not non-linearity)"
        parts.append(part)
    evidence = "mean score over tasks vs the paper's probe: " + "; ".join(parts)
    evidence += _left_out(depth_summary["encoder"], baselines)
    return _row(claim, source, FAIL if closed else PASS, list(by_head.index), evidence)


def ranking_across_heads(
    depth_summary: pd.DataFrame | None,
    baselines: Sequence[str],
    min_correlation: float = 0.8,
    tie_tolerance: float = 0.0,
) -> dict[str, str]:
    """The encoders' ranking is stable across probe heads.

    Each head's leaderboard (Q per task, the paper's weights and rank aggregation) over
    the covered encoders; Spearman's rho of every head's aggregated ranks against the
    linear probe's. PASS if every rho is at least ``min_correlation``.
    """
    claim = (
        "the ranking of the encoders is stable across probe heads "
        f"(Spearman ρ ≥ {min_correlation} against the linear probe's)"
    )
    source = "Figs. 5b, 13"
    if depth_summary is None or "linear" not in set(depth_summary["head"]):
        return _row(claim, source, NOT_RUN, [], "probe-depth ablation not in this run")
    summary = depth_summary[~depth_summary["encoder"].isin(baselines)]
    encoders = list(dict.fromkeys(summary["encoder"]))
    if len(encoders) < 3:
        return _row(claim, source, NOT_RUN, encoders, "needs three encoders beside the baselines")
    ranks = {}
    for head, rows in summary.groupby("head", sort=False):
        q = q_matrix(rows.assign(method=rows["encoder"]))
        board, _, _ = leaderboard(q, tie_tolerance)
        ranks[head] = board.set_index("method")["aggregated_rank"].reindex(encoders)
    linear = ranks.pop("linear")
    rhos = {
        head: float(stats.spearmanr(linear, other).statistic)
        for head, other in ranks.items()
        if other.notna().all()
    }
    if not rhos:
        return _row(claim, source, NOT_RUN, encoders, "needs a second head on every encoder")
    order = ", ".join(linear.sort_values(kind="stable").index)
    evidence = f"linear-probe order {order}; ρ " + ", ".join(
        f"{head} {rho:.2f}" for head, rho in rhos.items()
    )
    evidence += _left_out(depth_summary["encoder"], baselines)
    # A head that ranks every encoder alike has no defined rho: not stable.
    holds = all(rho >= min_correlation for rho in rhos.values())
    status = PASS if holds else FAIL
    return _row(claim, source, status, encoders, evidence)


def converged_above_paper(
    depth_summary: pd.DataFrame | None, baselines: Sequence[str], decimals: int = 3
) -> dict[str, str]:
    """The paper's probe is not converged: the converged probe scores higher on average."""
    claim = "the converged linear probe scores above the paper's probe (AdamW, fixed epochs)"
    source = "beyond the paper"
    if depth_summary is None or not {"linear", "converged"} <= set(depth_summary["head"]):
        return _row(claim, source, NOT_RUN, [], "needs the linear and converged heads")
    table = _heads_table(depth_summary, baselines, decimals)
    by_head = table.pivot_table(index="encoder", columns="head", values="mean_score", sort=False)
    gains = by_head["converged"] - by_head["linear"]
    evidence = "mean score gain over tasks: " + "; ".join(
        f"{e}: {g:+.{decimals}f}" for e, g in gains.items()
    )
    evidence += _left_out(depth_summary["encoder"], baselines)
    status = PASS if gains.mean() > 0 else FAIL
    return _row(claim, source, status, list(gains.index), evidence)


# -- embedding size (Figs. 5a, 14-15) ---------------------------------------------------


def _size_curves(size_summary, encoders, decimals):
    curve = size_curve(size_summary[size_summary["encoder"].isin(encoders)])
    curve["mean_score"] = curve["mean_score"].map(lambda v: printed(v, decimals))
    return curve


def size_peaks_inside(
    size_summary: pd.DataFrame | None,
    size_encoders: Mapping[str, Mapping[str, Any]],
    baselines: Sequence[str],
    decimals: int = 3,
) -> dict[str, str]:
    """Performance peaks at an intermediate embedding size for CNN-like encoders."""
    claim = "performance peaks at an intermediate embedding size for CNN-like encoders"
    source = "Fig. 5a"
    cnn = covered([e for e, s in size_encoders.items() if s["recipe"] == "cnn"], baselines)
    if size_summary is None or size_summary.empty or not cnn:
        return _row(claim, source, NOT_RUN, [], "no CNN-like encoder in the size ablation")
    curve = _size_curves(size_summary, cnn, decimals)
    verdicts, evidence = [], []
    for encoder, rows in curve.groupby("encoder", sort=False):
        best = rows.loc[rows["mean_score"].idxmax()]
        sizes = rows["size"].tolist()
        verdicts.append(min(sizes) < best["size"] < max(sizes))
        evidence.append(
            f"{encoder}: best at N={int(best['size'])} ({best['mean_score']:.{decimals}f}) "
            f"of {int(min(sizes))}-{int(max(sizes))}"
        )
    return _row(claim, source, PASS if all(verdicts) else FAIL, cnn, "; ".join(evidence))


def vit_best_at_native_size(
    size_summary: pd.DataFrame | None,
    size_encoders: Mapping[str, Mapping[str, Any]],
    baselines: Sequence[str],
    decimals: int = 3,
) -> dict[str, str]:
    """ViT-like encoders score best at their native width.

    The native point is the smallest size of the ablation that holds all native
    features (above it the table is zero padding). PASS if no smaller size scores above
    it and no padded size scores above it, mean scores over tasks as printed.
    """
    claim = "ViT-like encoders score best at their native width (no gain from padding)"
    source = "Figs. 5a, 14-15"
    vit = covered([e for e, s in size_encoders.items() if s["recipe"] == "vit"], baselines)
    if size_summary is None or size_summary.empty or not vit:
        return _row(claim, source, NOT_RUN, [], "no ViT-like encoder in the size ablation")
    curve = _size_curves(size_summary, vit, decimals)
    verdicts, evidence = [], []
    for encoder, rows in curve.groupby("encoder", sort=False):
        native = int(size_encoders[encoder]["native_dim"])
        holding = rows[rows["size"] >= native]
        if holding.empty:
            verdicts.append(False)
            evidence.append(f"{encoder}: no size reaches its native width {native}")
            continue
        full = holding.iloc[0]
        others = rows.drop(index=full.name)
        beaten = others[others["mean_score"] > full["mean_score"]]
        verdicts.append(beaten.empty)
        best = rows.loc[rows["mean_score"].idxmax()]
        evidence.append(
            f"{encoder} (native {native}): N={int(full['size'])} "
            f"{full['mean_score']:.{decimals}f}, "
            f"best N={int(best['size'])} {best['mean_score']:.{decimals}f}"
            + (
                f"; scoring above it: N={', '.join(str(int(s)) for s in beaten['size'])}"
                if len(beaten)
                else ""
            )
        )
    return _row(claim, source, PASS if all(verdicts) else FAIL, vit, "; ".join(evidence))


# -- layers (Fig. 12) ------------------------------------------------------------------


def layers_by_task_kind(
    layer_summary: pd.DataFrame | None,
    baselines: Sequence[str],
    semantic_tasks: Sequence[str] = SEMANTIC_TASKS,
    random_tasks: Sequence[str] = RANDOM_TASKS,
    decimals: int = 3,
) -> dict[str, str]:
    """Shallow layers are best for the physical regression tasks, deep ones for semantic tasks.

    Per encoder, the mean score over the semantic tasks (land cover, crops) and over
    the other non-random tasks at every layer, as printed; PASS if the regression
    tasks' best layer is in the shallow half of the layers (at or below the middle
    one) and the semantic tasks' best layer in the deep half.
    """
    claim = "shallow layers score best on physical regression tasks, deep layers on semantic tasks"
    source = "Fig. 12"
    if layer_summary is None or layer_summary.empty:
        return _row(claim, source, NOT_RUN, [], "layer-wise ablation not in this run")
    summary = layer_summary[~layer_summary["task"].isin(random_tasks)]
    semantic = summary["task"].isin(semantic_tasks)
    if not semantic.any() or semantic.all():
        return _row(claim, source, NOT_RUN, [], "needs semantic and regression tasks")
    encoders = covered(summary["encoder"], baselines)
    verdicts, evidence = [], []
    for encoder in encoders:
        rows = summary[summary["encoder"] == encoder]
        layers = sorted(int(layer) for layer in rows["layer"].unique())
        middle = (layers[0] + layers[-1]) / 2
        best, ranges = {}, {}
        for kind, part in (("regression", rows[~semantic]), ("semantic", rows[semantic])):
            curve = part.groupby("layer")["mean_score"].mean().map(lambda v: printed(v, decimals))
            best[kind] = int(curve.idxmax())
            ranges[kind] = f"{curve.min():.{decimals}f}-{curve.max():.{decimals}f}"
        verdicts.append(best["regression"] <= middle < best["semantic"])
        evidence.append(
            f"{encoder} (layers {layers[0]}-{layers[-1]}): regression tasks best at layer "
            f"{best['regression']} (mean score {ranges['regression']} over layers), "
            f"semantic tasks at layer {best['semantic']} ({ranges['semantic']})"
        )
    kinds = f"semantic: {', '.join(t for t in semantic_tasks if t in set(summary['task']))}"
    status = PASS if all(verdicts) else FAIL
    return _row(claim, source, status, encoders, "; ".join(evidence) + f" ({kinds})")


# -- scoring (Fig. 3) ------------------------------------------------------------------


def random_tasks_down_weighted(
    task_weights: pd.DataFrame | None,
    random_tasks: Sequence[str] = RANDOM_TASKS,
    decimals: int = 3,
) -> dict[str, str]:
    """The random tasks get the lowest task weights.

    From the weights without the baselines (the coverage rule), as ``task_weights.csv``
    holds them; the leaderboard's weights (all methods) are quoted beside them.
    """
    claim = "the random tasks get the lowest task weights"
    source = "Fig. 3"
    if task_weights is None or task_weights.empty:
        return _row(claim, source, NOT_RUN, [], "task weights not in this run")
    weights = task_weights.set_index("task")
    present = [t for t in random_tasks if t in weights.index]
    if not present or len(present) == len(weights):
        return _row(claim, source, NOT_RUN, [], "needs the random tasks and others")
    parts, verdict = [], True
    for column, label in (
        ("weight_without_baselines", "without baselines"),
        ("weight_all_methods", "leaderboard"),
    ):
        shown = weights[column].map(lambda v: printed(v, decimals))
        others = shown.drop(index=present)
        if column == "weight_without_baselines":
            verdict = shown[present].max() < others.min()
        parts.append(
            f"{label}: "
            + ", ".join(f"{t} {shown[t]:.{decimals}f}" for t in present)
            + f", lowest other {others.idxmin()} {others.min():.{decimals}f}"
        )
    return _row(
        claim, source, PASS if verdict else FAIL, "all non-baseline methods", "; ".join(parts)
    )


def random_mean_q(leaderboard: pd.DataFrame, baselines: Sequence[str], decimals: int = 2):
    """The floor: the baselines' embeddings get a mean Q at or below zero (as printed)."""
    claim = "the baselines' embeddings get a mean Q at or below zero"
    source = "beyond the paper (floor check)"
    rows = leaderboard[leaderboard["encoder"].isin(baselines)]
    if "same_as" in rows:
        rows = rows[rows["same_as"].isna()]
    if rows.empty:
        return _row(claim, source, NOT_RUN, [], "no baseline in this run")
    q = rows["mean_q"].map(lambda v: printed(v, decimals))
    evidence = "; ".join(
        f"{m}: {format_number(v, decimals)}" for m, v in zip(rows["method"], q, strict=True)
    )
    status = PASS if (q <= 0).all() else FAIL
    return _row(claim, source, status, list(dict.fromkeys(rows["encoder"])), evidence)


# -- pretrained encoders and the neural compressor (Table 4, Figs. 10-11) ---------------


def _distinct(board: pd.DataFrame) -> pd.DataFrame:
    """Leaderboard rows that are not a duplicate of another method's table."""
    return board[board["same_as"].isna()] if "same_as" in board else board


def pretrained_beat_averaging(
    leaderboard: pd.DataFrame,
    pretrained: Sequence[str],
    reference: str = "averaging",
    decimals: int = 2,
) -> dict[str, str]:
    """Every pretrained encoder's best table has a higher mean Q than the averaging
    baseline's best (as the leaderboard prints them)."""
    claim = "pretrained encoders' embeddings beat the averaging baseline"
    source = "Table 4"
    board = _distinct(leaderboard)
    present = [e for e in dict.fromkeys(pretrained) if e in set(board["encoder"])]
    if not present:
        return _row(claim, source, NOT_RUN, [], "no pretrained encoder in this run")
    if reference not in set(board["encoder"]):
        return _row(claim, source, NOT_RUN, present, f"the {reference} baseline is not run")
    best = board.groupby("encoder")["mean_q"].max().map(lambda v: printed(v, decimals))
    floor = best[reference]
    verdicts = [best[e] > floor for e in present]
    evidence = f"best mean Q: {reference} {format_number(floor, decimals)}; " + ", ".join(
        f"{e} {format_number(best[e], decimals)}" for e in present
    )
    return _row(claim, source, PASS if all(verdicts) else FAIL, present, evidence)


def post_beats_pre_for_pretrained(
    task_scores: pd.DataFrame, pretrained: Sequence[str], decimals: int = 2
) -> dict[str, str]:
    """:func:`post_beats_pre`, for the pretrained encoders alone."""
    row = post_beats_pre(task_scores[task_scores["encoder"].isin(pretrained)], [], decimals)
    claim = "post-encoding beats pre-encoding aggregation on most tasks, for pretrained encoders"
    if row["status"] == NOT_RUN:
        row["evidence"] = "no pretrained encoder with pre and post tables in this run"
    return {**row, "claim": claim}


def compressor_lambda_order(
    leaderboard: pd.DataFrame, lambdas: Mapping[str, float], decimals: int = 2
) -> dict[str, str]:
    """Of the compressor's rate-distortion trade-offs, lambda = 0.025 is at least as good
    as 0.1 and 0.5 is the worst, in mean Q averaged over the aggregations run."""
    claim = "compressor: lambda = 0.025 at least as good as 0.1 on average, 0.5 the worst"
    source = "Table 4"
    board = _distinct(leaderboard)
    present = {e: float(lam) for e, lam in lambdas.items() if e in set(board["encoder"])}
    wanted = {0.025, 0.1, 0.5}
    if not wanted <= set(present.values()):
        found = sorted(set(present.values()))
        return _row(claim, source, NOT_RUN, list(present), f"needs lambdas 0.025, 0.1 and 0.5; "
                    f"this run has {found or 'none'}")  # fmt: skip
    mean_q = board[board["encoder"].isin(present)].groupby("encoder")["mean_q"].mean()
    by_lambda = {lam: printed(mean_q[e], decimals) for e, lam in present.items()}
    low, middle, high = by_lambda[0.025], by_lambda[0.1], by_lambda[0.5]
    others = [q for lam, q in by_lambda.items() if lam != 0.5]
    verdict = low >= middle and all(high < q for q in others)
    evidence = "mean Q (averaged over aggregations): " + ", ".join(
        f"lambda {lam:g} {format_number(q, decimals)}" for lam, q in sorted(by_lambda.items())
    )
    return _row(claim, source, PASS if verdict else FAIL, list(present), evidence)


# -- findings the embedded data cannot test ---------------------------------------------

UNTESTABLE = (
    (
        "the hidden-task challenge mode mitigates pretraining bias",
        "challenge mode",
        "needs encoders pretrained on data related to some tasks; the embedded data shares "
        "nothing with the pretraining data of the shipped weights",
    ),
)


def untestable_rows() -> list[dict[str, str]]:
    """Rows for the findings this run's data and encoders cannot test, with the reason."""
    return [_row(claim, source, NOT_TESTABLE, [], reason) for claim, source, reason in UNTESTABLE]


def check_claims(
    task_scores: pd.DataFrame,
    leaderboard: pd.DataFrame,
    *,
    depth_summary: pd.DataFrame | None = None,
    size_summary: pd.DataFrame | None = None,
    layer_summary: pd.DataFrame | None = None,
    task_weights: pd.DataFrame | None = None,
    size_encoders: Mapping[str, Mapping[str, Any]] | None = None,
    baselines: Sequence[str] = ("random",),
    decimals: Mapping[str, int] | None = None,
    tie_tolerance: float = 0.0,
    pretrained: Sequence[str] = (),
    compressor_lambdas: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The claims table: one row per finding (columns :data:`CLAIM_COLUMNS`).

    Parameters
    ----------
    task_scores, leaderboard : DataFrame
        The main protocol's ``task_scores.csv`` and ``leaderboard.csv`` (scoring stage).
    depth_summary, size_summary, layer_summary : DataFrame, optional
        The ablation summaries (``results/ablations/.../task_scores.csv``); None when the
        ablation is not part of the run.
    task_weights : DataFrame, optional
        ``task_weights.csv`` of the main protocol (weights with and without baselines).
    size_encoders : mapping
        Encoder -> ``{"recipe": "cnn" | "vit", "native_dim": int}`` of the size ablation.
    baselines : names of the baseline encoders (``statistics.baselines``).
    decimals : mapping
        Decimals of the tables that print the evidence (keys of :data:`DEFAULT_DECIMALS`).
    tie_tolerance : float
        ``scoring.tie_tolerance``, for the per-head leaderboards.
    pretrained : encoders with pretrained weights (their entries name ``weights``).
    compressor_lambdas : compressor encoder -> its rate-distortion weight lambda.
    """
    digits = {**DEFAULT_DECIMALS, **(decimals or {})}
    baselines = list(baselines)
    rows = [
        post_beats_pre(task_scores, baselines, digits["task_scores"]),
        nonlinear_gain(depth_summary, baselines, decimals=digits["probe_depth"]),
        mlp_gain_is_nonlinearity(depth_summary, baselines, digits["probe_depth"]),
        ranking_across_heads(depth_summary, baselines, tie_tolerance=tie_tolerance),
        converged_above_paper(depth_summary, baselines, digits["converged_gap"]),
        size_peaks_inside(size_summary, size_encoders or {}, baselines, digits["probe_depth"]),
        vit_best_at_native_size(
            size_summary, size_encoders or {}, baselines, digits["probe_depth"]
        ),
        layers_by_task_kind(layer_summary, baselines, decimals=digits["probe_depth"]),
        random_tasks_down_weighted(task_weights, decimals=digits["weights"]),
        random_mean_q(leaderboard, baselines, digits["leaderboard"]),
        pretrained_beat_averaging(leaderboard, pretrained, decimals=digits["leaderboard"]),
        post_beats_pre_for_pretrained(task_scores, pretrained, digits["task_scores"]),
        compressor_lambda_order(leaderboard, compressor_lambdas or {}, digits["leaderboard"]),
        *untestable_rows(),
    ]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def claims_caption_note(baselines: Sequence[str]) -> str:
    """The coverage rule, as printed under the claims table."""
    names = ", ".join(baselines) or "none"
    return (
        f"Coverage: every claim covers the encoders of its inputs except the baselines "
        f"({names}); the floor check covers only the baselines. Scores are compared as the "
        "tables print them."
    )


__all__ = [
    "CLAIM_COLUMNS",
    "FAIL",
    "NOT_RUN",
    "NOT_TESTABLE",
    "PASS",
    "check_claims",
    "claims_caption_note",
    "covered",
    "printed",
]
