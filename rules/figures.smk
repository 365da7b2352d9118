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
        png="results/figures/{dataset}/{protocol}/radar.png",
    log:
        "results/logs/figure_radar/{dataset}/{protocol}.log",
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
        png="results/figures/{dataset}/{protocol}/q_per_task.png",
    log:
        "results/logs/figure_q_per_task/{dataset}/{protocol}.log",
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
        png="results/figures/{dataset}/{figure}.png",
    log:
        "results/logs/figure_ablation/{dataset}/{figure}.log",
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
        png="results/figures/{dataset}/runtime_scaling.png",
    log:
        "results/logs/figure_runtime_scaling/{dataset}.log",
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
        png="results/figures/challenge/{phase}/rank_evolution.png",
    log:
        "results/logs/figure_rank_evolution/{phase}.log",
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
