# eobench: from Sentinel-1/2 cubes to the tables and figures of an EO-encoder benchmark.
#
#   snakemake --cores 2 all_tables     # leaderboards and tables
#   snakemake --cores 2 all_figures    # figures
#   snakemake --cores 2                # everything
#   snakemake --cores 2 verify         # recompute chosen outputs, compare with the run's
#
# The DAG: synthesize (or retrieve) -> extract embeddings (pre/post/none temporal
# aggregation) -> probe over K splits -> score (Q, ranks) -> tables and figures.


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/weights.smk"
include: "rules/embed.smk"
include: "rules/compression.smk"
include: "rules/probe.smk"
include: "rules/score.smk"
include: "rules/tables.smk"
include: "rules/figures.smk"
include: "rules/figures_data.smk"
include: "rules/ablations.smk"
include: "rules/challenge.smk"
include: "rules/verify.smk"


rule all:
    default_target: True
    input:
        table_targets(),
        summary_target(),
        figure_targets(),
        challenge_targets(),
        "results/provenance.csv",


rule all_tables:
    input:
        table_targets(),
        summary_target(),


rule all_figures:
    input:
        figure_targets(),


rule all_challenge:
    """Challenge mode: leaderboards of a submissions folder per phase and Fig. 7."""
    input:
        challenge_targets(),


onsuccess:
    report_outputs()
