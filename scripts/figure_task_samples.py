"""Rule figure_task_samples: label distribution and example images per task (paper Fig. 8)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import logging

    import pandas as pd

    from eobench.plots.task_samples import plot_task_samples
    from eobench.provenance import provenance

    settings = dict(smk.params.settings)
    selection = plot_task_samples(
        smk.input.cubes,
        smk.input.labels,
        smk.output.pdf,
        smk.output.png,
        settings,
        provenance(settings),
        units=pd.read_csv(smk.input.tasks).set_index("task")["units"].to_dict(),
    )
    logging.getLogger("eobench").info("examples:\n%s", selection.to_string(index=False))


run(main, snakemake)
