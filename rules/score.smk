# Scoring: Q per task, task weights, ranks and the aggregated leaderboard.


rule compare_embeddings:
    """Methods whose embedding tables are the same up to float rounding (from the
    fingerprints stored with the tables): reported once in the leaderboards and tables.
    """
    input:
        embedding_table_files,
    output:
        "results/embeddings/{dataset}/identical.csv",
    log:
        "results/logs/compare_embeddings/{dataset}.log",
    benchmark:
        "results/benchmarks/compare_embeddings/{dataset}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        methods=[f"{e}/{a}" for e, a in methods()],
        tolerance=config["scoring"]["identical_tolerance"],
    script:
        "../scripts/compare_embeddings.py"


rule score_methods:
    input:
        scores=probe_score_files,
        identical="results/embeddings/{dataset}/identical.csv",
    output:
        task_scores="results/scores/{dataset}/{protocol}/task_scores.csv",
        leaderboard="results/scores/{dataset}/{protocol}/leaderboard.csv",
        leaderboard_json="results/scores/{dataset}/{protocol}/leaderboard.json",
    log:
        "results/logs/score_methods/{dataset}/{protocol}.log",
    benchmark:
        "results/benchmarks/score_methods/{dataset}/{protocol}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        epsilon=config["scoring"]["epsilon"],
        tie_tolerance=config["scoring"]["tie_tolerance"],
    script:
        "../scripts/score_methods.py"


rule leaderboard_statistics:
    """Intervals, paired tests, weight diagnostics and the monotone companion leaderboard."""
    input:
        scores=probe_score_files,
        identical="results/embeddings/{dataset}/identical.csv",
    output:
        intervals="results/scores/{dataset}/{protocol}/intervals.csv",
        paired_tests="results/scores/{dataset}/{protocol}/paired_tests.csv",
        weights="results/scores/{dataset}/{protocol}/task_weights.csv",
        companion="results/scores/{dataset}/{protocol}/leaderboard_companion.csv",
    log:
        "results/logs/leaderboard_statistics/{dataset}/{protocol}.log",
    benchmark:
        "results/benchmarks/leaderboard_statistics/{dataset}/{protocol}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        statistics=config["statistics"],
        epsilon=config["scoring"]["epsilon"],
        tie_tolerance=config["scoring"]["tie_tolerance"],
        seed=config["seed"],
    script:
        "../scripts/leaderboard_statistics.py"
