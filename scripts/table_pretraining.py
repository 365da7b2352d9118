"""Rule table_pretraining: the GeoMeld ablation (linear probing) or the retrieval table."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.tables.outputs import write_rule_table
    from eobench.tables.pretraining import TABLES, read_evaluation

    kind = smk.params.kind
    table, notes = TABLES[kind](read_evaluation(smk.input.evaluation), list(smk.params.ablation))
    write_rule_table(smk, table, f"tables.pretraining_{kind}", notes=notes)


run(main, snakemake)
