"""The light decoder shared by the masked objectives: hidden tokens become a learned mask
token, positions are added, one or two transformer blocks mix them (MAE's decoder)."""

from __future__ import annotations

import torch
from torch import nn

from eobench.adaptation.backbones.vit import Block
from eobench.encoders.patch_transformer import sinusoidal_positions


class TokenDecoder(nn.Module):
    """``[B, n, D_in]`` tokens and a ``[B, n]`` visibility mask -> ``[B, n, width]``."""

    def __init__(self, width_in: int, width: int, depth: int = 1, heads: int = 4) -> None:
        super().__init__()
        self.width = width
        self.project = nn.Linear(width_in, width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        nn.init.normal_(self.mask_token, std=0.02)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def forward(self, tokens: torch.Tensor, visible: torch.Tensor, grid: tuple[int, int]):
        x = self.project(tokens)
        x = torch.where(visible[..., None], x, self.mask_token.to(x.dtype))
        x = x + sinusoidal_positions(*grid, self.width).to(x)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)
