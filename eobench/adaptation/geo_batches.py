"""Test-time-training batches: seeded random chunks (TTT-MMR) and geographic groups
(TTT-MMR-Geo).

Both return a partition of ``range(n)`` as a list of index arrays, the order in which TTT
adapts the batches. Every batch has at least ``batch_size`` samples (unless there are fewer
samples than that in total) and fewer than ``2 * batch_size``.

Geographic groups follow MMEarth-Bench's geographic batch sampler: the (lon, lat) bounding
box of the points, padded by 5 % of its extent on each side, is cut recursively along its
longer side (longitude only if strictly wider than tall) until a group has fewer than
``2 * batch_size`` points. A group of ``n`` points is sorted by the cut coordinate (ties in
their input order) and its first ``clamp(ceil(n / b) // 2 * b, b, n - b)`` points form the
lower group; the cut line lies halfway between the two points on either side of it, and the
two halves of the box (not the points' own box) decide the next cut. Groups are listed depth
first, lower coordinates first.
"""

from __future__ import annotations

import math

import numpy as np

from eobench.errors import EobenchError

BATCH_SIZE = 8
BOX_PADDING = 0.05


def random_batches(n: int, seed: int, batch_size: int = BATCH_SIZE) -> list[np.ndarray]:
    """A seeded permutation of ``range(n)`` cut into chunks of ``batch_size``.

    The last chunk absorbs the remainder, so it holds ``batch_size`` to
    ``2 * batch_size - 1`` samples (all ``n`` when ``n < batch_size``).

    Parameters
    ----------
    n : int
        Number of samples.
    seed : int
        Seed of the permutation (``numpy.random.default_rng``).
    batch_size : int, default 8
        Samples per batch.

    Returns
    -------
    list of ndarray of int
        The batches, a partition of ``range(n)``.
    """
    _check_sizes(n, batch_size)
    order = np.random.default_rng(seed).permutation(n)
    n_batches = max(n // batch_size, 1)
    cuts = [batch_size * i for i in range(1, n_batches)]
    return np.split(order, cuts)


def padded_box(lon: np.ndarray, lat: np.ndarray, padding: float = BOX_PADDING):
    """The (lon_min, lon_max, lat_min, lat_max) box of the points, each side moved out by
    ``padding`` times the box's extent along that axis."""
    lon_pad = (lon.max() - lon.min()) * padding
    lat_pad = (lat.max() - lat.min()) * padding
    return (lon.min() - lon_pad, lon.max() + lon_pad, lat.min() - lat_pad, lat.max() + lat_pad)


def cut_index(n: int, batch_size: int = BATCH_SIZE) -> int:
    """How many of ``n`` sorted points go to the lower group:
    ``clamp(ceil(n / b) // 2 * b, b, n - b)``."""
    return min(max(math.ceil(n / batch_size) // 2 * batch_size, batch_size), n - batch_size)


def geographic_batches(
    lon: np.ndarray, lat: np.ndarray, batch_size: int = BATCH_SIZE
) -> list[np.ndarray]:
    """Geographic TTT batches: recursive cuts of the padded (lon, lat) box (module docstring).

    Parameters
    ----------
    lon, lat : array-like of shape (n,)
        Coordinates in degrees.
    batch_size : int, default 8
        The smallest group a cut makes; groups of fewer than ``2 * batch_size`` are not cut.

    Returns
    -------
    list of ndarray of int
        The groups as indices into the points, a partition of ``range(n)``.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError(f"lon and lat must be 1-d of one length, got {lon.shape}, {lat.shape}")
    _check_sizes(len(lon), batch_size)
    points = np.stack([lon, lat], axis=1)
    groups: list[np.ndarray] = []
    # Depth first, lower half first: a stack of (indices, box) with the upper half pushed first.
    stack = [(np.arange(len(lon)), padded_box(lon, lat))]
    while stack:
        indices, box = stack.pop()
        if len(indices) < 2 * batch_size:
            groups.append(indices)
            continue
        lower, upper = _cut(points, indices, box, batch_size)
        stack.extend([upper, lower])
    return groups


def _cut(points: np.ndarray, indices: np.ndarray, box, batch_size: int):
    """Split a group along its box's longer side: ((indices, box), (indices, box))."""
    lon_min, lon_max, lat_min, lat_max = box
    axis = 0 if lon_max - lon_min > lat_max - lat_min else 1
    # A stable sort: points with equal coordinates keep their input order.
    ordered = indices[np.argsort(points[indices, axis], kind="stable")]
    k = cut_index(len(ordered), batch_size)
    line = (points[ordered[k - 1], axis] + points[ordered[k], axis]) / 2
    if axis == 0:
        boxes = (lon_min, line, lat_min, lat_max), (line, lon_max, lat_min, lat_max)
    else:
        boxes = (lon_min, lon_max, lat_min, line), (lon_min, lon_max, line, lat_max)
    return (ordered[:k], boxes[0]), (ordered[k:], boxes[1])


def _check_sizes(n: int, batch_size: int) -> None:
    if batch_size < 1:
        raise EobenchError(f"ttt batch_size: must be at least 1, got {batch_size}")
    if n < 1:
        raise EobenchError("ttt: the split to adapt on has no samples")
