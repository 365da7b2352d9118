"""Rule summarise_ablation: mean, spread and Q per task of every run of an ablation."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    import pandas as pd

    from eobench.io import write_csv
    from eobench.scoring import summarise_tasks
    from eobench.tables.ablations import common_splits

    split_scores = pd.concat([pd.read_parquet(path) for path in smk.input], ignore_index=True)
    split_scores["method"] = (
        split_scores["encoder"] + "/" + split_scores["table"] + "/" + split_scores["head"]
    )
    split_scores = common_splits(split_scores, ["method"])
    write_csv(smk.output[0], summarise_tasks(split_scores, epsilon=smk.params.epsilon))


run(main, snakemake)
