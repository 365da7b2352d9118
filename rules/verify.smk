# Checking a run: the provenance of every output of `all` (results/provenance.csv), and
# rule verify, which recomputes chosen outputs from their recorded inputs in a fresh
# folder and compares them with the run's (`snakemake --cores 2 verify`).


rule provenance:
    """Per output of `all`: its sha256, the rule that made it, the config hash, the code
    version and each input with its sha256, from Snakemake's records of the run."""
    input:
        provenance_targets(),
    output:
        "results/provenance.csv",
    log:
        "results/logs/provenance.log",
    benchmark:
        "results/benchmarks/provenance.tsv"
    conda:
        "../envs/data.yaml"
    params:
        config_hash=CONFIG_HASH,
        snakemake=snakemake_call(),
    script:
        "../scripts/provenance_manifest.py"


#: The outputs rule verify recomputes (checked here, when the workflow is planned).
VERIFY_OUTPUTS = checked_verify_outputs()


rule verify:
    """Each of verify.outputs recomputed by its own rule from the inputs it was made of,
    in a fresh folder, every output of its job compared with the run's: byte for byte, or
    the numbers of CSV, Parquet and JSON files within verify.tolerance. Any difference
    fails the job (one line per output) and leaves no report."""
    input:
        VERIFY_OUTPUTS,
    output:
        csv="results/verify/verify.csv",
        md="results/verify/verify.md",
    log:
        "results/logs/verify.log",
    benchmark:
        "results/benchmarks/verify.tsv"
    conda:
        "../envs/data.yaml"
    threads: 2
    params:
        outputs=VERIFY_OUTPUTS,
        tolerance=config["verify"]["tolerance"],
        snakemake={**snakemake_call(), "deployment": software_deployment()},
    script:
        "../scripts/verify_outputs.py"
