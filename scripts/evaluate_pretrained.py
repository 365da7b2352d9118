"""Rule evaluate_pretrained: linear probes and retrieval of one checkpoint."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.data.store import CubeStore
    from eobench.io import write_csv
    from eobench.pretraining.checkpoint import load_pretrained
    from eobench.pretraining.evaluate import evaluate_checkpoint

    state = load_pretrained(smk.input.checkpoint)
    frame = evaluate_checkpoint(
        state, CubeStore(smk.input.cubes), pd.read_parquet(smk.input.splits),
        smk.params.probe, smk.params.retrieval, {"templates": dict(smk.params.templates)},
    )  # fmt: skip
    frame.insert(0, "method", smk.wildcards.method)
    frame.insert(1, "method_type", state["method"]["method"])
    frame.insert(2, "architecture", state["architecture"]["type"])
    frame.insert(3, "seed", int(smk.wildcards.seed))
    write_csv(smk.output[0], frame)


run(main, snakemake)
