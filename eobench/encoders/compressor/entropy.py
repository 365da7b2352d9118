"""Ballé's entropy bottleneck: a learned, univariate, non-parametric density per channel.

Each latent channel ``c`` has a cumulative distribution ``c(x) = sigmoid(f_K(...f_1(x)))``
built from ``K`` small affine maps (Ballé et al. 2018, appendix 6.1)::

    f_k(x) = h_k(softplus(H_k) x + b_k)       h_k(z) = z + tanh(a_k) * tanh(z)   (k < K)
    f_K(x) = softplus(H_K) x + b_K            (the logit of the cumulative)

``softplus`` keeps every matrix positive and ``tanh(a_k) > -1`` keeps every ``h_k``
increasing, so ``c`` is a valid cumulative whatever the parameters. The probability of a
latent ``y`` is the mass of the unit interval around it, ``c(y + 1/2) - c(y - 1/2)``: in
training ``y`` is the analysis output plus uniform noise ``U(-1/2, 1/2)`` (a differentiable
stand-in for rounding), in evaluation it is rounded to the integer grid offset by the
channel's median.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

#: Smallest likelihood used: bounds the bits of one value at about 30, as Ballé's code.
LIKELIHOOD_BOUND = 1e-9
#: Bisection steps of :meth:`EntropyBottleneck.medians`; float32 needs about 40.
MEDIAN_STEPS = 64


class EntropyBottleneck(nn.Module):
    """Factorized density of ``channels`` latent channels and the quantisation around it.

    Parameters
    ----------
    channels : int
        Latent channels ``M``.
    filters : sequence of int
        Widths of the hidden layers of each channel's density (Ballé: ``(3, 3, 3)``);
        an empty sequence leaves one affine map, ``c(x) = sigmoid(softplus(H) x + b)``,
        a logistic cumulative.
    init_scale : float
        Initial spread of the densities, as Ballé's ``init_scale``.
    likelihood_bound : float
        Likelihoods are clamped from below to this value.

    Attributes
    ----------
    matrices, biases, factors : ParameterList
        ``H_k`` ``[M, d_k, d_{k-1}]`` (before softplus), ``b_k`` ``[M, d_k, 1]`` and
        ``a_k`` ``[M, d_k, 1]`` (before tanh; ``K - 1`` of them).
    """

    def __init__(
        self,
        channels: int,
        filters: Sequence[int] = (3, 3, 3),
        init_scale: float = 10.0,
        likelihood_bound: float = LIKELIHOOD_BOUND,
    ) -> None:
        super().__init__()
        self.channels = int(channels)
        self.filters = tuple(int(f) for f in filters)
        self.likelihood_bound = float(likelihood_bound)
        widths = (1, *self.filters, 1)
        # Ballé's initialisation: the composed maps scale by init_scale overall and the
        # nonlinearities start as identities (a_k = 0).
        scale = init_scale ** (1.0 / (len(widths) - 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for d_in, d_out in itertools.pairwise(widths):
            initial = float(np.log(np.expm1(1.0 / scale / d_out)))
            self.matrices.append(nn.Parameter(torch.full((channels, d_out, d_in), initial)))
            self.biases.append(nn.Parameter(torch.rand(channels, d_out, 1) - 0.5))
            if d_out != 1:
                self.factors.append(nn.Parameter(torch.zeros(channels, d_out, 1)))

    def cumulative_logits(self, values: torch.Tensor) -> torch.Tensor:
        """The logit of each channel's cumulative at ``values`` ``[M, 1, n]`` -> ``[M, 1, n]``."""
        logits = values
        for k, (matrix, bias) in enumerate(zip(self.matrices, self.biases, strict=True)):
            logits = torch.matmul(F.softplus(matrix), logits) + bias
            if k < len(self.factors):
                logits = logits + torch.tanh(self.factors[k]) * torch.tanh(logits)
        return logits

    def likelihoods(self, latents: torch.Tensor) -> torch.Tensor:
        """``c(y + 1/2) - c(y - 1/2)`` of every value of ``latents`` ``[B, M, H, W]``.

        The difference is taken on the side of the median where both cumulatives are
        small (``sigmoid(-l) - sigmoid(-u)`` right of it), so tail probabilities keep
        their digits instead of cancelling to 0.
        """
        per_channel = latents.transpose(0, 1).reshape(self.channels, 1, -1)
        lower = self.cumulative_logits(per_channel - 0.5)
        upper = self.cumulative_logits(per_channel + 0.5)
        flip = torch.where(lower + upper > 0, -1.0, 1.0)
        mass = torch.sigmoid(flip * upper) - torch.sigmoid(flip * lower)
        mass = mass.abs().clamp_min(self.likelihood_bound)
        batch, _, height, width = latents.shape
        return mass.reshape(self.channels, batch, height, width).transpose(0, 1)

    @torch.no_grad()
    def medians(self) -> torch.Tensor:
        """Each channel's median ``m_c`` (``c(m_c) = 1/2``) by bisection, ``[M]``."""
        like = {"device": self.biases[0].device, "dtype": self.biases[0].dtype}
        low = torch.full((self.channels, 1, 1), -1.0, **like)
        high = torch.full((self.channels, 1, 1), 1.0, **like)
        # Widen the bracket until it holds every median (the logits are increasing).
        while bool((self.cumulative_logits(low) > 0).any()):
            low = low * 2
        while bool((self.cumulative_logits(high) < 0).any()):
            high = high * 2
        for _ in range(MEDIAN_STEPS):
            middle = (low + high) / 2
            right = self.cumulative_logits(middle) > 0
            high = torch.where(right, middle, high)
            low = torch.where(right, low, middle)
        return ((low + high) / 2).reshape(self.channels)

    def quantize(self, latents: torch.Tensor) -> torch.Tensor:
        """Round ``latents`` ``[B, M, H, W]`` to the integers offset by each channel's median."""
        medians = self.medians().reshape(1, self.channels, 1, 1)
        return torch.round(latents - medians) + medians

    def forward(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The latents as coded and their likelihoods.

        In training mode the latents get additive uniform noise ``U(-1/2, 1/2)`` from
        torch's global generator (seed it for reproducible training); in evaluation mode
        they are rounded around the medians (:meth:`quantize`).
        """
        if self.training:
            coded = latents + (torch.rand_like(latents) - 0.5)
        else:
            coded = self.quantize(latents)
        return coded, self.likelihoods(coded)


def total_bits(likelihoods: torch.Tensor) -> torch.Tensor:
    """The ideal code length ``-sum log2 p`` of values with these likelihoods, in bits."""
    return -torch.log2(likelihoods).sum()
