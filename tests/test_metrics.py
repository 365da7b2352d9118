"""Vectorised per-split metrics against scikit-learn."""

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, r2_score

from eobench.metrics import f1_per_split, r2_per_split


@pytest.fixture
def split_masks():
    rng = np.random.default_rng(0)
    n, k = 200, 7
    mask = rng.random((n, k)) < 0.3
    return rng, n, k, mask


def test_r2_matches_sklearn_on_every_split(split_masks):
    rng, n, k, mask = split_masks
    target = rng.normal(size=n)
    pred = target[:, None] + rng.normal(scale=0.7, size=(n, k)) + rng.normal(size=k)
    ours = r2_per_split(torch.tensor(pred), torch.tensor(target), torch.tensor(mask)).numpy()
    expected = [r2_score(target[mask[:, j]], pred[mask[:, j], j]) for j in range(k)]
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-10)


def test_r2_of_constant_targets_follows_sklearn():
    target = torch.tensor([0.5, 0.5, 0.5, 1.0])
    mask = torch.tensor([[True, True], [True, True], [True, True], [False, False]])
    pred = torch.tensor([[0.5, 0.4], [0.5, 0.5], [0.5, 0.5], [0.0, 0.0]])
    ours = r2_per_split(pred, target, mask).numpy()
    expected = [r2_score([0.5] * 3, [0.5, 0.5, 0.5]), r2_score([0.5] * 3, [0.4, 0.5, 0.5])]
    np.testing.assert_array_equal(ours, expected)


def test_f1_matches_sklearn_on_every_split(split_masks):
    rng, n, k, mask = split_masks
    target = (rng.random(n) < 0.4).astype(float)
    logits = (target[:, None] - 0.5) + rng.normal(scale=0.8, size=(n, k))
    ours = f1_per_split(torch.tensor(logits), torch.tensor(target), torch.tensor(mask)).numpy()
    expected = [
        f1_score(target[mask[:, j]].astype(int), (logits[mask[:, j], j] > 0).astype(int))
        for j in range(k)
    ]
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_f1_without_positives_is_zero_like_sklearn():
    target = torch.zeros(4)
    logits = torch.full((4, 1), -1.0)
    mask = torch.ones(4, 1, dtype=torch.bool)
    expected = f1_score([0, 0, 0, 0], [0, 0, 0, 0], zero_division=0.0)
    assert f1_per_split(logits, target, mask).item() == expected == 0.0
