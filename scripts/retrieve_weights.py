"""Rule retrieve_weights: the verified files of one weights entry in the cache folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.retrieval import retrieve_weights, write_checksums

    # Untracked on purpose (see the rule): the source of verified files changes nothing.
    settings = smk.config.get("weights", {})
    output = Path(smk.output[0])  # <cache_dir>/<weights>/SHA256SUMS
    folder = retrieve_weights(
        smk.wildcards.weights,
        local_dirs=settings.get("local_dirs", []),
        cache_dir=output.parent.parent,
        download=settings.get("download", True),
        mirror=settings.get("mirror"),
        progress=False,  # the log is a file: no progress bar
    )
    write_checksums(smk.wildcards.weights, folder)


run(main, snakemake)
