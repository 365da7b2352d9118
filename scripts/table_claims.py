"""Rule table_claims: the paper's qualitative findings checked on this run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.tables.claims import check_claims
    from eobench.workflow import write_rule_table

    def optional(name):
        return pd.read_csv(smk.input[name]) if name in smk.input.keys() else None

    claims = check_claims(
        pd.read_csv(smk.input.task_scores),
        pd.read_csv(smk.input.leaderboard),
        optional("probe_depth"),
        optional("embedding_size"),
        smk.params.cnn_encoders,
        smk.params.baselines,
    )
    write_rule_table(smk, claims, "tables.claims")


run(main, snakemake)
