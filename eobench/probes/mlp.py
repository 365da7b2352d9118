"""MLP probes (one or more hidden ReLU layers), K of them trained as one batched model.

Every layer holds the weights of all K splits, ``[K, in, out]``; a step runs the K
networks on their rows with batched matrix products and back-propagates in closed form,
like :class:`~eobench.probes.linear.LinearHead`: no autograd graph is recorded, the
gradients are written into one preallocated buffer and the optimiser sees one flat
parameter tensor. The splits share no parameter, so each split's gradient is exactly what
its own network would get, and AdamW acts element-wise as K optimisers would.
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
    """K MLPs ``N -> hidden... -> 1`` with ReLU activations.

    Parameters
    ----------
    layers : list of (tensor [K, in, out], tensor [K, out])
        Weights and biases of every layer, the last with ``out = 1``. They are copied
        into one flat buffer; :attr:`layers` holds views of it.
    """

    #: Rows per chunk when all samples are scored, bounding the ``[K, rows, H]`` buffers.
    chunk_rows = 2048
    #: Elements of the ``[K, rows, N]`` block gathered per chunk by :meth:`logits_of_rows`.
    chunk_elements = 2**24

    def __init__(self, layers: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        self._shapes = [shape for w, b in layers for shape in (w.shape, b.shape)]
        # One buffer for all parameters and one for their gradients: the optimiser then
        # updates one tensor per step instead of two per layer, and the backward pass
        # writes into the gradient buffer instead of allocating 4 * K * N * H bytes.
        self.flat = torch.cat([t.detach().reshape(-1) for w, b in layers for t in (w, b)])
        self.flat_grad = torch.zeros_like(self.flat)
        self.layers = self.unflatten(self.flat)
        self._grads = self.unflatten(self.flat_grad)

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

    def unflatten(self, flat: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Views ``(weight [K, in, out], bias [K, out])`` of every layer in a flat tensor.

        ``flat`` is laid out like :attr:`parameters` (e.g. a gradient of them).
        """
        views, offset = [], 0
        for shape in self._shapes:
            size = math.prod(shape)
            views.append(flat[offset : offset + size].view(shape))
            offset += size
        return list(zip(views[::2], views[1::2], strict=True))

    @property
    def parameters(self) -> list[torch.Tensor]:
        """The one flat tensor the optimiser updates (:attr:`layers` are views of it)."""
        return [self.flat]

    def _forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Inputs of every layer and the outputs ``[K, B]``.

        ``x`` is ``[B, N]`` (rows shared by all splits) or ``[K, B, N]`` (rows per split).
        """
        inputs = []
        hidden = x
        for weight, bias in self.layers[:-1]:
            inputs.append(hidden)
            if hidden.ndim == 2:  # shared rows [B, N], broadcast against every split
                hidden = torch.matmul(hidden, weight)
                hidden += bias[:, None, :]
            else:
                hidden = torch.baddbmm(bias[:, None, :], hidden, weight)
            hidden.relu_()
        inputs.append(hidden)
        weight, bias = self.layers[-1]
        if hidden.ndim == 2:  # no hidden layer: the linear probe
            return inputs, (hidden @ weight[..., 0].T + bias[:, 0]).T
        return inputs, torch.baddbmm(bias[:, None, :], hidden, weight)[..., 0]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``[n, K]`` of every split's network for the rows ``x`` ``[n, N]``."""
        return torch.cat(
            [
                self._forward(x[i : i + self.chunk_rows])[1].T
                for i in range(0, len(x), self.chunk_rows)
            ]
        )

    def logits_of_rows(self, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Outputs ``[K, m]`` of split k's network for its own rows ``x[rows[k]]``.

        Scoring only the rows a split evaluates (its test and validation parts, a tenth
        of the samples in the paper's protocol) costs a tenth of :meth:`logits` for all.
        """
        k_splits, m = rows.shape
        step = max(1, self.chunk_elements // (k_splits * x.shape[1]))
        return torch.cat(
            [
                self._forward(
                    x.index_select(0, rows[:, i : i + step].reshape(-1)).view(
                        k_splits, -1, x.shape[1]
                    )
                )[1]
                for i in range(0, m, step)
            ],
            dim=1,
        )

    def loss_and_gradients(self, xb, member, target, dloss_fn):
        """Per-split mean loss ``[K]`` and the gradient of :attr:`parameters`.

        Parameters
        ----------
        xb : tensor [B, N] or [K, B, N]
            Rows shared by all splits, or one block of rows per split.
        member : tensor [B, K]
            Weight of every row in every split's mean loss (0 for rows outside its fit
            part, else 1 / count).
        target : tensor [B, K] or [B, 1]
        dloss_fn : callable
            Element-wise loss and its derivative in the outputs.

        Returns
        -------
        loss : tensor [K]
        gradients : list of one tensor
            Laid out like :attr:`parameters`; the buffer is overwritten by the next call.
        """
        inputs, outputs = self._forward(xb)
        loss, dloss = dloss_fn(outputs.T, target)
        # Gradient of each split's mean loss in its outputs, [K, B, 1].
        delta = (dloss * member).T.contiguous()[:, :, None]
        for index in range(len(self.layers) - 1, -1, -1):
            weight, _ = self.layers[index]
            grad_weight, grad_bias = self._grads[index]
            layer_input = inputs[index]
            if layer_input.ndim == 2:  # shared rows: [B, in] for every split
                torch.matmul(layer_input.T, delta, out=grad_weight)
            else:
                torch.bmm(layer_input.transpose(1, 2), delta, out=grad_weight)
            torch.sum(delta, dim=1, out=grad_bias)
            if index > 0:
                # Back through the weights, then the ReLU that produced this layer's input
                # (its output is positive exactly where its input was).
                delta = torch.bmm(delta, weight.transpose(1, 2))
                delta.mul_(layer_input > 0)  # cheaper than masked_fill_
        return (loss * member).sum(0), [self.flat_grad]
