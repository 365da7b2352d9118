"""Pretraining library: masks, losses on hand-made tensors, backbones' masking, the methods
registry, resumable and seeded training, checkpoints and their metadata checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from eobench.errors import EobenchError
from eobench.pretraining.backbones import ConvNeXtV2, ViT
from eobench.pretraining.losses import (
    ema_update,
    info_nce,
    latent_prediction_loss,
    masked_patch_mse,
    multi_pretext_loss,
)
from eobench.pretraining.masking import (
    context_target_masks,
    n_masked,
    patchify,
    random_mask,
    unpatchify,
)

# -- masks -----------------------------------------------------------------------------


@pytest.mark.parametrize("ratio", [0.1, 0.25, 0.5, 0.6, 0.75, 0.9])
def test_random_mask_hides_exactly_the_ratio_in_every_row(ratio):
    mask = random_mask(64, 16, ratio, torch.Generator().manual_seed(0))
    assert mask.shape == (64, 16)
    assert (mask.sum(dim=1) == round(ratio * 16)).all()
    # rows are drawn independently: not all the same
    assert len({tuple(row.tolist()) for row in mask}) > 1


def test_random_mask_is_the_same_under_the_same_seed_and_uniform():
    a = random_mask(8, 49, 0.75, torch.Generator().manual_seed(3))
    b = random_mask(8, 49, 0.75, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    # every patch is hidden about 75 % of the time over many draws
    many = random_mask(4000, 16, 0.75, torch.Generator().manual_seed(1)).float().mean(0)
    assert torch.allclose(many, torch.full((16,), 0.75), atol=0.03)


def test_n_masked_keeps_one_visible_and_one_hidden_patch():
    assert n_masked(4, 0.99) == 3
    assert n_masked(4, 0.01) == 1
    assert n_masked(100, 0.75) == 75


def test_context_and_target_masks_are_disjoint_with_exact_sizes():
    context, target = context_target_masks(32, 16, 0.25, 0.6, torch.Generator().manual_seed(0))
    assert (target.sum(1) == 4).all()
    assert (context.sum(1) == round(0.6 * 16)).all()
    assert not (context & target).any()


def test_patchify_orders_patches_row_major_with_channels_last():
    image = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4)
    patches = patchify(image, 2)
    assert patches.shape == (1, 4, 8)
    # first patch: pixels (0,0), (0,1), (1,0), (1,1), each with its 2 channels
    expected = [0, 16, 1, 17, 4, 20, 5, 21]
    assert patches[0, 0].tolist() == expected
    # second patch is the top-right one: columns 2-3 of rows 0-1
    assert patches[0, 1, 0].item() == 2.0
    assert torch.equal(unpatchify(patches, 2, 2, 4), image)


# -- losses ------------------------------------------------------------------------------


def test_masked_patch_mse_counts_masked_patches_only():
    target = torch.zeros(1, 3, 2)
    prediction = torch.tensor([[[1.0, 1.0], [2.0, 0.0], [5.0, 5.0]]])
    mask = torch.tensor([[True, True, False]])
    # patch errors: mean(1, 1) = 1, mean(4, 0) = 2; the third is visible: (1 + 2) / 2
    assert masked_patch_mse(prediction, target, mask).item() == pytest.approx(1.5)
    changed = prediction.clone()
    changed[0, 2] = 100.0
    assert masked_patch_mse(changed, target, mask).item() == pytest.approx(1.5)
    # missing pixels leave each patch's mean: patch 2 keeps only its first value (4)
    valid = torch.tensor([[[1.0, 1.0], [1.0, 0.0], [1.0, 1.0]]])
    assert masked_patch_mse(prediction, target, mask, valid).item() == pytest.approx(2.5)


def direct_info_nce(a, b, temperature):
    """InfoNCE pair by pair with plain Python sums (the reference)."""

    def unit(x):
        norm = math.sqrt(sum(v * v for v in x))
        return [v / norm for v in x]

    a, b = [unit(x) for x in a.tolist()], [unit(x) for x in b.tolist()]
    n = len(a)

    def sim(x, y):
        return sum(p * q for p, q in zip(x, y, strict=True)) / temperature

    a_to_b = [
        -sim(a[i], b[i]) + math.log(sum(math.exp(sim(a[i], b[j])) for j in range(n)))
        for i in range(n)
    ]
    b_to_a = [
        -sim(b[i], a[i]) + math.log(sum(math.exp(sim(b[i], a[j])) for j in range(n)))
        for i in range(n)
    ]
    return 0.5 * (sum(a_to_b) / n + sum(b_to_a) / n)


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_info_nce_matches_a_direct_per_pair_computation(temperature):
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    b = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    assert info_nce(a, b, temperature).item() == pytest.approx(
        direct_info_nce(a, b, temperature), rel=1e-10
    )
    # symmetric in its arguments
    assert info_nce(b, a, temperature).item() == pytest.approx(info_nce(a, b, temperature).item())


def test_info_nce_is_log_n_for_identical_embeddings_and_low_for_matched_pairs():
    same = torch.ones(4, 3)
    assert info_nce(same, same, 0.1).item() == pytest.approx(math.log(4))
    eye = torch.eye(4)
    assert info_nce(eye, eye, 0.05).item() < 1e-6


def test_ema_update_follows_the_closed_form():
    teacher, student = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    with torch.no_grad():
        for p in teacher.parameters():
            p.fill_(1.0)
        for p in student.parameters():
            p.fill_(3.0)
    ema_update(teacher, student, 0.9)
    assert torch.allclose(teacher.weight, torch.full((1, 2), 1.2))
    for _ in range(9):
        ema_update(teacher, student, 0.9)
    # after k steps towards a fixed student: 3 - 2 * 0.9^k
    assert torch.allclose(teacher.weight, torch.full((1, 2), 3 - 2 * 0.9**10))
    assert torch.allclose(student.weight, torch.full((1, 2), 3.0))


def test_multi_pretext_loss_mse_and_cross_entropy_masked_where_missing():
    generator = torch.Generator().manual_seed(0)
    continuous = torch.randn(2, 1, 2, 2, generator=generator)
    target = torch.randn(2, 1, 2, 2, generator=generator)
    valid = torch.tensor([[[[1, 1], [1, 0]]], [[[0, 0], [0, 0]]]], dtype=torch.bool)
    logits = torch.randn(2, 3, 2, 2, generator=generator)
    classes = torch.tensor([[[0, 2], [1, 1]], [[2, 2], [0, 1]]])
    class_valid = torch.tensor([[[1, 1], [0, 1]], [[1, 1], [1, 1]]], dtype=torch.bool)
    loss, terms = multi_pretext_loss(
        {"elevation": continuous, "landcover": logits},
        {"elevation": target, "landcover": classes},
        {"elevation": valid, "landcover": class_valid},
        {"elevation": "continuous", "landcover": "categorical"},
    )
    # sample 1 has 3 valid pixels, sample 2 none: the MSE over sample 1's valid pixels
    expected_mse = ((continuous[0] - target[0])[valid[0]] ** 2).mean()
    per_pixel = F.cross_entropy(logits, classes, reduction="none")
    expected_ce = 0.5 * (per_pixel[0][class_valid[0]].mean() + per_pixel[1].mean())
    assert terms["elevation"] == pytest.approx(expected_mse.item(), rel=1e-6)
    assert terms["landcover"] == pytest.approx(expected_ce.item(), rel=1e-6)
    assert loss.item() == pytest.approx(0.5 * (expected_mse + expected_ce).item(), rel=1e-6)


def test_latent_prediction_loss_normalises_the_teacher_and_counts_targets_only():
    teacher = torch.tensor([[[1.0, 3.0], [10.0, 20.0]]])  # layer norm: [-1, 1] each
    prediction = torch.tensor([[[-1.0, 1.0], [0.0, 0.0]]])
    mask = torch.tensor([[True, False]])
    assert latent_prediction_loss(prediction, teacher, mask).item() == pytest.approx(0.0, abs=1e-4)
    mask = torch.tensor([[False, True]])
    assert latent_prediction_loss(prediction, teacher, mask).item() == pytest.approx(1.0, abs=1e-3)


# -- backbones ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [ViT, ConvNeXtV2])
def test_hidden_patches_do_not_reach_the_visible_tokens(cls):
    torch.manual_seed(0)
    model = cls([f"b{i}" for i in range(3)], patch_size=4, width=16, depth=2).eval()
    images = torch.randn(2, 3, 16, 16)
    visible = random_mask(2, 16, 0.5, torch.Generator().manual_seed(0))
    changed = images.clone()
    for b in range(2):
        for n in torch.nonzero(~visible[b]).flatten().tolist():
            r, c = divmod(n, 4)
            changed[b, :, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4] = 99.0
    with torch.no_grad():
        a, b = model.tokens(images, visible), model.tokens(changed, visible)
        whole = model.tokens(images)
    assert torch.allclose(a, b, atol=1e-5)
    assert (a[~visible] == 0).all()
    # without a mask every patch counts
    assert not torch.allclose(whole[visible], a[visible])


@pytest.mark.parametrize("cls", [ViT, ConvNeXtV2])
def test_backbones_embed_tiles_of_other_sizes(cls):
    model = cls(["a", "b"], patch_size=4, width=8, depth=1)
    assert model(torch.randn(1, 2, 32, 32)).shape == (1, 8, 8, 8)
    with pytest.raises(EobenchError, match="multiple of the patch size"):
        model(torch.randn(1, 2, 18, 18))


def test_vit_visible_tokens_equal_a_run_on_the_visible_patches_alone():
    torch.manual_seed(1)
    model = ViT(["a"], patch_size=2, width=8, depth=1, heads=2).eval()
    images = torch.randn(1, 1, 4, 4)
    visible = torch.tensor([[True, False, False, True]])
    with torch.no_grad():
        tokens = model.tokens(images, visible)
        embedded = model.embed(images).flatten(2).transpose(1, 2)
        from eobench.encoders.patch_transformer import sinusoidal_positions

        kept = (embedded + sinusoidal_positions(2, 2, 8))[:, [0, 3]]
        for block in model.blocks:
            kept = block(kept)
        kept = model.norm(kept)
    assert torch.allclose(tokens[:, [0, 3]], kept, atol=1e-6)


# -- registry ----------------------------------------------------------------------------


def test_method_tables_match_the_classes():
    from eobench.pretraining.config import METHOD_NEEDS
    from eobench.pretraining.methods import METHOD_MODULES, method_type

    assert set(METHOD_MODULES) == set(METHOD_NEEDS)
    for name in METHOD_MODULES:
        cls = method_type({"method": name}, "test")
        assert cls.name == name
        assert cls.needs == METHOD_NEEDS[name]


def test_unknown_method_names_the_key():
    from eobench.pretraining.methods import method_type

    with pytest.raises(EobenchError, match=r"pretraining\.methods\.x\.method: unknown"):
        method_type({"method": "simclr"}, "pretraining.methods.x")


def test_geomeld_uses_only_its_weighted_parts():
    from eobench.pretraining.config import uses

    needs, blocks = uses({"method": "geomeld", "weights": {"mpmae": 1, "jepa": 1, "itc": 0}})
    assert needs == {"reconstruct"}
    assert blocks == ("mae", "jepa")
    needs, blocks = uses({"method": "geomeld", "weights": {"itc": 2}})
    assert needs == {"captions"} and blocks == ("itc", "text")


# -- training: seeded and resumable ------------------------------------------------------

OBJECTIVES = {
    "mae": {"mask_ratio": 0.75, "decoder_width": 16},
    "jepa": {"target_ratio": 0.25, "context_ratio": 0.5, "ema_momentum": 0.9,
             "predictor_width": 16},
    "itc": {"temperature": 0.1, "projection": 8},
    "text": {"width": 16, "depth": 1, "heads": 2, "max_tokens": 6},
    "seasonal": {"temperature": 0.1, "projection": 8},
}  # fmt: skip


def hand_made_data(n=16, seed=0):
    from eobench.pretraining.data import PretrainingTensors

    g = torch.Generator().manual_seed(seed)
    s2 = torch.randn(n, 3, 8, 8, generator=g)
    return PretrainingTensors(
        s2=s2,
        s2_valid=torch.ones(n, 1, 8, 8, dtype=torch.bool),
        targets={"elevation": torch.randn(n, 1, 8, 8, generator=g),
                 "landcover_esa": torch.randint(0, 4, (n, 8, 8), generator=g)},
        valid={"elevation": torch.ones(n, 1, 8, 8, dtype=torch.bool),
               "landcover_esa": torch.ones(n, 8, 8, dtype=torch.bool)},
        # the seasons of a place share its image (what seasonal contrast can learn)
        seasons=s2[:, None] + 0.3 * torch.randn(n, 4, 3, 8, 8, generator=g),
        season_valid=torch.ones(n, 4, dtype=torch.bool),
        records=[],
        text=torch.randint(2, 20, (n, 6), generator=g),
    )  # fmt: skip


def hand_made_method(kind, seed=0, **options):
    from eobench.pretraining.methods import MethodContext, build_method

    context = MethodContext(
        ["a", "b", "c"], 8, {"elevation": "continuous", "landcover_esa": "categorical"},
        {"elevation": "pixel", "landcover_esa": "pixel"}, {"elevation": 1, "landcover_esa": 4},
        20,
    )  # fmt: skip
    torch.manual_seed(seed)
    backbone = ConvNeXtV2(context.channels, patch_size=2, width=16, depth=1)
    spec = {"method": kind, "backbone": "x", **options}
    return build_method(spec, backbone, OBJECTIVES, context, "test")


SETTINGS = dict(epochs=2, batch_size=8, learning_rate=2e-3)


@pytest.mark.parametrize(
    "kind, options",
    [("mae", {}), ("mpmae", {}), ("jepa", {}), ("itc", {}), ("seasonal", {}),
     ("geomeld", {"weights": {"mpmae": 1.0, "jepa": 0.5, "itc": 1.0}})],
)  # fmt: skip
def test_training_lowers_each_methods_loss(kind, options):
    from eobench.pretraining.train import PretrainingSettings, pretrain

    settings = PretrainingSettings(**{**SETTINGS, "epochs": 3})
    method = hand_made_method(kind, **options)
    torch.manual_seed(0)
    rows = pretrain(method, hand_made_data(), hand_made_data(8, 1), settings, 5, "cpu").rows
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert all(math.isfinite(r["val_loss"]) for r in rows)


def test_same_seed_same_weights():
    from eobench.pretraining.train import PretrainingSettings, pretrain

    options = {"weights": {"mpmae": 1.0, "jepa": 0.5, "itc": 1.0}}  # every component
    states, curves = [], []
    for seed in (5, 5, 6):
        method = hand_made_method("geomeld", **options)
        rows = pretrain(method, hand_made_data(), hand_made_data(8, 1),
                        PretrainingSettings(**SETTINGS), seed, "cpu").rows  # fmt: skip
        states.append(method.state_dict())
        curves.append(rows)
    for name, value in states[0].items():
        assert torch.equal(value, states[1][name]), name
    assert curves[0] == curves[1]
    # another seed draws other batches and masks
    assert curves[2] != curves[0]


class Killed(Exception):
    pass


class KilledAfter:
    """The training data, killing the run when batch ``limit`` is asked for."""

    def __init__(self, data, limit):
        self.data, self.limit, self.calls = data, limit, 0

    def __len__(self):
        return len(self.data)

    def batch(self, index, device):
        self.calls += 1
        if self.calls > self.limit:
            raise Killed
        return self.data.batch(index, device)


def test_a_killed_run_resumes_to_the_same_weights(tmp_path):
    from eobench.pretraining.train import PretrainingSettings, pretrain

    settings = PretrainingSettings(**SETTINGS)
    kind, options = "geomeld", {"weights": {"mpmae": 1.0, "jepa": 1.0, "itc": 1.0}}
    straight = hand_made_method(kind, **options)
    torch.manual_seed(0)
    full = pretrain(straight, hand_made_data(), hand_made_data(8, 1), settings, 5, "cpu")

    state = tmp_path / "state.pt"
    resumed = hand_made_method(kind, **options)
    torch.manual_seed(0)
    with pytest.raises(Killed):  # 2 batches per epoch: killed inside epoch 2
        pretrain(resumed, KilledAfter(hand_made_data(), 3), hand_made_data(8, 1), settings, 5,
                 "cpu", state, "sig")  # fmt: skip
    assert torch.load(state, weights_only=False)["epoch"] == 1
    again = hand_made_method(kind, **options)
    torch.manual_seed(123)  # the resumed run restores its own generator states
    rows = pretrain(again, hand_made_data(), hand_made_data(8, 1), settings, 5, "cpu", state, "sig")
    for name, value in straight.state_dict().items():
        assert torch.equal(value, again.state_dict()[name]), name
    assert rows.rows == full.rows


def test_random_init_trains_nothing():
    from eobench.pretraining.train import PretrainingSettings, pretrain

    method = hand_made_method("random_init")
    before = {k: v.clone() for k, v in method.state_dict().items()}
    rows = pretrain(method, hand_made_data(), hand_made_data(8, 1),
                    PretrainingSettings(**SETTINGS), 5, "cpu")  # fmt: skip
    assert rows.rows == []
    assert all(torch.equal(before[k], v) for k, v in method.state_dict().items())


def test_two_seasons_are_distinct_and_valid():
    from eobench.pretraining.methods.seasonal import two_seasons

    valid = torch.tensor([[True, False, True, False], [True, True, True, True]]).repeat(50, 1)
    pick = two_seasons(valid, torch.Generator().manual_seed(0))
    assert (pick[:, 0] != pick[:, 1]).all()
    assert valid.gather(1, pick).all()


# -- retrieval ---------------------------------------------------------------------------


def test_recall_at_k_by_hand():
    from eobench.pretraining.evaluate import recall_at_k

    similarity = np.array([[0.9, 0.1, 0.0], [0.8, 0.5, 0.1], [0.2, 0.3, 0.1]])
    # own ranks: row 0 -> 1, row 1 -> 2, row 2 -> 3
    assert recall_at_k(similarity, [1, 2, 3]) == {1: 1 / 3, 2: 2 / 3, 3: 1.0}


# -- DistributedDataParallel (the torchrun path), on CPU with two ranks ------------------


def _ddp_rank(rank: int, world: int, port: int, out: str) -> None:
    import os

    from eobench.pretraining.train import PretrainingSettings, pretrain

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))  # fmt: skip
    torch.set_num_threads(1)
    method = hand_made_method("geomeld", weights={"mpmae": 1.0, "jepa": 1.0, "itc": 1.0})
    rows = pretrain(method, hand_made_data(), hand_made_data(8, 1),
                    PretrainingSettings(**SETTINGS), 5, "cpu").rows  # fmt: skip
    torch.save({"state": method.state_dict(), "rows": rows}, f"{out}/rank{rank}.pt")
    torch.distributed.destroy_process_group()


def test_ddp_ranks_train_in_step(tmp_path):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_rank, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2)]
    for name, value in ranks[0]["state"].items():
        assert torch.allclose(value, ranks[1]["state"][name], atol=1e-6), name
    # each rank saw half of every epoch: 16 samples, batches of 8 -> 1 step per epoch
    untrained = hand_made_method("geomeld", weights={"mpmae": 1.0, "jepa": 1.0, "itc": 1.0})
    changed = [k for k, v in untrained.state_dict().items()
               if not torch.equal(v, ranks[0]["state"][k])]  # fmt: skip
    assert changed
