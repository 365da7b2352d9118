# Probing: K linear probes per task on one embedding table, all tasks in one job.


rule probe_embeddings:
    input:
        embeddings="results/embeddings/{dataset}/{encoder}/{aggregation}.parquet",
        labels="results/data/{dataset}/labels",
    output:
        scores="results/probes/{dataset}/{protocol}/{encoder}/{aggregation}/scores.parquet",
        history="results/probes/{dataset}/{protocol}/{encoder}/{aggregation}/history.parquet",
    log:
        "results/logs/probe_embeddings/{dataset}/{protocol}/{encoder}/{aggregation}.log",
    conda:
        "../envs/torch.yaml"
    threads: 2
    resources:
        gpu=GPUS,
    params:
        probe=config["probe"],
        tasks=config["tasks"],
        embedding_dim=config["embedding_dim"],
        seed=config["seed"],
    script:
        "../scripts/probe_embeddings.py"
