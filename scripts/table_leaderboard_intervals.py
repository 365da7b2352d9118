"""Rule table_leaderboard_intervals: the leaderboard with its bootstrap intervals."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.statistics import leaderboard_with_intervals
    from eobench.workflow import write_rule_table

    table = leaderboard_with_intervals(
        pd.read_csv(smk.input.leaderboard),
        pd.read_csv(smk.input.intervals),
        pd.read_csv(smk.input.companion),
    )
    write_rule_table(smk, table, "tables.leaderboard_intervals")


run(main, snakemake)
