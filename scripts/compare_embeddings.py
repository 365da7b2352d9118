"""Rule compare_embeddings: which methods' embedding tables are the same up to rounding,
and which are degenerate (constant dimensions, samples sharing one embedding)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.embeddings import identical_tables, table_diagnostics, table_fingerprint
    from eobench.io import write_csv

    tables = dict(zip(smk.params.methods, smk.input, strict=True))
    fingerprints = {method: table_fingerprint(path) for method, path in tables.items()}
    table = identical_tables(fingerprints, smk.params.tolerance)
    for method, same_as, distance in table.itertuples(index=False):
        if same_as:
            print(f"{method}: same embeddings as {same_as} (RMS difference {distance:.1e})")
    diagnostics = pd.DataFrame([table_diagnostics(path) for path in tables.values()])
    write_csv(smk.output[0], pd.concat([table, diagnostics], axis=1))


run(main, snakemake)
