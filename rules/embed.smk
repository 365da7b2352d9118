# Embedding extraction: one table per (dataset, encoder, temporal aggregation).


rule extract_embeddings:
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        samples="results/data/{dataset}/samples.parquet",
    output:
        "results/embeddings/{dataset}/{encoder}/{aggregation}.parquet",
    log:
        "results/logs/extract_embeddings/{dataset}/{encoder}/{aggregation}.log",
    conda:
        "../envs/torch.yaml"
    threads: 2
    resources:
        gpu=GPUS,
    params:
        encoder=lambda wildcards: config["encoders"][wildcards.encoder],
        embedding_dim=config["embedding_dim"],
        seed=config["seed"],
        extraction=config["extraction"],
    script:
        "../scripts/extract_embeddings.py"


rule export_submission:
    """The challenge submission CSV (id,0,...,N-1) of an embedding table."""
    input:
        "results/embeddings/{dataset}/{encoder}/{aggregation}.parquet",
    output:
        "results/submissions/{dataset}/{encoder}__{aggregation}.csv",
    log:
        "results/logs/export_submission/{dataset}/{encoder}__{aggregation}.log",
    conda:
        "../envs/data.yaml"
    params:
        embedding_dim=config["embedding_dim"],
    script:
        "../scripts/export_submission.py"
