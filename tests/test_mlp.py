"""Batched MLP probes against one nn.Sequential per split."""

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, r2_score

from eobench.probes.linear import ProbeSettings, epoch_permutations, probe_task, task_splits
from eobench.probes.mlp import MLPHead, parameter_count
from eobench.probes.splits import task_seed


def reference_mlp(x, y, task_type, settings, task_name):
    """One network per split, autograd and torch.optim.AdamW, neuco epoch selection."""
    seed = task_seed(settings.seed, task_name)
    splits = task_splits(settings, len(y), task_name)
    init = MLPHead.initial(seed, splits.k, x.shape[1], settings.hidden_layers, "cpu")
    order = epoch_permutations(seed, splits, settings.epochs)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y, dtype=torch.float32)
    scores = []
    for k in range(splits.k):
        layers = []
        for index, (weight, bias) in enumerate(init.layers):
            linear = torch.nn.Linear(weight.shape[1], weight.shape[2])
            with torch.no_grad():
                linear.weight.copy_(weight[k].T)
                linear.bias.copy_(bias[k])
            layers += [linear] + ([torch.nn.ReLU()] if index < len(init.layers) - 1 else [])
        model = torch.nn.Sequential(*layers)
        optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
        loss_fn = torch.nn.BCEWithLogitsLoss() if task_type == "cls" else torch.nn.MSELoss()
        test = splits.test[k]
        best = -np.inf
        for epoch in range(settings.epochs):
            for start in range(0, order.shape[2], settings.batch_size):
                batch = torch.as_tensor(order[k, epoch, start : start + settings.batch_size])
                optimiser.zero_grad()
                loss_fn(model(xt[batch]).view(-1), yt[batch]).backward()
                optimiser.step()
            with torch.no_grad():
                out = model(xt).view(-1).numpy()
            score = (
                f1_score(y[test].astype(int), (out[test] > 0).astype(int))
                if task_type == "cls"
                else r2_score(y[test], out[test])
            )
            best = max(best, score)
        scores.append(best)
    return np.array(scores)


@pytest.mark.parametrize("hidden", [(16,), (16, 8)])
@pytest.mark.parametrize("task_type", ["regr", "cls"])
def test_batched_mlp_equals_one_network_per_split(hidden, task_type):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(240, 10)).astype(np.float32)
    y = np.tanh(x[:, 0] * x[:, 1]) + 0.1 * rng.normal(size=240)
    y = (y > 0).astype(float) if task_type == "cls" else (y - y.min()) / np.ptp(y)
    settings = ProbeSettings(
        k_splits=4,
        epochs=4,
        batch_size=32,
        learning_rate=0.01,
        minibatches="per_split",
        hidden_layers=hidden,
    )
    ours = probe_task(x, y, task_type, settings, "nonlinear").scores
    np.testing.assert_allclose(
        ours, reference_mlp(x, y, task_type, settings, "nonlinear"), atol=5e-5
    )


def test_mlp_learns_what_a_linear_probe_cannot():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 4)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(float)  # XOR of signs: not linearly separable
    base = dict(k_splits=3, epochs=40, batch_size=32, learning_rate=0.01)
    linear = probe_task(x, y, "cls", ProbeSettings(**base), "xor").scores.mean()
    mlp = probe_task(x, y, "cls", ProbeSettings(hidden_layers=(32,), **base), "xor")
    assert mlp.scores.mean() > 0.9 > linear + 0.2


def test_parameter_counts():
    assert parameter_count(1024, ()) == 1025
    assert parameter_count(1024, (256,)) == 1024 * 256 + 256 + 256 + 1
    assert parameter_count(8, (4, 2)) == (8 * 4 + 4) + (4 * 2 + 2) + (2 + 1)
    module = torch.nn.Sequential(
        torch.nn.Linear(8, 4), torch.nn.Linear(4, 2), torch.nn.Linear(2, 1)
    )
    assert parameter_count(8, (4, 2)) == sum(p.numel() for p in module.parameters())
