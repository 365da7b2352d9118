"""Galileo's encoder network (nasaharvest/galileo @ 0f0b5b9), its forward pass and pooling.

The network follows upstream's ``single_file_galileo.Encoder`` so that its state dict
loads one to one and its outputs equal upstream's at float32 tolerance:

1. Each channel group becomes tokens: a space-time or space group by a strided
   convolution over ``patch_size`` patches (FlexiViT: the 8x8 kernels are resampled to
   smaller patches by the pseudo-inverse of the bicubic, antialiased resize), a time or
   static group by a linear map.
2. Every token gets a code of four quarters: a learned channel-group embedding, a
   sine-cosine code of its time step, a sine-cosine code of its month, and a 2-D
   sine-cosine code of its patch position scaled by the patch's ground size (quarters a
   token lacks are zero: space tokens have no time or month, time tokens no position,
   static tokens only the group embedding).
3. Masked tokens (mask >= 1) are dropped, the rest go through pre-norm transformer
   blocks (self-attention over the kept tokens of each sample, GELU MLP, stochastic
   depth while training), and are put back in place; the final LayerNorm is applied to
   every slot, so masked slots hold ``LayerNorm(0)`` (its bias), a meaningless value.

Upstream's quirks are kept because the weights depend on them: the 1-D code's
frequencies are ``10000 ** (-k / (2 d))`` for ``k < d / 2``, and the 2-D code puts the
column position in its first half.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from eobench.encoders.galileo.bands import (
    SPACE_GROUPS,
    SPACE_TIME_GROUPS,
    STATIC_GROUPS,
    TIME_GROUPS,
)

#: Ground sample distance (m) that the spatial code's scale is relative to.
BASE_GSD_M = 10.0


class GalileoTokens(NamedTuple):
    """What the encoder returns, in upstream's order (masks are 1 where masked).

    Shapes: ``space_time [B, h, w, T, 7, D]``, ``space [B, h, w, 3, D]``,
    ``time [B, T, 3, D]``, ``static [B, 4, D]`` with ``h = H / patch_size``; masks drop
    the last axis; ``months [B, T]``.
    """

    space_time: torch.Tensor
    space: torch.Tensor
    time: torch.Tensor
    static: torch.Tensor
    space_time_mask: torch.Tensor
    space_mask: torch.Tensor
    time_mask: torch.Tensor
    static_mask: torch.Tensor
    months: torch.Tensor


def sincos_1d(dim: int, positions: torch.Tensor) -> torch.Tensor:
    """``[M, dim]`` code of ``M`` positions: sines then cosines of ``pos * omega_k``.

    ``omega_k = 1 / 10000 ** (k / (2 dim))`` for ``k < dim / 2`` (upstream's spacing).
    """
    exponent = torch.arange(dim // 2, device=positions.device) / dim / 2.0
    omega = 1.0 / 10000**exponent
    angles = positions.reshape(-1, 1).to(omega.dtype) * omega
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def month_table(dim: int) -> torch.Tensor:
    """``[12, dim]``: sines then cosines of ``2 pi m / 12`` (each repeated ``dim / 2`` times)."""
    angles = torch.arange(12) / (12 / (2 * math.pi))
    columns = angles[:, None].expand(12, dim // 2)
    return torch.cat([columns.sin(), columns.cos()], dim=1)


def spatial_code(dim: int, side: int, gsd_ratio: float, device=None) -> torch.Tensor:
    """``[side, side, dim]`` 2-D code of a square token grid (column half, then row half).

    Positions are token indices times ``gsd_ratio`` (a token's ground size over 10 m).
    """
    steps = torch.arange(side, device=device, dtype=torch.float32) * gsd_ratio
    rows, cols = torch.meshgrid(steps, steps, indexing="ij")
    code = torch.cat([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], dim=1)
    return code.reshape(side, side, dim)


class PatchEmbedding(nn.Module):
    """Strided convolution over patches whose kernel is resampled to the patch size.

    The kernel is learned at ``base_patch`` pixels; for a patch of ``p`` pixels it becomes
    ``pinv(R) @ w`` with ``R`` the bicubic antialiased resize from ``base_patch`` to ``p``
    (FlexiViT's pseudo-inverse resize), so that a resized patch meets the resized kernel
    as the original patch met the original kernel.
    """

    def __init__(self, in_channels: int, dim: int, base_patch: int) -> None:
        super().__init__()
        self.base_patch = base_patch
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=base_patch, stride=base_patch)
        self._pinv: dict[int, torch.Tensor] = {}

    def resize_pinv(self, patch_size: int) -> torch.Tensor:
        """``[p*p, base*base]`` pseudo-inverse of the resize matrix (cached, CPU)."""
        if patch_size not in self._pinv:
            base = self.base_patch
            basis = torch.eye(base * base).reshape(base * base, 1, base, base)
            resized = F.interpolate(
                basis, size=(patch_size, patch_size), mode="bicubic", antialias=True
            )
            self._pinv[patch_size] = torch.linalg.pinv(resized.reshape(base * base, -1))
        return self._pinv[patch_size]

    def kernel(self, patch_size: int) -> torch.Tensor:
        """The convolution kernel for ``patch_size`` pixels."""
        weight = self.proj.weight
        if patch_size == self.base_patch:
            return weight
        pinv = self.resize_pinv(patch_size).to(weight)
        out_channels, in_channels = weight.shape[:2]
        flat = weight.reshape(out_channels, in_channels, -1) @ pinv.T
        return flat.reshape(out_channels, in_channels, patch_size, patch_size)

    def forward(self, x: torch.Tensor, patch_size: int) -> torch.Tensor:
        """``[B, H, W, T, C]`` -> ``[B, H/p, W/p, T, D]`` (or without ``T``)."""
        if x.ndim == 4:
            return self.forward(x[:, :, :, None], patch_size)[:, :, :, 0]
        b, h, w, t, c = x.shape
        images = x.permute(0, 3, 4, 1, 2).reshape(b * t, c, h, w)
        out = F.conv2d(images, self.kernel(patch_size), self.proj.bias, stride=patch_size)
        return out.reshape(b, t, -1, h // patch_size, w // patch_size).permute(0, 3, 4, 1, 2)


class DropPath(nn.Module):
    """Stochastic depth: while training, drop a residual branch per sample with ``rate``."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return x
        keep = 1.0 - self.rate
        survivors = torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), device=x.device) < keep
        return x * survivors.to(x.dtype) / keep


class SelfAttention(nn.Module):
    """Multi-head self-attention whose keys are limited to the kept tokens.

    ``explicit`` computes the softmax of the scaled, masked scores written out instead of
    ``F.scaled_dot_product_attention``: the same values to float rounding, and batched by
    ``torch.func.vmap``, which has no batching rule for the fused CPU kernel and falls back
    to a loop (the adaptation backbone sets it for vectorised test-time training).
    """

    explicit = False

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """``x [B, N, D]``; ``keep [B, N]`` is True for tokens that may be attended to."""
        b, n, d = x.shape

        def heads(t):
            return t.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        mask = keep[:, None, None]
        if self.explicit:
            scores = (q @ k.transpose(-2, -1)) / (d // self.heads) ** 0.5
            scores = scores.masked_fill(~mask, float("-inf"))
            out = torch.softmax(scores, dim=-1) @ v
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    """Two linear maps with a GELU between them."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block with stochastic depth on both residual branches."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, drop_path: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), keep))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class GalileoEncoderModel(nn.Module):
    """Galileo's encoder; parameter names equal upstream's state dict keys.

    Parameters
    ----------
    embedding_size : int
        Token width ``D`` (nano: 128); a multiple of 4 (four code quarters).
    depth, num_heads, mlp_ratio : transformer blocks, heads per block, MLP width ratio.
    max_sequence_length : int
        Most time steps (size of the time-step code table).
    max_patch_size : int
        Patch size the convolution kernels are learned at.
    drop_path : float
        Stochastic depth rate of every block (active in training mode only).
    """

    def __init__(
        self,
        embedding_size: int = 128,
        depth: int = 4,
        num_heads: int = 8,
        mlp_ratio: float = 4.0,
        max_sequence_length: int = 24,
        max_patch_size: int = 8,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        if embedding_size % 8 or embedding_size % num_heads:
            raise ValueError(
                f"embedding_size {embedding_size} must be a multiple of 8 and of num_heads"
            )
        self.embedding_size = embedding_size
        self.max_patch_size = max_patch_size
        self.max_sequence_length = max_sequence_length
        quarter = embedding_size // 4
        self.pos_embed = nn.Parameter(
            sincos_1d(quarter, torch.arange(max_sequence_length)), requires_grad=False
        )
        self.month_embed = nn.Embedding.from_pretrained(month_table(quarter), freeze=True)
        self.s_t_channel_embed = nn.Parameter(torch.zeros(len(SPACE_TIME_GROUPS), quarter))
        self.sp_channel_embed = nn.Parameter(torch.zeros(len(SPACE_GROUPS), quarter))
        self.t_channel_embed = nn.Parameter(torch.zeros(len(TIME_GROUPS), quarter))
        self.st_channel_embed = nn.Parameter(torch.zeros(len(STATIC_GROUPS), quarter))
        self.blocks = nn.ModuleList(
            Block(embedding_size, num_heads, mlp_ratio, drop_path) for _ in range(depth)
        )

        def patch_embeddings(groups):
            return nn.ModuleDict(
                {
                    g: PatchEmbedding(len(c), embedding_size, max_patch_size)
                    for g, c in groups.items()
                }
            )

        def linear_embeddings(groups):
            return nn.ModuleDict({g: nn.Linear(len(c), embedding_size) for g, c in groups.items()})

        self.space_time_embed = patch_embeddings(SPACE_TIME_GROUPS)
        self.space_embed = patch_embeddings(SPACE_GROUPS)
        self.time_embed = linear_embeddings(TIME_GROUPS)
        self.static_embed = linear_embeddings(STATIC_GROUPS)
        self.norm = nn.LayerNorm(embedding_size)
        # Upstream's initialisation (JAX ViT): Xavier-uniform linear maps, zero biases;
        # convolutions keep PyTorch's default.
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(
        self,
        space_time_x: torch.Tensor,
        space_x: torch.Tensor,
        time_x: torch.Tensor,
        static_x: torch.Tensor,
        space_time_mask: torch.Tensor,
        space_mask: torch.Tensor,
        time_mask: torch.Tensor,
        static_mask: torch.Tensor,
        months: torch.Tensor,
        patch_size: int,
        input_resolution_m: float = BASE_GSD_M,
    ) -> GalileoTokens:
        """Encode the four input tensors (upstream's layout, band axis last).

        Shapes: ``space_time_x [B, H, W, T, 13]``, ``space_x [B, H, W, 16]``,
        ``time_x [B, T, 6]``, ``static_x [B, 18]``; masks carry one value per channel group
        instead of the bands (pixel masks must be constant over each patch); ``months``
        ``[B, T]`` integers 0-11. ``H == W`` must be a multiple of ``patch_size``.
        """
        h, w, t = space_time_x.shape[1:4]
        if h != w or h % patch_size:
            raise ValueError(
                f"Galileo needs square images whose side is a multiple of patch_size "
                f"{patch_size} (got {h}x{w})"
            )
        if t > self.max_sequence_length:
            raise ValueError(
                f"{t} time steps exceed max_sequence_length {self.max_sequence_length}"
            )
        groups = self._project(
            (space_time_x, space_x, time_x, static_x),
            (space_time_mask, space_mask, time_mask, static_mask),
            patch_size,
        )
        tokens = [g[0] for g in groups]
        masks = [g[1] for g in groups]
        tokens = self._add_codes(tokens, months, patch_size * input_resolution_m / BASE_GSD_M)
        flat, flat_mask = flatten_groups(tokens, masks)
        encoded = self._attend(flat, flat_mask >= 1)
        encoded = self.norm(encoded)
        return GalileoTokens(*unflatten_groups(encoded, tokens), *masks, months)

    def _project(self, inputs, masks, patch_size):
        """Tokens and token masks of the four tensors, stacked on a group axis.

        A group masked in every sample of the batch is not computed (zeros), as upstream;
        the values of masked tokens never reach an output.
        """
        embedders = (self.space_time_embed, self.space_embed, self.time_embed, self.static_embed)
        out = []
        for index, (x, mask, embedder) in enumerate(zip(inputs, masks, embedders, strict=True)):
            spatial = index < 2
            tokens, token_masks = [], []
            for g, (name, channels) in enumerate(_GROUPS[index].items()):
                if spatial:
                    # A patch's mask is read at its top-left pixel.
                    group_mask = mask[:, ::patch_size, ::patch_size, ..., g]
                else:
                    group_mask = mask[..., g]
                token_masks.append(group_mask)
                if group_mask.min() > 0:
                    tokens.append(x.new_zeros((*group_mask.shape, self.embedding_size)))
                    continue
                size = (patch_size,) if spatial else ()
                tokens.append(embedder[name](x[..., list(channels)], *size))
            out.append((torch.stack(tokens, dim=-2), torch.stack(token_masks, dim=-1)))
        return out

    def _add_codes(self, tokens, months, gsd_ratio):
        """Add each token's four-quarter code (group, time step, month, position)."""
        space_time, space, time, static = tokens
        b, h, w, t, n_st = space_time.shape[:5]
        n_sp, n_t, n_s = space.shape[3], time.shape[2], static.shape[1]
        q = self.embedding_size // 4
        step = self.pos_embed[:t]  # [T, q]
        month = self.month_embed(months)  # [B, T, q]
        where = spatial_code(q, h, gsd_ratio, space_time.device)  # [h, w, q]
        nothing = space_time.new_zeros(q)

        def code(shape, *quarters):
            # Each quarter broadcasts from the right onto ``shape``.
            return torch.cat([part.expand(*shape, q) for part in quarters], dim=-1)

        st_code = code(
            (b, h, w, t, n_st),
            self.s_t_channel_embed,
            step[:, None],
            month[:, None, None, :, None],
            where[:, :, None, None],
        )
        sp_code = code((b, h, w, n_sp), self.sp_channel_embed, nothing, nothing, where[:, :, None])
        t_code = code((b, t, n_t), self.t_channel_embed, step[:, None], month[:, :, None], nothing)
        s_code = code((b, n_s), self.st_channel_embed, nothing, nothing, nothing)
        return [space_time + st_code, space + sp_code, time + t_code, static + s_code]

    def _attend(self, flat: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
        """Run the blocks on the kept tokens of ``flat [B, N, D]``; masked slots become 0."""
        # Kept tokens first (stable: in their original order), cut to the longest row.
        order = torch.argsort(masked.to(torch.uint8), dim=1, stable=True)
        n_kept = (~masked).sum(dim=1)
        length = int(n_kept.max())
        index = order[:, :length, None].expand(-1, -1, flat.shape[-1])
        keep = torch.arange(length, device=flat.device)[None] < n_kept[:, None]
        x = flat.gather(1, index) * keep[..., None]
        for block in self.blocks:
            x = block(x, keep)
        return flat.new_zeros(flat.shape).scatter(1, index, x * keep[..., None])


#: Channel groups of the four tensors, in input order.
_GROUPS = (SPACE_TIME_GROUPS, SPACE_GROUPS, TIME_GROUPS, STATIC_GROUPS)


def flatten_groups(tokens, masks) -> tuple[torch.Tensor, torch.Tensor]:
    """One token sequence ``[B, N, D]`` and mask ``[B, N]`` from the four token groups.

    Order: space-time tokens (row, column, time, group), space tokens (row, column,
    group), time tokens (time, group), static tokens (group).
    """
    b, d = tokens[0].shape[0], tokens[0].shape[-1]
    x = torch.cat([t.reshape(b, -1, d) for t in tokens], dim=1)
    m = torch.cat([m.reshape(b, -1) for m in masks], dim=1)
    return x, m


def unflatten_groups(flat: torch.Tensor, like) -> list[torch.Tensor]:
    """Split ``flat [B, N, D]`` back into tensors shaped as the four in ``like``."""
    sizes = [t[0, ..., 0].numel() for t in like]
    return [part.reshape(t.shape) for part, t in zip(flat.split(sizes, dim=1), like, strict=True)]


def average_tokens(tokens: GalileoTokens) -> torch.Tensor:
    """``[B, D]`` mean of each sample's unmasked tokens (upstream's ``average_tokens``)."""
    x, m = flatten_groups(tokens[:4], tokens[4:8])
    return _masked_mean(x, m == 0, dim=1)


def average_tokens_per_patch(tokens: GalileoTokens) -> torch.Tensor:
    """``[B, h*w, D]``: per patch, the mean of its unmasked space-time and space tokens
    together with all unmasked time and static tokens (upstream's
    ``apply_mask_and_average_tokens_per_patch``).

    Upstream weights tokens by ``1 - mask``; for 0/1 masks that is this masked mean (a
    mask value of 2, "to be decoded", only occurs in pretraining).
    """
    space_time, space, time, static = tokens[:4]
    st_m, sp_m, t_m, s_m = tokens[4:8]
    b, h, w = space.shape[:3]
    d = space.shape[-1]
    patches = h * w
    x = torch.cat(
        [
            space_time.reshape(b, patches, -1, d),
            space.reshape(b, patches, -1, d),
            time.reshape(b, 1, -1, d).expand(b, patches, -1, d),
            static.reshape(b, 1, -1, d).expand(b, patches, -1, d),
        ],
        dim=2,
    )
    m = torch.cat(
        [
            st_m.reshape(b, patches, -1),
            sp_m.reshape(b, patches, -1),
            t_m.reshape(b, 1, -1).expand(b, patches, -1),
            s_m.reshape(b, 1, -1).expand(b, patches, -1),
        ],
        dim=2,
    )
    return _masked_mean(x, m == 0, dim=2)


def _masked_mean(x: torch.Tensor, keep: torch.Tensor, dim: int) -> torch.Tensor:
    weights = keep.to(x.dtype)
    return (x * weights[..., None]).sum(dim=dim) / weights.sum(dim=dim)[..., None]
