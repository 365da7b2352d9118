# The neural-compression baseline (NeuCo-Bench): Ballé's factorized-prior autoencoder,
# one per lambda, trained on the random split's training samples; its rate-distortion
# against JPEG2000 on the test samples (Fig. 11). The encoder `compressor` embeds with
# one of these checkpoints (its `checkpoint` parameter).


wildcard_constraints:
    lmbda=r"\d+(\.\d+)?",


rule train_compressor:
    """One factorized-prior autoencoder (R + lambda MSE); a killed run resumes from
    `<checkpoint>.partial`, which is not an output so Snakemake keeps it."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        samples="results/data/{dataset}/samples.parquet",
    output:
        checkpoint=TRAINED_CHECKPOINTS["compressor"],
        curve="results/compressor/{dataset}/lambda{lmbda}_curve.csv",
    log:
        "results/logs/train_compressor/{dataset}/lambda{lmbda}.log",
    benchmark:
        "results/benchmarks/train_compressor/{dataset}/lambda{lmbda}.tsv"
    conda:
        "../envs/torch.yaml"
    # One thread: the weights are bit-for-bit the same whatever --cores (CPU float sums
    # depend on the thread count), and the three lambdas train side by side.
    threads: 1
    resources:
        gpu=GPUS,
    params:
        training=config["compression"]["training"],
        seed=config["seed"],
    script:
        "../scripts/train_compressor.py"


rule rate_distortion:
    """Bits per pixel and PSNR of every lambda and of a JPEG2000 sweep on the test images."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        samples="results/data/{dataset}/samples.parquet",
        checkpoints=compressor_checkpoints,
    output:
        "results/ablations/{dataset}/rate_distortion.csv",
    log:
        "results/logs/rate_distortion/{dataset}.log",
    benchmark:
        "results/benchmarks/rate_distortion/{dataset}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    params:
        settings=config["compression"]["rate_distortion"],
    script:
        "../scripts/rate_distortion.py"


rule figure_rate_distortion:
    """PSNR against bits per pixel: the compressor's lambdas joined, JPEG2000 as a curve
    (Fig. 11)."""
    input:
        table="results/ablations/{dataset}/rate_distortion.csv",
    output:
        pdf="results/figures/{dataset}/rate_distortion.pdf",
        png=in_report(
            "results/figures/{dataset}/rate_distortion.png",
            "rate_distortion_figure",
            "Compression",
            result="rate distortion",
        ),
    log:
        "results/logs/figure_rate_distortion/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_rate_distortion/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["rate_distortion"],
        encoders=ENCODER_ORDER,
    script:
        "../scripts/figure_rate_distortion.py"
