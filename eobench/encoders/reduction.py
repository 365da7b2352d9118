"""Fixed-size embeddings from an encoder's native features: the paper's two recipes.

- ``cnn``: a CNN's feature map is globally averaged (``C`` channels), then neighbouring
  channels are averaged pairwise until ``size`` remain (``C / size`` channels per
  output when ``C`` is a multiple of ``size``, else groups of nearly equal length as in
  adaptive average pooling); a smaller ``C`` is zero-padded.
- ``vit``: the patch tokens are averaged (``D`` features) and zero-padded to ``size``.
  For ``size < D`` (not a case of the paper, whose ViTs are narrower than ``N``) the
  tokens' features are averaged in neighbouring groups as in the CNN recipe.

Both act on already pooled features ``[n, C]``: the pooling is the encoder's.
"""

from __future__ import annotations

import numpy as np

from eobench.errors import EobenchError

RECIPES = ("cnn", "vit")


def reduce_features(features: np.ndarray, size: int, recipe: str) -> np.ndarray:
    """Reduce or pad pooled features ``[n, C]`` to ``[n, size]`` (float32).

    Raises
    ------
    EobenchError
        For an unknown recipe.
    """
    if recipe not in RECIPES:
        raise EobenchError(f"unknown reduction recipe {recipe!r} (known: {RECIPES})")
    features = np.asarray(features, dtype=np.float32)
    n, channels = features.shape
    if size >= channels:
        padded = np.zeros((n, size), dtype=np.float32)
        padded[:, :channels] = features
        return padded
    # Repeated pairwise means of neighbours = one mean over groups of C / size channels;
    # otherwise torch's adaptive pooling bounds: group i = [floor(i C/s), ceil((i+1) C/s)).
    starts = (np.arange(size) * channels) // size
    stops = -((-(np.arange(1, size + 1)) * channels) // size)
    sums = np.cumsum(np.pad(features, ((0, 0), (1, 0))), axis=1, dtype=np.float64)
    return ((sums[:, stops] - sums[:, starts]) / (stops - starts)).astype(np.float32)
