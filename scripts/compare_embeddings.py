"""Rule compare_embeddings: which methods' embedding tables are the same up to rounding."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.embeddings import identical_tables, table_fingerprint
    from eobench.io import write_csv

    fingerprints = {
        method: table_fingerprint(path)
        for method, path in zip(smk.params.methods, smk.input, strict=True)
    }
    table = identical_tables(fingerprints, smk.params.tolerance)
    for method, same_as, distance in table.itertuples(index=False):
        if same_as:
            print(f"{method}: same embeddings as {same_as} (RMS difference {distance:.1e})")
    write_csv(smk.output[0], table)


run(main, snakemake)
