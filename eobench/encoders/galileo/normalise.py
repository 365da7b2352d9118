"""Galileo's training-time normalisation, from physical units to model inputs.

Every band is mapped by ``(x - shift) / div``. Galileo was pretrained with upstream's
``Normalizer(std=True, std_multiplier=2)`` fed by ``config/normalization.json``: for the
bands it lists as "std bands" (every space-time band but NDVI, SRTM, all time bands,
LandScan) the shift is ``mean - 2 std`` and the divisor ``(mean + 2 std) - (mean - 2 std)``
(= 4 std), so the central 95 % of the pretraining data falls in about [0, 1]. Every other
band keeps a fixed constant: NDVI ``0, 1``; Dynamic World ``0, 1``; WorldCereal
``0, 100``; location ``0, 1``. LandScan's shift and div are truncated to integers, as
upstream's integer array of static constants does to them.

Upstream pitfall, deliberately not reproduced: ``src/data/utils.py:construct_galileo_input
(normalize=True)`` hands the statistics dict with its JSON string keys ("13", ...) to
``Normalizer``, which skips every string key. The std replacement then never happens and
only the fixed constants are applied (Sentinel-2 divided by 10,000, Sentinel-1 as
``(x - 25) / 25``, ...), which is not the normalisation the model was trained with.
:meth:`GalileoNormaliser.fixed` gives exactly that fallback; :meth:`from_json` gives the
training normaliser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eobench.encoders.galileo.bands import (
    DW_BANDS,
    ERA5_BANDS,
    LANDSCAN_BANDS,
    LOCATION_BANDS,
    S1_BANDS,
    S2_BANDS,
    SRTM_BANDS,
    TC_BANDS,
    TENSOR_BANDS,
    VIIRS_BANDS,
    WC_BANDS,
)
from eobench.errors import EobenchError

#: Upstream's per-band constants ``(shift, div)`` (``src/data/earthengine/*.py``), used for
#: the bands without std replacement and by :meth:`GalileoNormaliser.fixed`.
FIXED_SHIFT_DIV: dict[str, tuple[float, float]] = {
    **dict.fromkeys(S1_BANDS, (25.0, 25.0)),
    **dict.fromkeys(S2_BANDS, (0.0, 1e4)),
    "NDVI": (0.0, 1.0),
    "temperature_2m": (-272.15, 35.0),
    "total_precipitation_sum": (0.0, 0.03),
    "def": (0.0, 4548.0),
    "soil": (0.0, 8882.0),
    "aet": (0.0, 2000.0),
    "avg_rad": (0.0, 100.0),
    "elevation": (0.0, 2000.0),
    "slope": (0.0, 50.0),
    **dict.fromkeys(DW_BANDS, (0.0, 1.0)),
    **dict.fromkeys(WC_BANDS, (0.0, 100.0)),
    "b1": (92500.0, 92500.0),
    **dict.fromkeys(LOCATION_BANDS, (0.0, 1.0)),
    **dict.fromkeys((f"{b}_static" for b in DW_BANDS), (0.0, 1.0)),
    **dict.fromkeys((f"{b}_static" for b in WC_BANDS), (0.0, 100.0)),
}

#: Bands whose constants the training normaliser replaces by mean +- 2 std.
STD_BANDS: dict[str, tuple[str, ...]] = {
    "space_time": (*S1_BANDS, *S2_BANDS),
    "space": SRTM_BANDS,
    "time": (*ERA5_BANDS, *TC_BANDS, *VIIRS_BANDS),
    "static": LANDSCAN_BANDS,
}


#: Tensors whose upstream constants are integer arrays (LandScan's 92500, location's 0
#: and 1, ...): upstream writes the std-derived shift and div into them, truncating toward
#: zero, and the model was trained with those truncated values.
INTEGER_TENSORS = ("static",)


@dataclass(frozen=True)
class GalileoNormaliser:
    """Per-band ``shift`` and ``div`` (float64) of each of the four input tensors.

    ``shift`` and ``div`` map a tensor name (``space_time``, ``space``, ``time``,
    ``static``) to arrays as long as its band list in
    :data:`eobench.encoders.galileo.bands.TENSOR_BANDS`.
    """

    shift: dict[str, np.ndarray]
    div: dict[str, np.ndarray]

    @classmethod
    def fixed(cls) -> GalileoNormaliser:
        """The constants only (upstream ``Normalizer(std=False)``; what
        ``construct_galileo_input(normalize=True)`` applies in effect)."""
        shift, div = {}, {}
        for tensor, bands in TENSOR_BANDS.items():
            shift[tensor] = np.array([FIXED_SHIFT_DIV[b][0] for b in bands], dtype=np.float64)
            div[tensor] = np.array([FIXED_SHIFT_DIV[b][1] for b in bands], dtype=np.float64)
        return cls(shift, div)

    @classmethod
    def from_statistics(
        cls, statistics: dict, std_multiplier: float = 2.0, source: str = "statistics"
    ) -> GalileoNormaliser:
        """The training normaliser from upstream's statistics dict.

        ``statistics`` holds, under the number of bands of each tensor as key (``"13"``
        or ``13``), per-band ``"mean"`` and ``"std"`` lists in the tensor's band order
        (the format of upstream's ``config/normalization.json``). ``source`` names the
        origin in error messages.
        """
        base = cls.fixed()
        shift = {t: s.copy() for t, s in base.shift.items()}
        div = {t: d.copy() for t, d in base.div.items()}
        for tensor, bands in TENSOR_BANDS.items():
            mean, std = _moments(statistics, len(bands), source)
            for band in STD_BANDS[tensor]:
                i = bands.index(band)
                low = mean[i] - std_multiplier * std[i]
                high = mean[i] + std_multiplier * std[i]
                if high - low == 0:
                    raise EobenchError(f"{source}: band {band} has a standard deviation of 0")
                shift[tensor][i], div[tensor][i] = low, high - low
                if tensor in INTEGER_TENSORS:
                    shift[tensor][i], div[tensor][i] = np.trunc([low, high - low])
        return cls(shift, div)

    @classmethod
    def from_json(cls, path: str | Path, std_multiplier: float = 2.0) -> GalileoNormaliser:
        """The training normaliser from ``normalization.json``."""
        path = Path(path)
        try:
            statistics = json.loads(path.read_text())
        except FileNotFoundError:
            raise EobenchError(f"{path}: Galileo normalisation statistics not found") from None
        except (OSError, ValueError) as exc:
            raise EobenchError(f"{path}: not readable as JSON ({exc})") from None
        if not isinstance(statistics, dict):
            raise EobenchError(f"{path}: expected a JSON object of statistics per band count")
        return cls.from_statistics(statistics, std_multiplier, source=str(path))

    def normalise(self, tensor: str, x: np.ndarray) -> np.ndarray:
        """``(x - shift) / div`` along the last axis of ``x``, computed in float64."""
        shift, div = self.shift[tensor], self.div[tensor]
        if x.shape[-1] != len(shift):
            raise ValueError(
                f"{tensor} input has {x.shape[-1]} bands on its last axis, expected {len(shift)}"
            )
        return (np.asarray(x, dtype=np.float64) - shift) / div

    def __call__(self, space_time_x, space_x, time_x, static_x):
        """Normalise the four tensors (band axis last); returns them as float32."""
        return tuple(
            self.normalise(tensor, x).astype(np.float32)
            for tensor, x in zip(
                TENSOR_BANDS, (space_time_x, space_x, time_x, static_x), strict=True
            )
        )


def _moments(statistics: dict, n_bands: int, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std lists of the tensor with ``n_bands`` bands, checked."""
    entry = statistics.get(str(n_bands), statistics.get(n_bands))
    if not isinstance(entry, dict):
        raise EobenchError(f"{source}: no statistics under key {str(n_bands)!r}")
    moments = []
    for name in ("mean", "std"):
        values = entry.get(name)
        if not isinstance(values, list) or len(values) != n_bands:
            found = len(values) if isinstance(values, list) else type(values).__name__
            raise EobenchError(
                f"{source}: key {str(n_bands)!r}.{name} must list {n_bands} numbers (found {found})"
            )
        moments.append(np.asarray(values, dtype=np.float64))
    return moments[0], moments[1]
