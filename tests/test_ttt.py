"""TTT-MMR step by step against a plain per-batch implementation written here, and the
vectorised version against the sequential reference."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from ttt_standin import standin_data, standin_model

from eobench.adaptation.geo_batches import random_batches
from eobench.adaptation.ttt import (
    JointModel,
    _pad_and_stack,
    adapt_batch,
    batch_losses,
    change_against_jt,
    choose_steps,
    choose_steps_on_validation,
    modality_loss,
    normalised_improvement,
    per_sample_losses,
    ttt_predict,
    ttt_sequential,
    ttt_vectorised,
)
from eobench.errors import EobenchError

LR = 1e-2


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def plain_loss(kind, reconstruction, target, valid):
    """Mean over the samples with any valid value of each sample's mean loss over its valid
    elements, one sample at a time with torch's own losses."""
    losses = []
    for r, t, v in zip(reconstruction, target, valid, strict=True):
        if not v.any():
            continue
        if kind == "categorical":
            logits = r.reshape(r.shape[0], -1).T[v.reshape(-1)]
            losses.append(F.cross_entropy(logits, t.reshape(-1)[v.reshape(-1)].long()))
        else:
            losses.append(F.mse_loss(r[v], t[v]))
    return torch.stack(losses).mean() if losses else None


def plain_step(model, batch, lr=LR):
    """One TTT-MMR step written out: per modality autograd gradient, its L2 norm over all
    parameters, the mean of the normalised gradients over present modalities, SGD."""
    names = [name for name, _ in model.encoder.named_parameters()]
    parameters = [p for _, p in model.encoder.named_parameters()]
    features = model.encoder(batch.inputs)
    normalised = []
    for name, decoder in model.decoders.items():
        loss = plain_loss(
            model.kinds[name], decoder(features), batch.targets[name], batch.valid[name]
        )
        if loss is None:
            continue
        grads = torch.autograd.grad(loss, parameters, retain_graph=True)
        norm = torch.sqrt(sum((g**2).sum() for g in grads))
        normalised.append([g / (norm + 1e-6) for g in grads])
    mean = [sum(gs[i] for gs in normalised) / len(normalised) for i in range(len(parameters))]
    return {n: (p - lr * m).detach() for n, p, m in zip(names, parameters, mean, strict=True)}


def jt_state(model):
    return {k: v.clone() for k, v in model.encoder.state_dict().items()}


@pytest.fixture
def model():
    return standin_model(seed=0).prepare("cpu")


@pytest.fixture
def data():
    return standin_data(43, seed=1)


def test_losses_match_plain_per_sample_losses(model, data):
    batch = data.take(range(10))
    features = model.encoder(batch.inputs)
    for name, decoder in model.decoders.items():
        args = (model.kinds[name], decoder(features), batch.targets[name], batch.valid[name])
        loss, present = modality_loss(*args)
        assert bool(present)
        torch.testing.assert_close(loss, plain_loss(*args), rtol=1e-5, atol=1e-6)


def test_padded_samples_leave_the_loss_unchanged(model, data):
    short, long = data.take(range(9)), data.take(range(9, 22))
    stacked, sizes = _pad_and_stack([short, long])
    assert sizes == [9, 13] and stacked.inputs.shape[:2] == (2, 13)
    features = model.encoder(stacked.inputs.flatten(0, 1))
    for name, decoder in model.decoders.items():
        per_sample, has = per_sample_losses(
            model.kinds[name],
            decoder(features),
            stacked.targets[name].flatten(0, 1),
            stacked.valid[name].flatten(0, 1),
        )
        padded_loss, _ = batch_losses(per_sample.view(2, 13), has.view(2, 13))
        unpadded = model.decoders[name](model.encoder(short.inputs))
        expected = plain_loss(model.kinds[name], unpadded, short.targets[name], short.valid[name])
        torch.testing.assert_close(padded_loss[0], expected, rtol=1e-5, atol=1e-6)


def test_one_step_equals_plain_step_parameter_by_parameter(model, data):
    batch = data.take(range(10))
    before = jt_state(model)
    expected = plain_step(model, batch)
    adapted = adapt_batch(model, batch, steps=1)
    moved = 0.0
    for name, value in expected.items():
        torch.testing.assert_close(adapted.parameters[name], value, rtol=0, atol=1e-6)
        moved = max(moved, (value - before[name]).abs().max().item())
    assert moved > 1e-4  # the step did move the encoder
    # Predictions: step 0 is the JT model, step 1 the adapted one.
    model.encoder.load_state_dict(before)
    with torch.no_grad():
        torch.testing.assert_close(adapted.predictions[0], model.head(model.encoder(batch.inputs)))
        model.encoder.load_state_dict(expected)
        torch.testing.assert_close(
            adapted.predictions[1], model.head(model.encoder(batch.inputs)), atol=1e-6, rtol=1e-5
        )


def test_missing_modality_is_left_out_of_the_average(model, data):
    # Samples 0, 3, 6, ... have no climate at all: a batch of them averages two modalities.
    no_climate = data.take([0, 3, 6, 9, 12, 15, 18, 21])
    with_climate = data.take([1, 2, 4, 5, 7, 8, 10, 11])
    assert not no_climate.valid["climate"].any() and with_climate.valid["climate"].any()
    before = jt_state(model)
    for batch in (no_climate, with_climate):
        model.encoder.load_state_dict(before)
        expected = plain_step(model, batch)
        model.encoder.load_state_dict(before)
        adapted = adapt_batch(model, batch, steps=1)
        for name, value in expected.items():
            torch.testing.assert_close(adapted.parameters[name], value, rtol=0, atol=1e-6)
    model.encoder.load_state_dict(before)
    # A mean over all three (climate's gradient counted as 0) would move the encoder less.
    moved = adapt_batch(model, no_climate, steps=1).parameters["stem.weight"]
    step = (moved - before["stem.weight"]).abs().sum()
    model.encoder.load_state_dict(before)
    thirds = (plain_step(model, no_climate)["stem.weight"] - before["stem.weight"]) * 2 / 3
    assert abs(step.item() - thirds.abs().sum().item()) > 0.1 * step.item()
    # The vectorised version sees both batches in one chunk, with different modalities.
    batches = [np.array([0, 3, 6, 9, 12, 15, 18, 21]), np.array([1, 2, 4, 5, 7, 8, 10, 11])]
    sequential = ttt_sequential(model, data, batches, steps=2)
    vectorised = ttt_vectorised(model, data, batches, steps=2, chunk_size=2)
    for s, v in zip(sequential, vectorised, strict=True):
        torch.testing.assert_close(v, s, rtol=0, atol=1e-5)


@pytest.mark.parametrize("encoder", ["conv", "vit"])
def test_vectorised_equals_sequential(encoder, data):
    model = standin_model(seed=2, width=16, encoder=encoder)
    before = jt_state(model)
    batches = random_batches(len(data), seed=0)  # 8, 8, 8, 8, 11
    sequential = ttt_sequential(model, data, batches, steps=3)
    vectorised = ttt_vectorised(model, data, batches, steps=3, chunk_size=3)
    assert [v.shape[:2] for v in vectorised] == [(4, len(b)) for b in batches]
    for s, v in zip(sequential, vectorised, strict=True):
        torch.testing.assert_close(v, s, rtol=0, atol=1e-5)
    change = max((s[-1] - s[0]).abs().max().item() for s in sequential)
    assert change > 1e-3  # three steps changed the predictions
    for name, value in model.encoder.state_dict().items():  # both leave the JT weights
        assert torch.equal(value, before[name])


def test_reset_before_every_batch(model, data):
    first, second = np.arange(0, 8), np.arange(8, 20)
    forward = ttt_sequential(model, data, [first, second], steps=2)
    backward = ttt_sequential(model, data, [second, first], steps=2)
    torch.testing.assert_close(forward[1], backward[0], rtol=0, atol=0)
    torch.testing.assert_close(forward[0], backward[1], rtol=0, atol=0)
    alone = ttt_vectorised(model, data, [second], steps=2)
    torch.testing.assert_close(alone[0], forward[1], rtol=0, atol=1e-5)


def test_predictions_in_sample_order(model, data):
    batches = random_batches(len(data), seed=5)
    with torch.no_grad():
        jt = model.head(model.encoder(data.inputs))
    for vectorised in (True, False):
        at_jt = ttt_predict(model, data, batches, steps=0, vectorised=vectorised)
        torch.testing.assert_close(at_jt, jt, rtol=1e-5, atol=1e-6)
    adapted = ttt_predict(model, data, batches, steps=1)
    sequential = ttt_sequential(model, data, batches, steps=1)
    for indices, per_step in zip(batches, sequential, strict=True):
        torch.testing.assert_close(adapted[indices], per_step[-1], rtol=0, atol=1e-5)


def test_choose_steps_on_a_hand_made_loss_curve():
    nan = float("nan")
    losses = np.array(
        [
            [5.0, 4.0, 3.0, 3.5, 4.0, 5.0],  # lowest after step 2
            [1.0, 2.0, 2.0, 2.0, 2.0, 2.0],  # step 0 is lowest but no candidate: first tie, 1
            [9.0, 8.0, 7.0, 6.0, 5.0, 4.0],  # still falling: 5
            [nan] * 6,  # no labels: no vote
            [3.0, nan, 1.0, 2.0, nan, nan],  # NaN steps skipped: 2
        ]
    )
    choice = choose_steps(losses)
    assert choice.votes.tolist() == [2, 1, 5, 2]
    assert choice.steps == 2  # mean 2.5, rounded half to even as Python's round
    assert choose_steps(losses[:3]).steps == 3  # mean 8 / 3
    with pytest.raises(EobenchError, match="no validation batch"):
        choose_steps(losses[3:4])


def test_choose_steps_on_validation_both_implementations(model, data):
    def task_loss(prediction, target):
        return F.mse_loss(prediction, target)

    batches = random_batches(len(data), seed=1)
    vectorised = choose_steps_on_validation(model, data, batches, task_loss, max_steps=2)
    sequential = choose_steps_on_validation(
        model, data, batches, task_loss, max_steps=2, vectorised=False
    )
    assert vectorised.losses.shape == (len(batches), 3)
    np.testing.assert_allclose(vectorised.losses, sequential.losses, rtol=1e-4)
    assert vectorised.steps == sequential.steps
    assert 1 <= vectorised.steps <= 2


def test_improvement_helpers():
    np.testing.assert_allclose(change_against_jt([0.6, 0.4], [0.5, 0.5]), [0.1, -0.1])
    np.testing.assert_allclose(
        normalised_improvement([0.6, 0.25, 1.0], [0.5, 0.5, 1.0]), [0.2, -0.5, np.nan]
    )


def test_bad_inputs_name_the_problem(model, data):
    del data.targets["climate"]
    with pytest.raises(EobenchError, match="'climate'"):
        ttt_vectorised(model, data, [np.arange(8)], steps=1)
    kinds = {"s2": "continuous", "landcover": "categorical"}
    with pytest.raises(EobenchError, match="decoder modality 'climate' needs a kind"):
        JointModel(model.encoder, model.decoders, model.head, kinds)


def test_per_sample_losses_of_a_tile_level_class_are_each_samples_cross_entropy():
    """A categorical modality with one class per sample (biome, ecoregion): targets [B]
    for logits [B, K]; each sample's loss is its own cross-entropy, missing ones 0."""
    from eobench.adaptation.ttt import per_sample_losses

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 4, generator=generator)
    target = torch.tensor([0, 3, 1, 2, 255])
    valid = target != 255
    losses, has_values = per_sample_losses("categorical", logits, target, valid)
    expected = torch.nn.functional.cross_entropy(logits[:4], target[:4], reduction="none")
    assert torch.allclose(losses[:4], expected)
    assert losses[4] == 0
    assert has_values.tolist() == [True, True, True, True, False]


def test_parameters_without_gradients_stay_fixed_in_both_implementations():
    """A fixed table (``requires_grad=False``, as Galileo's position codes) is a constant:
    TTT adapts the other parameters, sequential and vectorised alike."""
    from ttt_standin import standin_data, standin_model

    from eobench.adaptation.geo_batches import random_batches
    from eobench.adaptation.ttt import ttt_sequential, ttt_vectorised

    model = standin_model(seed=0, width=8, size=16, encoder="conv")
    fixed = next(model.encoder.parameters())
    fixed.requires_grad_(False)
    before = fixed.detach().clone()
    data = standin_data(24, seed=1, size=16)
    batches = random_batches(24, seed=0)
    sequential = ttt_sequential(model, data, batches, 2)
    vectorised = ttt_vectorised(model, data, batches, 2)
    assert torch.equal(fixed, before)
    for s, v in zip(sequential, vectorised, strict=True):
        assert torch.allclose(s, v, atol=1e-5)
    assert not torch.allclose(sequential[0][2], sequential[0][0])  # the rest adapted
