"""The Presto encoder network (Tseng et al. 2023, "Lightweight, Pre-trained Transformers
for Remote Sensing Timeseries"; nasaharvest/presto @ 13173d0), written from its facts.

Per timestep, the 17 normalised channels (:data:`~eobench.encoders.presto.bands.NORMED_BANDS`)
are embedded in nine channel groups (one linear map each) and Dynamic World by a lookup;
SRTM gives one token only, from timestep 0. Every token gets the concatenation of a
32-wide month code (sinusoidal, fixed), a 32-wide learned channel-group code and a 64-wide
sinusoidal timestep code (month and timestep codes are zero for SRTM). Masked tokens are
moved behind the kept ones (stable order), the sequence is cut to the longest kept
count of the batch, a location token (a linear map of the unit vector of lat/lon) is put
first, and two pre-norm transformer blocks (8 heads, MLP ratio 4, no dropout) attend with
masked tokens excluded as keys. The pooled embedding is the layer-normed mean of the kept
tokens (location token included).

Parameter names equal the checkpoint's ``encoder.*`` keys, so the shipped state dict
loads without renaming. :func:`load_presto_checkpoint` loads it strictly.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from eobench.encoders.presto.bands import (
    BAND_GROUPS,
    DYNAMIC_WORLD_CLASSES,
    DYNAMIC_WORLD_MISSING,
    STATIC_GROUP,
)
from eobench.errors import EobenchError

EMBEDDING_SIZE = 128
DEPTH = 2
HEADS = 8
MLP_RATIO = 4
MAX_SEQUENCE_LENGTH = 24
#: Widths of the month, channel-group and timestep codes that make up a token's code.
MONTH_CODE, CHANNEL_CODE, POSITION_CODE = 32, 32, 64
#: Widths of the (unused here) decoder's month and timestep codes in the checkpoint.
DECODER_MONTH_CODE = DECODER_POSITION_CODE = (EMBEDDING_SIZE - CHANNEL_CODE) // 2


def month_table(width: int) -> torch.Tensor:
    """Fixed month codes ``[12, width]``: ``sin(2 pi m / 12)`` in the first half of the
    features and ``cos(2 pi m / 12)`` in the second, for month ``m`` (0 = January)."""
    angles = np.arange(12) * (2 * np.pi / 12)
    half = width // 2
    table = np.concatenate(
        [np.repeat(np.sin(angles)[:, None], half, 1), np.repeat(np.cos(angles)[:, None], half, 1)],
        axis=1,
    )
    return torch.tensor(table, dtype=torch.float32)


def position_table(length: int, width: int, base: float = 1000.0) -> torch.Tensor:
    """Sinusoidal timestep codes ``[length, width]``: feature ``j`` of step ``t`` is
    ``sin`` (even ``j``) or ``cos`` (odd ``j``) of ``t / base ** (2 * (j // 2) / width)``."""
    exponents = 2 * (np.arange(width) // 2) / width
    angles = np.arange(length)[:, None] / np.power(base, exponents)[None, :]
    table = np.where(np.arange(width) % 2 == 0, np.sin(angles), np.cos(angles))
    return torch.tensor(table, dtype=torch.float32)


def month_indices(month, batch: int, steps: int, device: torch.device) -> torch.Tensor:
    """Month of every timestep ``[batch, steps]`` (long) from Presto's ``month`` argument.

    ``month`` is the start month (0 = January) as an int (every sample) or ``[batch]``
    (one per sample); timestep ``t`` then has month ``(start + t) % 12``. An extension:
    ``[batch, steps]`` gives every timestep's month explicitly, used as is (upstream's
    ``month_to_tensor`` passes a 2-D tensor through unchanged too; it is how its fuel
    moisture evaluation feeds non-consecutive months).
    """
    months = torch.as_tensor(month, device=device)
    if months.is_floating_point() or months.dtype == torch.bool:
        raise ValueError(f"month must hold integers (got dtype {months.dtype})")
    months = months.long()
    if months.numel() and (int(months.min()) < 0 or int(months.max()) > 11):
        raise ValueError("month must be from 0 (January) to 11 (December)")
    if months.ndim == 2:
        if tuple(months.shape) != (batch, steps):
            raise ValueError(f"month of shape {tuple(months.shape)}: expected ({batch}, {steps})")
        return months
    if months.ndim == 0:
        months = months.expand(batch)
    if tuple(months.shape) != (batch,):
        raise ValueError(
            f"month of shape {tuple(months.shape)}: expected an int, ({batch},) "
            f"or ({batch}, {steps})"
        )
    return (months[:, None] + torch.arange(steps, device=device)[None, :]) % 12


class Attention(nn.Module):
    """Multi-head self-attention whose keys can be masked out."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, tokens: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """``tokens [B, N, D]``, ``keep [B, N]`` (True = a key every query may attend to)."""
        batch, length, width = tokens.shape
        qkv = self.qkv(tokens).reshape(batch, length, 3, self.heads, width // self.heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(
            query, key, value, attn_mask=keep[:, None, None, :]
        )
        return self.proj(attended.transpose(1, 2).reshape(batch, length, width))


class Mlp(nn.Module):
    """Two linear maps with a GELU between them."""

    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(tokens)))


class Block(nn.Module):
    """Pre-norm transformer block: attention then MLP, each with a residual connection."""

    def __init__(self, width: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = Mlp(width, width * mlp_ratio)

    def forward(self, tokens: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        tokens = tokens + self.attn(self.norm1(tokens), keep)
        return tokens + self.mlp(self.norm2(tokens))


def move_masked_last(tokens: torch.Tensor, masked: torch.Tensor):
    """Stable-sort every row's kept tokens before its masked ones and cut to the longest
    kept count.

    Returns the tokens (masked slots zeroed), the original position of every sorted slot
    ``[B, N]`` and the mask of the cut sequence ``[B, L]`` (1 = masked).
    """
    kept_first = torch.sort((~masked).int(), dim=1, descending=True, stable=True)
    kept, order = kept_first.values, kept_first.indices
    tokens = tokens.gather(1, order[:, :, None].expand_as(tokens)) * kept[:, :, None]
    length = int(kept.sum(dim=1).max())
    return tokens[:, :length], order, 1 - kept[:, :length]


class PrestoModel(nn.Module):
    """Presto's encoder with the official input layout and outputs.

    :meth:`forward` takes ``x [B, T, 17]`` (normalised, ``NORMED_BANDS`` order),
    ``dynamic_world [B, T]`` (class 9 = missing), ``latlons [B, 2]`` (degrees),
    ``mask [B, T, 17]`` (1 = missing; a token is masked when any of its channels is) and
    ``month`` (see :func:`month_indices`). With ``eval_task=True`` it returns the pooled
    embedding ``[B, 128]``; otherwise, as upstream, the layer-normed tokens
    ``[B, 1 + L, 128]`` (location token first, then the kept tokens; slots where the mask
    is 1 hold meaningless values), the original index of every token (0 = location,
    then group-major: group ``g``, timestep ``t``) and the mask ``[B, 1 + L]``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.eo_patch_embed = nn.ModuleDict(
            {
                group: nn.Linear(len(channels), EMBEDDING_SIZE)
                for group, channels in BAND_GROUPS.items()
            }
        )
        self.dw_embed = nn.Embedding(DYNAMIC_WORLD_CLASSES + 1, EMBEDDING_SIZE)
        self.latlon_embed = nn.Linear(3, EMBEDDING_SIZE)
        self.blocks = nn.ModuleList(Block(EMBEDDING_SIZE, HEADS, MLP_RATIO) for _ in range(DEPTH))
        self.norm = nn.LayerNorm(EMBEDDING_SIZE)
        # Fixed codes; stored in the checkpoint under these names.
        self.register_buffer("pos_embed", position_table(MAX_SEQUENCE_LENGTH, POSITION_CODE)[None])
        self.month_embed = nn.Embedding.from_pretrained(month_table(MONTH_CODE), freeze=True)
        # One code per channel group plus Dynamic World.
        self.channel_embed = nn.Embedding(len(BAND_GROUPS) + 1, CHANNEL_CODE)

    @staticmethod
    def unit_vector(latlons: torch.Tensor) -> torch.Tensor:
        """Lat/lon in degrees ``[B, 2]`` -> points on the unit sphere ``[B, 3]``."""
        # Degrees to radians as upstream computes it (same rounding).
        lat, lon = (latlons * math.pi / 180).unbind(-1)
        return torch.stack([lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()], dim=-1)

    def _tokens(self, x, dynamic_world, mask, months):
        """All tokens with their codes ``[B, N, D]`` and masks ``[B, N]`` (True = masked)."""
        batch, steps, _ = x.shape
        month_code = self.month_embed(months)
        position_code = self.pos_embed[:, :steps].expand(batch, -1, -1)
        channel_codes = self.channel_embed.weight
        tokens, masked = [], []
        for index, (group, channels) in enumerate(BAND_GROUPS.items()):
            embedded = self.eo_patch_embed[group](x[:, :, list(channels)])
            group_masked = mask[:, :, list(channels)].amax(dim=-1) > 0
            code = torch.cat(
                [month_code, channel_codes[index].expand(batch, steps, -1), position_code], dim=-1
            )
            if group == STATIC_GROUP:
                embedded, group_masked = embedded[:, :1], group_masked[:, :1]
                code = F.pad(channel_codes[index], (MONTH_CODE, POSITION_CODE)).expand(batch, 1, -1)
            tokens.append(embedded + code)
            masked.append(group_masked)
        dw_code = torch.cat(
            [month_code, channel_codes[len(BAND_GROUPS)].expand(batch, steps, -1), position_code],
            dim=-1,
        )
        tokens.append(self.dw_embed(dynamic_world) + dw_code)
        masked.append(dynamic_world == DYNAMIC_WORLD_MISSING)
        return torch.cat(tokens, dim=1), torch.cat(masked, dim=1)

    def forward(self, x, dynamic_world, latlons, mask=None, month=0, eval_task: bool = True):
        batch, steps, _ = x.shape
        if steps > MAX_SEQUENCE_LENGTH:
            raise ValueError(f"Presto takes at most {MAX_SEQUENCE_LENGTH} timesteps (got {steps})")
        if mask is None:
            mask = torch.zeros_like(x)
        months = month_indices(month, batch, steps, x.device)
        tokens, masked = self._tokens(x, dynamic_world.long(), mask, months)
        tokens, order, token_mask = move_masked_last(tokens, masked)
        location = self.latlon_embed(self.unit_vector(latlons))[:, None]
        tokens = torch.cat([location, tokens], dim=1)
        token_mask = F.pad(token_mask.float(), (1, 0))
        order = torch.cat([torch.zeros_like(order[:, :1]), order + 1], dim=1)
        keep = token_mask == 0
        for block in self.blocks:
            tokens = block(tokens, keep)
        if not eval_task:
            return self.norm(tokens), order, token_mask
        weights = keep.to(tokens.dtype)[:, :, None]
        return self.norm((tokens * weights).sum(dim=1) / weights.sum(dim=1))


def decoder_key_shapes() -> dict[str, tuple[int, ...]]:
    """The ``decoder.*`` keys of the shipped checkpoint and their shapes (upstream's
    pretraining decoder, depth 2, width 128), which the encoder does not use."""
    width, hidden = EMBEDDING_SIZE, EMBEDDING_SIZE * MLP_RATIO
    shapes: dict[str, tuple[int, ...]] = {
        "mask_token": (width,),
        "pos_embed": (1, MAX_SEQUENCE_LENGTH, DECODER_POSITION_CODE),
        "month_embed.weight": (12, DECODER_MONTH_CODE),
        "channel_embeddings.weight": (len(BAND_GROUPS) + 1, CHANNEL_CODE),
        "decoder_embed.weight": (width, width),
        "decoder_embed.bias": (width,),
        "decoder_norm.weight": (width,),
        "decoder_norm.bias": (width,),
        "dw_decoder_pred.weight": (DYNAMIC_WORLD_CLASSES, width),
        "dw_decoder_pred.bias": (DYNAMIC_WORLD_CLASSES,),
    }
    for group, channels in BAND_GROUPS.items():
        shapes[f"eo_decoder_pred.{group}.weight"] = (len(channels), width)
        shapes[f"eo_decoder_pred.{group}.bias"] = (len(channels),)
    for block in range(DEPTH):
        prefix = f"decoder_blocks.{block}"
        for norm in ("norm1", "norm2"):
            shapes[f"{prefix}.{norm}.weight"] = shapes[f"{prefix}.{norm}.bias"] = (width,)
        for name, shape in (("attn.qkv", (3 * width, width)), ("attn.proj", (width, width))):
            shapes[f"{prefix}.{name}.weight"], shapes[f"{prefix}.{name}.bias"] = shape, shape[:1]
        for name, shape in (("mlp.fc1", (hidden, width)), ("mlp.fc2", (width, hidden))):
            shapes[f"{prefix}.{name}.weight"], shapes[f"{prefix}.{name}.bias"] = shape, shape[:1]
    return {f"decoder.{key}": shape for key, shape in shapes.items()}


def check_state_dict(state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """The encoder's tensors of a full Presto state dict, checked key by key.

    Every ``encoder.*`` key must match :class:`PrestoModel`'s state dict in name and
    shape, and every other key must be exactly one of :func:`decoder_key_shapes` (all of
    them present), so a truncated, extended or foreign checkpoint is rejected.

    Raises
    ------
    EobenchError
        Naming ``source``, the first offending key and the problem.
    """
    expected = {f"encoder.{k}": tuple(v.shape) for k, v in PrestoModel().state_dict().items()}
    expected.update(decoder_key_shapes())
    for key in expected:
        if key not in state:
            raise EobenchError(f"{source}: Presto checkpoint lacks key {key!r}")
    for key, tensor in state.items():
        if key not in expected:
            raise EobenchError(f"{source}: unexpected key {key!r} in the Presto checkpoint")
        if tuple(tensor.shape) != expected[key]:
            raise EobenchError(
                f"{source}: key {key!r} has shape {tuple(tensor.shape)}, expected {expected[key]}"
            )
    # Upstream's decoder shares the encoder's channel codes.
    if not torch.equal(
        state["decoder.channel_embeddings.weight"], state["encoder.channel_embed.weight"]
    ):
        raise EobenchError(
            f"{source}: decoder.channel_embeddings.weight differs from encoder.channel_embed.weight"
        )
    return {k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")}


def load_presto_checkpoint(path: str | Path) -> PrestoModel:
    """A :class:`PrestoModel` in eval mode with the weights of upstream's
    ``default_model.pt`` (encoder + decoder state dict; the decoder is checked, not kept).

    Raises
    ------
    EobenchError
        If the file is missing or unreadable, or its keys or shapes are not Presto's.
    """
    path = Path(path)
    if not path.is_file():
        raise EobenchError(f"{path}: Presto checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable file is the user's input
        raise EobenchError(f"{path}: not a readable PyTorch state dict ({exc})") from exc
    if not isinstance(state, dict):
        raise EobenchError(f"{path}: expected a state dict, found {type(state).__name__}")
    model = PrestoModel()
    model.load_state_dict(check_state_dict(state, str(path)), strict=True)
    return model.eval()
