"""Temporal aggregation: how a 4-season series becomes one embedding per sample.

- ``pre``: average the seasons of every time series, then encode once;
- ``post``: encode each season on its own, then average the embeddings;
- ``none``: hand the whole series to the encoder (only encoders with
  :attr:`~eobench.encoders.base.Encoder.supports_time_series`).

Time series are the ``[B, T, C, H, W]`` arrays of a batch (ndim 5); everything else
(latents ``[B, L]``, per-sample rasters ``[B, C, H, W]``) passes through untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from eobench.data.bands import SEASONS
from eobench.encoders.base import CubeBatch, Encoder
from eobench.errors import EobenchError

AGGREGATIONS: tuple[str, ...] = ("pre", "post", "none")


def check_aggregation(encoder: Encoder, aggregation: str, key: str | None = None) -> None:
    """Raise :class:`EobenchError` unless ``encoder`` can run with ``aggregation``.

    ``key`` names the config entry in the message.
    """
    where = f"config key {key}: " if key else ""
    if aggregation not in AGGREGATIONS:
        raise EobenchError(
            f"{where}unknown temporal aggregation {aggregation!r} (known: {list(AGGREGATIONS)})"
        )
    if aggregation == "none" and not encoder.supports_time_series:
        raise EobenchError(
            f"{where}encoder {encoder.name!r} does not accept a time series, so aggregation "
            "'none' is not possible; use 'pre' or 'post'"
        )


def is_time_series(array: np.ndarray) -> bool:
    """Whether ``array`` is a batch of time series ``[B, T, C, H, W]``."""
    return array.ndim == 5


def aggregated_inputs(
    cubes: dict[str, np.ndarray], aggregation: str, n_seasons: int | None = None
) -> list[tuple[dict[str, np.ndarray], tuple[int, ...]]]:
    """The inputs an encoder sees for one batch, with the seasons each covers.

    Returns one ``(cubes, seasons)`` pair for ``pre`` and ``none`` and one per season for
    ``post``. Time series come back as float32 ``[B, T', C, H, W]`` (``T' = 1`` for
    ``pre`` and ``post``); seasons are averaged in float32 so integer digital numbers
    neither wrap nor truncate. ``n_seasons`` is used only when ``cubes`` holds no time
    series (an encoder that reads latents only); it defaults to the 4 Embed2Scale seasons.
    """
    series = {name: a for name, a in cubes.items() if is_time_series(a)}
    other = {name: a for name, a in cubes.items() if not is_time_series(a)}
    lengths = {a.shape[1] for a in series.values()}
    if len(lengths) > 1:
        raise EobenchError(f"time series of different lengths in one batch: {sorted(lengths)}")
    if lengths:
        n_seasons = lengths.pop()
    elif n_seasons is None:
        n_seasons = len(SEASONS)
    every_season = tuple(range(n_seasons))
    if aggregation == "pre":
        averaged = {n: a.astype(np.float32).mean(axis=1, keepdims=True) for n, a in series.items()}
        return [({**averaged, **other}, every_season)]
    if aggregation == "post":
        return [
            ({**{n: a[:, t : t + 1].astype(np.float32) for n, a in series.items()}, **other}, (t,))
            for t in every_season
        ]
    if aggregation == "none":
        return [({**{n: a.astype(np.float32) for n, a in series.items()}, **other}, every_season)]
    raise EobenchError(
        f"unknown temporal aggregation {aggregation!r} (known: {list(AGGREGATIONS)})"
    )


def encode_batch(
    encoder: Encoder,
    cubes: dict[str, np.ndarray],
    rows: np.ndarray,
    sample_ids: Sequence[str],
    aggregation: str,
    n_seasons: int | None = None,
    latlon: np.ndarray | None = None,
) -> np.ndarray:
    """Embed one batch with temporal aggregation ``aggregation``.

    Parameters
    ----------
    encoder : Encoder
        A fitted encoder.
    cubes : dict of str to ndarray
        Store arrays of the batch: time series ``[B, T, C, H, W]`` in store units, and
        any non-image inputs (passed through untouched).
    rows, sample_ids : the samples' store rows and ids.
    aggregation : {"pre", "post", "none"}
    n_seasons : int, optional
        Series length when ``cubes`` holds no time series (see :func:`aggregated_inputs`).
    latlon : ndarray, optional
        The samples' latitude and longitude in degrees ``[B, 2]``.

    Returns
    -------
    ndarray of float32, shape (B, encoder.embedding_dim)
    """
    check_aggregation(encoder, aggregation)
    rows = np.asarray(rows)
    total = None
    inputs = aggregated_inputs(cubes, aggregation, n_seasons)
    for view, seasons in inputs:
        embedded = encoder.encode(CubeBatch(view, rows, list(sample_ids), seasons, latlon))
        embedded = np.asarray(embedded, dtype=np.float64)
        total = embedded if total is None else total + embedded
    return (total / len(inputs)).astype(np.float32)
