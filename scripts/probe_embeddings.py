"""Rule probe_embeddings: K probes of one head per task on one embedding table."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.embeddings import table_columns
    from eobench.io import write_parquet
    from eobench.probes.evaluate import evaluate_embeddings
    from eobench.probes.heads import ProbeHead
    from eobench.probes.linear import ProbeSettings
    from eobench.provenance import provenance

    settings = ProbeSettings.from_workflow(
        smk.params.probe, smk.wildcards.protocol, smk.params.seed
    )
    head = ProbeHead.from_config(smk.wildcards.head, smk.params.head)
    scores, history, predictions = evaluate_embeddings(
        smk.input.embeddings,
        smk.input.labels,
        settings,
        smk.params.embedding_dim,
        tasks=smk.params.tasks,
        standardize=smk.params.preprocessing["standardize_embeddings"],
        normalize_labels=smk.params.preprocessing["normalize_labels"],
        head=head,
        with_predictions=True,
    )
    method = {
        "encoder": smk.wildcards.encoder,
        **table_columns(smk.wildcards.table),
        "head": head.name,
        "head_parameters": head.parameter_count(smk.params.embedding_dim),
        "protocol": settings.protocol,
    }
    for column, value in reversed(method.items()):
        scores.insert(0, column, value)
    scores = scores.astype({"size": "Int64", "layer": "Int64"})
    record = provenance(
        {
            **head.settings(settings).as_dict(),
            **method,
            "head_spec": dict(smk.params.head),
            "embeddings": smk.input.embeddings,
        }
    )
    write_parquet(smk.output.scores, scores, record)
    write_parquet(smk.output.history, history, record)
    write_parquet(smk.output.predictions, predictions, record)


run(main, snakemake)
