"""The tensors a pretraining run reads: Sentinel-2 inputs, the other modalities, the
4-season series and the attribute records behind the captions.

Inputs are the acquisition season's Sentinel-2 L2A tile (all 12 bands), standardised per
band with the training split's moments (MMEarth-Bench's reader,
:mod:`eobench.adaptation.data`); the moments travel with the checkpoint as its
normalisation. The other modalities are read and standardised by the same code as joint
training's reconstruction targets. At the CPU default the data fit in memory and are read
once per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from eobench.adaptation.data import Standardiser, build_samples, class_counts, read_modalities
from eobench.adaptation.modalities import MODALITIES, InputChannels
from eobench.adaptation.model import decoder_outputs
from eobench.pretraining.captions import attribute_records

S2 = "sentinel2"
#: Every Sentinel-2 L2A band, the pretrained encoders' input.
S2_INPUT = InputChannels(((S2, None),))
#: A season of the 4-season series counts as a view when this share of its pixels is valid.
MIN_VALID_SEASON = 0.5


@dataclass
class PretrainingTensors:
    """Every tensor of a set of rows; ``batch(index)`` gives what a method reads."""

    s2: torch.Tensor
    s2_valid: torch.Tensor
    targets: dict[str, torch.Tensor]
    valid: dict[str, torch.Tensor]
    seasons: torch.Tensor | None
    season_valid: torch.Tensor | None
    records: list[dict]
    text: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.s2)

    def batch(self, index: torch.Tensor, device) -> dict:
        out = {
            "s2": self.s2[index].to(device),
            "s2_valid": self.s2_valid[index].to(device),
            "targets": {k: v[index].to(device) for k, v in self.targets.items()},
            "valid": {k: v[index].to(device) for k, v in self.valid.items()},
        }
        if self.seasons is not None:
            out["seasons"] = self.seasons[index].to(device)
            out["season_valid"] = self.season_valid[index]
        if self.text is not None:
            out["text"] = self.text[index].to(device)
        return out


def fit_standardiser(store, rows: np.ndarray, reconstruct: Sequence[str]) -> Standardiser:
    """Moments of Sentinel-2 and every reconstructed modality on the training rows."""
    return Standardiser.fit(read_modalities(store, rows, [S2, *reconstruct]))


def load_tensors(
    store,
    rows: np.ndarray,
    continents: Sequence[str],
    reconstruct: Sequence[str],
    standardiser: Standardiser,
    seasons: bool,
) -> PretrainingTensors:
    """Standardised tensors of ``rows`` (``seasons``: also the 4-season series)."""
    raw = read_modalities(store, rows, [S2, *reconstruct])
    samples = build_samples(
        raw, np.zeros((len(rows), 1), np.float32), np.zeros((len(rows), 2)), S2_INPUT,
        standardiser, None, list(reconstruct),
    )  # fmt: skip
    s2_valid = torch.from_numpy(raw[S2][1].all(axis=1, keepdims=True))
    series = series_valid = None
    if seasons:
        series, series_valid = _season_series(store, rows, standardiser)
    return PretrainingTensors(
        samples.inputs, s2_valid, samples.reconstruction, samples.valid,
        series, series_valid, attribute_records(store, rows, continents),
    )  # fmt: skip


def _season_series(store, rows, standardiser: Standardiser):
    """Standardised ``[n, T, 12, H, W]`` Sentinel-2 series and ``[n, T]`` validity."""
    values = store.read(MODALITIES[S2].array, rows).astype(np.float32)
    n, t = values.shape[:2]
    flat = values.reshape(n * t, *values.shape[2:])
    valid = ~np.all(flat == MODALITIES[S2].nodata, axis=1, keepdims=True) & ~np.isnan(flat)
    z = standardiser.apply(S2, flat, valid).reshape(values.shape)
    share = valid.all(axis=1).reshape(n, t, -1).mean(axis=2)
    return torch.from_numpy(z), torch.from_numpy(share >= MIN_VALID_SEASON)


def reconstruction_context(store, reconstruct: Sequence[str]):
    """Kinds, levels and decoder outputs of the reconstructed modalities."""
    kinds = {n: MODALITIES[n].kind for n in reconstruct}
    levels = {n: MODALITIES[n].level for n in reconstruct}
    return kinds, levels, decoder_outputs(reconstruct, class_counts(store, reconstruct))
