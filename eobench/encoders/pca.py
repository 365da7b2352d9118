"""Principal components of downsampled images, fitted on the training samples only."""

from __future__ import annotations

import numpy as np

from eobench.data.bands import IMAGE_MODALITIES, stack_normalised
from eobench.encoders import register
from eobench.encoders.averaging import bilinear_resize, fit_to_length
from eobench.encoders.base import CubeBatch, Encoder
from eobench.errors import EobenchError


class StreamingMoments:
    """Mean and scatter matrix of rows seen batch by batch (float64).

    Batches are merged with the pairwise update of Chan, Golub and LeVeque (1979), which
    stays accurate where the textbook ``E[xx'] - E[x]E[x]'`` loses digits to cancellation.
    Memory is ``D x D`` whatever the number of rows.
    """

    def __init__(self) -> None:
        self.count = 0
        self.mean: np.ndarray | None = None
        self.scatter: np.ndarray | None = None

    def update(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64)
        if len(rows) == 0:
            return
        batch_mean = rows.mean(axis=0)
        centred = rows - batch_mean
        batch_scatter = centred.T @ centred
        if self.count == 0:
            self.count, self.mean, self.scatter = len(rows), batch_mean, batch_scatter
            return
        total = self.count + len(rows)
        delta = batch_mean - self.mean
        self.scatter += batch_scatter + np.outer(delta, delta) * (self.count * len(rows) / total)
        self.mean = self.mean + delta * (len(rows) / total)
        self.count = total

    def covariance(self) -> np.ndarray:
        """Unbiased covariance (``ddof=1``, as scikit-learn's PCA)."""
        return self.scatter / (self.count - 1)


@register
class PCAEncoder(Encoder):
    """Project downsampled, normalised images on their principal components.

    Per-sample features are the 27 normalised channels bilinearly resized to
    ``size x size`` and flattened (``27 * size**2`` values). :meth:`fit` streams over the
    training rows, accumulating the features' covariance, and keeps the eigenvectors of
    the ``embedding_dim`` largest eigenvalues. Components beyond the rank of the training
    features (at most ``n - 1``), or beyond the feature count, are zero, so those
    embedding columns are zero. Signs follow scikit-learn (the largest-magnitude loading
    of each component is positive), so results equal ``sklearn.decomposition.PCA``.

    With ``pre`` aggregation the features are those of the season-averaged cubes; with
    ``post`` every season of every training sample is one row, matching what is
    encoded.

    Parameters
    ----------
    size : int
        Side of the downsampled images.
    fit_batch_size : int
        Samples read at a time while fitting.

    Notes
    -----
    Why not ``sklearn.decomposition.IncrementalPCA``: its ``partial_fit`` needs every
    batch to hold at least ``n_components`` rows (1024), so memory would be set by the
    embedding size rather than the batch size, a short final batch must be merged by
    hand, and the result approximates PCA. The streamed covariance (``D x D``, 24 MB for
    ``D = 1728``) followed by ``numpy.linalg.eigh`` is exact in a single pass.
    """

    name = "pca"
    inputs = IMAGE_MODALITIES

    def __init__(
        self, embedding_dim: int, seed: int = 0, size: int = 8, fit_batch_size: int = 64
    ) -> None:
        super().__init__(embedding_dim, seed)
        for label, value in (("size", size), ("fit_batch_size", fit_batch_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"pca: {label} must be a positive integer (got {value!r})")
        self.size = size
        self.fit_batch_size = fit_batch_size
        #: Feature mean ``[D]`` and components ``[embedding_dim, D]``, set by :meth:`fit`.
        self.mean_: np.ndarray | None = None
        self.components_: np.ndarray | None = None
        #: Variance along each kept component (``ddof=1``), zero beyond the rank.
        self.explained_variance_: np.ndarray | None = None
        self.n_fit_rows_ = 0

    def features(self, cubes: dict[str, np.ndarray]) -> np.ndarray:
        """Per-image features ``[B * T, 27 * size**2]`` of ``[B, T, C, H, W]`` cubes."""
        stacked = stack_normalised(cubes)
        resized = bilinear_resize(stacked, self.size)
        return resized.reshape(stacked.shape[0] * stacked.shape[1], -1)

    def fit(self, store, train_rows: np.ndarray, aggregation: str) -> None:
        # Imported here: eobench.aggregation imports the encoder package.
        from eobench.aggregation import aggregated_inputs

        if aggregation not in ("pre", "post"):
            raise EobenchError(f"pca: aggregation must be 'pre' or 'post' (got {aggregation!r})")
        rows = np.sort(np.asarray(train_rows, dtype=np.int64))
        if len(rows) < 2:
            raise EobenchError(f"pca: needs at least 2 training samples (got {len(rows)})")
        moments = StreamingMoments()
        for _, arrays in store.iter_batches(self.inputs, self.fit_batch_size, rows):
            for view, _ in aggregated_inputs(arrays, aggregation):
                moments.update(self.features(view))
        covariance = moments.covariance()
        n_features = covariance.shape[0]
        eigenvalues, eigenvectors = np.linalg.eigh((covariance + covariance.T) / 2)
        eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
        # Eigenvalues this small are rounding noise of a rank-deficient covariance.
        tolerance = max(eigenvalues[0], 0.0) * n_features * np.finfo(np.float64).eps
        rank = min(int((eigenvalues > tolerance).sum()), moments.count - 1)
        kept = min(rank, self.embedding_dim)
        components = eigenvectors[:, :kept].T
        largest = np.argmax(np.abs(components), axis=1)
        components = components * np.sign(components[np.arange(kept), largest])[:, None]
        self.mean_ = moments.mean
        self.components_ = np.zeros((self.embedding_dim, n_features))
        self.components_[:kept] = components
        self.explained_variance_ = np.zeros(self.embedding_dim)
        self.explained_variance_[:kept] = eigenvalues[:kept]
        self.n_fit_rows_ = moments.count

    def encode(self, batch: CubeBatch) -> np.ndarray:
        if self.components_ is None:
            raise RuntimeError("pca: call fit() before encode()")
        features = self.features(batch.cubes).reshape(len(batch), -1)
        if features.shape[1] != self.components_.shape[1]:
            raise EobenchError(
                f"pca: fitted on {self.components_.shape[1]} features per sample, "
                f"got {features.shape[1]}"
            )
        projected = (features - self.mean_) @ self.components_.T
        return fit_to_length(projected, self.embedding_dim).astype(np.float32)

    def metadata(self):
        return {
            **super().metadata(),
            "size": self.size,
            "n_fit_rows": self.n_fit_rows_,
            "rank": int(np.count_nonzero(self.explained_variance_))
            if self.explained_variance_ is not None
            else None,
        }
