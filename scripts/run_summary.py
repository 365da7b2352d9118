"""Rule run_summary: the one-page summary of the run (leaderboards, claims, outputs)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.io import write_text
    from eobench.provenance import code_version
    from eobench.tables.outputs import write_table_html
    from eobench.tables.summary import run_summary

    leaderboards = dict(zip(smk.params.protocols, smk.input.leaderboards, strict=True))
    info = {**dict(smk.params.run), "code_version": code_version()}
    text = run_summary(
        leaderboards,
        smk.input.claims,
        smk.params.tables,
        smk.params.figures,
        info,
        smk.params.decimals,
    )
    write_text(smk.output.md, text)
    write_table_html(smk)


run(main, snakemake)
