"""Task heads and the light reconstruction decoders of joint training.

As MMEarth-Bench: a tile-level head pools the feature map (average), normalises it
(LayerNorm) and maps it linearly; a pixel-level head upsamples the feature map to the
tile (bilinear) and applies a 1x1 convolution. A decoder is the same light head per
modality, with one output per channel (continuous) or per class (categorical).
"""

from __future__ import annotations

import torch
from torch import nn


class TileHead(nn.Module):
    """Average pool, LayerNorm, Linear: ``[B, D, h, w] -> [B, out]``."""

    def __init__(self, width: int, out: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.linear = nn.Linear(width, out)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(self.norm(features.mean(dim=(2, 3))))


class PixelHead(nn.Module):
    """Bilinear upsampling to ``size`` and a 1x1 convolution: ``[B, out, size, size]``."""

    def __init__(self, width: int, out: int, size: int) -> None:
        super().__init__()
        self.size = size
        self.conv = nn.Conv2d(width, out, kernel_size=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        up = nn.functional.interpolate(
            features, size=(self.size, self.size), mode="bilinear", align_corners=False
        )
        return self.conv(up)


def make_head(level: str, width: int, out: int, size: int) -> nn.Module:
    """The head of a ``pixel`` or ``tile`` level target with ``out`` outputs."""
    return PixelHead(width, out, size) if level == "pixel" else TileHead(width, out)
