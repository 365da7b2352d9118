"""The neural compressor against closed forms: the entropy bottleneck against the logistic
distribution (scipy), GDN against its formula (numpy), pooling against block means, and
training for reproducibility and resumption."""

import hashlib
import itertools
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import logistic

from eobench.aggregation import encode_batch
from eobench.data.store import CubeStore
from eobench.embeddings import load_embeddings
from eobench.encoders import build_encoder
from eobench.encoders.compressor.encoder import pooled_latents
from eobench.encoders.compressor.entropy import EntropyBottleneck, total_bits
from eobench.encoders.compressor.gdn import GDN
from eobench.encoders.compressor.model import FactorizedPriorAutoencoder, rate_distortion_loss
from eobench.encoders.compressor.train import (
    CURVE_COLUMNS,
    TrainingSettings,
    centre_crop,
    load_checkpoint,
    partial_path_of,
    train_compressor,
)
from eobench.encoders.extract import extract_embeddings
from eobench.errors import EobenchError

#: A model small enough to train in about a second on the tiny store.
TINY = {"intermediate_channels": 8, "latent_channels": 6, "batch_size": 16}


def softplus_inverse(value):
    return np.log(np.expm1(value))


# --- entropy bottleneck -------------------------------------------------------------------


def logistic_bottleneck(loc, scale, filters, rng, likelihood_bound=1e-9):
    """A bottleneck whose cumulative is exactly logistic(loc, scale) per channel.

    With every tanh factor at 0 the layers are affine, so the logit is ``A x + B`` with
    ``A`` the product of the positive matrices and ``B`` the propagated biases; the last
    bias is chosen (in numpy) so that ``B = -loc / scale`` while ``A = 1 / scale``.
    """
    channels = len(loc)
    bottleneck = EntropyBottleneck(channels, filters, likelihood_bound=likelihood_bound)
    bottleneck.double()
    widths = (1, *filters, 1)
    products = np.ones((channels, 1, 1))
    offsets = np.zeros((channels, 1, 1))
    with torch.no_grad():
        for k, (d_in, d_out) in enumerate(itertools.pairwise(widths)):
            positive = rng.uniform(0.3, 1.5, size=(channels, d_out, d_in))
            bias = rng.normal(size=(channels, d_out, 1))
            if k == len(widths) - 2:
                # Rescale the last layer so the total slope is 1/scale, then set its bias.
                slope = positive @ products
                positive *= (1.0 / scale)[:, None, None] / slope
                bias = (-loc / scale)[:, None, None] - positive @ offsets
            bottleneck.matrices[k].copy_(torch.from_numpy(softplus_inverse(positive)))
            bottleneck.biases[k].copy_(torch.from_numpy(bias))
            products, offsets = positive @ products, positive @ offsets + bias
        for factor in bottleneck.factors:
            factor.zero_()
    return bottleneck


def latents_of(values):
    """Per-channel values ``[C, n]`` as a latent batch ``[n, C, 1, 1]`` (float64)."""
    return torch.from_numpy(np.ascontiguousarray(values.T)).reshape(values.shape[1], -1, 1, 1)


@pytest.mark.parametrize("filters", [(), (3, 3, 3)])
def test_likelihoods_equal_logistic_interval_masses(filters):
    rng = np.random.default_rng(0)
    loc, scale = np.array([0.0, 2.5, -4.0]), np.array([1.0, 0.4, 3.0])
    bottleneck = logistic_bottleneck(loc, scale, filters, rng)
    values = rng.normal(loc[:, None], 3 * scale[:, None], size=(3, 50))
    with torch.no_grad():
        ours = bottleneck.likelihoods(latents_of(values)).numpy()[:, :, 0, 0].T
    expected = logistic.cdf(values + 0.5, loc[:, None], scale[:, None]) - logistic.cdf(
        values - 0.5, loc[:, None], scale[:, None]
    )
    np.testing.assert_allclose(ours, np.maximum(expected, 1e-9), rtol=1e-10, atol=0)


def test_tail_likelihoods_keep_their_digits_in_float32():
    # sigmoid(20.5) - sigmoid(19.5) is 0 in float32 when taken naively; the mass is 2.2e-9.
    rng = np.random.default_rng(1)
    bottleneck = logistic_bottleneck(np.zeros(1), np.ones(1), (3, 3, 3), rng, 0.0).float()
    values = np.array([[-20.0, 20.0, 25.0]])
    with torch.no_grad():
        ours = bottleneck.likelihoods(latents_of(values).float()).numpy().ravel()
    expected = logistic.sf(values - 0.5) - logistic.sf(values + 0.5)
    np.testing.assert_allclose(ours, expected.ravel(), rtol=1e-4)


def test_medians_of_a_logistic_bottleneck_are_its_locations():
    loc, scale = np.array([0.3, -7.0, 40.0]), np.array([0.5, 2.0, 9.0])
    bottleneck = logistic_bottleneck(loc, scale, (3, 3, 3), np.random.default_rng(2))
    np.testing.assert_allclose(bottleneck.medians().numpy(), loc, atol=1e-9)


def random_bottleneck(seed, channels=4):
    """A bottleneck with every parameter random, nonlinearities included."""
    torch.manual_seed(seed)
    bottleneck = EntropyBottleneck(channels).double()
    with torch.no_grad():
        for parameter in bottleneck.parameters():
            parameter.normal_(0.0, 1.0)
    return bottleneck


def test_likelihoods_of_all_integers_sum_to_one():
    bottleneck = random_bottleneck(3)
    medians = bottleneck.medians().numpy()
    grid = np.arange(-3000, 3001, dtype=np.float64)
    values = medians[:, None] + grid[None, :]
    with torch.no_grad():
        masses = bottleneck.likelihoods(latents_of(values)).numpy()[:, :, 0, 0]
    # The integers telescope c(+inf) - c(-inf) = 1; clamped tails add at most 6001e-9.
    np.testing.assert_allclose(masses.sum(axis=0), 1.0, atol=1e-5)
    # The cumulative is increasing and its median has c = 1/2.
    with torch.no_grad():
        at_median = torch.sigmoid(
            bottleneck.cumulative_logits(torch.from_numpy(medians)[:, None, None])
        )
        steps = bottleneck.cumulative_logits(torch.from_numpy(values)[:, None, :]).numpy()
    np.testing.assert_allclose(at_median.numpy().ravel(), 0.5, atol=1e-12)
    assert (np.diff(steps[:, 0, :], axis=1) >= 0).all()


def test_bits_are_minus_log2_likelihoods_of_a_logistic():
    rng = np.random.default_rng(4)
    loc, scale = np.array([1.0, -1.0]), np.array([2.0, 0.7])
    bottleneck = logistic_bottleneck(loc, scale, (3, 3, 3), rng)
    values = np.round(rng.normal(0, 3, size=(2, 30)))
    with torch.no_grad():
        bits = total_bits(bottleneck.likelihoods(latents_of(values))).item()
    masses = logistic.cdf(values + 0.5, loc[:, None], scale[:, None]) - logistic.cdf(
        values - 0.5, loc[:, None], scale[:, None]
    )
    assert bits == pytest.approx(-np.log2(masses).sum(), rel=1e-10)


def test_noise_in_training_rounding_around_medians_in_evaluation():
    bottleneck = random_bottleneck(5)
    latents = torch.randn(8, 4, 3, 3, dtype=torch.float64) * 5
    bottleneck.train()
    noisy, _ = bottleneck(latents)
    offset = (noisy - latents).numpy()
    assert offset.min() >= -0.5 and offset.max() < 0.5 and offset.std() > 0.2
    bottleneck.eval()
    rounded, likelihoods = bottleneck(latents)
    medians = bottleneck.medians().numpy().reshape(1, 4, 1, 1)
    steps = rounded.numpy() - medians
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert np.abs(rounded.numpy() - latents.numpy()).max() <= 0.5 + 1e-9
    np.testing.assert_array_equal(
        likelihoods.detach().numpy(), bottleneck.likelihoods(rounded).detach().numpy()
    )


# --- GDN ----------------------------------------------------------------------------------


@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_against_its_formula(inverse):
    rng = np.random.default_rng(6)
    channels = 5
    beta = rng.uniform(0.5, 2.0, size=channels)
    gamma = rng.uniform(0.0, 0.5, size=(channels, channels))
    x = rng.normal(size=(2, channels, 4, 3))
    gdn = GDN(channels, inverse=inverse).double()
    gdn.assign(torch.from_numpy(beta), torch.from_numpy(gamma))
    np.testing.assert_allclose(gdn.beta.detach().numpy(), beta, rtol=1e-12)
    np.testing.assert_allclose(gdn.gamma.detach().numpy(), gamma, rtol=1e-9, atol=1e-12)
    # y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2) at every pixel (IGDN: times).
    root = np.sqrt(beta[None, :, None, None] + np.einsum("ij,bjhw->bihw", gamma, x**2))
    expected = x * root if inverse else x / root
    with torch.no_grad():
        ours = gdn(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_gdn_starts_as_balle_initialises_it():
    gdn = GDN(3)
    np.testing.assert_allclose(gdn.beta.detach().numpy(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(gdn.gamma.detach().numpy(), 0.1 * np.eye(3), atol=1e-6)


def test_gdn_bound_passes_gradients_that_lift_a_parameter():
    # A stored root below the bound (value clamped to 0) gets the gradient of a loss that
    # wants the value larger, but not of one that wants it smaller.
    for sign, moves in ((-1.0, True), (1.0, False)):
        gdn = GDN(2)
        with torch.no_grad():
            gdn.gamma_raw[0, 1] = 0.0
        assert gdn.gamma[0, 1].item() == 0.0
        (sign * gdn.gamma[0, 1]).backward()
        assert (gdn.gamma_raw.grad[0, 1].item() != 0.0) == moves


# --- model --------------------------------------------------------------------------------


@pytest.mark.parametrize(("height", "width"), [(32, 32), (64, 48)])
def test_model_shapes(height, width):
    torch.manual_seed(0)
    model = FactorizedPriorAutoencoder(13, intermediate_channels=8, latent_channels=5)
    out = model(torch.randn(2, 13, height, width))
    assert out["latents"].shape == (2, 5, height // 16, width // 16)
    assert out["likelihoods"].shape == out["latents"].shape
    assert out["x_hat"].shape == (2, 13, height, width)
    analysis = [type(layer).__name__ for layer in model.analysis]
    assert analysis == ["Conv2d", "GDN", "Conv2d", "GDN", "Conv2d", "GDN", "Conv2d"]
    assert [layer.inverse for layer in model.synthesis if isinstance(layer, GDN)] == [True] * 3


def test_rate_distortion_loss_is_bpp_plus_lambda_mse_in_8_bit_units():
    torch.manual_seed(1)
    model = FactorizedPriorAutoencoder(13, 8, 5).eval()
    images = torch.rand(3, 13, 32, 32)
    with torch.no_grad():
        out = model(images)
        loss, rate, distortion = rate_distortion_loss(images, out, 0.1)
    likelihoods = out["likelihoods"].numpy().astype(np.float64)
    bpp = -np.log2(likelihoods).sum() / (3 * 32 * 32)
    # CompressAI's RateDistortionLoss: lambda * 255^2 * MSE of [0, 1] images + bpp.
    mse = 255**2 * np.mean((out["x_hat"].numpy().astype(np.float64) - images.numpy()) ** 2)
    assert rate.item() == pytest.approx(bpp, rel=1e-5)
    assert distortion.item() == pytest.approx(mse, rel=1e-5)
    assert loss.item() == pytest.approx(bpp + 0.1 * mse, rel=1e-5)


# --- pooling ------------------------------------------------------------------------------


def test_pooling_averages_blocks_channel_by_channel():
    rng = np.random.default_rng(7)
    latents = rng.normal(size=(2, 3, 8, 8)).astype(np.float32)
    ours = pooled_latents(torch.from_numpy(latents), 4).numpy()
    blocks = latents.reshape(2, 3, 4, 2, 4, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(ours, blocks.reshape(2, -1), rtol=1e-6)


def test_pooling_keeps_a_latent_smaller_than_the_pool():
    latents = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    ours = pooled_latents(torch.from_numpy(latents), 4).numpy()
    np.testing.assert_array_equal(ours, latents.reshape(2, -1))


# --- training and the encoder on a tiny synthetic store -----------------------------------


@pytest.fixture(scope="module")
def tiny_store(small_synthetic_dataset):
    folder = small_synthetic_dataset
    samples = pd.read_parquet(folder / "samples.parquet")
    train_rows = samples.loc[samples["split_random"] == "train", "row"].to_numpy()
    return folder, train_rows


def train(tiny_store, out, **settings):
    folder, train_rows = tiny_store
    settings = TrainingSettings(**{"lmbda": 0.1, "epochs": 1, **TINY, **settings})
    curve = train_compressor(
        folder / "cubes.zarr", train_rows, out / "model.pt", out / "curve.csv", settings
    )
    return curve, load_checkpoint(out / "model.pt")


@pytest.fixture(scope="module")
def trained(tiny_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("trained")
    curve, state = train(tiny_store, out, lmbda=0.5)
    return out / "model.pt", curve, state


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_one_epoch_writes_checkpoint_and_curve(trained, tiny_store):
    path, _, state = trained
    written = pd.read_csv(path.parent / "curve.csv")
    assert list(written.columns) == list(CURVE_COLUMNS) and len(written) == 1
    assert np.isfinite(written[["loss", "bpp", "mse"]].to_numpy()).all()
    np.testing.assert_allclose(written["loss"], written["bpp"] + 0.5 * written["mse"], rtol=1e-6)
    assert state["epoch"] == 1 and state["settings"]["lmbda"] == 0.5
    assert state["n_images"] == 4 * len(tiny_store[1])
    assert not partial_path_of(path).exists()


def test_training_is_deterministic(tiny_store, tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    curve_a, a = train(tiny_store, tmp_path / "a", epochs=2)
    curve_b, b = train(tiny_store, tmp_path / "b", epochs=2)
    assert_same_weights(a["model"], b["model"])
    pd.testing.assert_frame_equal(curve_a.drop(columns="seconds"), curve_b.drop(columns="seconds"))
    _, c = train(tiny_store, tmp_path / "c", epochs=2, seed=1)
    assert not torch.equal(a["model"]["analysis.0.weight"], c["model"]["analysis.0.weight"])


def test_resuming_from_a_partial_checkpoint_ends_with_the_same_weights(tiny_store, tmp_path):
    for name in ("whole", "first", "resumed"):
        (tmp_path / name).mkdir()
    curve_whole, whole = train(tiny_store, tmp_path / "whole", epochs=3)
    # A run that stopped after epoch 1 left its state; the resumed run finds it as its
    # partial checkpoint and trains epochs 2 and 3 only.
    _, first = train(tiny_store, tmp_path / "first", epochs=1)
    shutil.copy(tmp_path / "first" / "model.pt", partial_path_of(tmp_path / "resumed" / "model.pt"))
    curve_resumed, resumed = train(tiny_store, tmp_path / "resumed", epochs=3)
    assert resumed["epoch"] == 3
    assert_same_weights(whole["model"], resumed["model"])
    pd.testing.assert_frame_equal(
        curve_whole.drop(columns="seconds"), curve_resumed.drop(columns="seconds")
    )
    assert curve_resumed["seconds"].iloc[0] == first["history"][0]["seconds"]
    # The optimizer moments were restored too: Adam's step counts carried on.
    for index, moments in whole["optimizer"]["state"].items():
        assert torch.equal(resumed["optimizer"]["state"][index]["step"], moments["step"])
        assert torch.equal(
            resumed["optimizer"]["state"][index]["exp_avg_sq"], moments["exp_avg_sq"]
        )


def test_a_partial_checkpoint_of_other_settings_is_not_resumed(tiny_store, tmp_path):
    for name in ("whole", "other", "fresh"):
        (tmp_path / name).mkdir()
    _, whole = train(tiny_store, tmp_path / "whole", epochs=2)
    train(tiny_store, tmp_path / "other", epochs=1, lmbda=0.025)
    shutil.copy(tmp_path / "other" / "model.pt", partial_path_of(tmp_path / "fresh" / "model.pt"))
    _, fresh = train(tiny_store, tmp_path / "fresh", epochs=2)
    assert_same_weights(whole["model"], fresh["model"])


def test_training_settings_errors_name_the_config_key():
    with pytest.raises(EobenchError, match=r"compression.training: unknown setting"):
        TrainingSettings.from_params({"lmbda": 0.1, "epoch": 3}, "compression.training")
    with pytest.raises(EobenchError, match=r"compression.training: epochs must be"):
        TrainingSettings.from_params({"lmbda": 0.1, "epochs": 0}, "compression.training")


def test_images_are_cropped_to_multiples_of_16(tmp_path):
    images = np.arange(2 * 13 * 40 * 21, dtype=np.uint16).reshape(2, 13, 40, 21)
    cropped = centre_crop(images, "store")
    np.testing.assert_array_equal(cropped, images[..., 4:36, 2:18])
    with pytest.raises(EobenchError, match=r"store: s2l1c images of 40x15 pixels"):
        centre_crop(images[..., :15], "store")


def test_encoder_embeds_the_unrounded_latents(trained, tiny_store):
    path, _, state = trained
    folder, _ = tiny_store
    store = CubeStore(folder / "cubes.zarr")
    encoder = build_encoder({"type": "compressor", "checkpoint": str(path)}, 1024, 0)
    rows = np.arange(5)
    cubes = {"s2l1c": store.read("s2l1c", rows)}
    ids = [store.sample_ids[r] for r in rows]
    pre = encode_batch(encoder, cubes, rows, ids, "pre")
    post = encode_batch(encoder, cubes, rows, ids, "post")
    assert pre.shape == post.shape == (5, 1024) and pre.dtype == np.float32
    # Reference: the analysis transform of the checkpoint's weights on the images as
    # reflectance in [0, 1]; a 2x2 latent of 6 channels is 24 values, zero-padded to N.
    model = FactorizedPriorAutoencoder(**state["architecture"])
    model.load_state_dict(state["model"])
    normalised = np.clip(cubes["s2l1c"].astype(np.float32) / 10000.0, 0.0, 1.0)
    with torch.no_grad():
        per_season = np.stack(
            [model.analysis(torch.from_numpy(normalised[:, t])).numpy() for t in range(4)], 1
        )
        seasons_mean = model.analysis(torch.from_numpy(normalised.mean(axis=1))).numpy()
    np.testing.assert_allclose(post[:, :24], per_season.mean(axis=1).reshape(5, -1), atol=1e-5)
    np.testing.assert_allclose(pre[:, :24], seasons_mean.reshape(5, -1), atol=1e-5)
    assert not pre[:, 24:].any() and not post[:, 24:].any()
    # Not rounded: the latents are not on the integer grid around the medians.
    assert np.abs(post[:, :24] - np.round(post[:, :24])).max() > 0.05
    metadata = encoder.metadata()
    assert metadata["checkpoint_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert metadata["lambda"] == 0.5 and metadata["pool_size"] == 4


def test_encoder_runs_through_extraction_with_pre_and_post(trained, tiny_store, tmp_path):
    path, _, _ = trained
    folder, _ = tiny_store
    tables = {}
    for aggregation in ("pre", "post"):
        out = tmp_path / f"{aggregation}.parquet"
        extract_embeddings(
            folder / "cubes.zarr",
            out,
            {"type": "compressor", "checkpoint": str(path)},
            aggregation,
            embedding_dim=64,
            seed=0,
            train_ids=None,
            device="cpu",
            progress=False,
        )
        ids, tables[aggregation] = load_embeddings(out, 64)
        assert len(ids) == 40
    assert np.isfinite(tables["pre"]).all() and tables["pre"].any()
    assert not np.allclose(tables["pre"], tables["post"])


def test_a_missing_checkpoint_names_the_config_key(tmp_path):
    spec = {"type": "compressor", "checkpoint": str(tmp_path / "absent.pt")}
    with pytest.raises(EobenchError, match=r"config key encoders.compressor: checkpoint: .*absent"):
        build_encoder(spec, 1024, 0, key="encoders.compressor")
    with pytest.raises(EobenchError, match=r"'checkpoint' .* is required"):
        build_encoder({"type": "compressor"}, 1024, 0, key="encoders.compressor")
