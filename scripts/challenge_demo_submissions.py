"""Rule challenge_demo_submissions: a demo challenge from the workflow's own embeddings."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.challenge import write_demo_submissions

    write_demo_submissions(smk.params.entries, smk.output.submissions)


run(main, snakemake)
