"""The pretrained architectures: a small ViT and an isotropic ConvNeXt-V2-style network.

Written in plain torch: timm needs torchvision, which cannot be installed beside the
CPU torch of this project. Both read ``[B, C, H, W]`` tiles of any side that is a
multiple of the patch size (positions are sine-cosine codes, not a learned table, so a
checkpoint trained on 16 px tiles embeds 32 px ones) and give token grids
``[B, n, D]`` (:meth:`tokens`) or feature maps ``[B, D, H/p, W/p]`` (:meth:`forward`).
``tokens(x, visible)`` sees only the ``visible`` patches (``[B, n]`` bool):

- the ViT drops the hidden tokens before its blocks (MAE's encoder) and puts zeros at
  their places afterwards;
- the ConvNeXt-V2 network zeroes hidden tokens after the stem and after every block
  (FCMAE's dense emulation of sparse convolution); being isotropic (one stage at patch
  resolution, as ConvNeXt's isotropic variants) keeps masks aligned with patches.
"""

from __future__ import annotations

import torch
from torch import nn

from eobench.adaptation.backbones.vit import Block
from eobench.encoders.patch_transformer import sinusoidal_positions
from eobench.errors import EobenchError


class _Backbone(nn.Module):
    """Shared bookkeeping: channel names, patch size, width."""

    def __init__(self, channels, patch_size: int, width: int) -> None:
        super().__init__()
        self.channels, self.patch_size, self.width = list(channels), patch_size, width
        self.embed = nn.Conv2d(len(self.channels), width, patch_size, stride=patch_size)

    def grid(self, x: torch.Tensor) -> tuple[int, int]:
        h, w = x.shape[-2:]
        if h % self.patch_size or w % self.patch_size:
            raise EobenchError(
                f"tiles of {h} x {w} px are not a multiple of the patch size {self.patch_size}"
            )
        return h // self.patch_size, w // self.patch_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The feature map ``[B, D, h, w]`` of whole tiles."""
        h, w = self.grid(x)
        return self.tokens(x).transpose(1, 2).reshape(len(x), self.width, h, w)


class ViT(_Backbone):
    """Patch embedding, sine-cosine positions, ``depth`` pre-norm blocks, LayerNorm."""

    def __init__(self, channels, patch_size=4, width=64, depth=2, heads=4) -> None:
        super().__init__(channels, patch_size, width)
        if width % heads:
            raise EobenchError(f"width {width} must be a multiple of heads {heads}")
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def tokens(self, x: torch.Tensor, visible: torch.Tensor | None = None) -> torch.Tensor:
        h, w = self.grid(x)
        tokens = self.embed(x).flatten(2).transpose(1, 2)
        tokens = tokens + sinusoidal_positions(h, w, self.width).to(tokens)
        if visible is not None:
            # equal counts per row (exact mask ratios): gather the visible tokens
            index = visible.float().argsort(dim=1, descending=True, stable=True)
            index = index[:, : int(visible[0].sum())].sort(dim=1).values
            kept = tokens.gather(1, index[..., None].expand(-1, -1, self.width))
        else:
            kept = tokens
        for block in self.blocks:
            kept = block(kept)
        kept = self.norm(kept)
        if visible is None:
            return kept
        grid = kept.new_zeros(tokens.shape)
        return grid.scatter(1, index[..., None].expand(-1, -1, self.width), kept)


class GRN(nn.Module):
    """ConvNeXt-V2's global response normalisation (channels last)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, 1, 1, width))
        self.beta = nn.Parameter(torch.zeros(1, 1, 1, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = x.norm(p=2, dim=(1, 2), keepdim=True)
        return self.gamma * (x * (norm / (norm.mean(dim=-1, keepdim=True) + 1e-6))) + self.beta + x


class ConvNeXtV2Block(nn.Module):
    """Depth-wise conv, LayerNorm, 4x pointwise MLP with GELU and GRN, residual."""

    def __init__(self, width: int, kernel_size: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(width, width, kernel_size, padding=kernel_size // 2, groups=width)
        self.norm = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), GRN(4 * width), nn.Linear(4 * width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)  # [B, h, w, D]
        y = self.mlp(self.norm(y))
        return x + y.permute(0, 3, 1, 2)


class ConvNeXtV2(_Backbone):
    """Patchify stem, ``depth`` ConvNeXt-V2 blocks at patch resolution, LayerNorm."""

    def __init__(self, channels, patch_size=4, width=64, depth=3, kernel_size=3) -> None:
        super().__init__(channels, patch_size, width)
        self.blocks = nn.ModuleList(ConvNeXtV2Block(width, kernel_size) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def tokens(self, x: torch.Tensor, visible: torch.Tensor | None = None) -> torch.Tensor:
        h, w = self.grid(x)
        keep = None if visible is None else visible.reshape(len(x), 1, h, w).to(x.dtype)
        y = self.embed(x)
        for block in [None, *self.blocks]:
            y = y if block is None else block(y)
            if keep is not None:
                y = y * keep
        tokens = self.norm(y.flatten(2).transpose(1, 2))
        return tokens if keep is None else tokens * keep.flatten(1)[..., None]


#: Architecture ``type`` -> class (``pretraining.backbones`` entries).
ARCHITECTURES: dict[str, type[_Backbone]] = {"vit": ViT, "convnextv2": ConvNeXtV2}


def build_architecture(spec, channels, key: str) -> _Backbone:
    """The backbone of a ``pretraining.backbones`` entry (``type`` and its parameters)."""
    params = dict(spec)
    kind = params.pop("type", None)
    if kind not in ARCHITECTURES:
        raise EobenchError(
            f"config key {key}.type: unknown architecture {kind!r} (known: {sorted(ARCHITECTURES)})"
        )
    try:
        return ARCHITECTURES[kind](channels, **params)
    except TypeError as error:
        raise EobenchError(f"config key {key}: {error}") from None


class TextEncoder(nn.Module):
    """Word embeddings, sine-cosine positions, ``depth`` blocks, mean over the words.

    The captions are templated (a vocabulary of a few hundred words), so a small
    transformer trained jointly with the vision tower (as CLIP trains its text tower)
    suffices; see :mod:`eobench.pretraining.text` for why no packaged sentence model.
    """

    def __init__(self, vocabulary: int, width=64, depth=2, heads=4) -> None:
        super().__init__()
        self.width = width
        self.embed = nn.Embedding(vocabulary, width, padding_idx=0)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        words = ids != 0
        x = self.embed(ids) + sinusoidal_positions(1, ids.shape[1], self.width).to(
            self.embed.weight
        )
        for block in self.blocks:
            # padding positions are zeroed after every block; the mean skips them
            x = block(x) * words[..., None]
        x = self.norm(x)
        return (x * words[..., None]).sum(1) / words.sum(1, keepdim=True).clamp_min(1)
