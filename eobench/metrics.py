"""Per-split metrics, vectorised over the K splits of a probe.

Scores of all K splits at once come from one ``[n, K]`` prediction matrix and boolean
``[n, K]`` membership masks. The definitions are scikit-learn's (``r2_score`` and
``f1_score`` with their defaults, tested against them); calling scikit-learn once per
split and epoch would cost more than training the batched probes does, and importing it
costs more than a task's linear probes (about 1.5 s of every probe job's start-up).
"""

from __future__ import annotations

import numpy as np
import torch


def r2_per_split(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Coefficient of determination of every split.

    Parameters
    ----------
    pred : tensor [n, K]
        Predictions of the K probes for all n samples.
    target : tensor [n]
        True values.
    mask : bool tensor [n, K]
        Which samples belong to each split's evaluation part.

    Returns
    -------
    tensor [K]
        ``1 - SS_res / SS_tot``; like scikit-learn, 1.0 for a perfect fit and 0.0
        otherwise when the split's targets are constant.
    """
    weights = mask.to(pred.dtype)
    count = weights.sum(0).clamp_min(1)
    target = target[:, None]
    mean = (weights * target).sum(0) / count
    ss_tot = (weights * (target - mean) ** 2).sum(0)
    ss_res = (weights * (target - pred) ** 2).sum(0)
    r2 = 1 - ss_res / torch.where(ss_tot > 0, ss_tot, torch.ones_like(ss_tot))
    constant = ss_tot == 0
    return torch.where(constant, (ss_res == 0).to(pred.dtype), r2)


def f1_per_split(logits: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Binary F1 of every split, predicting class 1 where the logit is positive.

    Same arguments as :func:`r2_per_split` with 0/1 targets; 0.0 where a split has no
    positive prediction and no positive target (scikit-learn's ``zero_division``).
    """
    weights = mask.to(logits.dtype)
    predicted = (logits > 0).to(logits.dtype)
    actual = target[:, None].to(logits.dtype)
    true_pos = (weights * predicted * actual).sum(0)
    false_pos = (weights * predicted * (1 - actual)).sum(0)
    false_neg = (weights * (1 - predicted) * actual).sum(0)
    denominator = 2 * true_pos + false_pos + false_neg
    return torch.where(denominator > 0, 2 * true_pos / denominator.clamp_min(1e-12), 0.0)


#: Metric of each task type, as in the NeuCo-Bench evaluator.
METRIC_NAMES = {"regr": "r2", "cls": "f1"}
METRICS = {"regr": r2_per_split, "cls": f1_per_split}


def detailed_metrics(
    task_type: str, truth: np.ndarray, outputs: np.ndarray, test: np.ndarray
) -> dict[str, np.ndarray]:
    """scikit-learn's metrics of every split's test part, computed for all splits at once.

    Parameters
    ----------
    task_type : {"regr", "cls"}
    truth : array [n]
        Labels (in the units the probe was trained on: min-max normalised by default).
    outputs : array [n, K]
        Each split's predictions (regression) or logits (classification).
    test : bool array [K, n]
        Each split's test part.

    Returns
    -------
    dict of name -> array [K]
        Regression: ``r2, mse, mae``. Classification, predicting 1 where the logit is
        positive: ``f1, precision, recall, accuracy, roc_auc`` (NaN where a test part has
        one class) and the confusion matrix ``tn, fp, fn, tp``; scikit-learn's values with
        ``zero_division=0`` (tested against it).
    """
    weights = test.T.astype(np.float64)  # [n, K]
    count = weights.sum(0)
    truth = np.asarray(truth, dtype=np.float64)
    outputs = np.asarray(outputs, dtype=np.float64)
    if task_type == "regr":
        error = outputs - truth[:, None]
        r2 = r2_per_split(
            torch.from_numpy(outputs), torch.from_numpy(truth), torch.from_numpy(test.T)
        )
        return {
            "r2": r2.numpy(),
            "mse": (weights * error**2).sum(0) / count,
            "mae": (weights * np.abs(error)).sum(0) / count,
        }
    actual = truth[:, None] == 1
    predicted = outputs > 0
    tp = (weights * (predicted & actual)).sum(0)
    fp = (weights * (predicted & ~actual)).sum(0)
    fn = (weights * (~predicted & actual)).sum(0)
    tn = count - tp - fp - fn
    return {
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "accuracy": (tp + tn) / count,
        "roc_auc": np.array([_roc_auc(truth[m], outputs[m, k]) for k, m in enumerate(test)]),
        "tn": tn.astype(int),
        "fp": fp.astype(int),
        "fn": fn.astype(int),
        "tp": tp.astype(int),
    }


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0 where the denominator is 0 (``zero_division=0``)."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _roc_auc(truth: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney U statistic, ties counted half."""
    positive = truth == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return np.nan
    ranks = _average_ranks(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    _, inverse, counts = np.unique(values[order], return_inverse=True, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts - 1) / 2
    ranks = np.empty(len(values))
    ranks[order] = mean_rank[inverse]
    return ranks
