"""Rule paper_pdf: report/paper.tex compiled against the paper folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.report.latex import compile_paper

    compile_paper(smk.input.tex, Path(smk.output[0]).parent, smk.output[0])


run(main, snakemake)
