"""Patches and masks: what MAE, MP-MAE and JEPA hide from the encoder.

A tile ``[B, C, H, W]`` is cut into ``(H / p) x (W / p)`` patches in row-major order. A
mask is a bool tensor ``[B, n]`` with True where a patch is hidden. Every sample hides
exactly ``round(ratio * n)`` patches (MAE's per-sample shuffle), so the ratio is exact,
not only in expectation.
"""

from __future__ import annotations

import torch


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """``[B, C, H, W]`` -> ``[B, n, p * p * C]`` (patches in row-major order, each
    flattened pixel by pixel with the channels last, as MAE's ``patchify``)."""
    b, c, h, w = images.shape
    p = patch_size
    x = images.reshape(b, c, h // p, p, w // p, p)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)


def unpatchify(patches: torch.Tensor, patch_size: int, channels: int, side: int) -> torch.Tensor:
    """The inverse of :func:`patchify` for square tiles of ``side`` pixels."""
    b = patches.shape[0]
    p, g = patch_size, side // patch_size
    x = patches.reshape(b, g, g, p, p, channels).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(b, channels, side, side)


def n_masked(n_tokens: int, ratio: float) -> int:
    """Patches hidden per sample: ``round(ratio * n)``, at least 1 and at most ``n - 1``
    when ``0 < ratio < 1`` (an encoder needs one visible patch, a loss one hidden)."""
    count = round(ratio * n_tokens)
    if 0 < ratio < 1:
        count = min(max(count, 1), n_tokens - 1)
    return int(count)


def random_mask(
    batch: int, n_tokens: int, ratio: float, generator: torch.Generator
) -> torch.Tensor:
    """``[B, n]`` bool: exactly :func:`n_masked` True per row, chosen uniformly (a
    per-sample random permutation, drawn on the CPU so any device sees the same mask)."""
    noise = torch.rand(batch, n_tokens, generator=generator)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    return ranks < n_masked(n_tokens, ratio)


def context_target_masks(
    batch: int, n_tokens: int, target_ratio: float, context_ratio: float, generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """JEPA's views: ``target`` hides ``round(target_ratio n)`` patches the predictor must
    infer; the ``context`` keeps ``round(context_ratio n)`` of the other patches. Both
    ``[B, n]`` bool, True = in the view; they never overlap."""
    target = random_mask(batch, n_tokens, target_ratio, generator)
    noise = torch.rand(batch, n_tokens, generator=generator).masked_fill(target, 2.0)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    keep = min(round(context_ratio * n_tokens), n_tokens - int(target[0].sum()))
    context = ranks < max(keep, 1)
    return context, target
