"""Adaptation modes: how a backbone is adapted to a task.

A mode is one file here (a :class:`Mode` called ``MODE``) and one entry of
``adaptation.modes``. Training modes produce a checkpoint per task; test-time modes start
from the checkpoint of their ``base`` mode and adapt on the test batches.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from eobench.errors import EobenchError

#: The modules of the built-in modes, in the order of the tables.
MODE_MODULES = ("lp", "ft", "jt", "jt_ttt", "jt_ttt_geo")


@dataclass(frozen=True)
class Mode:
    """One adaptation mode.

    ``freeze_backbone``: only the head trains (the backbone stays in eval mode);
    ``reconstruct``: joint training with one decoder per modality; ``base``: the training
    mode whose checkpoint a test-time mode adapts (None for training modes);
    ``batching``: how a test-time mode cuts the test set (``random`` or ``geographic``).
    """

    name: str
    description: str
    freeze_backbone: bool = False
    reconstruct: bool = False
    base: str | None = None
    batching: str | None = None

    @property
    def trains(self) -> bool:
        return self.base is None


def modes() -> dict[str, Mode]:
    """Every built-in mode by name."""
    found = {}
    for module in MODE_MODULES:
        mode = importlib.import_module(f"eobench.adaptation.modes.{module}").MODE
        found[mode.name] = mode
    return found


def get_mode(name: str, key: str = "adaptation.modes") -> Mode:
    """The mode called ``name``; an unknown name is an error naming ``key``."""
    known = modes()
    if name not in known:
        raise EobenchError(f"config key {key}: unknown mode {name!r} (known: {list(known)})")
    return known[name]
