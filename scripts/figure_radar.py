"""Rule figure_radar: per-task scores clipped at 0 on a radar plot (paper Fig. 4)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.plots.radar import plot_radar
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    plot_radar(
        pd.read_csv(smk.input.task_scores),
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
        tasks=pd.read_csv(smk.input.tasks),
        encoders=list(smk.params.encoders),
        protocol=smk.wildcards.protocol,
        k_splits=smk.params.k_splits,
    )


run(main, snakemake)
