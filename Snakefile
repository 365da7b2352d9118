# eobench: from Sentinel-1/2 cubes to the tables and figures of an EO-encoder benchmark.
#
#   snakemake --cores 2 all_tables     # leaderboards and tables
#   snakemake --cores 2 all_figures    # figures
#   snakemake --cores 2 all_notebooks  # exploration notebooks (executed, HTML)
#   snakemake --cores 2                # everything, then: snakemake --report report.html
#   snakemake --cores 2 verify         # recompute chosen outputs, compare with the run's
#
# The DAG: synthesize (or retrieve) -> extract embeddings (pre/post/none temporal
# aggregation) -> probe over K splits -> score (Q, ranks) -> tables and figures; and
# (MMEarth-Bench) splits on disk -> LP / FT / JT per seed and subset -> TTT-MMR(-Geo)
# -> tables and figures.


configfile: "config/config.yaml"


# The workflow description page of `snakemake --report report.html`.
report: "report/workflow.rst"


include: "rules/common.smk"


# The image built from Dockerfile (every envs/ environment in it) for runs with
# --software-deployment-method apptainer conda; other runs ignore it. null: none.
containerized: config["resources"]["container_image"]


include: "rules/data.smk"
include: "rules/weights.smk"
include: "rules/embed.smk"
include: "rules/compression.smk"
include: "rules/probe.smk"
include: "rules/score.smk"
include: "rules/adapt.smk"
include: "rules/adaptation_results.smk"
include: "rules/pretrain_common.smk"
include: "rules/pretrain.smk"
include: "rules/tables.smk"
include: "rules/figures.smk"
include: "rules/figures_data.smk"
include: "rules/ablations.smk"
include: "rules/challenge.smk"
include: "rules/report.smk"
include: "rules/notebooks.smk"
include: "rules/verify.smk"


rule all:
    default_target: True
    input:
        run_targets(),
        "results/provenance.csv",
        "results/report/run.html",


rule all_tables:
    input:
        table_targets(),
        summary_target(),


rule all_figures:
    input:
        figure_targets(),


rule all_paper:
    """The paper folder: every table as .tex, every figure as PDF, the macros."""
    input:
        paper_targets(),


rule all_notebooks:
    """The exploration notebooks, executed and as HTML."""
    input:
        notebook_targets(),


rule all_challenge:
    """Challenge mode: leaderboards of a submissions folder per phase and Fig. 7."""
    input:
        challenge_targets(),


onsuccess:
    report_outputs()
