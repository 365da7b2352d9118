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
    evaluated: torch.Tensor | None = None,
    chunk: int = 1024,
) -> torch.Tensor:
    """Mean label of each evaluated sample's nearest training neighbours, for every split.

    Parameters
    ----------
    embeddings : tensor [n, N]
    labels : tensor [n]
    train : bool tensor [K, n]
        Training membership of every split (a sample is never its own neighbour).
    n_neighbors : int
    evaluated : bool tensor [K, n], optional
        The samples each split predicts (its test part); all its non-training samples
        by default.
    chunk : int
        Samples ranked at a time, bounding the ``[chunk, n]`` similarity block.

    Returns
    -------
    tensor [n, K]
        The neighbours' mean label (regression) or the fraction of positive neighbours
        (classification) of every evaluated sample under every split; 0 elsewhere.
    """
    n = embeddings.shape[0]
    k_splits = train.shape[0]
    unit = torch.nn.functional.normalize(embeddings, dim=1)
    min_train = int(train.sum(1).min())
    if n_neighbors > min_train:
        raise ValueError(f"n_neighbors={n_neighbors} exceeds the training part ({min_train})")
    if evaluated is None:
        evaluated = ~train
    # Enough candidates that every split finds its neighbours among them; pairs where one
    # does not are redone with the full ranking below.
    fraction = min_train / n
    candidates = min(n - 1, math.ceil(2 * n_neighbors / fraction) + 16)
    ranking = torch.empty(n, candidates, dtype=torch.long, device=embeddings.device)
    for start in range(0, n, chunk):
        rows = torch.arange(start, min(start + chunk, n), device=embeddings.device)
        ranking[rows] = torch.topk(_similarity(unit, rows), candidates, dim=1).indices
    split_of, sample_of = torch.nonzero(evaluated, as_tuple=True)
    votes = torch.empty(len(split_of), dtype=embeddings.dtype, device=embeddings.device)
    step = chunk * k_splits
    for start in range(0, len(split_of), step):
        pairs = slice(start, start + step)
        votes[pairs], short = _vote(
            ranking[sample_of[pairs]], split_of[pairs], train, labels, n_neighbors
        )
        # Rare: pairs whose split has too few training samples among the candidates are
        # redone with the full ranking.
        for redo in torch.split(torch.nonzero(short)[:, 0] + start, chunk):
            full = torch.topk(_similarity(unit, sample_of[redo]), n - 1, dim=1).indices
            votes[redo], _ = _vote(full, split_of[redo], train, labels, n_neighbors)
    out = torch.zeros(n, k_splits, dtype=embeddings.dtype, device=embeddings.device)
    out[sample_of, split_of] = votes
    return out


def _similarity(unit: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of ``rows`` to every sample, ``-inf`` to themselves."""
    similarity = unit[rows] @ unit.T
    similarity[torch.arange(len(rows), device=unit.device), rows] = -torch.inf
    return similarity


def _vote(order, split, train, labels, n_neighbors):
    """Votes of (split, sample) pairs from each sample's ranking ``order`` [P, m] (nearest
    first), its ``split`` [P] and the splits' training membership ``train`` [K, n]; also
    which pairs found fewer than ``n_neighbors`` training samples in their ranking."""
    # Flat indices: no [P, n] copy of the membership rows.
    member = train.reshape(-1)[split[:, None] * train.shape[1] + order]  # [P, m]
    taken = member & (member.cumsum(dim=1) <= n_neighbors)
    votes = (taken * labels[order]).sum(dim=1) / n_neighbors
    return votes, taken.sum(dim=1) < n_neighbors


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
    outputs = knn_outputs(
        x,
        y,
        torch.as_tensor(train, device=torch_device),
        n_neighbors,
        evaluated=torch.as_tensor(splits.test, device=torch_device),
    )
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
