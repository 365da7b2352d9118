"""MLP probes (one or more hidden ReLU layers), K of them trained as one batched model.

Every layer holds the weights of all K splits, ``[K, in, out]``; a step runs the K
networks on their rows with batched matrix products and one autograd pass. The K losses
are summed, and since the splits share no parameter, each split's gradient is exactly
what its own network would get; AdamW then acts element-wise as K optimisers would.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import torch

from eobench.probes.splits import split_rng


def parameter_count(dim: int, hidden_layers: Sequence[int]) -> int:
    """Trainable parameters of one probe: ``N + 1`` for the linear probe."""
    widths = [dim, *hidden_layers, 1]
    return sum(a * b + b for a, b in itertools.pairwise(widths))


class MLPHead:
    """K MLPs ``N -> hidden... -> 1`` with ReLU activations."""

    #: Rows per chunk when all samples are scored, bounding the ``[K, rows, H]`` buffers.
    chunk_rows = 2048

    def __init__(self, layers: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.layers = layers  # (weight [K, in, out], bias [K, out]), the last with out = 1
        for weight, bias in layers:
            weight.requires_grad_(True)
            bias.requires_grad_(True)

    @classmethod
    def initial(cls, seed, k_splits, dim, hidden_layers, device) -> MLPHead:
        """Weights and biases uniform in +-1/sqrt(fan_in) per layer, like ``nn.Linear``.

        Split k draws layer by layer (weight, then bias) from its own generator.
        """
        widths = [dim, *hidden_layers, 1]
        arrays = [
            (np.empty((k_splits, a, b), np.float32), np.empty((k_splits, b), np.float32))
            for a, b in itertools.pairwise(widths)
        ]
        for k in range(k_splits):
            rng = split_rng(seed, k, "init")
            for weight, bias in arrays:
                bound = 1 / math.sqrt(weight.shape[1])
                # Drawn as [out, in] like nn.Linear.weight, stored transposed.
                weight[k] = rng.uniform(-bound, bound, (weight.shape[2], weight.shape[1])).T
                bias[k] = rng.uniform(-bound, bound, bias.shape[1])
        return cls(
            [
                (torch.as_tensor(w, device=device), torch.as_tensor(b, device=device))
                for w, b in arrays
            ]
        )

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [tensor for layer in self.layers for tensor in layer]

    def _forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``[B, N]`` rows shared by all splits, or ``[K, B, N]``; returns ``[B, K]``."""
        for index, (weight, bias) in enumerate(self.layers):
            hidden = torch.matmul(hidden, weight) + bias[:, None, :]  # [K, B, out]
            if index < len(self.layers) - 1:
                hidden = torch.relu(hidden)
        return hidden[..., 0].T

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [self._forward(x[i : i + self.chunk_rows]) for i in range(0, len(x), self.chunk_rows)]
        )

    def loss_and_gradients(self, xb, member, target, dloss_fn):
        with torch.enable_grad():
            loss, _ = dloss_fn(self._forward(xb), target)
            weighted = loss * member  # member holds 1 / count: mean over each split's rows
            gradients = torch.autograd.grad(weighted.sum(), self.parameters)
        return weighted.sum(0).detach(), list(gradients)
