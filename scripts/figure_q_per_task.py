"""Rule figure_q_per_task: Q per task per method with the task weights (paper Fig. 3)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.q_per_task import plot_q_per_task
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_q_per_task(
        pd.read_csv(smk.input.task_scores),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
        encoders=list(smk.params.encoders),
        protocol=smk.wildcards.protocol,
        k_splits=smk.params.k_splits,
    )


run(main, snakemake)
