"""The twelve modalities of MMEarth: what the models read and what joint training rebuilds.

Every modality is read from one store array (:mod:`eobench.data.synth`, family
``mmearth``) and is either continuous (standardised with the training subset's statistics,
reconstructed with MSE) or categorical (class indices, reconstructed with cross-entropy),
at pixel level (``[c, H, W]``) or tile level (``[c]``). Missing values (NaN, the store's
nodata value or 255 for class maps) are masked out of statistics and losses and become 0
after standardisation, as in MMEarth-Bench.

Sentinel-2 and Sentinel-1 are read at each sample's ``acquisition_season``; location
becomes a unit vector on the sphere and the month a point on the unit circle, so that
neither has a seam.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from eobench.data.bands import S1_BANDS, S2L2A_BANDS
from eobench.errors import EobenchError

CONTINUOUS, CATEGORICAL = "continuous", "categorical"
PIXEL, TILE = "pixel", "tile"
#: Class value of a missing pixel or tile in categorical arrays.
MISSING_CLASS = 255
#: Precipitation channels: the acquisition month, the month before, the annual monthly mean.
PRECIPITATION = ("month", "previous", "annual")


@dataclass(frozen=True)
class ModalitySpec:
    """How one modality is read from the store and reconstructed."""

    name: str
    array: str
    kind: str
    level: str
    #: Channel names of a continuous modality after encoding.
    channels: tuple[str, ...] = ()
    #: Whether the array has a season axis read at the acquisition season.
    seasonal: bool = False
    #: A stored value meaning "no data" (besides NaN), e.g. 0 in the Sentinel cubes.
    nodata: float | None = None


MODALITIES: dict[str, ModalitySpec] = {
    spec.name: spec
    for spec in (
        ModalitySpec("sentinel2", "s2l2a", CONTINUOUS, PIXEL, S2L2A_BANDS, True, 0.0),
        ModalitySpec("sentinel1", "s1", CONTINUOUS, PIXEL, S1_BANDS, True, 0.0),
        ModalitySpec("elevation", "elevation", CONTINUOUS, PIXEL, ("elevation",)),
        ModalitySpec("canopy_height", "canopy_height", CONTINUOUS, PIXEL, ("canopy_height",)),
        ModalitySpec("landcover_esa", "landcover_esa", CATEGORICAL, PIXEL),
        ModalitySpec("landcover_dw", "landcover_dw", CATEGORICAL, PIXEL),
        ModalitySpec("precipitation", "precipitation", CONTINUOUS, TILE, PRECIPITATION),
        ModalitySpec("temperature", "temperature", CONTINUOUS, TILE, ("mean", "min", "max")),
        ModalitySpec("geolocation", "geolocation", CONTINUOUS, TILE, ("x", "y", "z")),
        ModalitySpec("month", "month", CONTINUOUS, TILE, ("cos", "sin")),
        ModalitySpec("biome", "biome", CATEGORICAL, TILE),
        ModalitySpec("ecoregion", "ecoregion", CATEGORICAL, TILE),
    )
}  # fmt: skip


def get_modality(name: str, key: str) -> ModalitySpec:
    """The modality called ``name``; an unknown name is an error naming ``key``."""
    if name not in MODALITIES:
        raise EobenchError(
            f"config key {key}: unknown modality {name!r} (known: {list(MODALITIES)})"
        )
    return MODALITIES[name]


def n_classes(store, spec: ModalitySpec) -> int:
    """Number of classes of a categorical modality (the array's ``classes`` attribute)."""
    return len(store.array_attrs(spec.array)["classes"])


def read_raw(store, spec: ModalitySpec, rows: np.ndarray, seasons: np.ndarray | None):
    """Values of ``spec`` for store ``rows`` and a validity mask of the same shape.

    Continuous modalities come back as float32 ``[n, c, H, W]`` or ``[n, c]``;
    categorical ones as int64 ``[n, H, W]`` or ``[n]`` with -1 where missing.
    """
    if spec.array not in store.arrays:
        raise EobenchError(
            f"{store.path}: the store has no array {spec.array!r} (modality {spec.name}); "
            "it is written for datasets of family mmearth (datasets.<name>.families)"
        )
    values = store.read(spec.array, rows)
    if spec.seasonal:
        values = values[np.arange(len(rows)), seasons]
    if spec.kind == CATEGORICAL:
        classes = values.reshape(len(rows), *values.shape[1:]).astype(np.int64)
        if spec.level == TILE:
            classes = classes.reshape(len(rows))
        return np.where(classes == MISSING_CLASS, -1, classes), classes != MISSING_CLASS
    values = _encoded(spec, values.astype(np.float32))
    valid = ~np.isnan(values)
    if spec.nodata is not None:
        # a Sentinel pixel is missing when all its bands hold the nodata value
        blank = np.all(values == spec.nodata, axis=1, keepdims=True)
        valid &= ~blank
    return values, valid


def _encoded(spec: ModalitySpec, values: np.ndarray) -> np.ndarray:
    """Channels-first values; location and month on the sphere and the circle."""
    n = len(values)
    if spec.name == "geolocation":
        lat, lon = np.radians(values[:, 0]), np.radians(values[:, 1])
        return np.stack(
            [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1
        ).astype(np.float32)
    if spec.name == "month":
        angle = 2 * np.pi * values.reshape(n) / 12.0
        return np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32)
    if spec.level == PIXEL and values.ndim == 3:  # [n, H, W] -> [n, 1, H, W]
        return values[:, None]
    return values.reshape(n, -1) if spec.level == TILE else values


def band_indices(spec: ModalitySpec, bands: Sequence[str] | None, key: str) -> list[int]:
    """Channel indices of ``bands`` in ``spec`` (all channels when ``bands`` is None)."""
    if bands is None:
        return list(range(len(spec.channels)))
    unknown = [b for b in bands if b not in spec.channels]
    if unknown:
        raise EobenchError(
            f"config key {key}: modality {spec.name} has no band(s) {unknown} "
            f"(bands: {list(spec.channels)})"
        )
    return [spec.channels.index(b) for b in bands]


@dataclass(frozen=True)
class InputChannels:
    """The channels a model reads: ``(modality, bands)`` pairs (bands None = all)."""

    parts: tuple[tuple[str, tuple[str, ...] | None], ...]

    @classmethod
    def from_config(cls, entry: Mapping[str, Sequence[str] | None], key: str) -> InputChannels:
        """From an ``adaptation.inputs`` entry: modality -> bands (null = every band)."""
        if not entry:
            raise EobenchError(f"config key {key}: an input set needs at least one modality")
        parts = []
        for name, bands in entry.items():
            spec = get_modality(name, key)
            if spec.kind == CATEGORICAL or spec.level != "pixel":
                raise EobenchError(
                    f"config key {key}: modality {name} is not a pixel-level continuous "
                    "modality, so it cannot be a model input"
                )
            band_indices(spec, bands, key)
            parts.append((name, None if bands is None else tuple(bands)))
        return cls(tuple(parts))

    def names(self) -> list[str]:
        """``modality:band`` of every input channel, in order."""
        names = []
        for modality, bands in self.parts:
            spec = MODALITIES[modality]
            chosen = bands if bands is not None else spec.channels
            names.extend(f"{modality}:{b}" for b in chosen)
        return names
