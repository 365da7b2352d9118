"""Rule table_claims: the paper's qualitative findings checked on this run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.tables.claims import check_claims, claims_caption_note
    from eobench.tables.outputs import write_rule_table

    def optional(name):
        return pd.read_csv(smk.input[name]) if name in smk.input.keys() else None

    claims = check_claims(
        pd.read_csv(smk.input.task_scores),
        pd.read_csv(smk.input.leaderboard),
        depth_summary=optional("probe_depth"),
        size_summary=optional("embedding_size"),
        layer_summary=optional("layers"),
        task_weights=optional("task_weights"),
        size_encoders=smk.params.size_encoders,
        baselines=smk.params.baselines,
        decimals=smk.params.decimals,
        tie_tolerance=smk.params.tie_tolerance,
        pretrained=smk.params.pretrained,
        compressor_lambdas=smk.params.compressor_lambdas,
    )
    if "adaptation_metrics" in smk.input.keys():
        from eobench.tables.adaptation_claims import check_adaptation_claims

        decimals = dict(smk.params.decimals).get("adaptation", 3)
        adaptation = check_adaptation_claims(optional("adaptation_metrics"), decimals)
        claims = pd.concat([claims, adaptation], ignore_index=True)
    if "pretraining_evaluation" in smk.input.keys():
        from eobench.tables.pretraining_claims import check_pretraining_claims

        roles = dict(smk.params.pretraining_claims)
        pretraining = check_pretraining_claims(optional("pretraining_evaluation"), roles)
        claims = pd.concat([claims, pretraining], ignore_index=True)
    notes = [claims_caption_note(smk.params.baselines)]
    write_rule_table(smk, claims, "tables.claims", notes=notes)


run(main, snakemake)
