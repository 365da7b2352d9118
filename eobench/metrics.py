"""Per-split metrics, vectorised over the K splits of a probe.

Scores of all K splits at once come from one ``[n, K]`` prediction matrix and boolean
``[n, K]`` membership masks. The definitions are scikit-learn's (``r2_score`` and
``f1_score`` with their defaults, tested against them); calling scikit-learn once per
split and epoch would cost more than training the batched probes does.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)


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


def detailed_metrics(task_type: str, truth: np.ndarray, output: np.ndarray) -> dict[str, float]:
    """scikit-learn's metrics of one split's test part.

    Regression: ``r2, mse, mae`` (in the units the probe was trained on, i.e. min-max
    normalised labels by default). Classification from logits: ``f1, precision, recall,
    accuracy, roc_auc`` and the confusion matrix ``tn, fp, fn, tp``.
    """
    if task_type == "regr":
        return {
            "r2": r2_score(truth, output),
            "mse": mean_squared_error(truth, output),
            "mae": mean_absolute_error(truth, output),
        }
    truth = truth.astype(int)
    predicted = (output > 0).astype(int)
    tn, fp, fn, tp = confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
    return {
        "f1": f1_score(truth, predicted, zero_division=0.0),
        "precision": precision_score(truth, predicted, zero_division=0.0),
        "recall": recall_score(truth, predicted, zero_division=0.0),
        "accuracy": accuracy_score(truth, predicted),
        "roc_auc": roc_auc_score(truth, output) if len(np.unique(truth)) == 2 else np.nan,
        "tn": int(tn),
        "fp": int(fp),
        "fn": int(fn),
        "tp": int(tp),
    }
