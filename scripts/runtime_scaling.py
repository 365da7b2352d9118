"""Rule runtime_scaling: seconds per task of the probe engine over N x epochs x K."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.probes.linear import ProbeSettings
    from eobench.probes.runtime import runtime_scaling
    from eobench.provenance import provenance
    from eobench.tables.render import render_table

    probe, grid = dict(smk.params.probe), dict(smk.params.grid)
    settings = ProbeSettings(
        batch_size=probe["batch_size"],
        learning_rate=probe["learning_rate"],
        weight_decay=probe["weight_decay"],
        minibatches=probe["minibatches"],
        seed=smk.params.seed,
        device=probe["device"],
    )
    table = runtime_scaling(
        settings,
        grid["n_samples"],
        grid["embedding_dims"],
        grid["epochs"],
        grid["k_splits"],
        grid["repeats"],
    )
    render_table(
        table,
        smk.output.csv,
        smk.output.md,
        smk.output.tex,
        smk.input.md_template,
        smk.input.tex_template,
        dict(smk.params.settings),
        provenance({"grid": grid, "probe": settings.as_dict()}),
        what="tables.runtime_scaling",
    )


run(main, snakemake)
