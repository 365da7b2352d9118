# Pretrained weights: the verified files of a registry entry (eobench.encoders.weights) in
# the cache folder, copied from a configured local folder or downloaded.
from eobench.encoders.weights import WEIGHTS


rule retrieve_weights:
    """All files of one entry (several for Galileo), verified; SHA256SUMS is written last."""
    output:
        f"{WEIGHTS_CACHE}/{{weights}}/SHA256SUMS",
    log:
        "results/logs/retrieve_weights/{weights}.log",
    benchmark:
        "results/benchmarks/retrieve_weights/{weights}.tsv"
    wildcard_constraints:
        weights="|".join(WEIGHTS),
    conda:
        "../envs/torch.yaml"
    # weights.local_dirs and weights.download are read by the script from the config, on
    # purpose untracked: where verified files come from does not change them, so adding a
    # local folder must not rerun this rule and, after it, every extraction.
    script:
        "../scripts/retrieve_weights.py"


rule all_weights:
    """The weights of every selected encoder that has them (downloads with
    weights.download: true)."""
    input:
        [f"{WEIGHTS_CACHE}/{name}/SHA256SUMS" for name in selected_weights()],
