# Adaptation (MMEarth-Bench): splits written once, then per (backbone, inputs, mode,
# training subset, seed) one job over the tasks: LP, FT and JT train checkpoints,
# JT-TTT and JT-TTT-Geo adapt JT's checkpoints on the test batches; one tidy metrics
# table of every run feeds the tables, figures and claims.
from eobench.adaptation.modes import get_mode, modes as adaptation_modes

TRAINING_MODES = [m.name for m in adaptation_modes().values() if m.trains]
TEST_TIME_MODES = [m.name for m in adaptation_modes().values() if not m.trains]


wildcard_constraints:
    subset="train_100|train_50|train_5",
    seed=r"\d+",
    inputs=r"[A-Za-z0-9-]+",


rule write_splits:
    """Geographic test (Africa), random 70/15/15 of the rest, nested 100/50/5 % subsets."""
    input:
        samples="results/data/{dataset}/samples.parquet",
    output:
        "results/splits/{dataset}/mmearth.parquet",
    log:
        "results/logs/write_splits/{dataset}.log",
    benchmark:
        "results/benchmarks/write_splits/{dataset}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        seed=ADAPTATION["split_seed"],
        dataset_key=lambda wildcards: f"datasets.{wildcards.dataset}",
    script:
        "../scripts/write_splits.py"


rule adapt:
    """LP, FT or JT of one backbone on every task; a killed job resumes from the last
    epoch (results/adaptation_state/, not an output, so Snakemake keeps it)."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        splits="results/splits/{dataset}/mmearth.parquet",
        weights=adaptation_weights,
    output:
        model=f"{ADAPTATION_RUN}/model.pt",
        metrics=f"{ADAPTATION_RUN}/metrics.csv",
    log:
        "results/logs/adapt/{dataset}/{encoder}/{inputs}/{mode}/{subset}/seed{seed}.log",
    benchmark:
        "results/benchmarks/adapt/{dataset}/{encoder}/{inputs}/{mode}/{subset}/seed{seed}.tsv"
    wildcard_constraints:
        mode="|".join(TRAINING_MODES),
    conda:
        "../envs/torch.yaml"
    # One thread: the same numbers whatever --cores, and jobs train side by side.
    threads: 1
    resources:
        gpu=GPUS,
    params:
        encoder=adaptation_encoder_spec,
        inputs=lambda wildcards: ADAPTATION["inputs"][wildcards.inputs],
        tasks=ADAPTATION["tasks"],
        # only the modes with decoders read it
        reconstruct=lambda wildcards: (
            ADAPTATION["reconstruct"] if get_mode(wildcards.mode).reconstruct else []
        ),
        training=ADAPTATION["training"],
        device=ADAPTATION["device"],
        state_dir=lambda wildcards: ADAPTATION_RUN.format(**wildcards).replace(
            "results/adaptation/", "results/adaptation_state/", 1
        ),
    script:
        "../scripts/adapt.py"


rule test_time_train:
    """TTT-MMR (random batches) or TTT-MMR-Geo (geographic batches) from JT's checkpoints."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        splits="results/splits/{dataset}/mmearth.parquet",
        model=adaptation_base_model,
        weights=adaptation_weights,
    output:
        metrics=f"{ADAPTATION_RUN}/metrics.csv",
        steps=f"{ADAPTATION_RUN}/steps.csv",
    log:
        "results/logs/test_time_train/{dataset}/{encoder}/{inputs}/{mode}/{subset}/seed{seed}.log",
    benchmark:
        "results/benchmarks/test_time_train/{dataset}/{encoder}/{inputs}/{mode}/{subset}/seed{seed}.tsv"
    wildcard_constraints:
        mode="|".join(TEST_TIME_MODES),
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        gpu=GPUS,
    params:
        encoder=adaptation_encoder_spec,
        inputs=lambda wildcards: ADAPTATION["inputs"][wildcards.inputs],
        tasks=ADAPTATION["tasks"],
        reconstruct=ADAPTATION["reconstruct"],
        training=ADAPTATION["training"],
        ttt=ADAPTATION["ttt"],
        device=ADAPTATION["device"],
    script:
        "../scripts/test_time_train.py"


rule adaptation_metrics:
    """Every run's metrics in one tidy table (the method key in columns)."""
    input:
        adaptation_metric_files,
    output:
        "results/adaptation/{dataset}/metrics.csv",
    log:
        "results/logs/adaptation_metrics/{dataset}.log",
    benchmark:
        "results/benchmarks/adaptation_metrics/{dataset}.tsv"
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/adaptation_metrics.py"
