"""A random-weight ViT-like encoder whose intermediate layers can be probed.

The 27 normalised channels of an image are cut into ``patch_size`` patches, linearly
embedded to ``width`` features with a learned-free (random, seeded) projection and a
sinusoidal position code, and passed through ``depth`` pre-norm transformer blocks with
random weights (PyTorch's default initialisation under a fixed seed). The embedding of
layer ``layer`` (0 = the patch embedding, ``depth`` = the last block) is the mean of its
patch tokens, zero-padded to ``N`` (the paper's ViT recipe): it plays the ViT-like
encoder of the embedding-size ablation and the encoder of the layer-wise ablation.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from eobench.data.bands import IMAGE_MODALITIES, stack_normalised
from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.encoders.rcf import N_CHANNELS, resolve_device
from eobench.encoders.reduction import reduce_features
from eobench.errors import EobenchError


def sinusoidal_positions(n_rows: int, n_cols: int, width: int) -> torch.Tensor:
    """2-D sine-cosine position codes ``[rows * cols, width]`` (half rows, half columns)."""
    quarter = width // 4
    frequencies = 1.0 / (10000 ** (torch.arange(quarter, dtype=torch.float32) / quarter))
    rows = torch.arange(n_rows, dtype=torch.float32)[:, None] * frequencies
    cols = torch.arange(n_cols, dtype=torch.float32)[:, None] * frequencies
    row_code = torch.cat([rows.sin(), rows.cos()], dim=1)[:, None, :].expand(-1, n_cols, -1)
    col_code = torch.cat([cols.sin(), cols.cos()], dim=1)[None, :, :].expand(n_rows, -1, -1)
    code = torch.cat([row_code, col_code], dim=2).reshape(n_rows * n_cols, -1)
    return torch.nn.functional.pad(code, (0, width - code.shape[1]))


@register
class PatchTransformerEncoder(Encoder):
    """Mean patch token of one layer of a random-weight transformer.

    Parameters
    ----------
    patch_size : int
        Patch side in pixels (the image side must be a multiple of it).
    width : int
        Token width ``D`` (ViT-Tiny: 192); ``N < D`` averages neighbouring features.
    depth : int
        Number of transformer blocks.
    heads : int
        Attention heads per block (must divide ``width``).
    layer : int or None
        Layer whose tokens are averaged: 0 is the patch embedding, ``depth`` (default,
        ``None``) the last block.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    """

    name = "patch_transformer"
    inputs = IMAGE_MODALITIES

    def __init__(
        self,
        embedding_dim: int,
        seed: int = 0,
        patch_size: int = 4,
        width: int = 192,
        depth: int = 4,
        heads: int = 3,
        layer: int | None = None,
        device: str = "auto",
    ) -> None:
        super().__init__(embedding_dim, seed)
        for label, value in (("patch_size", patch_size), ("width", width), ("depth", depth)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be a positive integer (got {value!r})")
        if width % heads:
            raise ValueError(f"heads ({heads}) must divide width ({width})")
        layer = depth if layer is None else layer
        if not isinstance(layer, int) or not 0 <= layer <= depth:
            raise ValueError(f"layer must be an integer from 0 to depth={depth} (got {layer!r})")
        self.patch_size, self.width, self.depth, self.heads, self.layer = (
            patch_size,
            width,
            depth,
            heads,
            layer,
        )
        self.device = resolve_device(device)
        generator = torch.Generator().manual_seed(self.seed)
        fan_in = N_CHANNELS * patch_size**2
        self.projection = torch.randn(fan_in, width, generator=generator) / math.sqrt(fan_in)
        # PyTorch's default initialisation, seeded without touching the global stream.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            blocks = [
                torch.nn.TransformerEncoderLayer(
                    width,
                    heads,
                    dim_feedforward=4 * width,
                    dropout=0.0,
                    batch_first=True,
                    norm_first=True,
                )
                for _ in range(layer)
            ]
        self.blocks = torch.nn.Sequential(*blocks).eval().to(self.device)
        self.projection = self.projection.to(self.device)

    def encode(self, batch: CubeBatch) -> np.ndarray:
        stacked = stack_normalised(batch.cubes)  # [B, T, 27, H, W]
        n_samples, n_seasons, channels, height, width = stacked.shape
        p = self.patch_size
        if height % p or width % p:
            raise EobenchError(
                f"patch_transformer: images of {height}x{width} pixels are not a multiple "
                f"of patch_size {p}"
            )
        images = torch.from_numpy(stacked.reshape(-1, channels, height, width)).to(self.device)
        # [B*T, 27*p*p, tokens] -> [B*T, tokens, 27*p*p]
        patches = torch.nn.functional.unfold(images, kernel_size=p, stride=p).transpose(1, 2)
        positions = sinusoidal_positions(height // p, width // p, self.width).to(self.device)
        with torch.inference_mode():
            tokens = patches @ self.projection + positions
            tokens = self.blocks(tokens)
            pooled = tokens.mean(dim=1).cpu().numpy()
        pooled = pooled.reshape(n_samples, n_seasons, -1).mean(axis=1)
        return reduce_features(pooled, self.embedding_dim, "vit")

    def metadata(self):
        return {
            **super().metadata(),
            "patch_size": self.patch_size,
            "width": self.width,
            "depth": self.depth,
            "heads": self.heads,
            "layer": self.layer,
            "device": str(self.device),
        }
