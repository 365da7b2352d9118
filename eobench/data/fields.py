"""Spatially correlated random fields and masks for the synthetic generator."""

from __future__ import annotations

import numpy as np


def random_fields(
    rng: np.random.Generator,
    n: int,
    size: int,
    length_scale: float | np.ndarray,
    exponent: float = 3.0,
) -> np.ndarray:
    """``n`` zero-mean, unit-variance Gaussian random fields of shape ``[size, size]``.

    White noise is filtered in the Fourier domain with the power spectrum
    ``P(k) ~ (k^2 + k0^2)^(-exponent / 2)``, ``k0 = 1 / length_scale``: a power law (as
    in natural landscapes and terrain; ``exponent`` 3 to 4) flattened at scales beyond
    ``length_scale`` pixels. Fields are periodic; each is standardised over its pixels.

    Parameters
    ----------
    rng : numpy Generator
    n : int
        Number of independent fields.
    size : int
        Height and width in pixels.
    length_scale : float or array of n floats
        Largest correlated scale, in pixels.
    exponent : float
        Spectral exponent; larger is smoother.
    """
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    k2 = fx**2 + fy**2
    k0 = 1.0 / np.broadcast_to(np.asarray(length_scale, dtype=float), (n,))
    amplitude = (k2[None] + k0[:, None, None] ** 2) ** (-exponent / 4.0)
    amplitude[:, 0, 0] = 0.0  # zero mean
    noise = rng.standard_normal((n, size, size))
    fields = np.fft.irfft2(np.fft.rfft2(noise) * amplitude, s=(size, size))
    std = fields.std(axis=(1, 2), keepdims=True)
    return fields / np.where(std > 0, std, 1.0)


def soft_cover(field: np.ndarray, cover: float, softness: float) -> np.ndarray:
    """Map a unit-variance field to ``[0, 1]`` so that about ``cover`` of it is 1.

    Thresholds at the ``1 - cover`` quantile with a linear ramp ``softness`` wide (in
    field standard deviations), as for cloud edges.
    """
    threshold = np.quantile(field, 1.0 - cover)
    return np.clip((field - threshold) / softness + 0.5, 0.0, 1.0)


def parcel_map(rng: np.random.Generator, size: int, min_width: int, max_width: int) -> np.ndarray:
    """Integer ids of rectangular field parcels (a random grid of strips), ``[size, size]``."""

    def edges() -> np.ndarray:
        widths = rng.integers(min_width, max_width + 1, size=size // min_width + 2)
        return np.cumsum(widths) - rng.integers(0, max_width)

    rows = np.searchsorted(edges(), np.arange(size), side="right")
    cols = np.searchsorted(edges(), np.arange(size), side="right")
    return rows[:, None] * (size + 2) + cols[None, :]


def stripe_mask(rng: np.random.Generator, size: int, fraction: float, edge: bool) -> np.ndarray:
    """Boolean mask of a straight band covering about ``fraction`` of the image.

    ``edge=True`` masks everything beyond a slanted line (the edge of a swath or tile);
    ``edge=False`` masks a slanted stripe inside the image (a gap between detectors).
    """
    angle = rng.uniform(0.0, np.pi)
    y, x = np.mgrid[0:size, 0:size] + 0.5
    distance = (x - size / 2) * np.cos(angle) + (y - size / 2) * np.sin(angle)
    if edge:
        return distance > np.quantile(distance, 1.0 - fraction)
    offset = np.abs(distance - rng.uniform(-0.3, 0.3) * size)
    return offset < np.quantile(offset, fraction)
