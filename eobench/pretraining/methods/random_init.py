"""The random-init twin of an architecture: its weights at initialisation under the seed."""

from __future__ import annotations

from eobench.pretraining.methods import Method, register


@register
class RandomInit(Method):
    name = "random_init"
    trains = False

    def loss(self, batch, generator):  # pragma: no cover - never trained
        raise RuntimeError("random_init trains nothing")
