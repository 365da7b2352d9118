# Raw data: the embedded synthetic dataset (real-data retrieval rules come next to it).


rule synthesize_dataset:
    output:
        cubes=directory("results/data/{dataset}/cubes.zarr"),
        samples="results/data/{dataset}/samples.parquet",
        labels=directory("results/data/{dataset}/labels"),
        tasks="results/data/{dataset}/tasks.csv",
    log:
        "results/logs/synthesize_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/synthesize_dataset/{dataset}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        dataset=dataset_config,
    script:
        "../scripts/synthesize_dataset.py"
