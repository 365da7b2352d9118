# Probing: K probes of one head per task on one embedding table, all tasks in one job.


rule probe_embeddings:
    input:
        embeddings="results/embeddings/{dataset}/{encoder}/{table}.parquet",
        labels="results/data/{dataset}/labels",
    output:
        scores="results/probes/{dataset}/{protocol}/{head}/{encoder}/{table}/scores.parquet",
        history="results/probes/{dataset}/{protocol}/{head}/{encoder}/{table}/history.parquet",
        predictions="results/probes/{dataset}/{protocol}/{head}/{encoder}/{table}/predictions.parquet",
    log:
        "results/logs/probe_embeddings/{dataset}/{protocol}/{head}/{encoder}/{table}.log",
    benchmark:
        "results/benchmarks/probe_embeddings/{dataset}/{protocol}/{head}/{encoder}/{table}.tsv"
    conda:
        "../envs/torch.yaml"
    # One thread: a probe job's time is mostly Python start-up, so two jobs side by side
    # use two cores better than one job on both, and scores do not depend on --cores.
    threads: 1
    resources:
        gpu=GPUS,
    params:
        probe=probe_settings_of,
        preprocessing=PREPROCESSING,
        head=lambda wildcards: config["probe_heads"][wildcards.head],
        tasks=config["tasks"],
        embedding_dim=table_embedding_dim,
        seed=config["seed"],
    script:
        "../scripts/probe_embeddings.py"


rule figure_probe_diagnostics:
    """Loss and score curves, predicted vs true, confusion matrices of one probe run."""
    input:
        history="results/probes/{dataset}/{protocol}/{head}/{encoder}/{table}/history.parquet",
        predictions="results/probes/{dataset}/{protocol}/{head}/{encoder}/{table}/predictions.parquet",
    output:
        pdf="results/figures/{dataset}/{protocol}/diagnostics/{head}/{encoder}/{table}.pdf",
        png=in_report(
            "results/figures/{dataset}/{protocol}/diagnostics/{head}/{encoder}/{table}.png",
            "probe_diagnostics",
            "Probe diagnostics",
            protocol="{protocol}",
            head="{head}",
            method="{encoder}/{table}",
        ),
    log:
        "results/logs/figure_probe_diagnostics/{dataset}/{protocol}/{head}/{encoder}/{table}.log",
    benchmark:
        "results/benchmarks/figure_probe_diagnostics/{dataset}/{protocol}/{head}/{encoder}/{table}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["probe_diagnostics"],
    script:
        "../scripts/figure_probe_diagnostics.py"
