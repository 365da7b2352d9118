"""Rules table_probe_depth and table_converged_gap: ablation tables."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.provenance import provenance
    from eobench.tables.ablations import converged_gap_table, probe_depth_table
    from eobench.tables.render import render_table

    builders = {"probe_depth": probe_depth_table, "converged_gap": converged_gap_table}
    summary = pd.read_csv(smk.input.summary)
    render_table(
        builders[smk.params.kind](summary),
        smk.output.csv,
        smk.output.md,
        smk.output.tex,
        smk.input.md_template,
        smk.input.tex_template,
        dict(smk.params.settings),
        provenance(dict(smk.params.settings)),
        what=f"tables.{smk.params.kind}",
    )


run(main, snakemake)
