"""Rule table_task_scores: per-task scores of every method (paper Table 4)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.provenance import provenance
    from eobench.tables.outputs import write_table_html
    from eobench.tables.references import read_task_references
    from eobench.tables.render import render_task_scores

    render_task_scores(
        pd.read_csv(smk.input.task_scores),
        smk.output.csv,
        smk.output.md,
        smk.output.tex,
        smk.input.md_template,
        smk.input.tex_template,
        dict(smk.params.settings),
        provenance(dict(smk.params.settings)),
        read_task_references(smk.input.references),
    )
    write_table_html(smk)


run(main, snakemake)
