"""Rule challenge_leaderboard: score a folder of submissions for one challenge phase."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.challenge import challenge_phase, score_challenge

    challenge = smk.params.challenge
    probe = smk.params.probe
    phase = challenge_phase(
        smk.wildcards.phase,
        dev_tasks=challenge["dev_tasks"],
        k_splits=challenge[smk.wildcards.phase]["k_splits"],
    )
    # The workflow's probe settings in the evaluator config's terms.
    evaluator_config = {
        "epochs": probe["epochs"],
        "batch_size": probe["batch_size"],
        "learning_rate": probe["learning_rate"],
        "standardize_embeddings": probe["standardize_embeddings"],
        "normalize_labels": probe["normalize_labels"],
        "device": probe["device"],
        "embedding_dim": smk.params.embedding_dim,
        "seed": smk.params.seed,
    }
    score_challenge(
        smk.input.annotations,
        smk.input.submissions,
        Path(smk.output.history).parent,
        phase,
        evaluator_config=evaluator_config,
        split_seed=challenge["split_seed"],
        protocol=challenge["protocol"],
        minibatches=probe["minibatches"],
        epsilon=smk.params.epsilon,
    )


run(main, snakemake)
