# Challenge mode: a folder of submissions scored in submission order for a phase
# (development: a task subset, K = 40, participants learn only their mean Q; evaluation:
# every task, K = 200), the leaderboard history; its figure (rank evolution, paper Fig. 7)
# is rule figure_rank_evolution in figures.smk.
# Scores are cached per submission under results/challenge/{phase}/cache/ (not an output,
# so Snakemake keeps it across runs and a re-run probes only new submissions).


rule challenge_demo_submissions:
    """A demo submissions folder and its manifest from the workflow's own embeddings."""
    input:
        lambda wildcards: [
            e["source"] for e in challenge_demo_entries(wildcards.dataset)
        ],
    output:
        submissions=directory("results/challenge/demo/{dataset}/submissions"),
    log:
        "results/logs/challenge_demo_submissions/{dataset}.log",
    benchmark:
        "results/benchmarks/challenge_demo_submissions/{dataset}.tsv"
    conda:
        "../envs/challenge.yaml"
    params:
        entries=lambda wildcards: challenge_demo_entries(wildcards.dataset),
    script:
        "../scripts/challenge_demo_submissions.py"


rule challenge_leaderboard:
    """Every submission scored in order; leaderboard history, final board, feedback."""
    input:
        submissions=challenge_submissions_dir(),
        annotations=challenge_annotation_dir(),
    output:
        history="results/challenge/{phase}/leaderboard_history.csv",
        leaderboard="results/challenge/{phase}/leaderboard.csv",
        task_scores="results/challenge/{phase}/task_scores.csv",
        run="results/challenge/{phase}/run.json",
        feedback=directory("results/challenge/{phase}/feedback"),
    log:
        "results/logs/challenge_leaderboard/{phase}.log",
    benchmark:
        "results/benchmarks/challenge_leaderboard/{phase}.tsv"
    wildcard_constraints:
        phase="development|evaluation",
    conda:
        "../envs/challenge.yaml"
    threads: 2
    resources:
        gpu=GPUS,
    params:
        dev_tasks=lambda wildcards: (
            CHALLENGE["dev_tasks"] if wildcards.phase == "development" else None
        ),
        k_splits=lambda wildcards: CHALLENGE[wildcards.phase]["k_splits"],
        split_seed=CHALLENGE["split_seed"],
        protocol=CHALLENGE["protocol"],
        # the phase sets K and the split seed; the other probe keys as the main probes
        probe={
            key: value
            for key, value in probe_values(
                config["probe"],
                config["probe_heads"][MAIN_HEAD],
                CHALLENGE["protocol"],
            ).items()
            if key not in ("k_splits", "split_seed")
        },
        standardize_embeddings=PREPROCESSING["standardize_embeddings"],
        normalize_labels=PREPROCESSING["normalize_labels"],
        embedding_dim=config["embedding_dim"],
        seed=config["seed"],
        epsilon=config["scoring"]["epsilon"],
    script:
        "../scripts/challenge_leaderboard.py"
