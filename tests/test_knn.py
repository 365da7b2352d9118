"""The batched kNN probe against scikit-learn's per-split neighbours."""

import numpy as np
import pytest
import torch
from reference_probe import reference_knn

from eobench.probes.knn import knn_outputs, knn_probe
from eobench.probes.linear import ProbeSettings, task_splits
from eobench.probes.splits import Splits


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
    expected = reference_knn(x, y, task_type, splits, n_neighbors=7)
    np.testing.assert_allclose(result.scores, expected, rtol=0, atol=1e-5)


def test_knn_equals_sklearn_when_a_split_lacks_near_training_samples():
    """A cluster mostly outside a split's training part: its rows need the full ranking."""
    rng = np.random.default_rng(2)
    centre = rng.normal(size=16)
    x = rng.normal(size=(400, 16)).astype(np.float32)
    x[:100] = (4 * centre + rng.normal(size=(100, 16))).astype(np.float32)
    y = x[:, 0] + 0.3 * rng.normal(size=400)
    train = rng.random((3, 400)) < 0.9
    train[0, :85] = False  # split 0 keeps 15 of the cluster's 100 samples for training
    splits = Splits(fit=train, test=~train)
    result = knn_probe(x, y, "regr", splits, n_neighbors=20, device="cpu")
    expected = reference_knn(x, y, "regr", splits, n_neighbors=20)
    np.testing.assert_allclose(result.scores, expected, rtol=0, atol=1e-5)


def test_knn_small_chunks_and_short_candidate_lists_agree():
    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.normal(size=(80, 5)), dtype=torch.float32)
    y = torch.as_tensor(rng.normal(size=80), dtype=torch.float32)
    train = torch.as_tensor(rng.random((3, 80)) < 0.5)
    whole = knn_outputs(x, y, train, 5, chunk=1024)
    pieces = knn_outputs(x, y, train, 5, chunk=7)
    torch.testing.assert_close(whole, pieces)


def test_only_the_evaluated_samples_get_votes():
    rng = np.random.default_rng(3)
    x = torch.as_tensor(rng.normal(size=(60, 4)), dtype=torch.float32)
    y = torch.as_tensor(rng.normal(size=60), dtype=torch.float32)
    train = torch.as_tensor(rng.random((2, 60)) < 0.7)
    test = ~train & torch.as_tensor(rng.random((2, 60)) < 0.5)
    every = knn_outputs(x, y, train, 3)
    some = knn_outputs(x, y, train, 3, evaluated=test)
    torch.testing.assert_close(some[test.T], every[test.T])
    assert (some[~test.T] == 0).all()
