"""Galileo as an eobench encoder: S1 + S2 L1C space-time cubes and location -> N features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from eobench.data.bands import S1_BANDS as STORE_S1_BANDS
from eobench.data.bands import S2L1C_BANDS, SEASON_MONTHS
from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.encoders.contract import InputContract
from eobench.encoders.galileo.bands import SPACE_TIME_GROUPS, UNITS
from eobench.encoders.galileo.checkpoint import (
    NANO_ARCHITECTURE,
    checkpoint_files,
    load_galileo,
    read_architecture,
)
from eobench.encoders.galileo.inputs import S1_TO_GALILEO, S2L1C_TO_GALILEO, inputs_from_cubes
from eobench.encoders.galileo.model import GalileoEncoderModel, average_tokens
from eobench.encoders.galileo.normalise import GalileoNormaliser
from eobench.encoders.rcf import resolve_device
from eobench.encoders.reduction import reduce_features
from eobench.encoders.weights import WEIGHTS
from eobench.errors import EobenchError
from eobench.io import file_sha256

NORMALIZATION_FILENAME = "normalization.json"
#: Upstream's month for inputs without a date (``src/data/utils.py`` DEFAULT_MONTH, June).
DEFAULT_MONTH = 5
#: Most bytes of attention scores held at once (chunks of samples are encoded in turn).
ATTENTION_BYTES = 256 * 2**20


@register
class GalileoEncoder(Encoder):
    """Galileo (nasaharvest/galileo) on the batch's Sentinel-1 and Sentinel-2 L1C cubes.

    Each sample becomes Galileo's space-time input: VV, VH (dB), the ten Sentinel-2 bands
    Galileo reads (B02-B08, B8A, B11, B12 of the 13 L1C bands, digital numbers without
    the +1000 offset, as Earth Engine's harmonised collection it was trained on) and
    NDVI from B08 and B04, one time step per season with the season's middle month
    (:data:`eobench.data.bands.SEASON_MONTHS`), plus its location as a unit vector from
    ``batch.latlon``; every other group (ERA5, TerraClimate, VIIRS, SRTM, Dynamic World,
    WorldCereal, LandScan) is masked. Inputs are normalised with Galileo's training
    normaliser, encoded, and the unmasked tokens averaged (upstream's ``average_tokens``):
    ``D = 128`` features for nano, zero-padded (or group-averaged) to ``N`` by the ViT
    recipe of :func:`eobench.encoders.reduction.reduce_features`.

    Parameters
    ----------
    checkpoint : str or None
        Folder holding ``encoder.pt`` and ``config.json`` (or the ``encoder.pt`` path);
        required unless ``pretrained`` is false.
    normalization : str or None
        Upstream's ``normalization.json``; by default the one beside the checkpoint. The
        random-init twin without one uses upstream's fixed constants.
    pretrained : bool
        False gives the random-init twin: nano's architecture (or the checkpoint's) with
        upstream's initialisation under ``seed``.
    patch_size : int
        Patch side in pixels, 1 to the checkpoint's ``max_patch_size`` (8), dividing the
        (square) tile side; pretraining sampled sizes 1-8. 8 on 32x32 tiles gives 4x4
        patches.
    composite_month : int
        Month (0 = January) given to a season-averaged cube (aggregation ``pre``), which
        has no month of its own; default upstream's date-less default, June.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    """

    name = "galileo"
    inputs = ("s1", "s2l1c")
    supports_time_series = True

    def __init__(
        self,
        embedding_dim: int,
        seed: int = 0,
        checkpoint: str | None = None,
        normalization: str | None = None,
        pretrained: bool = True,
        patch_size: int = 8,
        composite_month: int = DEFAULT_MONTH,
        device: str = "auto",
    ) -> None:
        super().__init__(embedding_dim, seed)
        if not isinstance(composite_month, int) or not 0 <= composite_month <= 11:
            raise ValueError(f"composite_month must be an integer 0-11 (got {composite_month!r})")
        self.pretrained = bool(pretrained)
        self.composite_month = composite_month
        self.device = resolve_device(device)
        self.weights_path, self.model = self._build_model(checkpoint)
        max_patch = self.model.max_patch_size
        if not isinstance(patch_size, int) or not 1 <= patch_size <= max_patch:
            raise ValueError(f"patch_size must be an integer 1-{max_patch} (got {patch_size!r})")
        self.patch_size = patch_size
        self.normalization_path = self._normalization_path(normalization, checkpoint)
        if self.normalization_path is None:
            self.normaliser = GalileoNormaliser.fixed()
        else:
            self.normaliser = GalileoNormaliser.from_json(self.normalization_path)
        self.model = self.model.to(self.device).eval()

    def _build_model(self, checkpoint) -> tuple[Path | None, GalileoEncoderModel]:
        if self.pretrained:
            if checkpoint is None:
                raise EobenchError(
                    "config key weights: the galileo encoder needs its checkpoint (a folder "
                    "with encoder.pt and config.json); set pretrained: false for the "
                    "random-init twin"
                )
            return checkpoint_files(checkpoint)[0], load_galileo(checkpoint)
        architecture = dict(NANO_ARCHITECTURE)
        if checkpoint is not None:
            architecture = read_architecture(checkpoint_files(checkpoint)[1])
        # Seeded without touching the global random stream.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return None, GalileoEncoderModel(**architecture)

    def _normalization_path(self, normalization, checkpoint) -> Path | None:
        if normalization is not None:
            return Path(normalization)
        if checkpoint is not None:
            beside = checkpoint_files(checkpoint)[0].parent / NORMALIZATION_FILENAME
            if beside.is_file():
                return beside
        if self.pretrained:
            raise EobenchError(
                "config key normalization: the galileo encoder needs upstream's "
                "normalization.json (none given and none beside the checkpoint)"
            )
        return None

    def months(self, seasons: tuple[int, ...], n_steps: int) -> np.ndarray:
        """Month (0 = January) of each of the ``n_steps`` time steps covering ``seasons``."""
        if n_steps == len(seasons):
            return np.array([SEASON_MONTHS[s] for s in seasons], dtype=np.int64)
        if n_steps == 1:  # a season average (aggregation pre)
            return np.array([self.composite_month], dtype=np.int64)
        raise EobenchError(
            f"galileo: {n_steps} time steps in the batch for {len(seasons)} seasons {seasons}"
        )

    def encode(self, batch: CubeBatch) -> np.ndarray:
        s1, s2 = self._checked_cubes(batch)
        if batch.latlon is None:
            raise EobenchError(
                "galileo: the batch has no latitude/longitude (samples table lat, lon); "
                "Galileo embeds each sample's location"
            )
        months = self.months(tuple(batch.seasons), s2.shape[1])
        raw = inputs_from_cubes(s1, s2, np.asarray(batch.latlon), months)
        normalised = self.normaliser(*raw[:4])
        pooled = self._pooled((*normalised, *raw[4:]))
        return reduce_features(pooled, self.embedding_dim, "vit")

    def _checked_cubes(self, batch: CubeBatch) -> tuple[np.ndarray, np.ndarray]:
        s1, s2 = batch.cubes["s1"], batch.cubes["s2l1c"]
        if s1.ndim != 5 or s2.ndim != 5 or s1.shape[2] != 2 or s2.shape[2] != 13:
            raise EobenchError(
                f"galileo: expected s1 [B, T, 2, H, W] and s2l1c [B, T, 13, H, W], got "
                f"{list(s1.shape)} and {list(s2.shape)}"
            )
        if s1.shape[:2] != s2.shape[:2] or s1.shape[3:] != s2.shape[3:]:
            raise EobenchError(
                f"galileo: s1 {list(s1.shape)} and s2l1c {list(s2.shape)} differ in "
                "samples, time steps or size"
            )
        height, width = s2.shape[3:]
        if height != width or height % self.patch_size:
            raise EobenchError(
                f"galileo: tiles of {height}x{width} pixels must be square with a side that "
                f"is a multiple of patch_size {self.patch_size}"
            )
        return s1, s2

    def _pooled(self, arrays) -> np.ndarray:
        """Token average ``[B, D]`` of Galileo's inputs, in chunks of samples."""
        self.model.eval()  # stochastic depth must stay off, whatever a caller did
        n, h, _, t = arrays[0].shape[:4]
        # Unmasked tokens per sample: the space-time groups of every patch and step, location.
        tokens = (h // self.patch_size) ** 2 * t * len(SPACE_TIME_GROUPS) + 1
        heads = self.model.blocks[0].attn.heads if len(self.model.blocks) else 1
        chunk = max(1, ATTENTION_BYTES // (4 * heads * tokens**2))
        parts = []
        with torch.inference_mode():
            for start in range(0, n, chunk):
                tensors = [
                    torch.from_numpy(np.ascontiguousarray(a[start : start + chunk])).to(self.device)
                    for a in arrays
                ]
                output = self.model(*tensors, patch_size=self.patch_size)
                parts.append(average_tokens(output).cpu())
        return torch.cat(parts).numpy()

    def contract(self) -> InputContract:
        """Sentinel-1 in dB and the ten L1C bands Galileo reads, as digital numbers without
        the +1000 offset; normalised by the training run's statistics."""
        return WEIGHTS["galileo_nano"].contract(
            "Galileo's training normaliser (normalization.json, shift = mean - 2 std, "
            "div = 4 std; fixed constants for NDVI and categorical groups)",
            temporal="time series",
            other_inputs=("latlon",),
        )

    def metadata(self) -> dict[str, Any]:
        return {
            **super().metadata(),
            "pretrained": self.pretrained,
            "weights": None if self.weights_path is None else str(self.weights_path),
            "weights_sha256": None if self.weights_path is None else file_sha256(self.weights_path),
            "normalization": (
                "upstream fixed constants"
                if self.normalization_path is None
                else str(self.normalization_path)
            ),
            "normalization_sha256": (
                None if self.normalization_path is None else file_sha256(self.normalization_path)
            ),
            "patch_size": self.patch_size,
            "composite_month": self.composite_month,
            "bands": {
                "s1": [STORE_S1_BANDS[i] for i in S1_TO_GALILEO],
                "s2l1c": [S2L1C_BANDS[i] for i in S2L1C_TO_GALILEO],
            },
            "units": {"s1": UNITS["S1"], "s2l1c": UNITS["S2"]},
            "device": str(self.device),
        }
