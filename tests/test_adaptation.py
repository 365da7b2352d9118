"""The adaptation stage: data preparation, models, the training loop, jobs and their errors."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from eobench.adaptation import training
from eobench.adaptation.backbones import build_backbone
from eobench.adaptation.config import check_adaptation
from eobench.adaptation.data import Standardiser, read_modalities
from eobench.adaptation.modalities import MODALITIES, InputChannels
from eobench.adaptation.modes import get_mode
from eobench.adaptation.results import METRIC_COLUMNS, gather_metrics, read_metrics
from eobench.adaptation.run import JobData, build_model, make_job, run_training_job
from eobench.adaptation.splits import write_splits
from eobench.adaptation.tasks import get_task, task_score
from eobench.adaptation.test_time import run_ttt_job
from eobench.adaptation.training import TrainingSettings, learning_rate_factor, train
from eobench.data.store import CubeStore
from eobench.errors import EobenchError

RECONSTRUCT = list(MODALITIES)
VIT = {"type": "vit", "patch_size": 4, "width": 16, "depth": 1, "heads": 2}
TTT = {"max_steps": 3, "learning_rate": 0.01, "batch_size": 8, "batch_seed": 42,
       "geo_max_group": 16}  # fmt: skip


@pytest.fixture(scope="module")
def mmearth(tmp_path_factory):
    """A 90-sample MMEarth dataset of 16 px tiles and its splits on disk."""
    from eobench.data.synth import build_synthetic_dataset

    folder = tmp_path_factory.mktemp("mmearth")
    build_synthetic_dataset(
        folder / "cubes.zarr", folder / "samples.parquet", folder / "labels",
        n_samples=90, size=16, seed=5, families=["mmearth"], progress=False,
    )  # fmt: skip
    write_splits(folder / "samples.parquet", folder / "splits.parquet", dataset_key="datasets.t")
    return folder


def job(mode="FT", subset="train_100", tasks=("biomass", "species"), epochs=2, seed=41):
    return make_job("t", "vit", VIT, "s2", {"sentinel2": None}, mode, subset, seed, tasks,
                    RECONSTRUCT, {"epochs": epochs})  # fmt: skip


# --- schedule, standardisation, encodings -------------------------------------------------


def test_learning_rate_warms_up_linearly_then_decays_by_cosine_to_the_floor():
    total, warmup, floor = 100, 10, 0.01
    factors = [learning_rate_factor(s, total, warmup, floor) for s in range(total)]
    assert factors[:warmup] == pytest.approx([(s + 1) / warmup for s in range(warmup)])
    assert factors[warmup] == pytest.approx(1.0)
    halfway = warmup + (total - warmup) // 2
    assert factors[halfway] == pytest.approx(floor + (1 - floor) * 0.5)
    assert learning_rate_factor(total, total, warmup, floor) == pytest.approx(floor)
    assert all(a >= b for a, b in zip(factors[warmup:], factors[warmup + 1 :], strict=False))


def test_standardiser_uses_only_valid_values_and_fills_missing_with_zero():
    values = np.array([[[[1.0, 3.0]]], [[[5.0, 0.0]]]], dtype=np.float32)  # [2, 1, 1, 2]
    valid = np.array([[[[True, True]]], [[[True, False]]]])
    standardiser = Standardiser.fit({"elevation": (values, valid)})
    mean, std = standardiser.moments["elevation"]
    assert mean[0] == pytest.approx(3.0) and std[0] == pytest.approx(np.std([1.0, 3.0, 5.0]))
    z = standardiser.apply("elevation", values, valid)
    assert z[1, 0, 0, 1] == 0.0
    assert z[0, 0, 0, 0] == pytest.approx((1.0 - 3.0) / np.std([1.0, 3.0, 5.0]))
    restored = Standardiser.from_state(standardiser.state())
    assert np.array_equal(restored.apply("elevation", values, valid), z)


def test_location_is_a_unit_vector_and_the_month_a_point_on_the_circle(mmearth):
    store = CubeStore(mmearth / "cubes.zarr")
    rows = np.arange(10)
    raw = read_modalities(store, rows, ["geolocation", "month"])
    location, _ = raw["geolocation"]
    lat, lon = np.radians(store.read("geolocation", rows)).T
    assert np.allclose(np.linalg.norm(location, axis=1), 1.0, atol=1e-6)
    assert np.allclose(location[:, 2], np.sin(lat), atol=1e-6)
    assert np.allclose(np.arctan2(location[:, 1], location[:, 0]), lon, atol=1e-5)
    month, _ = raw["month"]
    angle = 2 * np.pi * store.read("month", rows).reshape(-1) / 12
    assert np.allclose(month, np.stack([np.cos(angle), np.sin(angle)], axis=1), atol=1e-6)


def test_sentinel_inputs_are_read_at_each_samples_acquisition_season(mmearth):
    store = CubeStore(mmearth / "cubes.zarr")
    rows = np.arange(6)
    values, _ = read_modalities(store, rows, ["sentinel2"])["sentinel2"]
    seasons = store.read("acquisition_season", rows).reshape(-1)
    cubes = store.read("s2l2a", rows)
    for i, season in enumerate(seasons):
        assert np.array_equal(values[i], cubes[i, season].astype(np.float32))


def test_r2_leaves_unlabelled_pixels_out_and_map_classes_without_positives():
    target = np.array([1.0, 2.0, np.nan, 4.0])
    prediction = np.array([1.5, 2.0, 100.0, 3.0])
    known = ~np.isnan(target)
    sse = np.sum((target[known] - prediction[known]) ** 2)
    sst = np.sum((target[known] - target[known].mean()) ** 2)
    assert task_score(get_task("soil_ph"), prediction, target) == pytest.approx(1 - sse / sst)
    labels = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 1]])
    scores = np.array([[0.9, 0.5, 0.2], [0.1, 0.4, 0.8], [0.8, 0.3, 0.3]])
    # class 1 has no positive: left out; classes 0 and 2 are ranked perfectly
    assert task_score(get_task("species"), scores, labels) == pytest.approx(1.0)


# --- models -----------------------------------------------------------------------------


def test_galileo_backbone_unmasks_only_the_groups_of_its_inputs():
    from eobench.encoders.galileo.bands import SPACE_TIME_GROUPS

    rgb = ["sentinel2:B04", "sentinel2:B03", "sentinel2:B02"]
    spec = {"type": "galileo", "pretrained": False, "patch_size": 8}
    backbone = build_backbone(spec, rgb, 16, seed=0, key="k")
    masks = backbone.st_mask.tolist()
    unmasked = [g for g, m in zip(SPACE_TIME_GROUPS, masks, strict=True) if m == 0]
    assert unmasked == ["S2_RGB"]
    assert backbone.sp_mask.tolist() == [1.0, 1.0, 1.0]
    features = backbone(torch.zeros(2, 3, 16, 16))
    assert features.shape == (2, backbone.width, 2, 2)


def test_the_seed_sets_the_initialisation():
    first = build_backbone(VIT, ["a", "b"], 16, seed=1, key="k")
    again = build_backbone(VIT, ["a", "b"], 16, seed=1, key="k")
    other = build_backbone(VIT, ["a", "b"], 16, seed=2, key="k")
    assert torch.equal(first.embed.weight, again.embed.weight)
    assert not torch.equal(first.embed.weight, other.embed.weight)


def test_heads_follow_the_targets_kind(mmearth):
    store = CubeStore(mmearth / "cubes.zarr")
    data = JobData(store, pd.read_parquet(mmearth / "splits.parquet"), job("JT"))
    for name, shape in (("biomass", (3, 1, 16, 16)), ("species", None)):
        task = get_task(name)
        samples, _, _ = data.samples(task)
        model = build_model(job("JT"), task, store, samples["train"])
        out = model(samples["train"].inputs[:3])
        assert out.shape == (shape or (3, samples["train"].target.shape[1]))
        assert set(model.decoders) == set(RECONSTRUCT)


# --- the training loop ------------------------------------------------------------------


def _task_samples(mmearth, the_job, name="biomass"):
    store = CubeStore(mmearth / "cubes.zarr")
    data = JobData(store, pd.read_parquet(mmearth / "splits.parquet"), the_job)
    task = get_task(name)
    samples, _, _ = data.samples(task)
    return store, task, samples


def test_linear_probing_leaves_the_backbone_untouched(mmearth):
    the_job = job("LP", epochs=2)
    store, task, samples = _task_samples(mmearth, the_job)
    model = build_model(the_job, task, store, samples["train"])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = train(model, the_job.mode, task, samples["train"], samples["val"],
                   the_job.training, seed=0)  # fmt: skip
    changed = {k for k, v in result.state.items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith("head.") for k in changed)


def test_the_best_epoch_is_the_best_validation_score(mmearth):
    the_job = job("FT", epochs=4)
    store, task, samples = _task_samples(mmearth, the_job)
    model = build_model(the_job, task, store, samples["train"])
    result = train(model, the_job.mode, task, samples["train"], samples["val"],
                   the_job.training, seed=0)  # fmt: skip
    scores = [h["val_score"] for h in result.history]
    assert result.best_epoch == int(np.argmax(scores)) + 1
    assert result.best_score == max(scores)


def test_a_killed_training_resumes_from_its_last_epoch_to_the_same_numbers(
    mmearth, tmp_path, monkeypatch
):
    the_job = job("JT", epochs=4)
    store, task, samples = _task_samples(mmearth, the_job)

    def fresh():
        return build_model(the_job, task, store, samples["train"])

    args = (the_job.mode, task, samples["train"], samples["val"], the_job.training)
    uninterrupted = train(fresh(), *args, seed=3)
    save = training._save_state
    saved = []

    def killed_after_two_epochs(path, settings, epoch, *rest):
        save(path, settings, epoch, *rest)
        saved.append(epoch)
        if epoch == 2:
            raise KeyboardInterrupt  # the job is killed right after epoch 2's state

    monkeypatch.setattr(training, "_save_state", killed_after_two_epochs)
    with pytest.raises(KeyboardInterrupt):
        train(fresh(), *args, seed=3, state_path=tmp_path / "state.pt")
    monkeypatch.setattr(training, "_save_state", save)
    resumed = train(fresh(), *args, seed=3, state_path=tmp_path / "state.pt")
    assert saved == [1, 2]
    assert resumed.history == uninterrupted.history
    assert resumed.best_epoch == uninterrupted.best_epoch
    assert all(torch.equal(resumed.state[k], v) for k, v in uninterrupted.state.items())


# --- jobs -------------------------------------------------------------------------------


def test_a_training_job_writes_the_method_key_and_is_deterministic(mmearth, tmp_path):
    paths = []
    for attempt in ("a", "b"):
        out = tmp_path / attempt
        run_training_job(mmearth / "cubes.zarr", mmearth / "splits.parquet", out / "model.pt",
                         out / "metrics.csv", job("FT"), out / "state")  # fmt: skip
        paths.append(out / "metrics.csv")
    first = read_metrics(paths[0])
    assert list(first.columns) == list(METRIC_COLUMNS)
    assert len(first) == 2 * 2  # tasks x test splits
    assert set(first["test_split"]) == {"random", "geographic"}
    keys = first[["encoder", "weights", "mode", "subset", "seed"]].drop_duplicates()
    assert keys.values.tolist() == [["vit", "random_init", "FT", "train_100", 41]]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    checkpoints = torch.load(tmp_path / "a" / "model.pt", weights_only=False)
    assert set(checkpoints) == {"biomass", "species"}


def test_test_time_training_starts_from_the_jt_checkpoint(mmearth, tmp_path):
    run_training_job(mmearth / "cubes.zarr", mmearth / "splits.parquet", tmp_path / "jt.pt",
                     tmp_path / "jt.csv", job("JT"), tmp_path / "state")  # fmt: skip
    frames = []
    for mode in ("JT-TTT", "JT-TTT-Geo"):
        frames.append(run_ttt_job(
            mmearth / "cubes.zarr", mmearth / "splits.parquet", tmp_path / "jt.pt",
            tmp_path / f"{mode}.csv", tmp_path / f"{mode}_steps.csv", job(mode), TTT,
        ))  # fmt: skip
    jt = read_metrics(tmp_path / "jt.csv")
    for frame in frames:
        assert frame["ttt_steps"].between(1, TTT["max_steps"]).all()
        assert (frame["best_epoch"].to_numpy() == jt["best_epoch"].to_numpy()).all()
        assert (frame["n_test"].to_numpy() == jt["n_test"].to_numpy()).all()
    steps = pd.read_csv(tmp_path / "JT-TTT_steps.csv")
    assert list(steps["task"]) == ["biomass", "species"]
    gathered = gather_metrics([tmp_path / "jt.csv", tmp_path / "JT-TTT.csv"])
    assert len(gathered) == 8 and list(gathered.columns) == list(METRIC_COLUMNS)


# --- errors -----------------------------------------------------------------------------


def test_a_store_without_mmearth_modalities_names_the_decoder_key(
    small_synthetic_dataset, mmearth, tmp_path
):
    with pytest.raises(EobenchError, match=r"^config key adaptation\.reconstruct: .*canopy"):
        run_training_job(small_synthetic_dataset / "cubes.zarr", mmearth / "splits.parquet",
                         tmp_path / "m.pt", tmp_path / "m.csv", job("JT"),
                         tmp_path / "s")  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b["grid"].append({"modes": ["FT", "JT-TTT"], "inputs": ["s2"],
                                      "subsets": ["train_100"]}),
         r"adaptation\.grid\.1\.modes: JT-TTT adapts the checkpoints of JT"),
        (lambda b: b["grid"][0]["modes"].append("XX"),
         r"adaptation\.grid\.0\.modes: unknown mode"),
        (lambda b: b["reconstruct"].append("radar"),
         r"adaptation\.reconstruct: unknown modality"),
        (lambda b: b["inputs"].update(bad={"biome": None}),
         r"adaptation\.inputs\.bad: modality biome"),
        (lambda b: b["encoders"]["vit"].update(type="cnn"),
         r"adaptation\.encoders\.vit\.type"),
        (lambda b: b.update(dataset="other"),
         r"adaptation\.dataset: dataset 'other' has no MMEarth"),
    ],
)  # fmt: skip
def test_config_mistakes_are_one_line_errors_naming_the_key(change, message):
    block = {
        "enabled": True, "dataset": "mm", "encoders": {"vit": dict(VIT)},
        "selected_encoders": None, "inputs": {"s2": {"sentinel2": None}},
        "reconstruct": ["sentinel2"],
        "grid": [{"modes": ["FT"], "inputs": ["s2"], "subsets": ["train_100"]}],
    }  # fmt: skip
    config = {"adaptation": block,
              "datasets": {"mm": {"families": ["mmearth"]}, "other": {}}}  # fmt: skip
    check_adaptation(config)
    change(block)
    with pytest.raises(EobenchError, match=message) as error:
        check_adaptation(config)
    assert "\n" not in str(error.value)


def test_unknown_names_in_a_job_are_errors_naming_the_key():
    with pytest.raises(EobenchError, match=r"adaptation\.modes: unknown mode 'XX'"):
        get_mode("XX")
    with pytest.raises(EobenchError, match=r"adaptation\.tasks: unknown task"):
        job(tasks=("crops",))
    with pytest.raises(EobenchError, match=r"adaptation\.inputs\.x: modality sentinel2 has no"):
        InputChannels.from_config({"sentinel2": ["B99"]}, "adaptation.inputs.x")


def test_training_settings_match_the_protocol_defaults():
    settings = TrainingSettings()
    assert (settings.batch_size, settings.learning_rate, settings.weight_decay) == (64, 1e-4, 0.05)
    assert settings.warmup_fraction == 0.1 and math.isclose(settings.min_learning_rate, 1e-6)


@pytest.mark.slow
def test_a_dataset_without_african_samples_stops_the_splits_with_one_line(tmp_path):
    """20 samples of seed 172 fall outside Africa: rule write_splits stops with one line
    naming the dataset's key and writes no splits."""
    from conftest import copy_workflow, snakemake

    workdir = copy_workflow(tmp_path / "workflow")
    overlay = tmp_path / "no_africa.yaml"
    overlay.write_text(
        "datasets:\n  no_africa: {source: synthetic, n_samples: 20, size: 8, seed: 172,"
        " families: [mmearth]}\nadaptation: {dataset: no_africa}\n"
    )
    target = "results/splits/no_africa/mmearth.parquet"
    result = snakemake(workdir, target, "--cores", "1", "--configfile", str(overlay))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr[-2000:]
    assert "datasets.no_africa" in errors[0] and "Africa" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (workdir / target).exists()


def test_training_with_stochastic_depth_is_seeded_and_resumes_to_the_same_numbers(
    mmearth, tmp_path, monkeypatch
):
    """Galileo's drop path draws from torch's global stream while training: the same seed
    gives the same weights, whatever was drawn before, and a killed run resumes to them."""
    spec = {"type": "galileo", "pretrained": False, "patch_size": 8}
    the_job = make_job("t", "galileo_random", spec, "rgb",
                       {"sentinel2": ["B04", "B03", "B02"]}, "FT", "train_5", 41,
                       ["soil_ph"], [], {"epochs": 3})  # fmt: skip
    store, task, samples = _task_samples(mmearth, the_job, "soil_ph")
    args = (the_job.mode, task, samples["train"], samples["val"], the_job.training)

    def run(**options):
        model = build_model(the_job, task, store, samples["train"])
        return train(model, *args, seed=5, **options)

    first = run()
    torch.rand(7)  # the global stream moved on
    second = run()
    assert all(torch.equal(first.state[k], v) for k, v in second.state.items())
    save = training._save_state

    def killed_after_one_epoch(path, settings, epoch, *rest):
        save(path, settings, epoch, *rest)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "_save_state", killed_after_one_epoch)
    with pytest.raises(KeyboardInterrupt):
        run(state_path=tmp_path / "state.pt")
    monkeypatch.setattr(training, "_save_state", save)
    resumed = run(state_path=tmp_path / "state.pt")
    assert resumed.history == first.history
    assert all(torch.equal(first.state[k], v) for k, v in resumed.state.items())
