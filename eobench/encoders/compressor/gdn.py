"""Generalized divisive normalization (Ballé, Laparra and Simoncelli 2016).

``GDN``: ``y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)`` across channels at every pixel;
the inverse (IGDN, used in the synthesis transform) multiplies by the same root.
``beta`` and ``gamma`` are kept non-negative by storing their square roots (with a tiny
pedestal, so the gradient at zero does not vanish) and bounding them from below; the
bound lets gradients through whenever they would lift a parameter back above it, as in
Ballé's reference code.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: Added under the square-root parametrisation so a parameter at 0 still gets gradients.
PEDESTAL = 2.0**-18
#: Smallest ``beta``: keeps the denominator away from 0.
BETA_MIN = 1e-6


class _LowerBound(torch.autograd.Function):
    """``max(x, bound)`` whose gradient passes where ``x >= bound`` or it points upwards."""

    @staticmethod
    def forward(ctx, values: torch.Tensor, bound: float) -> torch.Tensor:
        ctx.save_for_backward(values)
        ctx.bound = bound
        return values.clamp_min(bound)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (values,) = ctx.saved_tensors
        # A negative gradient means descent would raise the value: let it through.
        passes = (values >= ctx.bound) | (grad < 0)
        return grad * passes, None


def _non_negative(raw: torch.Tensor, minimum: float) -> torch.Tensor:
    """The value ``max(raw, sqrt(minimum + pedestal))^2 - pedestal`` (at least ``minimum``)."""
    bound = (minimum + PEDESTAL) ** 0.5
    return _LowerBound.apply(raw, bound) ** 2 - PEDESTAL


def _raw(value: torch.Tensor) -> torch.Tensor:
    """The stored square root of a parameter value (inverse of :func:`_non_negative`)."""
    return torch.sqrt(value + PEDESTAL)


class GDN(nn.Module):
    """GDN over ``channels`` (``inverse=True``: IGDN), initialised as Ballé:
    ``beta = 1``, ``gamma = 0.1 I``.

    Attributes
    ----------
    beta : Tensor ``[C]``
    gamma : Tensor ``[C, C]`` (row ``i`` weighs the squares that normalise channel ``i``)
    """

    def __init__(self, channels: int, inverse: bool = False, gamma_init: float = 0.1) -> None:
        super().__init__()
        self.channels = int(channels)
        self.inverse = bool(inverse)
        self.beta_raw = nn.Parameter(_raw(torch.ones(channels)))
        self.gamma_raw = nn.Parameter(_raw(gamma_init * torch.eye(channels)))

    @property
    def beta(self) -> torch.Tensor:
        return _non_negative(self.beta_raw, BETA_MIN)

    @property
    def gamma(self) -> torch.Tensor:
        return _non_negative(self.gamma_raw, 0.0)

    @torch.no_grad()
    def assign(self, beta: torch.Tensor, gamma: torch.Tensor) -> None:
        """Set ``beta`` ``[C]`` (at least :data:`BETA_MIN`) and ``gamma`` ``[C, C]`` (>= 0)."""
        self.beta_raw.copy_(_raw(torch.as_tensor(beta, dtype=self.beta_raw.dtype)))
        self.gamma_raw.copy_(_raw(torch.as_tensor(gamma, dtype=self.gamma_raw.dtype)))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalise ``inputs`` ``[B, C, H, W]``."""
        kernel = self.gamma.reshape(self.channels, self.channels, 1, 1)
        norm = torch.sqrt(F.conv2d(inputs * inputs, kernel, self.beta))
        return inputs * norm if self.inverse else inputs / norm
