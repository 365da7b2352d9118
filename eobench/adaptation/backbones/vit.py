"""A small Vision Transformer trained from random initialisation (the from-scratch baseline)."""

from __future__ import annotations

import torch
from torch import nn

from eobench.adaptation.backbones import register


class Attention(nn.Module):
    """Multi-head self-attention written out, so that ``torch.func.vmap`` batches it."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).unbind(dim=2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [b, heads, n, d_head]
        weights = torch.softmax(q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5, dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-norm transformer block (attention, then a 4x MLP)."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@register
class ViTBackbone(nn.Module):
    """Patch embedding, learned positions, ``depth`` blocks: ``[B, width, H/p, W/p]`` out.

    Parameters
    ----------
    channels : list of str
        Input channel names (their number sets the patch embedding's input).
    image_size : int
        Tile side in pixels (the learned position table has ``(image_size / patch_size)^2``
        entries).
    patch_size, width, depth, heads : int
        Patch side in pixels, token width, number of blocks and attention heads.
    """

    name = "vit"
    weights = "random_init"

    def __init__(
        self,
        channels: list[str],
        image_size: int,
        patch_size: int = 4,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
    ) -> None:
        super().__init__()
        if image_size % patch_size or width % heads:
            raise TypeError(
                f"image_size {image_size} must be a multiple of patch_size {patch_size} and "
                f"width {width} of heads {heads}"
            )
        self.width, self.patch_size = width, patch_size
        self.embed = nn.Conv2d(len(channels), width, patch_size, stride=patch_size)
        side = image_size // patch_size
        self.position = nn.Parameter(torch.randn(1, side * side, width) * 0.02)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.embed(x)  # [B, D, h, w]
        b, d, h, w = tokens.shape
        tokens = tokens.flatten(2).transpose(1, 2) + self.position
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens).transpose(1, 2).reshape(b, d, h, w)
