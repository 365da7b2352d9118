"""Rule runtime_scaling: seconds per task of the probe engine over N x epochs x K."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.probes.linear import ProbeSettings
    from eobench.probes.runtime import runtime_scaling
    from eobench.workflow import write_rule_table

    grid = dict(smk.params.grid)
    settings = ProbeSettings.from_workflow(smk.params.probe, "neuco", smk.params.seed)
    table = runtime_scaling(
        settings,
        grid["n_samples"],
        grid["embedding_dims"],
        grid["epochs"],
        grid["k_splits"],
        grid["repeats"],
    )
    record = {"grid": grid, "probe": settings.as_dict()}
    write_rule_table(smk, table, "tables.runtime_scaling", record)


run(main, snakemake)
