"""A small jointly trained model and data for the TTT tests and benchmark.

A fixture for the algorithm (the shapes of the lead's model), not a stand-in for our code: a
patchifying conv encoder, decoders for a pixel-level continuous modality (upsample, 1x1
conv), a tile-level continuous one (pooled linear) and a pixel-level categorical one, and a
pooled LayerNorm-linear regression head.
"""

from __future__ import annotations

import torch
from torch import nn

from eobench.adaptation.ttt import JointModel, TTTData

BANDS, CLIMATE, CLASSES = 4, 3, 5
KINDS = {"s2": "continuous", "climate": "continuous", "landcover": "categorical"}


class StandinEncoder(nn.Module):
    """Patchify (4x4, stride 4), GroupNorm, GELU, a residual 3x3 conv: [B, C, H, W] ->
    [B, width, H/4, W/4]."""

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, width, kernel_size=4, stride=4)
        self.norm = nn.GroupNorm(4, width)
        self.mix = nn.Conv2d(width, width, kernel_size=3, padding=1)

    def forward(self, inputs):
        features = nn.functional.gelu(self.norm(self.stem(inputs)))
        return features + nn.functional.gelu(self.mix(features))


class StandinBlock(nn.Module):
    """A pre-norm transformer block (multi-head self-attention, GELU MLP)."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.out = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width)
        )

    def forward(self, tokens):
        b, n, d = tokens.shape
        q, k, v = self.qkv(self.norm1(tokens)).reshape(b, n, 3, self.heads, -1).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        # Plain attention: CPU's fused scaled_dot_product_attention has no vmap batching
        # rule (torch 2.13) and would run batch by batch under vmap.
        attention = torch.softmax((q * q.shape[-1] ** -0.5) @ k.transpose(-1, -2), dim=-1)
        tokens = tokens + self.out((attention @ v).transpose(1, 2).reshape(b, n, d))
        return tokens + self.mlp(self.norm2(tokens))


class StandinViT(nn.Module):
    """A tiny patch ViT: 4x4 patches, learned positions, ``depth`` blocks: [B, C, H, W] ->
    [B, width, H/4, W/4]."""

    def __init__(self, in_channels: int, width: int, size: int, depth: int = 2, heads: int = 4):
        super().__init__()
        self.grid = size // 4
        self.embed = nn.Conv2d(in_channels, width, kernel_size=4, stride=4)
        self.position = nn.Parameter(0.02 * torch.randn(1, self.grid**2, width))
        self.blocks = nn.Sequential(*[StandinBlock(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)

    def forward(self, inputs):
        tokens = self.embed(inputs).flatten(2).transpose(1, 2) + self.position
        tokens = self.norm(self.blocks(tokens))
        return tokens.transpose(1, 2).reshape(len(inputs), -1, self.grid, self.grid)


def pixel_decoder(width: int, channels: int, size: int) -> nn.Module:
    return nn.Sequential(nn.Upsample(size=size, mode="bilinear"), nn.Conv2d(width, channels, 1))


def standin_model(
    seed: int = 0, in_channels: int = 6, width: int = 16, size: int = 32, encoder: str = "conv"
):
    """A randomly initialised :class:`JointModel` (seeded) with a ``"conv"`` or ``"vit"``
    encoder."""
    torch.manual_seed(seed)
    if encoder == "vit":
        backbone = StandinViT(in_channels, width, size)
    else:
        backbone = StandinEncoder(in_channels, width)
    decoders = nn.ModuleDict(
        {
            "s2": pixel_decoder(width, BANDS, size),
            "climate": nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 3)),
            "landcover": pixel_decoder(width, CLASSES, size),
        }
    )
    head = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(width), nn.Linear(width, 1)
    )
    return JointModel(backbone, decoders, head, dict(KINDS))


def standin_data(n: int, seed: int = 0, in_channels: int = 6, size: int = 32) -> TTTData:
    """Samples whose targets depend on the inputs, with missing values: climate missing
    for every third sample (NaN), land cover missing (255) in a corner of every other one."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, in_channels, size, size, generator=generator)
    s2 = inputs[:, :BANDS] * 0.5 + 0.1 * torch.randn(n, BANDS, size, size, generator=generator)
    climate = inputs.mean(dim=(2, 3))[:, :CLIMATE] * 3 + 0.1
    climate[::3] = float("nan")
    landcover = (inputs[:, BANDS] * 2).clamp(-2, 2).round().long() + 2
    landcover[::2, : size // 4, : size // 4] = 255
    task = inputs[:, -1].mean(dim=(1, 2)).unsqueeze(1) * 5
    return TTTData(
        inputs=inputs,
        targets={"s2": s2, "climate": climate, "landcover": landcover},
        valid={
            "s2": torch.ones_like(s2, dtype=torch.bool),
            "climate": ~climate.isnan(),
            "landcover": landcover != 255,
        },
        task_target=task,
    )
