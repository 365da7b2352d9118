"""Converged linear probes: closed-form ridge regression and L-BFGS logistic regression.

The paper's probe (AdamW, lr 1e-3, 20 epochs) is far from converged; these probes solve
the regularised problem exactly, choosing the regularisation on the validation part of
each training split and scoring the test part once, so the gap between the two shows how
much of a score is probe optimisation rather than embedding content.

Ridge: for every split the centred Gram matrix of its fit part (``N x N``, or the
``n x n`` kernel when there are fewer samples than dimensions) is diagonalised once, which
gives the solutions for all regularisation strengths at the cost of one.
"""

from __future__ import annotations

import numpy as np
import torch

from eobench.metrics import METRICS
from eobench.probes.linear import ProbeResult, resolve_device
from eobench.probes.splits import Splits

#: Ridge penalties, relative to the number of fit samples (``alpha = a * n_fit``).
DEFAULT_RIDGE_ALPHAS = tuple(np.logspace(-6, 2, 17))


def _r2_columns(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """R^2 of every column of ``pred`` ``[rows, A]`` against ``target`` ``[rows]``."""
    ss_tot = ((target - target.mean()) ** 2).sum()
    ss_res = ((pred - target[:, None]) ** 2).sum(0)
    return 1 - ss_res / ss_tot if ss_tot > 0 else (ss_res == 0).to(pred.dtype)


def ridge_probe(
    embeddings: np.ndarray,
    labels: np.ndarray,
    splits: Splits,
    alphas=DEFAULT_RIDGE_ALPHAS,
    device: str = "auto",
) -> ProbeResult:
    """Ridge regression (intercept unpenalised) on every split, penalty chosen on validation.

    ``splits`` must have validation parts. ``test_history`` holds the validation R^2 of
    every penalty (rows) and split (columns); ``best_epoch`` the chosen penalty's index.
    """
    if splits.validation is None:
        raise ValueError("ridge_probe needs splits with validation parts")
    torch_device = resolve_device(device)
    x = torch.as_tensor(embeddings, dtype=torch.float64, device=torch_device)
    y = torch.as_tensor(labels, dtype=torch.float64, device=torch_device)
    n, dim = x.shape
    relative = torch.as_tensor(alphas, dtype=torch.float64, device=torch_device)
    gram_all = x.T @ x if dim <= n else None
    scores = np.empty(splits.k)
    chosen = np.empty(splits.k, dtype=np.int64)
    validation_r2 = np.empty((len(alphas), splits.k))
    outputs = np.zeros((n, splits.k))
    for k in range(splits.k):
        fit = torch.as_tensor(splits.fit[k], device=torch_device)
        x_fit, y_fit = x[fit], y[fit]
        n_fit = x_fit.shape[0]
        mean_x, mean_y = x_fit.mean(0), y_fit.mean()
        centred_y = y_fit - mean_y
        penalties = relative * n_fit
        if gram_all is not None:  # primal: N x N, downdated from the Gram of all rows
            outside = x[~fit]
            gram = gram_all - outside.T @ outside - n_fit * torch.outer(mean_x, mean_x)
            eigenvalues, vectors = torch.linalg.eigh(gram)
            projected = vectors.T @ ((x_fit - mean_x).T @ centred_y)
            weights = vectors @ (projected[:, None] / (eigenvalues[:, None] + penalties))
        else:  # dual: n_fit x n_fit kernel
            centred = x_fit - mean_x
            eigenvalues, vectors = torch.linalg.eigh(centred @ centred.T)
            projected = vectors.T @ centred_y
            coefficients = vectors @ (projected[:, None] / (eigenvalues[:, None] + penalties))
            weights = centred.T @ coefficients  # [N, A]
        predictions = (x - mean_x) @ weights + mean_y  # [n, A]
        validation = torch.as_tensor(splits.validation[k], device=torch_device)
        r2 = _r2_columns(predictions[validation], y[validation])
        best = int(torch.argmax(torch.nan_to_num(r2, nan=-torch.inf)))
        test = torch.as_tensor(splits.test[k], device=torch_device)
        scores[k] = float(_r2_columns(predictions[test][:, best : best + 1], y[test])[0])
        chosen[k] = best
        validation_r2[:, k] = r2.cpu().numpy()
        outputs[:, k] = predictions[:, best].cpu().numpy()
    return ProbeResult(
        scores=scores,
        best_epoch=chosen,
        test_history=validation_r2,
        train_loss=np.full((1, splits.k), np.nan),
        validation_history=validation_r2,
        n_fit=int(splits.fit[0].sum()),
        n_test=int(splits.test[0].sum()),
        best_outputs=outputs,
        extra={"alphas": list(alphas)},
    )


#: Inverse regularisation strengths C of scikit-learn's LogisticRegression.
DEFAULT_LOGISTIC_CS = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def logistic_probe(
    embeddings: np.ndarray,
    labels: np.ndarray,
    splits: Splits,
    cs=DEFAULT_LOGISTIC_CS,
    max_iter: int = 500,
    tolerance: float = 1e-7,
    device: str = "auto",
) -> ProbeResult:
    """L2 logistic regression solved with L-BFGS for every split and C at once.

    The objective is scikit-learn's, ``0.5 ||w||^2 + C * sum(log-loss)`` with an
    unpenalised intercept, divided by ``C * n_fit`` for conditioning (same minimiser).
    The K x C problems share no parameter, so one L-BFGS run on the sum of their
    objectives reaches each problem's unique minimum. C is chosen by validation F1
    (ties: the stronger regularisation), the test part is scored once.
    """
    if splits.validation is None:
        raise ValueError("logistic_probe needs splits with validation parts")
    torch_device = resolve_device(device)
    x = torch.as_tensor(embeddings, dtype=torch.float64, device=torch_device)
    y = torch.as_tensor(labels, dtype=torch.float64, device=torch_device)
    dim = x.shape[1]
    k, n_c = splits.k, len(cs)
    fit = torch.as_tensor(splits.fit, device=torch_device).T.to(x.dtype)  # [n, K]
    n_fit = fit.sum(0)  # [K]
    c = torch.as_tensor(cs, dtype=x.dtype, device=torch_device)
    # Per (split, C): weight of the penalty relative to the mean log-loss.
    penalty = 0.5 / (c[None, :] * n_fit[:, None])  # [K, C]
    weights = torch.zeros(k, n_c, dim, dtype=x.dtype, device=torch_device, requires_grad=True)
    bias = torch.zeros(k, n_c, dtype=x.dtype, device=torch_device, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weights, bias],
        max_iter=max_iter,
        tolerance_grad=tolerance,
        tolerance_change=1e-12,
        history_size=20,
        line_search_fn="strong_wolfe",
    )
    member = (fit / n_fit)[:, :, None]  # [n, K, 1] mean over each split's fit rows

    def objective():
        optimiser.zero_grad()
        logits = (x @ weights.reshape(k * n_c, dim).T).reshape(-1, k, n_c) + bias  # [n, K, C]
        loss = torch.nn.functional.softplus(logits) - y[:, None, None] * logits
        total = (loss * member).sum() + (penalty * (weights**2).sum(-1)).sum()
        total.backward()
        return total

    optimiser.step(objective)
    with torch.no_grad():
        logits = (x @ weights.reshape(k * n_c, dim).T).reshape(-1, k, n_c) + bias  # [n, K, C]
    f1 = METRICS["cls"]
    validation = torch.as_tensor(splits.validation.T, device=torch_device)
    test = torch.as_tensor(splits.test.T, device=torch_device)
    validation_f1 = torch.stack([f1(logits[:, :, j], y, validation) for j in range(n_c)])  # [C, K]
    best = torch.argmax(validation_f1, dim=0)  # first maximum: smallest C
    chosen_logits = logits[:, torch.arange(k), best]  # [n, K]
    scores = f1(chosen_logits, y, test)
    return ProbeResult(
        scores=scores.cpu().numpy().astype(float),
        best_epoch=best.cpu().numpy(),
        test_history=validation_f1.cpu().numpy(),
        train_loss=np.full((1, k), np.nan),
        validation_history=validation_f1.cpu().numpy(),
        n_fit=int(splits.fit[0].sum()),
        n_test=int(splits.test[0].sum()),
        best_outputs=chosen_logits.cpu().numpy(),
        extra={"cs": list(cs)},
    )
