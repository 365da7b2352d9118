"""The pretraining objectives on tensors: each a plain function, unit-tested by hand.

The multi-pretext reconstruction reuses MMEarth-Bench's per-modality loss
(:func:`eobench.adaptation.ttt.modality_loss`: MSE for continuous, cross-entropy for
categorical modalities, averaged over the valid elements of each sample, then over the
samples that have any), so pretraining and joint training rebuild modalities alike.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from eobench.adaptation.ttt import modality_loss


def masked_patch_mse(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, valid=None
) -> torch.Tensor:
    """MAE's loss: the squared error per patch (mean over its values), averaged over the
    masked patches only. ``prediction``/``target`` ``[B, n, d]``, ``mask`` ``[B, n]``;
    ``valid`` (``[B, n, d]``, optional) leaves missing pixels out of each patch's mean."""
    error = (prediction - target) ** 2
    if valid is None:
        per_patch = error.mean(dim=-1)
    else:
        valid = valid.to(error.dtype)
        per_patch = (error * valid).sum(dim=-1) / valid.sum(dim=-1).clamp_min(1)
    weight = mask.to(per_patch.dtype)
    return (per_patch * weight).sum() / weight.sum().clamp_min(1)


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE (CLIP): ``a[i]`` and ``b[i]`` are the positives of each other,
    every other row of the batch a negative; embeddings are L2-normalised, logits are
    cosine similarities over ``temperature``; the mean of both directions' cross-entropy."""
    logits = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T / temperature
    labels = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, momentum: float) -> None:
    """The EMA teacher step: ``theta_t <- m theta_t + (1 - m) theta_s`` for every
    parameter (buffers are copied)."""
    for t, s in zip(teacher.parameters(), student.parameters(), strict=True):
        t.mul_(momentum).add_(s.detach(), alpha=1.0 - momentum)
    for t, s in zip(teacher.buffers(), student.buffers(), strict=True):
        t.copy_(s)


def multi_pretext_loss(
    predictions: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
    valid: Mapping[str, torch.Tensor],
    kinds: Mapping[str, str],
) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean over the modalities with any valid value in the batch of their reconstruction
    losses, and each modality's loss (for the curves)."""
    losses, terms = [], {}
    for name, prediction in predictions.items():
        loss, present = modality_loss(kinds[name], prediction, targets[name], valid[name])
        if bool(present):
            losses.append(loss)
            terms[name] = float(loss.detach())
    first = next(iter(predictions.values()))
    return (torch.stack(losses).mean() if losses else first.new_zeros(())), terms


def latent_prediction_loss(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """JEPA's loss: MSE between predicted and teacher latents ``[B, n, D]`` (the teacher's
    layer-normalised, I-JEPA's recipe), averaged over the target patches ``mask``."""
    target = F.layer_norm(target, target.shape[-1:])
    return masked_patch_mse(prediction, target, mask)
