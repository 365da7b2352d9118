# Pretrained weights: the verified files of a registry entry (eobench.encoders.weights) in
# the cache folder, copied from a configured local folder or downloaded.
from eobench.encoders.weights import WEIGHTS

WEIGHTS_CONFIG = config.get("weights", {})
WEIGHTS_CACHE = WEIGHTS_CONFIG.get("cache_dir", "resources/weights")


def weights_checksums(wildcards):
    """The SHA256SUMS of the weights an encoder names (none for other encoders)."""
    name = config["encoders"][wildcards.encoder].get("weights")
    return [f"{WEIGHTS_CACHE}/{name}/SHA256SUMS"] if name else []


rule retrieve_weights:
    """All files of one entry (several for Galileo), verified; SHA256SUMS is written last."""
    output:
        f"{WEIGHTS_CACHE}/{{weights}}/SHA256SUMS",
    log:
        "results/logs/retrieve_weights/{weights}.log",
    wildcard_constraints:
        weights="|".join(WEIGHTS),
    conda:
        "../envs/data.yaml"
    # weights.local_dirs and weights.download are read by the script from the config, on
    # purpose untracked: where verified files come from does not change them, so adding a
    # local folder must not rerun this rule and, after it, every extraction.
    params:
        cache_dir=WEIGHTS_CACHE,
    script:
        "../scripts/retrieve_weights.py"
