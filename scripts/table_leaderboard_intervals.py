"""Rule table_leaderboard_intervals: the leaderboard with its bootstrap intervals."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import json

    import pandas as pd

    from eobench.statistics import leaderboard_with_intervals
    from eobench.tables.outputs import write_rule_table

    board = pd.read_csv(smk.input.leaderboard)
    table = leaderboard_with_intervals(
        board, pd.read_csv(smk.input.intervals), pd.read_csv(smk.input.companion)
    )
    tolerance = json.loads(open(smk.input.leaderboard_json).read()).get("tie_tolerance")
    notes = []
    if tolerance is not None:
        notes.append(
            f"Ranks, by Q and by the lower bound, are shared where values are within "
            f"{tolerance:g} of a better one (scoring.tie_tolerance)."
        )
    if "same_as" in board:
        notes += [
            f"{m} has the same embeddings as {t} (up to float rounding): ranked once."
            for m, t in zip(board["method"], board["same_as"], strict=True)
            if isinstance(t, str) and t
        ]
    write_rule_table(smk, table, "tables.leaderboard_intervals", notes=notes)


run(main, snakemake)
