"""Rule export_submission: write an embedding table as the challenge submission CSV."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.embeddings import load_embeddings, write_embeddings

    ids, values = load_embeddings(smk.input[0], smk.params.embedding_dim)
    write_embeddings(smk.output[0], ids, values)


run(main, snakemake)
