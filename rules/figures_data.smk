# Figures of the dataset itself (no embeddings needed): channel correlation, labels and
# example samples per task, sample map. Each its own rule, its settings through params.


rule figure_channel_correlation:
    """Pearson correlation of the 27 input channels over sampled pixels (Fig. 10)."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
    output:
        pdf="results/figures/{dataset}/channel_correlation.pdf",
        png=in_report(
            "results/figures/{dataset}/channel_correlation.png",
            "channel_correlation_figure",
            "Data",
            result="channel correlation",
        ),
        csv="results/figures/{dataset}/channel_correlation.csv",
    log:
        "results/logs/figure_channel_correlation/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_channel_correlation/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"].get("channel_correlation", {}),
    script:
        "../scripts/figure_channel_correlation.py"


rule figure_task_samples:
    """Label distribution and lowest/median/highest-label samples per task (Fig. 8)."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        labels="results/data/{dataset}/labels",
        tasks="results/data/{dataset}/tasks.csv",
    output:
        pdf="results/figures/{dataset}/task_samples.pdf",
        png=in_report(
            "results/figures/{dataset}/task_samples.png", "task_samples", "Data"
        ),
    log:
        "results/logs/figure_task_samples/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_task_samples/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"].get("task_samples", {}),
    script:
        "../scripts/figure_task_samples.py"


rule figure_sample_map:
    """Sample locations of every task on a world map, coloured by label (Fig. 2)."""
    input:
        samples="results/data/{dataset}/samples.parquet",
        labels="results/data/{dataset}/labels",
    output:
        pdf="results/figures/{dataset}/sample_map.pdf",
        png=in_report("results/figures/{dataset}/sample_map.png", "sample_map", "Data"),
    log:
        "results/logs/figure_sample_map/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_sample_map/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"].get("sample_map", {}),
    script:
        "../scripts/figure_sample_map.py"
