# Embedding extraction: one table per (dataset, encoder, temporal aggregation).


rule extract_embeddings:
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        samples="results/data/{dataset}/samples.parquet",
        # A team's own table (encoder type embeddings_file): editing it reruns what follows.
        user_table=lambda wildcards: config["encoders"][wildcards.encoder].get(
            "path", []
        ),
        weights=weights_checksums,
        trained=trained_checkpoint,
    output:
        "results/embeddings/{dataset}/{encoder}/{aggregation}.parquet",
    log:
        "results/logs/extract_embeddings/{dataset}/{encoder}/{aggregation}.log",
    benchmark:
        "results/benchmarks/extract_embeddings/{dataset}/{encoder}/{aggregation}.tsv"
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
    benchmark:
        "results/benchmarks/export_submission/{dataset}/{encoder}__{aggregation}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        embedding_dim=config["embedding_dim"],
    script:
        "../scripts/export_submission.py"


rule extract_native_embeddings:
    """An encoder's features at its native width, reduced to every size of the ablation."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        samples="results/data/{dataset}/samples.parquet",
        weights=weights_checksums,
    output:
        "results/embeddings/{dataset}/{encoder}/{aggregation}_native.parquet",
    log:
        "results/logs/extract_native_embeddings/{dataset}/{encoder}/{aggregation}.log",
    benchmark:
        "results/benchmarks/extract_native_embeddings/{dataset}/{encoder}/{aggregation}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    resources:
        gpu=GPUS,
    params:
        encoder=lambda wildcards: config["encoders"][wildcards.encoder],
        embedding_dim=lambda wildcards: SIZE_ABLATION[wildcards.encoder]["native_dim"],
        seed=config["seed"],
        extraction=config["extraction"],
    script:
        "../scripts/extract_embeddings.py"


rule reduce_embeddings:
    """Native features to every size of the embedding-size ablation (CNN or ViT recipe)."""
    input:
        "results/embeddings/{dataset}/{encoder}/{aggregation}_native.parquet",
    output:
        expand(
            "results/embeddings/{{dataset}}/{{encoder}}/{{aggregation}}_n{size}.parquet",
            size=ABLATIONS["embedding_size"]["sizes"],
        ),
    log:
        "results/logs/reduce_embeddings/{dataset}/{encoder}/{aggregation}.log",
    benchmark:
        "results/benchmarks/reduce_embeddings/{dataset}/{encoder}/{aggregation}.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        sizes=ABLATIONS["embedding_size"]["sizes"],
        recipe=lambda wildcards: SIZE_ABLATION[wildcards.encoder]["recipe"],
    script:
        "../scripts/reduce_embeddings.py"


rule extract_layer_embeddings:
    """Embeddings of one intermediate layer of an encoder (layer-wise ablation)."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        samples="results/data/{dataset}/samples.parquet",
        weights=weights_checksums,
    output:
        "results/embeddings/{dataset}/{encoder}/{aggregation}_layer{layer}.parquet",
    log:
        "results/logs/extract_layer_embeddings/{dataset}/{encoder}/{aggregation}_layer{layer}.log",
    benchmark:
        "results/benchmarks/extract_layer_embeddings/{dataset}/{encoder}/{aggregation}_layer{layer}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    resources:
        gpu=GPUS,
    params:
        encoder=lambda wildcards: {
            **config["encoders"][wildcards.encoder],
            "layer": int(wildcards.layer),
        },
        embedding_dim=config["embedding_dim"],
        seed=config["seed"],
        extraction=config["extraction"],
    script:
        "../scripts/extract_embeddings.py"
