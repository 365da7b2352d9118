"""Rule figure_rank_evolution: rank of each team over the submissions (paper Fig. 7)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.rank_evolution import plot_rank_evolution
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    tasks = pd.read_csv(smk.input.task_scores)["task"]
    plot_rank_evolution(
        pd.read_csv(smk.input.history),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance({**settings, "phase": smk.wildcards.phase}),
        encoders=list(smk.params.encoders),
        phase=smk.wildcards.phase,
        k_splits=smk.params.k_splits,
        tasks=list(dict.fromkeys(tasks)),
        protocol=smk.params.protocol,
    )


run(main, snakemake)
