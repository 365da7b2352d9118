"""Rule score_methods: Q per task, weights, ranks and the leaderboard of all methods."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run

DIAGNOSTICS = ("constant_dims", "zero_dims", "duplicate_rows")


def main(smk):
    import pandas as pd

    from eobench.io import write_csv, write_json
    from eobench.provenance import provenance
    from eobench.scoring import leaderboard_of_distinct, q_matrix, summarise_tasks

    split_scores = pd.concat(
        [pd.read_parquet(path) for path in smk.input.scores], ignore_index=True
    )
    split_scores["method"] = split_scores["encoder"] + "/" + split_scores["aggregation"]
    comparison = pd.read_csv(smk.input.identical).set_index("method")
    same_as = comparison["same_as"]
    same_as = same_as.where(same_as.notna(), None).to_dict()
    summary = summarise_tasks(split_scores, epsilon=smk.params.epsilon)
    board, weights, excluded = leaderboard_of_distinct(
        q_matrix(summary), same_as, smk.params.tie_tolerance
    )
    summary["weight"] = summary["task"].map(weights)
    summary["same_as"] = summary["method"].map(same_as)
    method_parts = summary.drop_duplicates("method").set_index("method")
    board.insert(1, "encoder", board["method"].map(method_parts["encoder"]))
    board.insert(2, "aggregation", board["method"].map(method_parts["aggregation"]))
    for column in DIAGNOSTICS:  # degenerate tables are flagged in the leaderboard
        if column in comparison:
            board[column] = board["method"].map(comparison[column])
    write_csv(smk.output.task_scores, summary)
    write_csv(smk.output.leaderboard, board)
    settings = {"epsilon": smk.params.epsilon, "tie_tolerance": smk.params.tie_tolerance}
    write_json(
        smk.output.leaderboard_json,
        {
            "dataset": smk.wildcards.dataset,
            "protocol": smk.wildcards.protocol,
            "leaderboard": board.to_dict(orient="records"),
            "task_weights": weights.to_dict(),
            "excluded_methods": excluded,
            "tie_tolerance": smk.params.tie_tolerance,
            "same_as": {m: t for m, t in same_as.items() if t},
            "provenance": provenance({"scoring": settings}),
        },
    )


run(main, snakemake)
