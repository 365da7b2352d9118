"""Rule retrieve_weights: the verified files of one weights entry in the cache folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.retrieval import retrieve_weights, write_checksums

    # Untracked on purpose (see the rule): the source of verified files changes nothing.
    settings = smk.config.get("weights", {})
    folder = retrieve_weights(
        smk.wildcards.weights,
        local_dirs=settings.get("local_dirs", []),
        cache_dir=smk.params.cache_dir,
        download=settings.get("download", True),
        progress=False,  # the log is a file: no progress bar
    )
    written = write_checksums(smk.wildcards.weights, folder)
    if Path(written) != Path(smk.output[0]):  # the cache folder and the output agree
        raise RuntimeError(f"wrote {written}, expected {smk.output[0]}")


run(main, snakemake)
