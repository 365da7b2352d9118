# Figures: each its own rule, its settings through params, so a change reruns it alone.


rule figure_radar:
    """Per-task R^2 (F1 for classification) clipped at 0, one polygon per method (Fig. 4)."""
    input:
        task_scores="results/scores/{dataset}/{protocol}/task_scores.csv",
    output:
        pdf="results/figures/{dataset}/{protocol}/radar.pdf",
        png="results/figures/{dataset}/{protocol}/radar.png",
    log:
        "results/logs/figure_radar/{dataset}/{protocol}.log",
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["radar"],
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
    script:
        "../scripts/figure_q_per_task.py"
