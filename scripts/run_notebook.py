"""Rules notebook_<name>: run an exploration notebook with the run's paths (papermill)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.notebooks import execute_notebook

    execute_notebook(
        smk.input.notebook,
        smk.output.ipynb,
        smk.output.html,
        dict(smk.params.parameters),
        raw_notebook=smk.log.notebook,
    )


run(main, snakemake)
