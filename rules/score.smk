# Scoring: Q per task, task weights, ranks and the aggregated leaderboard.


rule score_methods:
    input:
        probe_score_files,
    output:
        task_scores="results/scores/{dataset}/{protocol}/task_scores.csv",
        leaderboard="results/scores/{dataset}/{protocol}/leaderboard.csv",
        leaderboard_json="results/scores/{dataset}/{protocol}/leaderboard.json",
    params:
        methods=methods(),
        scoring=config["scoring"],
    log:
        "results/logs/score_methods/{dataset}/{protocol}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/score_methods.py"
