"""Checks of the ``adaptation`` config block that a schema cannot express."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eobench.adaptation.backbones import BACKBONE_MODULES
from eobench.adaptation.modalities import InputChannels, get_modality
from eobench.adaptation.modes import get_mode
from eobench.errors import EobenchError


def check_adaptation(config: Mapping[str, Any]) -> None:
    """Raise :class:`EobenchError` naming the first problem of ``config["adaptation"]``."""
    block = config["adaptation"]
    if not block["enabled"]:
        return
    dataset = block["dataset"]
    if dataset not in config["datasets"]:
        raise EobenchError(
            f"config key adaptation.dataset: {dataset!r} is not an entry of datasets "
            f"(has: {sorted(config['datasets'])})"
        )
    if "mmearth" not in config["datasets"][dataset].get("families", []):
        raise EobenchError(
            f"config key adaptation.dataset: dataset {dataset!r} has no MMEarth modalities "
            f"and tasks; set datasets.{dataset}.families: [mmearth]"
        )
    _check_encoders(block)
    for name, entry in block["inputs"].items():
        InputChannels.from_config(entry, f"adaptation.inputs.{name}")
    for name in block["reconstruct"]:
        get_modality(name, "adaptation.reconstruct")
    _check_grid(block)


def _check_encoders(block: Mapping[str, Any]) -> None:
    from eobench.encoders.weights import get_weights

    for name in block["selected_encoders"] or []:
        if name not in block["encoders"]:
            raise EobenchError(
                f"config key adaptation.selected_encoders: {name!r} is not an entry of "
                f"adaptation.encoders (has: {sorted(block['encoders'])})"
            )
    for name, spec in block["encoders"].items():
        if spec["type"] not in BACKBONE_MODULES:
            raise EobenchError(
                f"config key adaptation.encoders.{name}.type: unknown backbone "
                f"{spec['type']!r} (known: {sorted(BACKBONE_MODULES)})"
            )
        if "weights" in spec:
            get_weights(spec["weights"], key=f"adaptation.encoders.{name}.weights")


def _check_grid(block: Mapping[str, Any]) -> None:
    for i, entry in enumerate(block["grid"]):
        key = f"adaptation.grid.{i}"
        modes = [get_mode(m, f"{key}.modes") for m in entry["modes"]]
        for mode in modes:
            if mode.base is not None and mode.base not in entry["modes"]:
                raise EobenchError(
                    f"config key {key}.modes: {mode.name} adapts the checkpoints of "
                    f"{mode.base}, which this entry does not train; add {mode.base}"
                )
        for name in entry["inputs"]:
            if name not in block["inputs"]:
                raise EobenchError(
                    f"config key {key}.inputs: {name!r} is not an entry of adaptation.inputs "
                    f"(has: {sorted(block['inputs'])})"
                )
