"""A plain per-split linear probe, written like the NeuCo-Bench evaluator's loop.

It is the test suite's reference for the batched engine in ``eobench.probes.linear``:
one ``nn.Linear`` per split, ``torch.optim.AdamW`` with autograd, ``nn.MSELoss`` /
``nn.BCEWithLogitsLoss``, and scikit-learn's ``r2_score`` / ``f1_score`` after every
epoch. It shares only the conventions that make runs comparable: the splits, the
initial weights and the per-split minibatch order.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import f1_score, r2_score

from eobench.probes.linear import (
    ProbeSettings,
    epoch_permutations,
    initial_weights,
    task_splits,
)
from eobench.probes.splits import Splits, task_seed


def reference_probe(
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    settings: ProbeSettings,
    task_name: str,
    splits: Splits | None = None,
) -> np.ndarray:
    """Return the K split scores, training one probe after the other."""
    seed = task_seed(settings.seed, task_name)
    if splits is None:
        splits = task_splits(settings, len(labels), task_name)
    x = torch.as_tensor(embeddings, dtype=torch.float32)
    y = torch.as_tensor(labels, dtype=torch.float32)
    w0, b0 = initial_weights(seed, splits.k, x.shape[1])
    order = epoch_permutations(seed, splits, settings.epochs)
    scores = np.empty(splits.k)
    for k in range(splits.k):
        model = torch.nn.Linear(x.shape[1], 1)
        with torch.no_grad():
            model.weight.copy_(torch.as_tensor(w0[k])[None, :])
            model.bias.fill_(float(b0[k]))
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        loss_fn = torch.nn.BCEWithLogitsLoss() if task_type == "cls" else torch.nn.MSELoss()
        test_idx = np.flatnonzero(splits.test[k])
        val_idx = None if splits.validation is None else np.flatnonzero(splits.validation[k])
        best_selection, best_score = -np.inf, np.nan
        for epoch in range(settings.epochs):
            permutation = order[k, epoch]
            for start in range(0, len(permutation), settings.batch_size):
                batch = torch.as_tensor(permutation[start : start + settings.batch_size])
                optimiser.zero_grad()
                loss = loss_fn(model(x[batch]).view(-1), y[batch])
                loss.backward()
                optimiser.step()
            with torch.no_grad():
                out = model(x).view(-1).numpy()
            test_score = _metric(task_type, labels[test_idx], out[test_idx])
            selection = (
                test_score if val_idx is None else _metric(task_type, labels[val_idx], out[val_idx])
            )
            if selection > best_selection:
                best_selection, best_score = selection, test_score
        scores[k] = best_score
    return scores


def _metric(task_type: str, truth: np.ndarray, output: np.ndarray) -> float:
    if task_type == "cls":
        return f1_score(truth.astype(int), (output > 0).astype(int), zero_division=0.0)
    return r2_score(truth, output)


def reference_mlp(
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    settings: ProbeSettings,
    task_name: str,
    splits: Splits | None = None,
    dtype: torch.dtype = torch.float32,
    device: str = "cpu",
) -> np.ndarray:
    """The K split scores of ``settings.hidden_layers`` MLPs, one ``nn.Sequential`` per split.

    ``Linear`` and ``ReLU`` modules, autograd and ``torch.optim.AdamW``, trained on the
    same splits, initial weights (:meth:`MLPHead.initial`) and per-split minibatch order
    as the batched engine's ``per_split`` schedule. ``dtype`` float64 takes float32
    rounding, which training amplifies in deeper networks, out of a comparison; ``device``
    runs the loop on a GPU.
    """
    from eobench.probes.mlp import MLPHead

    seed = task_seed(settings.seed, task_name)
    if splits is None:
        splits = task_splits(settings, len(labels), task_name)
    x = torch.as_tensor(embeddings, dtype=dtype, device=device)
    y = torch.as_tensor(labels, dtype=dtype, device=device)
    init = MLPHead.initial(seed, splits.k, x.shape[1], settings.hidden_layers, "cpu")
    order = epoch_permutations(seed, splits, settings.epochs)
    scores = np.empty(splits.k)
    for k in range(splits.k):
        modules: list[torch.nn.Module] = []
        for weight, bias in init.layers:
            linear = torch.nn.Linear(weight.shape[1], weight.shape[2], dtype=dtype, device=device)
            with torch.no_grad():
                linear.weight.copy_(weight[k].T)
                linear.bias.copy_(bias[k])
            modules += [linear, torch.nn.ReLU()]
        model = torch.nn.Sequential(*modules[:-1])  # no ReLU after the output layer
        scores[k] = _train_and_score(model, x, y, labels, task_type, settings, splits, order, k)
    return scores


def _train_and_score(model, x, y, labels, task_type, settings, splits, order, k) -> float:
    """Train split ``k``'s ``model`` like the evaluator; return its selected test score."""
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    loss_fn = torch.nn.BCEWithLogitsLoss() if task_type == "cls" else torch.nn.MSELoss()
    test_idx = np.flatnonzero(splits.test[k])
    val_idx = None if splits.validation is None else np.flatnonzero(splits.validation[k])
    best_selection, best_score = -np.inf, np.nan
    for epoch in range(settings.epochs):
        permutation = torch.as_tensor(order[k, epoch], device=x.device)
        for start in range(0, len(permutation), settings.batch_size):
            batch = permutation[start : start + settings.batch_size]
            optimiser.zero_grad()
            loss = loss_fn(model(x[batch]).view(-1), y[batch])
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            out = model(x).view(-1).cpu().numpy()
        test_score = _metric(task_type, labels[test_idx], out[test_idx])
        selection = (
            test_score if val_idx is None else _metric(task_type, labels[val_idx], out[val_idx])
        )
        if selection > best_selection:
            best_selection, best_score = selection, test_score
    return best_score


def reference_knn(
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    splits: Splits,
    n_neighbors: int = 20,
) -> np.ndarray:
    """The K split scores of scikit-learn's cosine kNN, fitted on each training part.

    ``KNeighborsRegressor`` / ``KNeighborsClassifier`` (brute force, cosine metric) per
    split; the training part is the fit part plus, under ``strict``, the validation part.
    """
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    model_class = KNeighborsClassifier if task_type == "cls" else KNeighborsRegressor
    scores = np.empty(splits.k)
    for k in range(splits.k):
        train = splits.fit[k] if splits.validation is None else splits.fit[k] | splits.validation[k]
        test = splits.test[k]
        model = model_class(n_neighbors=n_neighbors, metric="cosine", algorithm="brute")
        model.fit(embeddings[train], labels[train])
        scores[k] = _metric_of_predictions(task_type, labels[test], model.predict(embeddings[test]))
    return scores


def _metric_of_predictions(task_type: str, truth: np.ndarray, predicted: np.ndarray) -> float:
    if task_type == "cls":
        return f1_score(truth.astype(int), predicted.astype(int), zero_division=0.0)
    return r2_score(truth, predicted)
