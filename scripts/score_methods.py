"""Rule score_methods: Q per task, weights, ranks and the leaderboard of all methods."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.io import write_csv, write_json
    from eobench.provenance import provenance
    from eobench.scoring import leaderboard, q_matrix, summarise_tasks

    split_scores = pd.concat([pd.read_parquet(path) for path in smk.input], ignore_index=True)
    split_scores["method"] = split_scores["encoder"] + "/" + split_scores["aggregation"]
    summary = summarise_tasks(split_scores, epsilon=smk.params.scoring["epsilon"])
    board, weights, excluded = leaderboard(q_matrix(summary))
    summary["weight"] = summary["task"].map(weights)
    method_parts = summary.drop_duplicates("method").set_index("method")
    board.insert(1, "encoder", board["method"].map(method_parts["encoder"]))
    board.insert(2, "aggregation", board["method"].map(method_parts["aggregation"]))
    write_csv(smk.output.task_scores, summary)
    write_csv(smk.output.leaderboard, board)
    write_json(
        smk.output.leaderboard_json,
        {
            "dataset": smk.wildcards.dataset,
            "protocol": smk.wildcards.protocol,
            "leaderboard": board.to_dict(orient="records"),
            "task_weights": weights.to_dict(),
            "excluded_methods": excluded,
            "provenance": provenance({"scoring": dict(smk.params.scoring)}),
        },
    )


run(main, snakemake)
