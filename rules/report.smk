# What a reader opens: the CSV results as HTML pages and the run page for
# `snakemake --report`, and the paper folder for a LaTeX author (results/paper/).


rule csv_page:
    """A CSV result as an HTML page the report shows inline, with its caption."""
    input:
        "results/{path}.csv",
    output:
        report(
            "results/report/pages/{path}.html",
            caption="../report/captions/pages.rst",
            category=csv_page_category,
            subcategory=lambda wildcards: CSV_PAGES[csv_page_name(wildcards.path)][0],
            labels=csv_page_labels,
        ),
    log:
        "results/logs/csv_page/{path}.log",
    benchmark:
        "results/benchmarks/csv_page/{path}.tsv"
    wildcard_constraints:
        path=CSV_PAGE_PATHS,
    conda:
        "../envs/plots.yaml"
    params:
        caption=csv_page_caption,
    script:
        "../scripts/csv_page.py"


rule run_page:
    """What ran: config hash, code version, machine, run time per stage, the config."""
    input:
        run_targets(),
        "results/provenance.csv",
    output:
        report(
            "results/report/run.html",
            caption="../report/captions/run.rst",
            category="Run",
            labels={"result": "run page"},
        ),
    log:
        "results/logs/run_page.log",
    conda:
        "../envs/plots.yaml"
    params:
        run={
            "dataset": DATASET,
            "protocols": ", ".join(PROTOCOLS),
            "encoders": ", ".join(f"{e}/{a}" for e, a in methods()),
            "config hash (settings behind the numbers)": CONFIG_HASH,
            "config files": ", ".join(map(str, workflow.configfiles)),
        },
        config=config,
        stages=lambda wildcards: rule_stages(),
        benchmarks="results/benchmarks",
    script:
        "../scripts/run_page.py"


rule paper_folder:
    """Tables (.tex), figures (PDF), the macros of the quoted numbers and contents.tex."""
    input:
        sources=list(paper_sources()),
        macro_files=paper_macro_files(),
    output:
        copies=list(paper_sources().values()),
        macros="results/paper/macros.tex",
        contents="results/paper/contents.tex",
    log:
        "results/logs/paper_folder.log",
    benchmark:
        "results/benchmarks/paper_folder.tsv"
    conda:
        "../envs/plots.yaml"
    params:
        macros=paper_macros(),
        config_hash=CONFIG_HASH,
    script:
        "../scripts/paper_folder.py"


rule paper_pdf:
    """report/paper.tex compiled against the paper folder (needs pdflatex)."""
    input:
        tex="report/paper.tex",
        paper=paper_targets(),
    output:
        "results/paper/paper.pdf",
    log:
        "results/logs/paper_pdf.log",
    benchmark:
        "results/benchmarks/paper_pdf.tsv"
    conda:
        "../envs/latex.yaml"
    script:
        "../scripts/paper_pdf.py"
