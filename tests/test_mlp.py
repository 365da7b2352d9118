"""Batched MLP probes against one nn.Sequential per split."""

import itertools

import numpy as np
import pytest
import torch
from reference_probe import reference_mlp

from eobench.probes.linear import (
    ProbeSettings,
    _BatchedProbes,
    epoch_permutations,
    loss_with_derivative,
    probe_task,
    task_splits,
)
from eobench.probes.mlp import MLPHead, parameter_count
from eobench.probes.splits import task_seed


def nonlinear_task(task_type, n=240, dim=10, seed=4):
    """Gaussian embeddings whose labels depend on a product of two of their columns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    y = np.tanh(x[:, 0] * x[:, 1]) + 0.1 * rng.normal(size=n)
    y = (y > 0).astype(float) if task_type == "cls" else (y - y.min()) / np.ptp(y)
    return x, y


@pytest.mark.parametrize("protocol", ["neuco", "strict"])
@pytest.mark.parametrize("hidden", [(16,), (16, 8)])
@pytest.mark.parametrize("task_type", ["regr", "cls"])
def test_batched_mlp_equals_one_network_per_split(hidden, task_type, protocol):
    x, y = nonlinear_task(task_type)
    settings = ProbeSettings(
        protocol=protocol,
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


def test_batched_mlp_equals_one_network_per_split_in_float64():
    """Longer training of a deeper, wider net: float32 rounding would grow, float64 not."""
    x, y = nonlinear_task("regr", n=300, dim=24)
    settings = ProbeSettings(
        k_splits=3,
        epochs=10,
        batch_size=16,
        learning_rate=0.01,
        minibatches="per_split",
        hidden_layers=(32, 32),
    )
    seed = task_seed(settings.seed, "deep")
    splits = task_splits(settings, len(y), "deep")
    init = MLPHead.initial(seed, splits.k, x.shape[1], settings.hidden_layers, "cpu")
    head = MLPHead([(w.double(), b.double()) for w, b in init.layers])
    x64, y64 = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    engine = _BatchedProbes(x64, y64, "regr", splits, settings, head)
    ours = engine.run(engine.per_split_schedule(epoch_permutations(seed, splits, 10))).scores
    expected = reference_mlp(x, y, "regr", settings, "deep", splits, dtype=torch.float64)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("task_type", ["regr", "cls"])
def test_closed_form_gradients_equal_autograd(shared, task_type):
    """Each split's gradient is autograd's for its own network and its own mean loss."""
    rng = np.random.default_rng(0)
    k, batch, widths = 3, 12, [7, 5, 4, 1]
    head = MLPHead(
        [
            (torch.as_tensor(rng.normal(size=(k, a, b))), torch.as_tensor(rng.normal(size=(k, b))))
            for a, b in itertools.pairwise(widths)
        ]
    )
    shape = (batch, widths[0]) if shared else (k, batch, widths[0])
    xb = torch.as_tensor(rng.normal(size=shape))
    # Shared rows: every split keeps a different subset, weighted 1 / count.
    member = torch.as_tensor(rng.random((batch, k)) < 0.7, dtype=torch.float64)
    member = member / member.sum(0)
    target = torch.as_tensor(rng.random((batch, k)) < 0.5, dtype=torch.float64)
    if task_type == "regr":
        target = torch.as_tensor(rng.random((batch, k)))
    loss, (gradient,) = head.loss_and_gradients(xb, member, target, loss_with_derivative(task_type))
    for split in range(k):
        modules = []
        for weight, bias in head.layers:
            linear = torch.nn.Linear(weight.shape[1], weight.shape[2], dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(weight[split].T)
                linear.bias.copy_(bias[split])
            modules += [linear, torch.nn.ReLU()]
        model = torch.nn.Sequential(*modules[:-1])
        rows = xb if shared else xb[split]
        output = model(rows)[:, 0]
        if task_type == "cls":
            losses = torch.nn.functional.binary_cross_entropy_with_logits(
                output, target[:, split], reduction="none"
            )
        else:
            losses = (output - target[:, split]) ** 2
        expected_loss = (losses * member[:, split]).sum()
        expected_loss.backward()
        torch.testing.assert_close(loss[split], expected_loss.detach())
        for (weight, bias), layer in zip(head.unflatten(gradient), model[::2], strict=True):
            torch.testing.assert_close(weight[split], layer.weight.grad.T)
            torch.testing.assert_close(bias[split], layer.bias.grad)


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
    head = MLPHead.initial(0, 3, 8, (4, 2), "cpu")
    assert [p.numel() for p in head.parameters] == [3 * parameter_count(8, (4, 2))]


@pytest.mark.parametrize("chunk_elements", [2**24, 1])
def test_outputs_of_each_splits_own_rows_equal_those_of_all_rows(chunk_elements):
    """Scoring only the rows a split evaluates gives those rows' outputs of all rows."""
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.normal(size=(30, 7)), dtype=torch.float32)
    head = MLPHead.initial(1, 3, 7, (5, 4), "cpu")
    head.chunk_elements = chunk_elements  # 1: one row per split at a time
    rows = torch.as_tensor(np.stack([rng.choice(30, 6, replace=False) for _ in range(3)]))
    expected = head.logits(x).T.gather(1, rows)
    torch.testing.assert_close(head.logits_of_rows(x, rows), expected)
