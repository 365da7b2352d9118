"""Rule paper_folder: tables, figures and the macros of the quoted numbers for LaTeX."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.provenance import code_version
    from eobench.report.macros import write_macros
    from eobench.report.paper import copy_into_paper, write_contents

    copy_into_paper(smk.input.sources, smk.output.copies)
    tables = [p for p in smk.output.copies if p.endswith(".tex")]
    figures = [p for p in smk.output.copies if p.endswith(".pdf")]
    folder = Path(smk.output.macros).parent
    write_contents(smk.output.contents, tables, figures, folder)
    macros = {name: dict(spec) for name, spec in smk.params.macros.items()}
    write_macros(smk.output.macros, macros, "results", smk.params.config_hash, code_version())


run(main, snakemake)
