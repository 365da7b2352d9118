"""Configuration checks with one-line messages that name the offending key.

The workflow validates its config against ``config/schema/config.schema.yaml`` on every
run; :func:`check_config` reports the most relevant schema violation as
``config key a.b.c: problem`` and then checks what a schema cannot (known encoder types,
known tasks, aggregations an encoder supports, entries that name other entries, and
files and folders that must exist).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from eobench.errors import EobenchError


def _key(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def schema_error(config: dict[str, Any], schema_path: str | os.PathLike) -> str | None:
    """The most relevant schema violation as one line, or None when the config is valid."""
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"config key {_key([*error.absolute_path, extra[0]])}: unknown key"
    message = error.message.splitlines()[0]
    if len(message) > 160:
        message = message[:157] + "..."
    return f"config key {_key(error.absolute_path)}: {message}"


def check_config(config: dict[str, Any], schema_path: str | os.PathLike) -> None:
    """Raise :class:`EobenchError` naming the first problem of ``config``."""
    message = schema_error(config, schema_path)
    if message:
        raise EobenchError(message)
    if config["dataset"] not in config["datasets"]:
        raise EobenchError(
            f"config key dataset: {config['dataset']!r} is not an entry of datasets "
            f"(has: {sorted(config['datasets'])})"
        )
    unknown = [e for e in config.get("selected_encoders") or [] if e not in config["encoders"]]
    if unknown:
        raise EobenchError(
            f"config key selected_encoders: {unknown[0]!r} is not an entry of encoders "
            f"(has: {sorted(config['encoders'])})"
        )
    from eobench.encoders import ENCODER_TYPES
    from eobench.encoders.weights import get_weights

    for name, spec in config["encoders"].items():
        kind = spec["type"]
        if kind not in ENCODER_TYPES:
            raise EobenchError(
                f"config key encoders.{name}.type: unknown encoder {kind!r} "
                f"(known: {sorted(ENCODER_TYPES)})"
            )
        if "weights" in spec:
            get_weights(spec["weights"], key=f"encoders.{name}.weights")
        for aggregation in spec.get("aggregations", config.get("aggregations", [])):
            if aggregation == "none" and not ENCODER_TYPES[kind][1]:
                raise EobenchError(
                    f"config key encoders.{name}.aggregations: encoder type {kind!r} "
                    "takes single images, not the 4-season series ('none')"
                )
    check_ablations(config)
    check_challenge(config)
    check_paths(config)
    dataset = config["datasets"][config["dataset"]]
    tasks = config.get("tasks")
    if tasks and dataset["source"] == "synthetic":
        from eobench.data.synth import TASK_SPECS

        unknown = [t for t in tasks if t not in TASK_SPECS]
        if unknown:
            raise EobenchError(
                f"config key tasks: unknown task {unknown[0]!r} for dataset "
                f"{config['dataset']!r} (known: {sorted(TASK_SPECS)})"
            )


def check_ablations(config: dict[str, Any]) -> None:
    """Ablations must name existing probe heads and encoders that can run them."""
    ablations = config.get("ablations", {})
    heads = config.get("probe_heads", {"linear": {"type": "linear"}})
    encoders = config["encoders"]
    depth = ablations.get("probe_depth", {})
    for head in depth.get("heads", []):
        if head not in heads:
            raise EobenchError(
                f"config key ablations.probe_depth.heads: {head!r} is not an entry of "
                f"probe_heads (has: {sorted(heads)})"
            )
    named = {
        "ablations.probe_depth.encoders": depth.get("encoders") or [],
        "ablations.embedding_size.encoders": [
            entry["encoder"] for entry in ablations.get("embedding_size", {}).get("encoders", [])
        ],
        "ablations.layers.encoders": ablations.get("layers", {}).get("encoders", []),
    }
    for key, names in named.items():
        for name in names:
            if name not in encoders:
                raise EobenchError(
                    f"config key {key}: {name!r} is not an entry of encoders "
                    f"(has: {sorted(encoders)})"
                )
    for name in named["ablations.layers.encoders"]:
        if "depth" not in encoders[name] and encoders[name]["type"] != "patch_transformer":
            raise EobenchError(
                f"config key ablations.layers.encoders: encoder {name!r} exposes no layers "
                "(layer-wise probing needs an encoder with a `layer` parameter, such as "
                "patch_transformer)"
            )


def check_challenge(config: dict[str, Any]) -> None:
    """The demo challenge's teams must be entries of ``encoders``."""
    teams = config.get("challenge", {}).get("demo", {}).get("teams") or []
    for team in teams:
        if team not in config["encoders"]:
            raise EobenchError(
                f"config key challenge.demo.teams: {team!r} is not an entry of encoders "
                f"(has: {sorted(config['encoders'])})"
            )


def check_paths(config: dict[str, Any]) -> None:
    """Files and folders the config names must exist, so that a typo stops the run before
    any job (relative paths are relative to the working directory)."""
    encoders = config["encoders"]
    requested = config.get("selected_encoders") or list(encoders)
    named = {
        f"encoders.{name}.path": encoders[name].get("path")
        for name in requested
        if encoders[name]["type"] == "embeddings_file"
    }
    for key, path in named.items():
        if not path:
            raise EobenchError(f"config key {key}: missing (the embeddings table to read)")
    challenge = config.get("challenge", {})
    for key in ("submissions_dir", "annotation_path"):
        if challenge.get(key):
            named[f"challenge.{key}"] = challenge[key]
    for key, path in named.items():
        if not Path(path).exists():
            raise EobenchError(f"config key {key}: {path!r} does not exist (in {os.getcwd()})")
