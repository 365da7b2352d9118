"""Galileo (nasaharvest/galileo) as a backbone: pretrained nano weights or their random-init twin.

The adaptation pipeline standardises every channel with the training subset's statistics
(``z``); Galileo's own normaliser maps a value to ``(x - (mean - 2 std)) / (4 std)``, which
is ``z / 4 + 0.5`` when the subset's moments stand in for Galileo's training moments. Each
input channel goes to its Galileo band (Sentinel-2 L2A bands to the Sentinel-2 group
slots, Sentinel-1 to S1, elevation to SRTM); groups without any input channel are masked,
channels missing inside a present group are set to 0.5 (the normalised mean). NDVI,
location and the time groups are masked; the month is Galileo's date-less default, June.
The output is the per-patch token average (upstream's ``average_tokens_per_patch``).
"""

from __future__ import annotations

import torch
from torch import nn

from eobench.adaptation.backbones import register
from eobench.encoders.galileo.bands import (
    SPACE_BANDS,
    SPACE_GROUPS,
    SPACE_TIME_BANDS,
    SPACE_TIME_GROUPS,
    STATIC_BANDS,
    STATIC_GROUPS,
    TIME_BANDS,
    TIME_GROUPS,
)
from eobench.encoders.galileo.checkpoint import NANO_ARCHITECTURE, load_galileo
from eobench.encoders.galileo.encoder import DEFAULT_MONTH
from eobench.encoders.galileo.model import (
    GalileoEncoderModel,
    SelfAttention,
    average_tokens_per_patch,
)

#: Input channel (``modality:band``) -> (Galileo tensor, band).
CHANNEL_MAP: dict[str, tuple[str, str]] = {
    **{
        f"sentinel2:B{b}": ("space_time", f"B{b.lstrip('0')}")
        for b in ("02", "03", "04", "05", "06", "07", "08", "11", "12")
    },
    "sentinel2:B8A": ("space_time", "B8A"),
    "sentinel1:VV": ("space_time", "VV"),
    "sentinel1:VH": ("space_time", "VH"),
    "elevation:elevation": ("space", "elevation"),
}


@register
class GalileoBackbone(nn.Module):
    """Galileo's encoder on one time step; ``[B, 128, H/p, W/p]`` for nano.

    Parameters
    ----------
    channels : list of str
        Input channel names; each must be in :data:`CHANNEL_MAP` or is ignored (B01, B09).
    image_size : int
        Tile side in pixels, a multiple of ``patch_size``.
    checkpoint : str, optional
        Folder or ``encoder.pt`` of the pretrained weights; required when ``pretrained``.
    pretrained : bool
        False: nano's architecture under upstream's initialisation (the seed of the run).
    patch_size : int
        Patch side in pixels (1-8).
    """

    name = "galileo"

    def __init__(
        self,
        channels: list[str],
        image_size: int,
        checkpoint: str | None = None,
        pretrained: bool = True,
        patch_size: int = 8,
    ) -> None:
        super().__init__()
        if image_size % patch_size:
            raise TypeError(f"tiles of {image_size} px need a patch_size dividing them")
        if pretrained and checkpoint is None:
            raise TypeError("pretrained galileo needs weights (weights: galileo_nano)")
        self.model = (
            load_galileo(checkpoint) if pretrained else GalileoEncoderModel(**NANO_ARCHITECTURE)
        )
        for module in self.model.modules():  # attention that torch.func.vmap batches
            if isinstance(module, SelfAttention):
                module.explicit = True
        self.weights = "pretrained" if pretrained else "random_init"
        self.patch_size = patch_size
        self.width = self.model.embedding_size
        self._register_layout(channels)

    def _register_layout(self, channels: list[str]) -> None:
        st_index, sp_index, st_source, sp_source = [], [], [], []
        for source, name in enumerate(channels):
            tensor, band = CHANNEL_MAP.get(name, (None, None))
            if tensor == "space_time":
                st_index.append(SPACE_TIME_BANDS.index(band))
                st_source.append(source)
            elif tensor == "space":
                sp_index.append(SPACE_BANDS.index(band))
                sp_source.append(source)
        # Plain attributes, not buffers: they are constants of the input layout, and
        # torch.func's per-batch parameter copies (TTT-MMR) must not turn them into
        # batched tensors that Galileo's masking would branch on.
        self._layout = {
            "st_index": torch.tensor(st_index, dtype=torch.long),
            "sp_index": torch.tensor(sp_index, dtype=torch.long),
            "st_source": torch.tensor(st_source, dtype=torch.long),
            "sp_source": torch.tensor(sp_source, dtype=torch.long),
            "st_mask": self._group_mask(SPACE_TIME_GROUPS, st_index),
            "sp_mask": self._group_mask(SPACE_GROUPS, sp_index),
        }

    def __getattr__(self, name):
        layout = self.__dict__.get("_layout", {})
        if name in layout:
            return layout[name]
        return super().__getattr__(name)

    @staticmethod
    def _group_mask(groups: dict[str, tuple[int, ...]], present: list[int]) -> torch.Tensor:
        """1 (masked) for groups with none of the ``present`` channels, else 0."""
        return torch.tensor(
            [0.0 if set(members) & set(present) else 1.0 for members in groups.values()]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._layout["st_mask"].device != x.device:
            self._layout = {k: v.to(x.device) for k, v in self._layout.items()}
        b, _, h, w = x.shape
        scaled = (x / 4.0 + 0.5).permute(0, 2, 3, 1)  # [B, H, W, C]
        space_time = x.new_full((b, h, w, 1, len(SPACE_TIME_BANDS)), 0.5)
        space_time[..., 0, self.st_index] = scaled[..., self.st_source]
        space = x.new_full((b, h, w, len(SPACE_BANDS)), 0.5)
        space[..., self.sp_index] = scaled[..., self.sp_source]
        tokens = self.model(
            space_time,
            space,
            x.new_zeros((b, 1, len(TIME_BANDS))),
            x.new_zeros((b, len(STATIC_BANDS))),
            self.st_mask.expand(b, h, w, 1, -1),
            self.sp_mask.expand(b, h, w, -1),
            # masks from factories, not x.new_*: under vmap those would be batched
            torch.ones((b, 1, len(TIME_GROUPS)), device=x.device),
            torch.ones((b, len(STATIC_GROUPS)), device=x.device),
            torch.full((b, 1), DEFAULT_MONTH, dtype=torch.long, device=x.device),
            patch_size=self.patch_size,
        )
        patches = average_tokens_per_patch(tokens)  # [B, h*w, D]
        side = h // self.patch_size
        return patches.transpose(1, 2).reshape(b, self.width, side, side)
