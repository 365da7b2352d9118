"""Rule provenance: per output of `all`, its sha256, rule, config hash, code version and
every input with its sha256 (results/provenance.csv)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.io import write_csv
    from eobench.provenance import code_version
    from eobench.reproducibility import SnakemakeCall, job_records, provenance_manifest

    call = SnakemakeCall(config=dict(smk.config), **smk.params.snakemake)
    targets = list(smk.input)
    records = job_records(call, targets)
    manifest = provenance_manifest(records, targets, smk.params.config_hash, code_version())
    write_csv(smk.output[0], manifest)


run(main, snakemake)
