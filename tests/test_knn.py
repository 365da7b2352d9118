"""The batched kNN probe against scikit-learn's per-split neighbours."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, r2_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from eobench.probes.knn import knn_probe
from eobench.probes.linear import ProbeSettings, task_splits


@pytest.mark.parametrize("task_type", ["regr", "cls"])
@pytest.mark.parametrize("protocol", ["neuco", "strict"])
def test_knn_equals_sklearn_on_every_split(task_type, protocol):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12)).astype(np.float32)
    y = x[:, 0] + 0.5 * rng.normal(size=300)
    if task_type == "cls":
        y = (y > 0.3).astype(float)
    splits = task_splits(ProbeSettings(protocol=protocol, k_splits=5), len(y), "t")
    result = knn_probe(x, y, task_type, splits, n_neighbors=7, device="cpu")
    for k in range(splits.k):
        train = splits.fit[k].copy()
        if splits.validation is not None:
            train |= splits.validation[k]
        test = splits.test[k]
        model = (KNeighborsClassifier if task_type == "cls" else KNeighborsRegressor)(
            n_neighbors=7, metric="cosine", algorithm="brute"
        ).fit(x[train], y[train])
        predicted = model.predict(x[test])
        expected = (
            f1_score(y[test], predicted) if task_type == "cls" else r2_score(y[test], predicted)
        )
        assert result.scores[k] == pytest.approx(expected, abs=1e-5)


def test_knn_small_chunks_and_short_candidate_lists_agree():
    import torch

    from eobench.probes.knn import knn_outputs

    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.normal(size=(80, 5)), dtype=torch.float32)
    y = torch.as_tensor(rng.normal(size=80), dtype=torch.float32)
    train = torch.as_tensor(rng.random((3, 80)) < 0.5)
    whole = knn_outputs(x, y, train, 5, chunk=1024)
    pieces = knn_outputs(x, y, train, 5, chunk=7)
    torch.testing.assert_close(whole, pieces)
