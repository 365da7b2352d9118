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


def test_detailed_metrics_match_sklearn_on_every_split(split_masks):
    from sklearn import metrics

    from eobench.metrics import detailed_metrics

    rng, n, k, mask = split_masks
    target = rng.normal(size=n)
    pred = target[:, None] + rng.normal(scale=0.7, size=(n, k))
    ours = detailed_metrics("regr", target, pred, mask.T)
    for j in range(k):
        truth, output = target[mask[:, j]], pred[mask[:, j], j]
        assert ours["r2"][j] == pytest.approx(metrics.r2_score(truth, output), rel=1e-9)
        assert ours["mse"][j] == pytest.approx(metrics.mean_squared_error(truth, output))
        assert ours["mae"][j] == pytest.approx(metrics.mean_absolute_error(truth, output))

    labels = (rng.random(n) < 0.4).astype(float)
    # rounded logits: ties in the scores exercise the ROC AUC's tie rule
    logits = np.round(labels[:, None] + rng.normal(scale=1.0, size=(n, k)), 1) - 0.5
    logits[:, 0] = -1.0  # no positive prediction: precision and F1 divide by zero
    ours = detailed_metrics("cls", labels, logits, mask.T)
    for j in range(k):
        truth, output = labels[mask[:, j]].astype(int), logits[mask[:, j], j]
        predicted = (output > 0).astype(int)
        tn, fp, fn, tp = metrics.confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
        expected = {
            "f1": metrics.f1_score(truth, predicted, zero_division=0.0),
            "precision": metrics.precision_score(truth, predicted, zero_division=0.0),
            "recall": metrics.recall_score(truth, predicted, zero_division=0.0),
            "accuracy": metrics.accuracy_score(truth, predicted),
            "roc_auc": metrics.roc_auc_score(truth, output),
            "tn": tn,
            "fp": fp,
            "fn": fn,
            "tp": tp,
        }
        for name, value in expected.items():
            assert ours[name][j] == pytest.approx(value, abs=1e-12), (name, j)


def test_roc_auc_is_nan_for_a_single_class_test_part():
    from eobench.metrics import detailed_metrics

    test = np.array([[True, True, False, False]])
    result = detailed_metrics("cls", np.array([1.0, 1.0, 0.0, 0.0]), np.ones((4, 1)), test)
    assert np.isnan(result["roc_auc"][0]) and result["tp"][0] == 2
