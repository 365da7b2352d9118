"""Rule extract_embeddings: one embedding table per (dataset, encoder, aggregation)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.encoders.extract import extract_embeddings
    from eobench.encoders.weights import encoder_spec_with_checkpoint, encoder_spec_with_weights

    samples = pd.read_parquet(smk.input.samples)
    # Encoders that learn (pca) see the random split's training samples only.
    train_ids = samples.loc[samples["split_random"] == "train", "id"].tolist()
    latlon = samples.sort_values("row")[["lat", "lon"]].to_numpy(dtype="float64")
    key = f"encoders.{smk.wildcards.encoder}"
    # The verified weights folder (rule retrieve_weights) holds the checkpoint files.
    folder = str(Path(smk.input.weights[0]).parent) if smk.input.weights else None
    spec = encoder_spec_with_weights(smk.params.encoder, folder, key)
    if smk.input.get("trained"):  # a checkpoint trained by the DAG (compressor)
        spec = encoder_spec_with_checkpoint(spec, smk.input.trained[0])
    extract_embeddings(
        smk.input.cubes,
        smk.output[0],
        encoder_spec=spec,
        aggregation=smk.wildcards.aggregation,
        embedding_dim=smk.params.embedding_dim,
        seed=smk.params.seed,
        train_ids=train_ids,
        batch_size=smk.params.extraction["batch_size"],
        device=smk.params.extraction["device"],
        progress=True,
        key=key,
        latlon=latlon,
    )


run(main, snakemake)
