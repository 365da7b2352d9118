"""Tensors of one adaptation run: inputs, reconstruction targets and the task target.

The store is small at the CPU default (hundreds of 32 px samples), so a run reads every
row it needs once and keeps it in memory. Continuous values are standardised per channel
with the mean and standard deviation of the training subset (valid values only) and
missing values set to 0 afterwards; the statistics travel with the checkpoint so that
test-time training normalises exactly as training did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from eobench.adaptation.modalities import (
    CATEGORICAL,
    MODALITIES,
    InputChannels,
    band_indices,
    n_classes,
    read_raw,
)
from eobench.adaptation.tasks import AdaptationTask
from eobench.errors import EobenchError


@dataclass
class Standardiser:
    """Per-channel mean and standard deviation of each continuous modality."""

    moments: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def fit(cls, raw: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Standardiser:
        moments = {}
        for name, (values, valid) in raw.items():
            if MODALITIES[name].kind == CATEGORICAL:
                continue
            channels = values.shape[1]
            flat = np.moveaxis(values, 1, -1).reshape(-1, channels)
            keep = np.moveaxis(np.broadcast_to(valid, values.shape), 1, -1).reshape(-1, channels)
            mean = np.array(
                [flat[keep[:, c], c].mean() if keep[:, c].any() else 0.0 for c in range(channels)]
            )
            std = np.array(
                [flat[keep[:, c], c].std() if keep[:, c].any() else 1.0 for c in range(channels)]
            )
            moments[name] = (
                mean.astype(np.float32),
                np.where(std > 0, std, 1.0).astype(np.float32),
            )
        return cls(moments)

    def apply(self, name: str, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Standardised ``values`` with 0 where missing."""
        mean, std = self.moments[name]
        shape = (1, -1) + (1,) * (values.ndim - 2)
        z = (values - mean.reshape(shape)) / std.reshape(shape)
        return np.where(np.broadcast_to(valid, z.shape), z, 0.0).astype(np.float32)

    def state(self) -> dict[str, list[list[float]]]:
        return {k: [m.tolist(), s.tolist()] for k, (m, s) in self.moments.items()}

    @classmethod
    def from_state(cls, state: Mapping[str, Sequence[Sequence[float]]]) -> Standardiser:
        return cls(
            {
                k: (np.asarray(m, np.float32), np.asarray(s, np.float32))
                for k, (m, s) in state.items()
            }
        )


@dataclass
class Samples:
    """Tensors of a set of rows: model inputs, reconstruction targets, the task target."""

    inputs: torch.Tensor
    target: torch.Tensor
    reconstruction: dict[str, torch.Tensor]
    valid: dict[str, torch.Tensor]
    lonlat: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)

    def to(self, device) -> Samples:
        """The same samples with every tensor on ``device``."""
        return Samples(
            self.inputs.to(device),
            self.target.to(device),
            {k: v.to(device) for k, v in self.reconstruction.items()},
            {k: v.to(device) for k, v in self.valid.items()},
            self.lonlat,
        )

    def subset(self, index) -> Samples:
        index = torch.as_tensor(index, dtype=torch.long, device=self.inputs.device)
        return Samples(
            self.inputs[index],
            self.target[index],
            {k: v[index] for k, v in self.reconstruction.items()},
            {k: v[index] for k, v in self.valid.items()},
            self.lonlat[index.cpu().numpy()],
        )


def read_modalities(store, rows: np.ndarray, names: Sequence[str]) -> dict:
    """Raw values and validity of modalities ``names`` for store ``rows``."""
    seasons = store.read("acquisition_season", rows).reshape(len(rows)).astype(np.int64)
    return {name: read_raw(store, MODALITIES[name], rows, seasons) for name in names}


def read_target(store, task: AdaptationTask, rows: np.ndarray) -> np.ndarray:
    """The task target for ``rows``: float32, NaN where unlabelled."""
    if task.array not in store.arrays:
        raise EobenchError(
            f"{store.path}: the store has no target array {task.array!r} (task {task.name}); "
            "it is written for datasets of family mmearth (datasets.<name>.families)"
        )
    target = store.read(task.array, rows).astype(np.float32)
    return target[:, None] if task.dense else target.reshape(len(rows), -1)


def build_samples(
    raw: Mapping[str, tuple[np.ndarray, np.ndarray]],
    target: np.ndarray,
    lonlat: np.ndarray,
    channels: InputChannels,
    standardiser: Standardiser,
    target_moments: tuple[float, float] | None,
    reconstructed: Sequence[str],
) -> Samples:
    """Standardised tensors for a model reading ``channels`` and rebuilding ``reconstructed``."""
    inputs = []
    for modality, bands in channels.parts:
        values, valid = raw[modality]
        z = standardiser.apply(modality, values, valid)
        inputs.append(z[:, band_indices(MODALITIES[modality], bands, "adaptation.inputs")])
    targets, valids = {}, {}
    for name in reconstructed:
        values, valid = raw[name]
        if MODALITIES[name].kind == CATEGORICAL:
            targets[name] = torch.from_numpy(np.where(valid, values, 0))
            valids[name] = torch.from_numpy(valid)
        else:
            targets[name] = torch.from_numpy(standardiser.apply(name, values, valid))
            valids[name] = torch.from_numpy(np.broadcast_to(valid, values.shape).copy())
    if target_moments is not None:
        target = (target - target_moments[0]) / target_moments[1]
    return Samples(
        torch.from_numpy(np.concatenate(inputs, axis=1)),
        torch.from_numpy(target.astype(np.float32)),
        targets,
        valids,
        np.asarray(lonlat, dtype=np.float64),
    )


def target_moments(task: AdaptationTask, target: np.ndarray) -> tuple[float, float] | None:
    """Mean and standard deviation of a regression target over its labelled values."""
    if task.kind == "multilabel":
        return None
    known = target[~np.isnan(target)]
    if len(known) == 0:
        raise EobenchError(f"task {task.name}: the training subset has no labelled target")
    std = float(known.std())
    return float(known.mean()), std if std > 0 else 1.0


def class_counts(store, names: Sequence[str]) -> dict[str, int]:
    """Number of classes of each categorical modality in ``names``."""
    return {n: n_classes(store, MODALITIES[n]) for n in names if MODALITIES[n].kind == CATEGORICAL}
