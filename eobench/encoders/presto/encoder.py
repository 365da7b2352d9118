"""Presto as an eobench encoder: pixel time series of a tile, embeddings averaged.

Presto was pretrained on Sentinel-2 Level-1C top-of-atmosphere digital numbers (Earth
Engine ``COPERNICUS/S2``, 2020-2021, so without the +1000 offset of processing baseline
04.00, like the store's ``s2l1c``) and Sentinel-1 GRD backscatter in dB, so the encoder
reads the store's ``s2l1c`` and ``s1`` arrays in their units.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from eobench.data.bands import S1_BANDS as STORE_S1_BANDS
from eobench.data.bands import S2L1C_BANDS, SEASON_MONTHS
from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.encoders.contract import InputContract
from eobench.encoders.presto.bands import NORMED_BANDS
from eobench.encoders.presto.model import (
    EMBEDDING_SIZE,
    PrestoModel,
    load_presto_checkpoint,
)
from eobench.encoders.presto.normalise import S2_KEPT_BANDS, presto_inputs
from eobench.encoders.rcf import resolve_device
from eobench.encoders.reduction import reduce_features
from eobench.encoders.weights import WEIGHTS
from eobench.errors import EobenchError
from eobench.io import file_sha256

#: Upstream repository and commit of the architecture, normalisation and weights.
UPSTREAM = "nasaharvest/presto@13173d0"


def upstream_s2_name(store_band: str) -> str:
    """The store's Sentinel-2 band name (``B01``) as upstream writes it (``B1``)."""
    return store_band.replace("B0", "B", 1) if store_band.startswith("B0") else store_band


def tile_pixels(cube: np.ndarray, pixels_per_side: int | None) -> np.ndarray:
    """``[B, T, C, H, W]`` -> pixel time series ``[B, P, T, C]``.

    With ``pixels_per_side = p`` the tile is first averaged to ``p x p`` pixels (adaptive
    average pooling: equal blocks when ``p`` divides the side); ``None`` keeps every pixel.
    """
    cube = np.asarray(cube, dtype=np.float32)
    n, steps, channels, height, width = cube.shape
    if pixels_per_side is not None:
        if pixels_per_side > min(height, width):
            raise EobenchError(
                f"presto: pixels_per_side {pixels_per_side} exceeds the {height}x{width} tile"
            )
        pooled = F.adaptive_avg_pool2d(
            torch.from_numpy(np.ascontiguousarray(cube)).reshape(-1, height, width),
            pixels_per_side,
        )
        cube = pooled.numpy().reshape(n, steps, channels, pixels_per_side, pixels_per_side)
    return cube.reshape(n, steps, channels, -1).transpose(0, 3, 1, 2)


#: The store's Sentinel-2 L1C bands Presto uses (the others are read and dropped).
STORE_S2_USED: tuple[str, ...] = tuple(
    b for b in S2L1C_BANDS if upstream_s2_name(b) in S2_KEPT_BANDS
)


@register
class Presto(Encoder):
    """Presto (Tseng et al. 2023) on the pixel time series of a tile.

    Each pixel of the tile (averaged to ``pixels_per_side`` squared pixels) is a time
    series of the batch's seasons, each with the middle month of its season
    (:data:`~eobench.data.bands.SEASON_MONTHS`); a seasonal average (aggregation ``pre``)
    is one timestep with the month of the first season (spring), since the four season
    months have no circular mean. Sentinel-1 and Sentinel-2 come from the store; ERA5,
    SRTM and Dynamic World are missing (masked). Non-finite values mask their token.
    Every pixel gets the sample's latitude and longitude. The pooled 128-d Presto
    embeddings of the pixels are averaged and zero-padded to ``N`` (the ViT recipe of
    :func:`~eobench.encoders.reduction.reduce_features`; ``N < 128`` averages
    neighbouring features).

    Parameters
    ----------
    checkpoint : str or None
        Path of upstream's ``default_model.pt`` (config key ``weights``); required
        unless ``pretrained`` is false.
    pretrained : bool
        False gives the random-weight twin: PyTorch's default initialisation under
        ``seed`` (fixed month and timestep codes as in the pretrained model).
    pixels_per_side : int or None
        Side of the pixel grid the tile is averaged to; ``None`` encodes every pixel.
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda[:i]"``.
    batch_pixels : int
        Most pixel time series passed through the network at once (bounds memory).
    """

    name = "presto"
    inputs = ("s1", "s2l1c")
    supports_time_series = True

    def __init__(
        self,
        embedding_dim: int,
        seed: int = 0,
        checkpoint: str | None = None,
        pretrained: bool = True,
        pixels_per_side: int | None = 4,
        device: str = "auto",
        batch_pixels: int = 4096,
    ) -> None:
        super().__init__(embedding_dim, seed)
        if pixels_per_side is not None and (
            not isinstance(pixels_per_side, int) or pixels_per_side < 1
        ):
            raise ValueError(
                f"pixels_per_side must be a positive integer or null (got {pixels_per_side!r})"
            )
        if not isinstance(batch_pixels, int) or batch_pixels < 1:
            raise ValueError(f"batch_pixels must be a positive integer (got {batch_pixels!r})")
        self.pretrained = bool(pretrained)
        self.pixels_per_side = pixels_per_side
        self.batch_pixels = batch_pixels
        self.device = resolve_device(device)
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.model = self._build_model().to(self.device).eval()
        self.weights_sha256 = file_sha256(self.checkpoint) if self.pretrained else None

    def contract(self) -> InputContract:
        """Sentinel-1 in dB and the ten L1C bands Presto keeps, as digital numbers
        without the +1000 offset; normalised by upstream's fixed shifts and divisors."""
        return WEIGHTS["presto"].contract(
            f"Presto's construct_single_presto_input(normalize=True) ({UPSTREAM})",
            temporal="time series",
            other_inputs=("latlon",),
        )

    def _build_model(self) -> PrestoModel:
        if not self.pretrained:
            if self.checkpoint is not None:
                raise ValueError("presto: weights given with pretrained: false; drop one of them")
            # PyTorch's default initialisation, seeded without touching the global stream.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                return PrestoModel()
        if self.checkpoint is None:
            raise EobenchError(
                "config key weights: Presto needs the path of its checkpoint default_model.pt "
                "(or pretrained: false for random weights)"
            )
        return load_presto_checkpoint(self.checkpoint)

    def _inputs(self, batch: CubeBatch):
        """Network inputs of every pixel: ``x, mask [B*P, T, 17]``, ``dw [B*P, T]``, ``P``."""
        s1 = tile_pixels(batch.cubes["s1"], self.pixels_per_side)
        s2 = tile_pixels(batch.cubes["s2l1c"], self.pixels_per_side)
        n, n_pixels, steps, _ = s2.shape
        x, mask, dynamic_world = presto_inputs(s1=s1, s2=s2)
        # A missing value masks its channel (and so its token) instead of poisoning it.
        invalid = ~np.isfinite(x)
        for source in ("B8", "B4"):
            invalid[..., NORMED_BANDS.index("NDVI")] |= invalid[..., NORMED_BANDS.index(source)]
        x[invalid], mask[invalid] = 0.0, 1.0
        flat = (n * n_pixels, steps)
        return (
            x.reshape(*flat, -1),
            mask.reshape(*flat, -1),
            dynamic_world.reshape(flat),
            n_pixels,
        )

    @staticmethod
    def _months(seasons: tuple[int, ...], steps: int) -> np.ndarray:
        """Month (0 = January) of every timestep ``[T]`` of a batch covering ``seasons``."""
        if len(seasons) == steps:
            return np.array([SEASON_MONTHS[s] for s in seasons], dtype=np.int64)
        if steps == 1:  # a seasonal average: see the class docstring
            return np.array([SEASON_MONTHS[seasons[0]]], dtype=np.int64)
        raise EobenchError(f"presto: {steps} timesteps but seasons {tuple(seasons)}")

    def embed_pixels(self, x, mask, dynamic_world, latlons, months) -> np.ndarray:
        """Pooled Presto embeddings ``[n, 128]`` of ``n`` pixel time series (numpy inputs
        as :meth:`PrestoModel.forward` takes them; ``months [n, T]``), in chunks of
        ``batch_pixels``."""
        parts = []
        with torch.inference_mode():
            for start in range(0, len(x), self.batch_pixels):
                chunk = slice(start, start + self.batch_pixels)
                tensors = [
                    torch.as_tensor(a[chunk]).to(self.device)
                    for a in (x, dynamic_world, latlons, mask, months)
                ]
                parts.append(self.model(*tensors, eval_task=True).cpu())
        return torch.cat(parts).numpy()

    def encode(self, batch: CubeBatch) -> np.ndarray:
        if batch.latlon is None:
            raise EobenchError(
                "presto: the samples table gives no lat/lon for this dataset; Presto embeds "
                "every sample's location"
            )
        x, mask, dynamic_world, n_pixels = self._inputs(batch)
        steps = x.shape[1]
        latlons = np.repeat(np.asarray(batch.latlon, dtype=np.float32), n_pixels, axis=0)
        months = np.repeat(self._months(tuple(batch.seasons), steps)[None], len(x), axis=0)
        pooled = self.embed_pixels(x, mask, dynamic_world, latlons, months)
        tiles = pooled.reshape(len(batch), n_pixels, EMBEDDING_SIZE).mean(axis=1)
        return reduce_features(tiles, self.embedding_dim, "vit")

    def metadata(self):
        return {
            **super().metadata(),
            "upstream": UPSTREAM,
            "pretrained": self.pretrained,
            "weights": None if self.checkpoint is None else self.checkpoint.name,
            "weights_sha256": self.weights_sha256,
            "pixels_per_side": self.pixels_per_side,
            "device": str(self.device),
            "bands": {"s1": list(STORE_S1_BANDS), "s2l1c": list(STORE_S2_USED)},
            "units": {
                "s1": "dB",
                "s2l1c": "digital number (TOA reflectance x 10000, no +1000 offset)",
            },
            "season_months": list(SEASON_MONTHS),
            "missing_inputs": ["ERA5", "SRTM", "dynamic_world"],
        }
