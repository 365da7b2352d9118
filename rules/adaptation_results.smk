# The adaptation suite's tables and figures (MMEarth-Bench), all read from the one tidy
# metrics table; each its own rule with its settings through params.


rule table_adaptation:
    """The TTT table (JT, TTT-MMR, TTT-MMR-Geo on both tests, with significance) or the
    low-shot table (the numbers of Fig. 4)."""
    input:
        metrics="results/adaptation/{dataset}/metrics.csv",
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/adaptation/{kind}.csv",
        md="results/tables/{dataset}/adaptation/{kind}.md",
        html=in_report(
            "results/tables/{dataset}/adaptation/{kind}.html",
            "adaptation_tables",
            "Tables",
            category=ADAPTATION_SUITE,
        ),
        tex="results/tables/{dataset}/adaptation/{kind}.tex",
    log:
        "results/logs/table_adaptation/{dataset}/{kind}.log",
    benchmark:
        "results/benchmarks/table_adaptation/{dataset}/{kind}.tsv"
    wildcard_constraints:
        kind="|".join(ADAPTATION_TABLES),
    conda:
        "../envs/plots.yaml"
    params:
        kind=lambda wildcards: wildcards.kind,
        settings=lambda wildcards: config["tables"][f"adaptation_{wildcards.kind}"],
    script:
        "../scripts/table_adaptation.py"


rule table_adaptation_per_task:
    """One task: every method (encoder, weights, mode, inputs) and subset on both tests."""
    input:
        metrics="results/adaptation/{dataset}/metrics.csv",
        md_template="report/templates/table.md.j2",
        tex_template="report/templates/table.tex.j2",
    output:
        csv="results/tables/{dataset}/adaptation/per_task/{task}.csv",
        md="results/tables/{dataset}/adaptation/per_task/{task}.md",
        html=in_report(
            "results/tables/{dataset}/adaptation/per_task/{task}.html",
            "adaptation_per_task",
            "Per-task tables",
            category=ADAPTATION_SUITE,
            task="{task}",
        ),
        tex="results/tables/{dataset}/adaptation/per_task/{task}.tex",
    log:
        "results/logs/table_adaptation_per_task/{dataset}/{task}.log",
    benchmark:
        "results/benchmarks/table_adaptation_per_task/{dataset}/{task}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        kind="per_task",
        settings=config["tables"]["adaptation_per_task"],
    script:
        "../scripts/table_adaptation.py"


rule figure_low_shot:
    """Test score against the share of training data, pretrained against random init,
    per input and task (MMEarth-Bench Fig. 4)."""
    input:
        metrics="results/adaptation/{dataset}/metrics.csv",
    output:
        pdf="results/figures/{dataset}/adaptation/low_shot.pdf",
        png=in_report(
            "results/figures/{dataset}/adaptation/low_shot.png",
            "figure_low_shot",
            "Figures",
            category=ADAPTATION_SUITE,
        ),
    log:
        "results/logs/figure_low_shot/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_low_shot/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["low_shot"],
        encoders=list(ADAPTATION["encoders"]),
    script:
        "../scripts/figure_low_shot.py"


rule figure_geographic_shift:
    """Random against geographic test score of every method (MMEarth-Bench Fig. 5)."""
    input:
        metrics="results/adaptation/{dataset}/metrics.csv",
    output:
        pdf="results/figures/{dataset}/adaptation/geographic_shift.pdf",
        png=in_report(
            "results/figures/{dataset}/adaptation/geographic_shift.png",
            "figure_geographic_shift",
            "Figures",
            category=ADAPTATION_SUITE,
        ),
    log:
        "results/logs/figure_geographic_shift/{dataset}.log",
    benchmark:
        "results/benchmarks/figure_geographic_shift/{dataset}.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        settings=config["figures"]["geographic_shift"],
        encoders=list(ADAPTATION["encoders"]),
    script:
        "../scripts/figure_geographic_shift.py"
