# Raw data: the embedded synthetic dataset (real-data retrieval rules come next to it).


def dataset_config(wildcards):
    return config["datasets"][wildcards.dataset]


rule synthesize_dataset:
    output:
        cubes=directory("results/data/{dataset}/cubes.zarr"),
        samples="results/data/{dataset}/samples.parquet",
        labels=directory("results/data/{dataset}/labels"),
    params:
        dataset=dataset_config,
    log:
        "results/logs/synthesize_dataset/{dataset}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/synthesize_dataset.py"
