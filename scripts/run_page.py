"""Rule run_page: what ran, on what machine, and the run time of each stage."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.provenance import code_version
    from eobench.report.run_page import read_benchmarks, stage_times, write_run_page

    jobs = read_benchmarks(smk.params.benchmarks)
    run_info = {**dict(smk.params.run), "code version": code_version()}
    stages = stage_times(jobs, dict(smk.params.stages))
    write_run_page(smk.output[0], run_info, dict(smk.params.config), stages, jobs)


run(main, snakemake)
