"""The adapted model: backbone, task head and, for joint training, one decoder per modality."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from eobench.adaptation.heads import make_head
from eobench.adaptation.modalities import CATEGORICAL, MODALITIES
from eobench.adaptation.tasks import AdaptationTask


class AdaptationModel(nn.Module):
    """``backbone`` (adapted), ``head`` (the task) and ``decoders`` (modality -> decoder).

    Parameters
    ----------
    backbone : nn.Module
        ``[B, C, H, W] -> [B, D, h, w]`` with attribute ``width`` = D.
    task : AdaptationTask
        Its kind sets the head: a pixel head for dense targets, a tile head otherwise.
    outputs : int
        Outputs of the head (1 for regression, the number of classes for multi-label).
    size : int
        Tile side in pixels.
    decoders : mapping
        Modality -> outputs of its decoder (channels or classes); empty without joint
        training.
    """

    def __init__(
        self,
        backbone: nn.Module,
        task: AdaptationTask,
        outputs: int,
        size: int,
        decoders: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = make_head("pixel" if task.dense else "tile", backbone.width, outputs, size)
        self.decoders = nn.ModuleDict(
            {
                name: make_head(MODALITIES[name].level, backbone.width, out, size)
                for name, out in (decoders or {}).items()
            }
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(inputs))


def mean_reconstruction_loss(
    features: torch.Tensor,
    decoders: nn.ModuleDict,
    targets: Mapping[str, torch.Tensor],
    valid: Mapping[str, torch.Tensor],
) -> torch.Tensor:
    """Joint training's reconstruction term: the mean over the modalities with any valid
    value in the batch of their losses (:func:`eobench.adaptation.ttt.modality_loss`, the
    loss TTT-MMR adapts on: MSE or cross-entropy, per sample over its valid elements,
    then over the samples that have any)."""
    from eobench.adaptation.ttt import modality_loss

    losses = []
    for name, decoder in decoders.items():
        loss, present = modality_loss(
            MODALITIES[name].kind, decoder(features), targets[name], valid[name]
        )
        if bool(present):
            losses.append(loss)
    return torch.stack(losses).mean() if losses else features.new_zeros(())


def decoder_outputs(names, class_counts: Mapping[str, int]) -> dict[str, int]:
    """Outputs of each modality's decoder: its channels, or its classes."""
    return {
        n: class_counts[n] if MODALITIES[n].kind == CATEGORICAL else len(MODALITIES[n].channels)
        for n in names
    }


def task_loss(task: AdaptationTask, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean loss over the labelled entries (standardised targets for regression)."""
    if task.kind == "multilabel":
        return torch.nn.functional.binary_cross_entropy_with_logits(prediction, target)
    valid = ~torch.isnan(target)
    squared = (prediction - torch.nan_to_num(target)) ** 2
    return (squared * valid).sum() / valid.sum().clamp(min=1)
