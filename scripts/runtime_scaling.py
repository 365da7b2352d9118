"""Rule runtime_scaling: seconds per task of the probe engine over N x epochs x K."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.io import write_csv
    from eobench.probes.linear import ProbeSettings
    from eobench.probes.runtime import runtime_scaling

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
    write_csv(smk.output[0], table)


run(main, snakemake)
