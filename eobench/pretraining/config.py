"""Checks of the ``pretraining`` block and what each rule reads of it (no torch import:
the workflow plans with these at every start).

:data:`METHOD_NEEDS` and :data:`METHOD_OBJECTIVES` mirror the method classes (a test
keeps them equal): which parts of the data a method reads and which
``pretraining.objectives`` blocks, so that rule ``pretrain`` receives exactly those
through ``params`` and a change to one objective reruns only the methods using it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eobench.errors import EobenchError

#: Method type -> the data it reads besides Sentinel-2.
METHOD_NEEDS: dict[str, frozenset[str]] = {
    "mae": frozenset(),
    "mpmae": frozenset({"reconstruct"}),
    "jepa": frozenset(),
    "itc": frozenset({"captions"}),
    "geomeld": frozenset({"reconstruct", "captions"}),
    "seasonal": frozenset({"seasons"}),
    "random_init": frozenset(),
}
#: Method type -> the ``pretraining.objectives`` blocks it reads.
METHOD_OBJECTIVES: dict[str, tuple[str, ...]] = {
    "mae": ("mae",),
    "mpmae": ("mae",),
    "jepa": ("jepa",),
    "itc": ("itc", "text"),
    "geomeld": ("mae", "jepa", "itc", "text"),
    "seasonal": ("seasonal",),
    "random_init": (),
}
#: GeoMeld-FM component -> the objective blocks it reads.
GEOMELD_OBJECTIVES = {"mpmae": ("mae",), "jepa": ("jepa",), "itc": ("itc", "text")}


def method_of(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return config["pretraining"]["methods"][name]


def uses(spec: Mapping[str, Any]) -> tuple[frozenset[str], tuple[str, ...]]:
    """``(needs, objective blocks)`` of a method entry (GeoMeld: its weighted parts)."""
    kind = spec["method"]
    if kind != "geomeld":
        return METHOD_NEEDS[kind], METHOD_OBJECTIVES[kind]
    weights = spec.get("weights") or {}
    parts = [c for c in GEOMELD_OBJECTIVES if weights.get(c, 0) > 0]
    needs = set()
    if "mpmae" in parts:
        needs.add("reconstruct")
    if "itc" in parts:
        needs.add("captions")
    blocks = tuple(dict.fromkeys(b for c in parts for b in GEOMELD_OBJECTIVES[c]))
    return frozenset(needs), blocks


def has_text(spec: Mapping[str, Any]) -> bool:
    """Whether a method entry trains a text tower (retrieval is scored on it)."""
    return "captions" in uses(spec)[0]


def check_pretraining(config: Mapping[str, Any]) -> None:
    """Cross-key checks the schema cannot express; one line naming the key."""
    block = config["pretraining"]
    if not block["enabled"]:
        return
    if block["dataset"] not in config["datasets"]:
        raise EobenchError(
            f"config key pretraining.dataset: {block['dataset']!r} is not an entry of datasets"
        )
    for name, spec in block["methods"].items():
        key = f"pretraining.methods.{name}"
        if spec.get("method") not in METHOD_NEEDS:
            raise EobenchError(
                f"config key {key}.method: unknown pretraining method {spec.get('method')!r} "
                f"(known: {sorted(METHOD_NEEDS)})"
            )
        if spec.get("backbone") not in block["backbones"]:
            raise EobenchError(
                f"config key {key}.backbone: {spec.get('backbone')!r} is not an entry of "
                f"pretraining.backbones ({sorted(block['backbones'])})"
            )
        if spec["method"] == "geomeld" and not uses(spec)[1]:
            raise EobenchError(
                f"config key {key}.weights: give a positive weight to at least one of "
                f"{list(GEOMELD_OBJECTIVES)}"
            )
        if "weights" in spec and spec["method"] != "geomeld":
            raise EobenchError(f"config key {key}.weights: only method geomeld has weights")
    if block["captions"]["templates"]:  # imported only then: it reads the generator
        from eobench.pretraining.captions import check_templates

        check_templates(block["captions"]["templates"], "pretraining.captions.templates")
    for name in block["selected_methods"] or []:
        if name not in block["methods"]:
            raise EobenchError(
                f"config key pretraining.selected_methods: {name!r} is not an entry of "
                "pretraining.methods"
            )
    for name in block["ablation"]:
        if name not in block["methods"]:
            raise EobenchError(
                f"config key pretraining.ablation: {name!r} is not an entry of pretraining.methods"
            )
    for role, name in block["claims"].items():
        if name is not None and name not in block["methods"]:
            raise EobenchError(
                f"config key pretraining.claims.{role}: {name!r} is not an entry of "
                "pretraining.methods"
            )
    sections = {
        "encoders": config["encoders"],
        "adaptation.encoders": config["adaptation"]["encoders"],
    }
    for section, encoders in sections.items():
        for name, spec in encoders.items():
            if spec.get("type") == "pretrained_checkpoint":
                method = spec.get("method")
                if method not in block["methods"]:
                    raise EobenchError(
                        f"config key {section}.{name}.method: {method!r} is not an entry of "
                        "pretraining.methods"
                    )
                seed = spec.get("pretraining_seed", block["seeds"][0])
                if seed not in block["seeds"]:
                    raise EobenchError(
                        f"config key {section}.{name}.pretraining_seed: {seed} is not one of "
                        f"pretraining.seeds {block['seeds']}"
                    )
