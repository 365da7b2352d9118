"""Checking a run: the provenance of every output and the recomputation of chosen ones.

:mod:`.records` asks Snakemake which rule made a file from which inputs and builds the
provenance manifest; :mod:`.compare` compares two versions of an output (bytes, or numbers
within a tolerance); :mod:`.recompute` reruns one output's job in a fresh folder.
"""

from eobench.reproducibility.compare import DIFFERENT, Comparison, compare_outputs
from eobench.reproducibility.recompute import (
    recompute,
    verification_markdown,
    verification_table,
)
from eobench.reproducibility.records import (
    JobRecord,
    SnakemakeCall,
    job_records,
    path_sha256,
    provenance_manifest,
    require_current,
)

__all__ = [
    "DIFFERENT",
    "Comparison",
    "JobRecord",
    "SnakemakeCall",
    "compare_outputs",
    "job_records",
    "path_sha256",
    "provenance_manifest",
    "recompute",
    "require_current",
    "verification_markdown",
    "verification_table",
]
