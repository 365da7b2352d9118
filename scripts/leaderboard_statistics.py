"""Rule leaderboard_statistics: what the point leaderboard does not say."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.io import write_csv
    from eobench.scoring import leaderboard, q_matrix, summarise_tasks
    from eobench.statistics import (
        bootstrap_leaderboard,
        companion_table,
        paired_tests,
        weight_diagnostics,
    )

    settings = smk.params.statistics
    tolerance = smk.params.tie_tolerance
    split_scores = pd.concat(
        [pd.read_parquet(path) for path in smk.input.scores], ignore_index=True
    )
    split_scores["method"] = split_scores["encoder"] + "/" + split_scores["aggregation"]
    # Methods whose embeddings duplicate another's are ranked once, as in the leaderboard.
    identical = pd.read_csv(smk.input.identical)
    duplicates = identical.loc[identical["same_as"].notna(), "method"].tolist()
    split_scores = split_scores[~split_scores["method"].isin(duplicates)]
    epsilon = smk.params.epsilon
    intervals = pd.concat(
        [
            bootstrap_leaderboard(
                split_scores,
                resample=resample,
                n_boot=settings["n_bootstrap"],
                seed=smk.params.seed,
                epsilon=epsilon,
                level=settings["level"],
                tie_tolerance=tolerance,
            )
            for resample in ("splits", "tasks")
        ],
        ignore_index=True,
    )
    write_csv(smk.output.intervals, intervals)
    write_csv(smk.output.paired_tests, paired_tests(split_scores))
    q_table = q_matrix(summarise_tasks(split_scores, epsilon))
    baselines = [m for m in q_table.index if m.split("/")[0] in settings["baselines"]]
    write_csv(smk.output.weights, weight_diagnostics(q_table, baselines))
    companion, _, _ = leaderboard(companion_table(split_scores, settings["level"]), tolerance)
    by_q, _, _ = leaderboard(q_table, tolerance)
    companion = companion.rename(columns={"mean_q": "mean_lower_bound"})
    companion.insert(
        4,
        "aggregated_rank_by_q",
        companion["method"].map(by_q.set_index("method")["aggregated_rank"]),
    )
    write_csv(smk.output.companion, companion)


run(main, snakemake)
