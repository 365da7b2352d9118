"""Rule csv_page: a CSV result as an HTML page for the report."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.report.html import csv_to_html

    csv_to_html(smk.input[0], smk.output[0], smk.params.caption)


run(main, snakemake)
