# Tables: each its own rule, its settings through params, so a change reruns it alone.


rule table_task_scores:
    """Per-task scores of every encoder x aggregation (the shape of the paper's Table 4),
    with every task's ceiling and chance level."""
    input:
        task_scores="results/scores/{dataset}/{protocol}/task_scores.csv",
        references=task_references,
        md_template="report/templates/task_scores.md.j2",
        tex_template="report/templates/task_scores.tex.j2",
    output:
        csv="results/tables/{dataset}/{protocol}/task_scores.csv",
        md="results/tables/{dataset}/{protocol}/task_scores.md",
        html=in_report(
            "results/tables/{dataset}/{protocol}/task_scores.html",
            "task_scores",
            "Per-task scores",
            protocol="{protocol}",
        ),
        tex="results/tables/{dataset}/{protocol}/task_scores.tex",
    log:
        "results/logs/table_task_scores/{dataset}/{protocol}.log",
    benchmark:
        "results/benchmarks/table_task_scores/{dataset}/{protocol}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["tables"]["task_scores"],
    script:
        "../scripts/table_task_scores.py"


rule table_leaderboard:
    input:
        leaderboard="results/scores/{dataset}/{protocol}/leaderboard.csv",
        leaderboard_json="results/scores/{dataset}/{protocol}/leaderboard.json",
        md_template="report/templates/leaderboard.md.j2",
        tex_template="report/templates/leaderboard.tex.j2",
    output:
        md="results/tables/{dataset}/{protocol}/leaderboard.md",
        html=in_report(
            "results/tables/{dataset}/{protocol}/leaderboard.html",
            "leaderboard",
            "Leaderboards",
            protocol="{protocol}",
        ),
        tex="results/tables/{dataset}/{protocol}/leaderboard.tex",
    log:
        "results/logs/table_leaderboard/{dataset}/{protocol}.log",
    benchmark:
        "results/benchmarks/table_leaderboard/{dataset}/{protocol}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["tables"]["leaderboard"],
    script:
        "../scripts/table_leaderboard.py"


rule run_summary:
    """One page at the end of all_tables: the leaderboard of each protocol, the claims
    with their status, where every table and figure lives, the config hash and code.
    Its inputs are what it prints, so restyling another table does not rerun it."""
    input:
        leaderboards=expand(
            "results/scores/{dataset}/{protocol}/leaderboard.csv",
            dataset=DATASET,
            protocol=PROTOCOLS,
        ),
        claims=f"results/tables/{DATASET}/claims.csv",
    output:
        md="results/summary.md",
        html=in_report("results/summary.html", "summary", "Summary"),
    log:
        "results/logs/run_summary.log",
    benchmark:
        "results/benchmarks/run_summary.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        protocols=PROTOCOLS,
        run={
            "dataset": DATASET,
            "protocols": ", ".join(PROTOCOLS),
            "K splits": config["probe"]["k_splits"],
            "encoders": ", ".join(f"{e}/{a}" for e, a in methods()),
            "config hash (settings behind the numbers)": CONFIG_HASH,
        },
        tables=table_targets(),
        figures=figure_targets(),
        decimals=table_decimals()["leaderboard"],
    script:
        "../scripts/run_summary.py"
