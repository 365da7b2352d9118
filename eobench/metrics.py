"""Per-split metrics, vectorised over the K splits of a probe.

Scores of all K splits at once come from one ``[n, K]`` prediction matrix and boolean
``[n, K]`` membership masks. The definitions are scikit-learn's (``r2_score`` and
``f1_score`` with their defaults, tested against them); calling scikit-learn once per
split and epoch would cost more than training the batched probes does.
"""

from __future__ import annotations

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
