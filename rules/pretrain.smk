# Self-supervised pretraining (GeoMeld, MMEarth, SSL4EO-S12): per (dataset, method, seed)
# one checkpoint and its curves; each checkpoint is then probed and scored on image-text
# retrieval, and becomes an encoder (type pretrained_checkpoint) of the NeuCo leaderboard
# and a backbone of the adaptation suite. Settings in `pretraining`; functions in
# rules/pretrain_common.smk.


rule pretrain:
    """One method pretrained under one seed; a killed job resumes from its last epoch
    (results/pretraining_state/, not an output, so Snakemake keeps it)."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        splits="results/splits/{dataset}/mmearth.parquet",
    output:
        checkpoint=PRETRAINING_CHECKPOINT,
        curves=f"{PRETRAINING_RUN}/curves.csv",
    log:
        "results/logs/pretrain/{dataset}/{method}/seed{seed}.log",
    benchmark:
        "results/benchmarks/pretrain/{dataset}/{method}/seed{seed}.tsv"
    conda:
        "../envs/torch.yaml"
    # One thread: the same weights whatever --cores, and methods train side by side.
    threads: 1
    resources:
        gpu=GPUS,
    params:
        method=pretraining_spec,
        architecture=lambda wildcards: PRETRAINING["backbones"][
            pretraining_spec(wildcards)["backbone"]
        ],
        objectives=pretraining_objectives,
        # the random-init twins train nothing: no training settings
        training=lambda wildcards: (
            {}
            if pretraining_spec(wildcards)["method"] == "random_init"
            else PRETRAINING["training"]
        ),
        captions=pretraining_captions,
        reconstruct=pretraining_reconstruct,
        device=PRETRAINING["device"],
        state=lambda wildcards: PRETRAINING_STATE.format(**wildcards),
    script:
        "../scripts/pretrain.py"


rule evaluate_pretrained:
    """Linear probes of the frozen checkpoint on both tests; retrieval R@k both ways."""
    input:
        cubes="results/data/{dataset}/cubes.zarr",
        splits="results/splits/{dataset}/mmearth.parquet",
        checkpoint=PRETRAINING_CHECKPOINT,
    output:
        f"{PRETRAINING_RUN}/evaluation.csv",
    log:
        "results/logs/evaluate_pretrained/{dataset}/{method}/seed{seed}.log",
    benchmark:
        "results/benchmarks/evaluate_pretrained/{dataset}/{method}/seed{seed}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    params:
        probe=PRETRAINING["probe"],
        retrieval=lambda wildcards: (
            PRETRAINING["retrieval"] if has_text(pretraining_spec(wildcards)) else {}
        ),
        templates=lambda wildcards: (
            PRETRAINING["captions"]["templates"]
            if has_text(pretraining_spec(wildcards))
            else {}
        ),
    script:
        "../scripts/evaluate_pretrained.py"


rule pretraining_results:
    """Every run's evaluation and curves in two tidy tables."""
    input:
        evaluations=lambda wildcards: [
            f"{r}/evaluation.csv" for r in pretraining_runs()
        ],
        curves=lambda wildcards: [f"{r}/curves.csv" for r in pretraining_runs()],
    output:
        evaluation="results/pretraining/{dataset}/evaluation.csv",
        curves="results/pretraining/{dataset}/curves.csv",
    log:
        "results/logs/pretraining_results/{dataset}.log",
    benchmark:
        "results/benchmarks/pretraining_results/{dataset}.tsv"
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/pretraining_results.py"


rule table_pretraining:
    """The GeoMeld ablation under linear probing, or the retrieval table."""
    input:
        evaluation="results/pretraining/{dataset}/evaluation.csv",
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/pretraining/{kind}.csv",
        md="results/tables/{dataset}/pretraining/{kind}.md",
        html=in_report(
            "results/tables/{dataset}/pretraining/{kind}.html",
            "pretraining_tables",
            "Tables",
            category=PRETRAINING_SUITE,
        ),
        tex="results/tables/{dataset}/pretraining/{kind}.tex",
    log:
        "results/logs/table_pretraining/{dataset}/{kind}.log",
    benchmark:
        "results/benchmarks/table_pretraining/{dataset}/{kind}.tsv"
    wildcard_constraints:
        kind="ablation|retrieval",
    conda:
        "../envs/plots.yaml"
    params:
        kind=lambda wildcards: wildcards.kind,
        ablation=lambda wildcards: (
            PRETRAINING["ablation"] if wildcards.kind == "ablation" else []
        ),
        settings=lambda wildcards: config["tables"][f"pretraining_{wildcards.kind}"],
    script:
        "../scripts/table_pretraining.py"


rule figure_pretraining_curves:
    """Training and validation loss per epoch of every method (one panel per method)."""
    input:
        curves="results/pretraining/{dataset}/curves.csv",
    output:
        pdf="results/figures/{dataset}/pretraining/curves.pdf",
        png=in_report(
            "results/figures/{dataset}/pretraining/curves.png",
            "pretraining_curves",
            "Figures",
            category=PRETRAINING_SUITE,
        ),
    log:
        "results/logs/figure_pretraining_curves/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_pretraining_curves/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["pretraining_curves"],
    script:
        "../scripts/figure_pretraining_curves.py"
