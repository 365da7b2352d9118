"""A k-nearest-neighbour probe over the K splits at once.

Each sample's neighbours are ranked once, by cosine similarity to all other samples;
every split then takes the first ``n_neighbors`` of that ranking that lie in its own
training part. That is the same as a per-split search restricted to the training part
(tested against scikit-learn's ``KNeighborsRegressor``/``KNeighborsClassifier``), with one
similarity matrix instead of K.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from eobench.metrics import METRICS
from eobench.probes.linear import ProbeResult, resolve_device
from eobench.probes.splits import Splits


def knn_outputs(
    embeddings: torch.Tensor,
    labels: torch.Tensor,
    train: torch.Tensor,
    n_neighbors: int,
    chunk: int = 1024,
) -> torch.Tensor:
    """Mean label of each sample's nearest training neighbours, for every split.

    Parameters
    ----------
    embeddings : tensor [n, N]
    labels : tensor [n]
    train : bool tensor [K, n]
        Training membership of every split (a sample is never its own neighbour).
    n_neighbors : int

    Returns
    -------
    tensor [n, K]
        The neighbours' mean label (regression) or the fraction of positive neighbours
        (classification) of every sample under every split.
    """
    n = embeddings.shape[0]
    k_splits = train.shape[0]
    unit = torch.nn.functional.normalize(embeddings, dim=1)
    min_train = int(train.sum(1).min())
    if n_neighbors > min_train:
        raise ValueError(f"n_neighbors={n_neighbors} exceeds the training part ({min_train})")
    # Enough candidates that every split finds its neighbours among them; rows where one
    # does not are redone with the full ranking below.
    fraction = min_train / n
    candidates = min(n - 1, math.ceil(2 * n_neighbors / fraction) + 16)
    out = torch.empty(n, k_splits, dtype=embeddings.dtype, device=embeddings.device)
    for start in range(0, n, chunk):
        rows = torch.arange(start, min(start + chunk, n), device=embeddings.device)
        similarity = unit[rows] @ unit.T
        similarity[torch.arange(len(rows)), rows] = -torch.inf  # not its own neighbour
        out[rows] = _vote(similarity, labels, train, n_neighbors, candidates)
    return out


def _vote(similarity, labels, train, n_neighbors, candidates):
    order = torch.topk(similarity, candidates, dim=1).indices  # [q, m], nearest first
    member = train[:, order]  # [K, q, m]
    taken = member & (member.cumsum(dim=2) <= n_neighbors)
    found = taken.sum(dim=2)  # [K, q]
    votes = (taken * labels[order]).sum(dim=2) / n_neighbors
    short = (found < n_neighbors).any(dim=0)
    if short.any():  # rare: redo those rows with the full ranking
        full = similarity.shape[1] - 1
        votes[:, short] = _vote(similarity[short], labels, train, n_neighbors, full).T
    return votes.T


def knn_probe(
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    splits: Splits,
    n_neighbors: int = 20,
    device: str = "auto",
) -> ProbeResult:
    """Score a kNN probe on every split (training part = fit and validation parts)."""
    torch_device = resolve_device(device)
    x = torch.as_tensor(np.ascontiguousarray(embeddings, dtype=np.float32), device=torch_device)
    y = torch.as_tensor(np.asarray(labels, dtype=np.float32), device=torch_device)
    train = splits.fit if splits.validation is None else splits.fit | splits.validation
    outputs = knn_outputs(x, y, torch.as_tensor(train, device=torch_device), n_neighbors)
    if task_type == "cls":
        # Majority vote as a logit-like output: positive when more than half the
        # neighbours are positive (a tie goes to class 0, as in scikit-learn).
        outputs = outputs - 0.5
    test = torch.as_tensor(splits.test.T, device=torch_device)
    scores = METRICS[task_type](outputs, y, test).cpu().numpy().astype(float)
    return ProbeResult(
        scores=scores,
        best_epoch=np.zeros(splits.k, dtype=np.int64),
        test_history=scores[None, :],
        train_loss=np.full((1, splits.k), np.nan),
        n_fit=int(train[0].sum()),
        n_test=int(splits.test[0].sum()),
        best_outputs=outputs.cpu().numpy(),
    )
