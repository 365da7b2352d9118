# Scoring: Q per task, task weights, ranks and the aggregated leaderboard.


rule score_methods:
    input:
        probe_score_files,
    output:
        task_scores="results/scores/{dataset}/{protocol}/task_scores.csv",
        leaderboard="results/scores/{dataset}/{protocol}/leaderboard.csv",
        leaderboard_json="results/scores/{dataset}/{protocol}/leaderboard.json",
    log:
        "results/logs/score_methods/{dataset}/{protocol}.log",
    conda:
        "../envs/data.yaml"
    params:
        methods=methods(),
        scoring=config["scoring"],
    script:
        "../scripts/score_methods.py"


rule leaderboard_statistics:
    """Intervals, paired tests, weight diagnostics and the monotone companion leaderboard."""
    input:
        probe_score_files,
    output:
        intervals="results/scores/{dataset}/{protocol}/intervals.csv",
        paired_tests="results/scores/{dataset}/{protocol}/paired_tests.csv",
        weights="results/scores/{dataset}/{protocol}/task_weights.csv",
        companion="results/scores/{dataset}/{protocol}/leaderboard_companion.csv",
    log:
        "results/logs/leaderboard_statistics/{dataset}/{protocol}.log",
    conda:
        "../envs/data.yaml"
    params:
        statistics=config["statistics"],
        scoring=config["scoring"],
        seed=config["seed"],
    script:
        "../scripts/leaderboard_statistics.py"
