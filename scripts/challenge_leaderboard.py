"""Rule challenge_leaderboard: score a folder of submissions for one challenge phase."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # this repository's eobench

from eobench.workflow import run


def main(smk):
    from eobench.challenge import challenge_phase, score_challenge
    from eobench.probes.linear import ProbeSettings

    params = smk.params
    phase = challenge_phase(
        smk.wildcards.phase, dev_tasks=params.dev_tasks, k_splits=params.k_splits
    )
    settings = ProbeSettings.from_workflow(params.probe, params.protocol, params.seed)
    score_challenge(
        smk.input.annotations,
        smk.input.submissions,
        Path(smk.output.history).parent,
        phase,
        settings=settings,
        embedding_dim=params.embedding_dim,
        standardize=params.standardize_embeddings,
        normalize_labels=params.normalize_labels,
        split_seed=params.split_seed,
        epsilon=params.epsilon,
    )


run(main, snakemake)
