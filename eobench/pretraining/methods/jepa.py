"""JEPA (I-JEPA, Assran et al. 2023) on Sentinel-2: the student encodes a context view,
a predictor maps its tokens to the latents an EMA teacher gives the target patches of
the full tile; the target and context patches never overlap."""

from __future__ import annotations

import copy

import torch
from torch import nn

from eobench.pretraining.losses import ema_update, latent_prediction_loss
from eobench.pretraining.masking import context_target_masks
from eobench.pretraining.methods import Method, register
from eobench.pretraining.methods.decoders import TokenDecoder


class LatentPredictor(nn.Module):
    """The JEPA branch: EMA teacher, predictor, loss (shared with GeoMeld-FM)."""

    def __init__(self, backbone, objectives) -> None:
        super().__init__()
        settings = objectives["jepa"]
        self.target_ratio = float(settings["target_ratio"])
        self.context_ratio = float(settings["context_ratio"])
        self.momentum = float(settings["ema_momentum"])
        self.teacher = copy.deepcopy(backbone).requires_grad_(False)
        self.predictor = TokenDecoder(backbone.width, settings["predictor_width"])
        self.out = nn.Linear(settings["predictor_width"], backbone.width)

    def forward(self, backbone, images, generator):
        p = backbone.patch_size
        grid = (images.shape[-2] // p, images.shape[-1] // p)
        context, target = context_target_masks(
            len(images), grid[0] * grid[1], self.target_ratio, self.context_ratio, generator
        )
        context, target = context.to(images.device), target.to(images.device)
        with torch.no_grad():
            self.teacher.eval()
            latents = self.teacher.tokens(images)
        predicted = self.out(self.predictor(backbone.tokens(images, context), context, grid))
        return latent_prediction_loss(predicted, latents, target)

    def update(self, backbone) -> None:
        ema_update(self.teacher, backbone, self.momentum)


@register
class JEPA(Method):
    name = "jepa"

    def __init__(self, backbone, objectives, context) -> None:
        super().__init__(backbone, objectives, context)
        self.jepa = LatentPredictor(backbone, objectives)

    def loss(self, batch, generator):
        loss = self.jepa(self.backbone, batch["s2"], generator)
        return loss, {"jepa": float(loss.detach())}

    def after_step(self) -> None:
        self.jepa.update(self.backbone)
