"""Input contracts: what an encoder reads, checked against the store before the first batch.

A model that sees the wrong bands or units does not fail: it returns plausible numbers.
Every encoder therefore declares an :class:`InputContract` (store arrays and bands in
order, units, scale and offset, normalisation, input size, temporal form), and extraction
checks it twice:

- :func:`check_store_attributes` compares the contract with the store's array attributes
  (``bands``, ``units``, ``offset``) and shapes;
- :func:`check_values` looks at the first batch's values, which catches stores whose
  attributes are right but whose numbers are not (reflectance in [0, 1] labelled as
  digital numbers, linear power labelled as dB, digital numbers carrying the +1000 offset
  of processing baseline 04.00 labelled as without).

Every mismatch is one :class:`~eobench.errors.EobenchError` line naming the encoder, the
array, the band and what was expected and found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eobench.data.bands import MODALITIES
from eobench.data.real import has_baseline_offset
from eobench.errors import EobenchError

#: Unit kinds a contract can name, each with how a store's ``units`` text spells it.
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "dB": ("db", "decibel", "10 log10"),
    "DN": ("digital number", "dn"),
    "reflectance": ("reflectance",),
    "linear power": ("linear", "power", "intensity", "amplitude"),
}
#: Above this 99th percentile a Sentinel-2 array holds digital numbers, not reflectance
#: in [0, 1] (bright clouds reach about 1.5 in reflectance, dark water 100 in DN).
REFLECTANCE_CEILING = 2.0
#: Below this share of negative values a Sentinel-1 array is not in dB (sigma0 in dB is
#: negative over almost every surface; linear power is never negative).
MIN_NEGATIVE_SHARE_DB = 0.5


def unit_kind(units: str) -> str:
    """The unit kind of a store's ``units`` text, e.g. ``"dB (sigma0, 10 log10)"`` -> dB.

    Reflectance spelled as "digital number (reflectance x 10000)" counts as DN: the
    leading words decide. Unknown spellings come back lower-cased, unchanged.
    """
    text = units.strip().lower()
    for kind in ("DN", "dB", "linear power", "reflectance"):
        if any(text.startswith(spelling) for spelling in UNIT_SPELLINGS[kind]):
            return kind
    for kind, spellings in UNIT_SPELLINGS.items():
        if any(spelling in text for spelling in spellings):
            return kind
    return text


@dataclass(frozen=True)
class ArrayContract:
    """What an encoder reads from one store array.

    Parameters
    ----------
    array : store array, e.g. ``"s2l1c"``.
    bands : bands the encoder reads, in its order (a subset of the array's bands).
    units : unit kind (:data:`UNIT_SPELLINGS`): ``"DN"``, ``"dB"``, ...
    offset : digital-number offset the encoder expects in the values (Sentinel-2: 0 =
        without the +1000 of processing baseline 04.00; ``None``: not checked).
    scale : factor from the stored values to physical units (DN: 1e-4 to reflectance).
    mean, std : per-band normalisation statistics of the encoder (``None``: it does
        not standardise this array, or its statistics live elsewhere, see
        :attr:`InputContract.normalisation`).
    """

    array: str
    bands: tuple[str, ...]
    units: str
    offset: float | None = 0.0
    scale: float | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.mean is not None and len(self.mean) != len(self.bands):
            raise ValueError(f"{self.array}: {len(self.mean)} means for {len(self.bands)} bands")


@dataclass(frozen=True)
class InputContract:
    """Everything an encoder reads: arrays and bands, normalisation, size and time.

    ``temporal`` is ``"image"`` (one image at a time: aggregations pre and post) or
    ``"time series"`` (also the whole series, aggregation none). ``input_size`` is the
    pixel side the model was built for (``None``: any size).
    """

    arrays: tuple[ArrayContract, ...] = ()
    normalisation: str = "none"
    input_size: int | None = None
    temporal: str = "image"
    other_inputs: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description, stored with the embeddings."""
        return {
            "arrays": {
                a.array: {"bands": list(a.bands), "units": a.units, "offset": a.offset}
                for a in self.arrays
            },
            "normalisation": self.normalisation,
            "input_size": self.input_size,
            "temporal": self.temporal,
            "other_inputs": list(self.other_inputs),
        }


def canonical_contract(
    arrays: tuple[str, ...], normalisation: str, temporal: str = "image"
) -> InputContract:
    """The contract of an encoder that reads every band of ``arrays`` in store order.

    Arrays that are not image modalities (latents, say) become ``other_inputs``.
    ``normalisation`` names what the encoder does to the values (``"store statistics"``:
    standardised with :data:`~eobench.data.bands.MODALITIES`' means and deviations).
    """
    standardised = normalisation == "store statistics"
    images = tuple(
        ArrayContract(
            array=name,
            bands=MODALITIES[name].bands,
            units=unit_kind(MODALITIES[name].units),
            offset=0.0 if name.startswith("s2") else None,
            scale=1e-4 if name.startswith("s2") else None,
            mean=MODALITIES[name].mean if standardised else None,
            std=MODALITIES[name].std if standardised else None,
        )
        for name in arrays
        if name in MODALITIES
    )
    others = tuple(name for name in arrays if name not in MODALITIES)
    return InputContract(images, normalisation, None, temporal, others)


def check_store_attributes(
    contract: InputContract, attrs: Mapping[str, Mapping[str, Any]], shapes, where: str
) -> None:
    """Compare the contract with the store's array attributes and shapes.

    Parameters
    ----------
    contract : the encoder's contract.
    attrs : array name -> its attributes (``bands``, ``units``, ``offset``).
    shapes : array name -> its shape ``[n, T, C, H, W]``.
    where : ``"<store path>: encoder '<name>' (<config key>)"``, the start of messages.
    """
    for wanted in contract.arrays:
        found = attrs.get(wanted.array, {})
        _check_band_order(wanted, found.get("bands"), where)
        _check_units(wanted, found.get("units"), where)
        _check_offset(wanted, found.get("offset"), where)
        shape = tuple(shapes[wanted.array])
        n_bands = len(found.get("bands") or MODALITIES[wanted.array].bands)
        if len(shape) != 5 or shape[2] != n_bands:
            raise EobenchError(
                f"{where} reads '{wanted.array}' as [n, T, {n_bands}, H, W]; the store's "
                f"array has shape {shape}"
            )


def _check_band_order(wanted: ArrayContract, bands, where: str) -> None:
    """Encoders index bands by their store position: the store must hold them there."""
    canonical = MODALITIES[wanted.array].bands if wanted.array in MODALITIES else wanted.bands
    if bands is None:
        return
    bands = tuple(bands)
    for band in wanted.bands:
        position = canonical.index(band)
        if band not in bands:
            raise EobenchError(
                f"{where} reads {wanted.array} band {band}; the store's {wanted.array} has no "
                f"band {band} (bands: {list(bands)})"
            )
        if position >= len(bands) or bands[position] != band:
            found = bands[position] if position < len(bands) else "nothing"
            raise EobenchError(
                f"{where} reads {wanted.array} band {band} at position {position}; the store "
                f"has {found} there (bands: {list(bands)})"
            )


def _check_units(wanted: ArrayContract, units, where: str) -> None:
    if units is None:
        return
    found = unit_kind(str(units))
    if found != wanted.units:
        raise EobenchError(
            f"{where} reads {wanted.array} in {wanted.units}; the store's {wanted.array} is "
            f"in {found} (units: {units!r})"
        )


def _check_offset(wanted: ArrayContract, offset, where: str) -> None:
    if wanted.offset is None or offset is None:
        return
    if not np.isclose(float(offset), wanted.offset):
        raise EobenchError(
            f"{where} reads {wanted.array} digital numbers with offset {wanted.offset:g}; the "
            f"store's {wanted.array} has offset {float(offset):g} (the +1000 of processing "
            f"baseline 04.00 must be removed, or added, when the store is built)"
        )


def check_values(contract: InputContract, arrays: Mapping[str, np.ndarray], where: str) -> None:
    """Check the first batch's values against the contract's units and offset.

    ``arrays`` maps store array name to ``[B, T, C, H, W]`` values in store units; zeros
    are no-data and ignored.
    """
    for wanted in contract.arrays:
        values = np.asarray(arrays[wanted.array], dtype=np.float32)
        if wanted.units == "DN":
            _check_digital_numbers(wanted, values, where)
        elif wanted.units == "dB":
            _check_decibels(wanted, values, where)


def _valid(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values) & (values != 0)]


def _check_digital_numbers(wanted: ArrayContract, values: np.ndarray, where: str) -> None:
    bands = MODALITIES[wanted.array].bands
    for band in wanted.bands:
        valid = _valid(values[:, :, bands.index(band)])
        if valid.size and band != "B10" and np.percentile(valid, 99) <= REFLECTANCE_CEILING:
            raise EobenchError(
                f"{where} reads {wanted.array} band {band} in digital numbers (reflectance "
                f"x 10000); the store's values look like reflectance in [0, 1] (99th "
                f"percentile {np.percentile(valid, 99):.3g})"
            )
    if wanted.array == "s2l1c" and wanted.offset == 0.0 and has_baseline_offset(values, 2):
        raise EobenchError(
            f"{where} reads {wanted.array} without the +1000 offset; its band B10 (cirrus, "
            f"near 0 over clear land) says the values carry the offset of processing "
            f"baseline 04.00"
        )


def _check_decibels(wanted: ArrayContract, values: np.ndarray, where: str) -> None:
    bands = MODALITIES[wanted.array].bands
    for band in wanted.bands:
        valid = _valid(values[:, :, bands.index(band)])
        if valid.size and (valid < 0).mean() < MIN_NEGATIVE_SHARE_DB:
            raise EobenchError(
                f"{where} reads {wanted.array} band {band} in dB (10 log10 sigma0, mostly "
                f"negative); {100 * (valid >= 0).mean():.0f} % of the store's values are "
                f">= 0 (median {np.median(valid):.3g}): linear power?"
            )


__all__ = [
    "ArrayContract",
    "InputContract",
    "canonical_contract",
    "check_store_attributes",
    "check_values",
    "unit_kind",
]
