"""Rule verify: recompute each of verify.outputs from its recorded inputs in a fresh folder
and compare every output of its job with the run's. Any difference: one line per output
on stderr, the whole report in the log, no report file and a non-zero exit."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import logging

    from eobench.io import write_csv, write_text
    from eobench.reproducibility import (
        DIFFERENT,
        SnakemakeCall,
        job_records,
        require_current,
        verification_markdown,
        verification_table,
    )

    call = SnakemakeCall(config=dict(smk.config), **smk.params.snakemake)
    outputs = list(smk.params.outputs)
    records = job_records(call, outputs)
    require_current(records, outputs, "verify.outputs")
    tolerance = smk.params.tolerance
    table = verification_table(outputs, records, call, ".", tolerance, smk.threads)
    markdown = verification_markdown(table, tolerance)
    logger = logging.getLogger("eobench.verify")
    logger.info("%s", markdown)
    failed = table[table["status"] == DIFFERENT]
    if len(failed):
        for row in failed.itertuples(index=False):
            logger.error("verify: %s differs from its recomputation: %s", row.output, row.where)
        sys.exit(1)
    write_csv(smk.output.csv, table)
    write_text(smk.output.md, markdown)


run(main, snakemake)
