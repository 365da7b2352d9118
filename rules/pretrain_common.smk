# The pretraining stage's config checks, constants and functions (target lists, the
# config keys each rule receives); its rules are in rules/pretrain.smk.
from eobench.pretraining.config import check_pretraining, has_text, uses

try:
    check_pretraining(config)
except EobenchError as error:
    sys.exit(f"error: {error}")

PRETRAINING = config["pretraining"]
PRETRAINING_SUITE = "GeoMeld pretraining"
PRETRAINING_RUN = "results/pretraining/{dataset}/{method}/seed{seed}"
PRETRAINING_CHECKPOINT = (
    "results/pretraining/{dataset}/{method}/seed{seed}/checkpoint.pt"
)
PRETRAINING_STATE = "results/pretraining_state/{dataset}/{method}/seed{seed}/state.pt"
PRETRAINING_METHODS = (
    (PRETRAINING["selected_methods"] or list(PRETRAINING["methods"]))
    if PRETRAINING["enabled"]
    else []
)


wildcard_constraints:
    method=r"[A-Za-z0-9_-]+",


def pretrained_checkpoint_file(spec):
    """The checkpoint an encoder or backbone entry of type pretrained_checkpoint reads."""
    seed = spec.get("pretraining_seed", PRETRAINING["seeds"][0])
    return PRETRAINING_CHECKPOINT.format(
        dataset=PRETRAINING["dataset"], method=spec["method"], seed=seed
    )


def pretraining_runs():
    """Every (method, seed) of the pretraining dataset, as run folders."""
    return [
        PRETRAINING_RUN.format(dataset=PRETRAINING["dataset"], method=m, seed=s)
        for m in PRETRAINING_METHODS
        for s in PRETRAINING["seeds"]
    ]


def pretraining_spec(wildcards):
    return PRETRAINING["methods"][wildcards.method]


def pretraining_objectives(wildcards):
    """The objective blocks the method reads (no others: a change reruns its users)."""
    _, blocks = uses(pretraining_spec(wildcards))
    return {block: PRETRAINING["objectives"][block] for block in blocks}


def pretraining_captions(wildcards):
    return PRETRAINING["captions"] if has_text(pretraining_spec(wildcards)) else {}


def pretraining_reconstruct(wildcards):
    needs, _ = uses(pretraining_spec(wildcards))
    return PRETRAINING["reconstruct"] if "reconstruct" in needs else []


def pretraining_table_targets():
    if not PRETRAINING_METHODS:
        return []
    stem = f"results/tables/{PRETRAINING['dataset']}/pretraining"
    return [
        f"{stem}/{t}.{ext}" for t in ("ablation", "retrieval") for ext in TABLE_FORMATS
    ]


def pretraining_figure_targets():
    if not PRETRAINING_METHODS:
        return []
    stem = f"results/figures/{PRETRAINING['dataset']}/pretraining"
    return [f"{stem}/curves.{ext}" for ext in ("pdf", "png")]
