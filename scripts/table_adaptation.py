"""Rules of the adaptation tables: the TTT table, a per-task table and the low-shot table
(``params.kind``: ttt, per_task or low_shot)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):

    from eobench.adaptation.results import read_metrics
    from eobench.errors import EobenchError
    from eobench.tables.adaptation import TABLES
    from eobench.tables.outputs import write_rule_table

    kind = smk.params.kind
    metrics = read_metrics(smk.input.metrics)
    if kind not in TABLES:
        raise EobenchError(f"params.kind: unknown adaptation table {kind!r} (known: "
                           f"{sorted(TABLES)})")  # fmt: skip
    # A per-task table is one task's: the rule's {task} wildcard names it.
    arguments = [smk.wildcards.task] if kind == "per_task" else []
    table, notes = TABLES[kind](metrics, *arguments)
    write_rule_table(smk, table, f"tables.{kind}", notes=notes)


run(main, snakemake)
