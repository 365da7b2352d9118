# Figures: each its own rule, its settings through params, so a change reruns it alone.
# Every figure rule gets `encoders` (the config's encoder order: the style registry that
# gives an encoder the same colour and marker in every figure) and only the config keys
# its title or caption names.


rule figure_radar:
    """Per-task R^2 (F1 for classification) clipped at 0, one polygon per method, with
    each task's chance level and ceiling (Fig. 4)."""
    input:
        task_scores="results/scores/{dataset}/{protocol}/task_scores.csv",
        tasks="results/data/{dataset}/tasks.csv",
    output:
        pdf="results/figures/{dataset}/{protocol}/radar.pdf",
        png=in_report(
            "results/figures/{dataset}/{protocol}/radar.png",
            "radar",
            "Per-task scores",
            protocol="{protocol}",
        ),
    log:
        "results/logs/figure_radar/{dataset}/{protocol}.log",
    benchmark:
        "results/benchmarks/figure_radar/{dataset}/{protocol}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["radar"],
        encoders=ENCODER_ORDER,
        k_splits=config["probe"]["k_splits"],
    script:
        "../scripts/figure_radar.py"


rule figure_q_per_task:
    """Q per task per method with the task weights (Fig. 3)."""
    input:
        task_scores="results/scores/{dataset}/{protocol}/task_scores.csv",
    output:
        pdf="results/figures/{dataset}/{protocol}/q_per_task.pdf",
        png=in_report(
            "results/figures/{dataset}/{protocol}/q_per_task.png",
            "q_per_task",
            "Leaderboards",
            protocol="{protocol}",
        ),
    log:
        "results/logs/figure_q_per_task/{dataset}/{protocol}.log",
    benchmark:
        "results/benchmarks/figure_q_per_task/{dataset}/{protocol}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["q_per_task"],
        encoders=ENCODER_ORDER,
        k_splits=config["probe"]["k_splits"],
    script:
        "../scripts/figure_q_per_task.py"


rule figure_ablation:
    """Figs. 5a, 14-15 (size), 5b, 13 (probe depth) and 12 (layers)."""
    input:
        summary=ablation_summary_of_figure,
    output:
        pdf="results/figures/{dataset}/{figure}.pdf",
        png=in_report(
            "results/figures/{dataset}/{figure}.png",
            "ablation_figure",
            "Ablations",
            result="{figure}",
        ),
    log:
        "results/logs/figure_ablation/{dataset}/{figure}.log",
    benchmark:
        "results/benchmarks/figure_ablation/{dataset}/{figure}.tsv"
    wildcard_constraints:
        figure="|".join(ABLATION_OF_FIGURE),
    conda:
        "../envs/plots.yaml"
    params:
        settings=lambda wildcards: config["figures"][wildcards.figure],
        encoders=ENCODER_ORDER,
        context=ablation_figure_context,
    script:
        "../scripts/figure_ablation.py"


rule figure_runtime_scaling:
    """Seconds per task over N, epochs and K with the spread of the repeats, and the
    paper's time for its Table 5 cell."""
    input:
        table="results/ablations/{dataset}/runtime_scaling.csv",
    output:
        pdf="results/figures/{dataset}/runtime_scaling.pdf",
        png=in_report(
            "results/figures/{dataset}/runtime_scaling.png",
            "runtime_scaling_figure",
            "Run time",
            result="runtime scaling",
        ),
    log:
        "results/logs/figure_runtime_scaling/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_runtime_scaling/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["runtime_scaling"],
    script:
        "../scripts/figure_runtime_scaling.py"


rule figure_rank_evolution:
    """Rank of each team after every submission, rounds marked (Fig. 7)."""
    input:
        history="results/challenge/{phase}/leaderboard_history.csv",
        task_scores="results/challenge/{phase}/task_scores.csv",
    output:
        pdf="results/figures/challenge/{phase}/rank_evolution.pdf",
        png=in_report(
            "results/figures/challenge/{phase}/rank_evolution.png",
            "rank_evolution",
            "Challenge",
            phase="{phase}",
        ),
    log:
        "results/logs/figure_rank_evolution/{phase}.log",
    benchmark:
        "results/benchmarks/figure_rank_evolution/{phase}.tsv"
    wildcard_constraints:
        phase="development|evaluation",
    conda:
        "../envs/challenge.yaml"
    params:
        settings=config["figures"].get("rank_evolution", {}),
        encoders=ENCODER_ORDER,
        k_splits=lambda wildcards: CHALLENGE[wildcards.phase]["k_splits"],
        protocol=CHALLENGE["protocol"],
    script:
        "../scripts/figure_rank_evolution.py"
