"""Rule reduce_embeddings: native features to every size of the embedding-size ablation."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.embeddings import embedding_metadata, load_embeddings, write_embeddings
    from eobench.encoders.reduction import reduce_features

    metadata = embedding_metadata(smk.input[0])
    ids, values = load_embeddings(smk.input[0], int(metadata["embedding_dim"]))
    for size, path in zip(smk.params.sizes, smk.output, strict=True):
        reduced = reduce_features(values, size, smk.params.recipe)
        write_embeddings(
            path, ids, reduced, {**metadata, "embedding_dim": size, "reduction": smk.params.recipe}
        )


run(main, snakemake)
