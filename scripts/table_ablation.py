"""Rules table_probe_depth, table_converged_gap and table_runtime_scaling."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.tables.ablations import converged_gap_table, probe_depth_table
    from eobench.tables.outputs import write_rule_table

    builders = {
        "probe_depth": probe_depth_table,
        "converged_gap": converged_gap_table,
        "runtime_scaling": lambda table: table,  # measured as printed
    }
    summary = pd.read_csv(smk.input.summary)
    write_rule_table(smk, builders[smk.params.kind](summary), f"tables.{smk.params.kind}")


run(main, snakemake)
