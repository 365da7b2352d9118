"""The batched probe engine against the plain per-split reference, and its protocols."""

import numpy as np
import pytest
import torch
from reference_probe import reference_probe

from eobench.probes.linear import ProbeSettings, probe_task, task_splits


def planted_task(n=400, dim=48, noise=0.6, seed=0, classification=False):
    """Gaussian embeddings with a linear signal; labels min-max scaled (or thresholded)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    signal = x @ rng.normal(size=dim) / np.sqrt(dim)
    y = signal + noise * rng.normal(size=n)
    if classification:
        return x, (y > np.quantile(y, 0.6)).astype(float)
    return x, (y - y.min()) / np.ptp(y)


@pytest.mark.parametrize("protocol", ["neuco", "strict"])
@pytest.mark.parametrize("task_type", ["regr", "cls"])
def test_per_split_schedule_equals_reference(protocol, task_type):
    x, y = planted_task(classification=task_type == "cls")
    settings = ProbeSettings(
        protocol=protocol, k_splits=6, epochs=6, batch_size=32, minibatches="per_split"
    )
    ours = probe_task(x, y, task_type, settings, "planted").scores
    expected = reference_probe(x, y, task_type, settings, "planted")
    np.testing.assert_allclose(ours, expected, atol=2e-5)


def test_shared_schedule_is_statistically_indistinguishable():
    """Mean scores over seeds agree within two standard errors, task by task."""
    tasks = {
        "easy_regr": (planted_task(noise=0.3, seed=1), "regr"),
        "hard_regr": (planted_task(noise=1.5, seed=2), "regr"),
        "cls": (planted_task(seed=3, classification=True), "cls"),
    }
    seeds = range(6)
    for name, ((x, y), task_type) in tasks.items():
        shared, reference = [], []
        for seed in seeds:
            settings = ProbeSettings(
                k_splits=5, epochs=8, batch_size=32, seed=seed, split_seed=seed
            )
            shared.append(probe_task(x, y, task_type, settings, name).scores.mean())
            reference.append(reference_probe(x, y, task_type, settings, name).mean())
        shared, reference = np.array(shared), np.array(reference)
        standard_error = np.sqrt(
            shared.var(ddof=1) / len(shared) + reference.var(ddof=1) / len(reference)
        )
        assert abs(shared.mean() - reference.mean()) <= 2 * standard_error, name


def test_probe_learns_a_noise_free_linear_map():
    x, y = planted_task(noise=0.0, n=600)
    settings = ProbeSettings(k_splits=4, epochs=60, batch_size=32, learning_rate=0.01)
    result = probe_task(x, y, "regr", settings, "t")
    assert result.scores.min() > 0.99


def test_probe_separates_separable_classes():
    x, y = planted_task(noise=0.0, n=600, classification=True)
    settings = ProbeSettings(k_splits=4, epochs=60, batch_size=32, learning_rate=0.01)
    result = probe_task(x, y, "cls", settings, "t")
    assert result.scores.mean() > 0.9 and result.scores.min() > 0.85


def test_neuco_picks_the_best_test_epoch():
    x, y = planted_task()
    result = probe_task(x, y, "regr", ProbeSettings(k_splits=5, epochs=10), "t")
    np.testing.assert_array_equal(result.scores, np.nanmax(result.test_history, axis=0))


@pytest.mark.parametrize("protocol, leaks", [("neuco", True), ("strict", False)])
def test_strict_protocol_never_looks_at_test_labels(protocol, leaks):
    """Scrambling split 0's test labels moves its chosen epoch under neuco only.

    Split 0 never trains on its test rows, so its training is the same in every run.
    """
    x, y = planted_task(noise=1.0, n=150)  # overfits: the test score peaks mid-training
    settings = ProbeSettings(
        protocol=protocol,
        k_splits=3,
        epochs=15,
        batch_size=16,
        learning_rate=0.01,
        minibatches="per_split",
    )
    splits = task_splits(settings, len(y), "t")
    test_rows = np.flatnonzero(splits.test[0])
    chosen = set()
    for seed in range(6):
        scrambled = y.copy()
        scrambled[test_rows] = np.random.default_rng(seed).random(len(test_rows))
        chosen.add(
            int(probe_task(x, scrambled, "regr", settings, "t", splits=splits).best_epoch[0])
        )
    assert (len(chosen) > 1) == leaks


def test_split_scores_do_not_depend_on_k():
    x, y = planted_task()
    few = probe_task(
        x, y, "regr", ProbeSettings(k_splits=3, minibatches="per_split", epochs=5), "t"
    )
    many = probe_task(
        x, y, "regr", ProbeSettings(k_splits=7, minibatches="per_split", epochs=5), "t"
    )
    np.testing.assert_allclose(few.scores, many.scores[:3], atol=1e-6)


def test_test_parts_follow_the_reference_shuffle_split():
    from sklearn.model_selection import ShuffleSplit

    splits = task_splits(ProbeSettings(k_splits=4), 50, "t")
    for k, (_, test_idx) in enumerate(
        ShuffleSplit(n_splits=4, test_size=0.1, random_state=42).split(np.zeros((50, 1)))
    ):
        np.testing.assert_array_equal(np.flatnonzero(splits.test[k]), np.sort(test_idx))


def test_strict_validation_is_inside_the_training_split():
    splits = task_splits(ProbeSettings(protocol="strict", k_splits=5), 300, "t")
    assert not (splits.validation & splits.test).any()
    assert not (splits.validation & splits.fit).any()
    assert (splits.validation | splits.fit | splits.test).all()
    assert splits.validation.sum(axis=1).min() > 0


@pytest.mark.parametrize("fused", [True, False])
def test_adamw_equals_torch_optim_adamw(fused):
    from eobench.probes.linear import AdamW

    generator = torch.Generator().manual_seed(0)
    start = [torch.randn(5, 7, generator=generator), torch.randn(5, generator=generator)]
    gradients = [[torch.randn(p.shape, generator=generator) for p in start] for _ in range(6)]
    ours = AdamW([p.clone() for p in start], lr=1e-2, weight_decay=0.05)
    ours.fused = fused and ours.fused
    reference = [p.clone().requires_grad_() for p in start]
    optimiser = torch.optim.AdamW(reference, 1e-2, (0.9, 0.999), 1e-8, weight_decay=0.05)
    for step in gradients:
        ours.step([g.clone() for g in step])
        for param, grad in zip(reference, step, strict=True):
            param.grad = grad.clone()
        optimiser.step()
    for mine, theirs in zip(ours.parameters, reference, strict=True):
        torch.testing.assert_close(mine, theirs.detach(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("n", "test_size", "seed"), [(97, 0.1, 42), (2415, 0.1, 7), (30, 0.25, 0)])
def test_shuffle_split_equals_sklearn(n, test_size, seed):
    from sklearn.model_selection import ShuffleSplit

    from eobench.probes.splits import shuffle_split

    ours = shuffle_split(n, 5, test_size, seed)
    theirs = ShuffleSplit(5, test_size=test_size, random_state=seed).split(np.empty((n, 1)))
    for (train, test), (train_ref, test_ref) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(test, test_ref)
        np.testing.assert_array_equal(train, train_ref)


def test_validation_parts_equal_train_test_split():
    from sklearn.model_selection import ShuffleSplit, train_test_split

    from eobench.probes.splits import make_splits

    splits = make_splits(200, 4, 0.1, 42, validation_size=0.1, seed=11)
    reference = ShuffleSplit(4, test_size=0.1, random_state=42).split(np.empty((200, 1)))
    for k, (train, test) in enumerate(reference):
        fit, validation = train_test_split(train, test_size=0.1, random_state=11 + 7919 * k)
        assert set(np.flatnonzero(splits.test[k])) == set(test)
        assert set(np.flatnonzero(splits.fit[k])) == set(fit)
        assert set(np.flatnonzero(splits.validation[k])) == set(validation)
