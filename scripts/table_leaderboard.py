"""Rule table_leaderboard: the aggregated leaderboard with task weights."""

from eobench.workflow import run


def main(smk):
    import json

    import pandas as pd
    from eobench.tables.render import render_leaderboard

    from eobench.provenance import provenance

    weights = pd.Series(json.loads(open(smk.input.leaderboard_json).read())["task_weights"])
    render_leaderboard(
        pd.read_csv(smk.input.leaderboard),
        weights,
        smk.output.md,
        smk.output.tex,
        smk.input.md_template,
        smk.input.tex_template,
        dict(smk.params.settings),
        provenance(dict(smk.params.settings)),
    )


run(main, snakemake)
