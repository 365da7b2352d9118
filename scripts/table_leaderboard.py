"""Rule table_leaderboard: the aggregated leaderboard with task weights."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import json

    import pandas as pd

    from eobench.provenance import provenance
    from eobench.tables.outputs import write_table_html
    from eobench.tables.render import render_leaderboard

    record = json.loads(open(smk.input.leaderboard_json).read())
    weights = pd.Series(record["task_weights"])
    render_leaderboard(
        pd.read_csv(smk.input.leaderboard),
        weights,
        smk.output.md,
        smk.output.tex,
        smk.input.md_template,
        smk.input.tex_template,
        dict(smk.params.settings),
        provenance(dict(smk.params.settings)),
        record.get("tie_tolerance"),
    )
    write_table_html(smk)


run(main, snakemake)
