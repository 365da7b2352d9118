# Config loading and checking, wildcard constraints, and the functions that list targets.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

REPO_ROOT = Path(workflow.basedir)
# The library lives in this repository: importable here without installing it (rule
# scripts do the same through snakemake.scriptdir, whatever environment runs them).
sys.path.insert(0, str(REPO_ROOT))

from eobench.config import check_config
from eobench.errors import EobenchError

SCHEMA = REPO_ROOT / "config" / "schema" / "config.schema.yaml"
try:
    check_config(config, SCHEMA)
except EobenchError as error:
    sys.exit(f"error: {error}")
# Fills in the schema's defaults for keys the config leaves out.
validate(config, schema="../config/schema/config.schema.yaml")

DATASET = config["dataset"]
SELECTED_ENCODERS = config["selected_encoders"] or list(config["encoders"])
PROTOCOLS = config["probe"]["protocols"]
GPUS = config["resources"]["gpu"]


wildcard_constraints:
    dataset=r"[A-Za-z0-9_-]+",
    encoder=r"[A-Za-z0-9_-]+",
    aggregation="pre|post|none",
    protocol="neuco|strict",


def dataset_config(wildcards):
    return config["datasets"][wildcards.dataset]


def aggregations_of(encoder):
    """Temporal aggregations an encoder runs with (its own list, else the global one)."""
    return config["encoders"][encoder].get("aggregations", config["aggregations"])


def methods():
    """(encoder, aggregation) pairs compared in the tables, in config order."""
    return [(e, a) for e in SELECTED_ENCODERS for a in aggregations_of(e)]


def probe_score_files(wildcards):
    return [
        f"results/probes/{wildcards.dataset}/{wildcards.protocol}/{e}/{a}/scores.parquet"
        for e, a in methods()
    ]


def table_targets():
    targets = []
    for protocol in PROTOCOLS:
        stem = f"results/tables/{DATASET}/{protocol}"
        targets += [f"{stem}/task_scores.{ext}" for ext in ("csv", "md", "tex")]
        targets += [f"{stem}/leaderboard.{ext}" for ext in ("md", "tex")]
        scores = f"results/scores/{DATASET}/{protocol}"
        targets += [f"{scores}/leaderboard.csv", f"{scores}/leaderboard.json"]
        targets += [
            f"{scores}/{name}.csv"
            for name in (
                "intervals",
                "paired_tests",
                "task_weights",
                "leaderboard_companion",
            )
        ]
    return targets


def figure_targets():
    return [
        f"results/figures/{DATASET}/{protocol}/{figure}.{ext}"
        for protocol in PROTOCOLS
        for figure in ("radar", "q_per_task")
        for ext in ("pdf", "png")
    ]


def report_outputs():
    """Print where the tables and figures of this run landed."""
    produced = [t for t in table_targets() + figure_targets() if Path(t).exists()]
    if produced:
        print("\neobench outputs:", *(f"  {p}" for p in produced), sep="\n")
