"""Rule table_leaderboard_intervals: the leaderboard with its bootstrap intervals."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.provenance import provenance
    from eobench.statistics import leaderboard_with_intervals
    from eobench.tables.render import render_table

    render_table(
        leaderboard_with_intervals(
            pd.read_csv(smk.input.leaderboard), pd.read_csv(smk.input.intervals)
        ),
        smk.output.csv,
        smk.output.md,
        smk.output.tex,
        smk.input.md_template,
        smk.input.tex_template,
        dict(smk.params.settings),
        provenance(dict(smk.params.settings)),
        what="tables.leaderboard_intervals",
    )


run(main, snakemake)
