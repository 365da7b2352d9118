# Ablations: probe depth, embedding size and layer-wise probing on cached embeddings,
# the runtime scaling of the evaluation, and the claims table that checks the paper.


rule summarise_ablation:
    """Mean, spread and Q per task of every probe run of one ablation."""
    input:
        ablation_score_files,
    output:
        "results/ablations/{dataset}/{ablation}/task_scores.csv",
    log:
        "results/logs/summarise_ablation/{dataset}/{ablation}.log",
    benchmark:
        "results/benchmarks/summarise_ablation/{dataset}/{ablation}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        epsilon=config["scoring"]["epsilon"],
    script:
        "../scripts/summarise_ablation.py"


rule table_probe_depth:
    """Linear vs MLP vs kNN vs converged probes per encoder, with parameter counts."""
    input:
        summary="results/ablations/{dataset}/probe_depth/task_scores.csv",
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/probe_depth.csv",
        md="results/tables/{dataset}/probe_depth.md",
        html=in_report(
            "results/tables/{dataset}/probe_depth.html", "probe_depth", "Ablations"
        ),
        tex="results/tables/{dataset}/probe_depth.tex",
    log:
        "results/logs/table_probe_depth/{dataset}.log",
    benchmark:
        "results/benchmarks/table_probe_depth/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        kind="probe_depth",
        settings=config["tables"]["probe_depth"],
    script:
        "../scripts/table_ablation.py"


rule table_converged_gap:
    """How far the paper's probe is from the converged one, per encoder and task."""
    input:
        summary="results/ablations/{dataset}/probe_depth/task_scores.csv",
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/converged_gap.csv",
        md="results/tables/{dataset}/converged_gap.md",
        html=in_report(
            "results/tables/{dataset}/converged_gap.html", "converged_gap", "Ablations"
        ),
        tex="results/tables/{dataset}/converged_gap.tex",
    log:
        "results/logs/table_converged_gap/{dataset}.log",
    benchmark:
        "results/benchmarks/table_converged_gap/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        kind="converged_gap",
        settings=config["tables"]["converged_gap"],
    script:
        "../scripts/table_ablation.py"


#: The probe keys the run-time measurement reads (it sets N, epochs and K itself).
RUNTIME_PROBE_KEYS = (
    "batch_size",
    "learning_rate",
    "weight_decay",
    "minibatches",
    "device",
)


rule runtime_scaling:
    """Seconds per task of the probe engine over N x epochs x K (the paper's Table 5)."""
    output:
        "results/ablations/{dataset}/runtime_scaling.csv",
    log:
        "results/logs/runtime_scaling/{dataset}.log",
    benchmark:
        "results/benchmarks/runtime_scaling/{dataset}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    resources:
        gpu=GPUS,
    params:
        grid=ABLATIONS["runtime_scaling"],
        probe={key: config["probe"][key] for key in RUNTIME_PROBE_KEYS},
        seed=config["seed"],
    script:
        "../scripts/runtime_scaling.py"


rule table_runtime_scaling:
    """The run-time measurement as a table: its caption never reruns the measurement."""
    input:
        summary="results/ablations/{dataset}/runtime_scaling.csv",
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/runtime_scaling.csv",
        md="results/tables/{dataset}/runtime_scaling.md",
        html=in_report(
            "results/tables/{dataset}/runtime_scaling.html",
            "runtime_scaling_table",
            "Run time",
            result="runtime scaling",
        ),
        tex="results/tables/{dataset}/runtime_scaling.tex",
    log:
        "results/logs/table_runtime_scaling/{dataset}.log",
    benchmark:
        "results/benchmarks/table_runtime_scaling/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        kind="runtime_scaling",
        settings=config["tables"]["runtime_scaling"],
    script:
        "../scripts/table_ablation.py"


rule table_leaderboard_intervals:
    """The leaderboard with bootstrap intervals of mean Q and aggregated rank, and the rank
    under the monotone companion score."""
    input:
        leaderboard="results/scores/{dataset}/{protocol}/leaderboard.csv",
        leaderboard_json="results/scores/{dataset}/{protocol}/leaderboard.json",
        intervals="results/scores/{dataset}/{protocol}/intervals.csv",
        companion="results/scores/{dataset}/{protocol}/leaderboard_companion.csv",
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/{protocol}/leaderboard_intervals.csv",
        md="results/tables/{dataset}/{protocol}/leaderboard_intervals.md",
        html=in_report(
            "results/tables/{dataset}/{protocol}/leaderboard_intervals.html",
            "leaderboard_intervals",
            "Leaderboards",
            protocol="{protocol}",
        ),
        tex="results/tables/{dataset}/{protocol}/leaderboard_intervals.tex",
    log:
        "results/logs/table_leaderboard_intervals/{dataset}/{protocol}.log",
    benchmark:
        "results/benchmarks/table_leaderboard_intervals/{dataset}/{protocol}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["tables"]["leaderboard_intervals"],
    script:
        "../scripts/table_leaderboard_intervals.py"


rule table_claims:
    """The paper's qualitative findings, PASS or FAIL on this run's numbers."""
    input:
        unpack(claims_inputs),
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/claims.csv",
        md="results/tables/{dataset}/claims.md",
        html=in_report("results/tables/{dataset}/claims.html", "claims", "Claims"),
        tex="results/tables/{dataset}/claims.tex",
    log:
        "results/logs/table_claims/{dataset}.log",
    benchmark:
        "results/benchmarks/table_claims/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        size_encoders={
            e: {"recipe": spec["recipe"], "native_dim": spec["native_dim"]}
            for e, spec in SIZE_ABLATION.items()
        },
        baselines=config["statistics"]["baselines"],
        decimals=table_decimals(),
        tie_tolerance=config["scoring"]["tie_tolerance"],
        pretrained=pretrained_encoders(),
        pretraining_claims=PRETRAINING["claims"],
        compressor_lambdas=compressor_lambdas(),
        settings=config["tables"]["claims"],
    script:
        "../scripts/table_claims.py"
