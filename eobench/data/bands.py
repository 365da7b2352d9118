"""Band names, units and normalisation statistics of the modalities in the canonical store.

Band orders follow the Embed2Scale / SSL4EO-S12 cubes: Sentinel-2 L1C has 13 bands
(B01..B12 with B8A after B08), L2A the same without the cirrus band B10, and
Sentinel-1 GRD has VV then VH in dB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Season order of every 4-season cube (Embed2Scale convention).
SEASONS: tuple[str, ...] = ("spring", "summer", "fall", "winter")
#: Middle month (0 = January) of each calendar season of the cubes (spring = March-May,
#: ..., winter = December-February): the month that encoders embedding time are given.
SEASON_MONTHS: tuple[int, ...] = (3, 6, 9, 0)

S2L1C_BANDS: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12",
)  # fmt: skip
S2L2A_BANDS: tuple[str, ...] = tuple(b for b in S2L1C_BANDS if b != "B10")
S1_BANDS: tuple[str, ...] = ("VV", "VH")

#: ESA added this offset to Sentinel-2 digital numbers from processing baseline 04.00
#: (January 2022); the Embed2Scale cubes lack it, SSL4EO-S12 v1.1 statistics include it.
S2_BASELINE_OFFSET = 1000.0


@dataclass(frozen=True)
class Modality:
    """One imaging modality of the canonical store."""

    name: str
    bands: tuple[str, ...]
    units: str
    dtype: str
    #: Per-band mean and standard deviation used to normalise encoder inputs.
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def normalise(self, cube: np.ndarray, band_axis: int = -3) -> np.ndarray:
        """Standardise ``cube`` band-wise with this modality's statistics (float32)."""
        shape = [1] * cube.ndim
        shape[band_axis] = len(self.bands)
        mean = np.asarray(self.mean, dtype=np.float32).reshape(shape)
        std = np.asarray(self.std, dtype=np.float32).reshape(shape)
        return (cube.astype(np.float32) - mean) / std


# Normalisation moments of the Embed2Scale challenge cubes (no +1000 offset), as published
# with the challenge's data loaders (DLR-MF-DAS/embed2scale-challenge-supplement, issue 6).
MODALITIES: dict[str, Modality] = {
    "s2l1c": Modality(
        name="s2l1c",
        bands=S2L1C_BANDS,
        units="digital number (top-of-atmosphere reflectance x 10000)",
        dtype="uint16",
        mean=(
            1635.299,
            1402.885,
            1289.505,
            1281.272,
            1534.981,
            2272.474,
            2630.972,
            2587.956,
            2889.274,
            976.031,
            20.369,
            2109.307,
            1350.051,
        ),
        std=(
            1123.963,
            1187.2,
            1128.715,
            1322.882,
            1285.925,
            1250.079,
            1325.492,
            1294.318,
            1343.536,
            636.232,
            27.82,
            1023.855,
            834.773,
        ),
    ),
    "s2l2a": Modality(
        name="s2l2a",
        bands=S2L2A_BANDS,
        units="digital number (surface reflectance x 10000)",
        dtype="uint16",
        mean=(
            802.067,
            917.472,
            1130.01,
            1210.515,
            1587.985,
            2355.781,
            2650.339,
            2787.571,
            2860.466,
            2921.651,
            2221.172,
            1549.952,
        ),
        std=(
            1563.348,
            1604.422,
            1553.908,
            1622.652,
            1593.07,
            1523.264,
            1556.785,
            1618.961,
            1532.417,
            1653.532,
            1183.218,
            1025.306,
        ),
    ),
    "s1": Modality(
        name="s1",
        bands=S1_BANDS,
        units="dB (backscatter coefficient, 10 log10)",
        dtype="float32",
        mean=(-11.834, -19.243),
        std=(4.305, 5.479),
    ),
}

#: Modalities in the order encoders stack them into one 27-channel cube.
IMAGE_MODALITIES: tuple[str, ...] = ("s2l1c", "s2l2a", "s1")


def stack_normalised(batch: dict[str, np.ndarray]) -> np.ndarray:
    """Normalise and concatenate the image modalities of ``batch`` along the band axis.

    ``batch`` maps modality name to ``[..., C, H, W]`` arrays; the result has the 27
    channels s2l1c (13), s2l2a (12), s1 (2) in that order, as float32.
    """
    return np.concatenate([MODALITIES[m].normalise(batch[m]) for m in IMAGE_MODALITIES], axis=-3)
