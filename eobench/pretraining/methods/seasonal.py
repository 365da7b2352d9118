"""Seasonal contrast (SSL4EO-S12 style): two seasons of one place are positives, the other
places of the batch negatives; symmetric InfoNCE on projected mean tokens (SSL4EO-S12 ran
MoCo-v3 with a momentum queue; in-batch negatives, as SimCLR, suit the small batches of
the CPU default)."""

from __future__ import annotations

import torch
from torch import nn

from eobench.pretraining.losses import info_nce
from eobench.pretraining.methods import Method, register


def two_seasons(valid: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """``[B, 2]`` indices of two distinct seasons per sample, drawn uniformly among its
    valid seasons (``valid`` ``[B, T]`` bool; any season when fewer than two are valid)."""
    enough = valid.sum(1, keepdim=True) >= 2
    weights = torch.where(enough, valid.float(), torch.ones(valid.shape))
    return torch.multinomial(weights.cpu(), 2, replacement=False, generator=generator)


@register
class Seasonal(Method):
    name = "seasonal"
    needs = frozenset({"seasons"})

    def __init__(self, backbone, objectives, context) -> None:
        super().__init__(backbone, objectives, context)
        settings = objectives["seasonal"]
        self.temperature = float(settings["temperature"])
        width, out = backbone.width, settings["projection"]
        self.projection = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, out))

    def loss(self, batch, generator):
        seasons = batch["seasons"]  # [B, T, C, H, W]
        pick = two_seasons(batch["season_valid"], generator).to(seasons.device)
        rows = torch.arange(len(seasons), device=seasons.device)
        views = [seasons[rows, pick[:, k]] for k in range(2)]
        z = [self.projection(self.backbone.tokens(v).mean(dim=1)) for v in views]
        loss = info_nce(z[0], z[1], self.temperature)
        return loss, {"seasonal": float(loss.detach())}
