"""Tables of the ablations: probe depth, converged-vs-paper probe gap, embedding size.

Each builder takes the tidy per-(run, task) summary of an ablation
(:func:`eobench.scoring.summarise_tasks` of its split scores: ``encoder, aggregation,
head, head_parameters, size, layer, task, task_type, metric, mean_score, std_score, q``)
and returns a tidy table ready for :func:`eobench.tables.render.render_table`.

Scores of different tasks are averaged as they are (R^2 for regression, F1 for
classification), as the paper's overall probe-depth and size figures do.
"""

from __future__ import annotations

import pandas as pd

from eobench.errors import EobenchError


def common_splits(split_scores: pd.DataFrame, run_columns: list[str]) -> pd.DataFrame:
    """Keep the splits every run of an ablation has, so that runs compare pairwise.

    Heads may run on fewer splits than the linear probe (``probe_heads.<name>.k_splits``);
    the splits are drawn in order by the same ``ShuffleSplit``, so the first ``K_min``
    splits of every run are the same train/test partitions.
    """
    k_min = int(split_scores.groupby(run_columns, dropna=False)["split"].max().min()) + 1
    return split_scores[split_scores["split"] < k_min]


def _require(summary: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in summary]
    if missing:
        raise EobenchError(f"{what}: summary lacks columns {missing}")


def overall_scores(summary: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean over tasks of the mean score and of Q, per ``by`` group (order kept)."""
    _require(summary, [*by, "mean_score", "q"], "overall scores")
    grouped = summary.groupby(by, sort=False, dropna=False)
    return grouped.agg(mean_score=("mean_score", "mean"), mean_q=("q", "mean")).reset_index()


def probe_depth_table(summary: pd.DataFrame, reference_head: str = "linear") -> pd.DataFrame:
    """Per encoder and head: parameters, mean score and mean Q over tasks, gain vs linear.

    ``gain_vs_linear`` is the head's mean score minus the ``reference_head``'s on the same
    encoder (paired over the same tasks and test splits).
    """
    _require(summary, ["encoder", "head", "head_parameters"], "probe depth")
    table = overall_scores(summary, ["encoder", "head", "head_parameters"])
    reference = table[table["head"] == reference_head].set_index("encoder")["mean_score"]
    table["gain_vs_linear"] = table["mean_score"] - table["encoder"].map(reference)
    return table.rename(columns={"head_parameters": "parameters"})


def converged_gap_table(
    summary: pd.DataFrame, paper_head: str = "linear", converged_head: str = "converged"
) -> pd.DataFrame:
    """Per encoder and task: the paper's probe, the converged probe and their gap.

    A large positive gap means the paper's probe (AdamW, 20 epochs) leaves decodable
    information on the table: the score measures probe optimisation as much as the
    embedding.
    """
    _require(summary, ["encoder", "head", "task", "metric", "mean_score"], "converged gap")
    heads = set(summary["head"])
    if not {paper_head, converged_head} <= heads:
        raise EobenchError(
            f"converged gap: needs heads {paper_head!r} and {converged_head!r}, "
            f"the ablation ran {sorted(heads)}"
        )
    wide = summary.pivot_table(
        index=["encoder", "task", "metric"],
        columns="head",
        values="mean_score",
        sort=False,
    ).reset_index()
    table = wide[["encoder", "task", "metric", paper_head, converged_head]].rename(
        columns={paper_head: "paper_probe", converged_head: "converged_probe"}
    )
    table["gap"] = table["converged_probe"] - table["paper_probe"]
    return table


def size_curve(summary: pd.DataFrame) -> pd.DataFrame:
    """Per encoder and size: mean score and mean Q over tasks, sizes ascending."""
    _require(summary, ["encoder", "size"], "embedding size")
    table = overall_scores(summary, ["encoder", "size"])
    return table.sort_values(["encoder", "size"], kind="stable").reset_index(drop=True)
