"""Calibration on the default dataset: the known floor and ceiling come out in order.

Builds the dataset of config/config.yaml, extracts four encoders with pre-encoding
aggregation and probes them with the default probe settings (neuco protocol).
"""

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import r2_score

from eobench.data.store import CubeStore
from eobench.encoders.extract import extract_embeddings
from eobench.probes.evaluate import evaluate_embeddings
from eobench.probes.linear import ProbeSettings
from eobench.scoring import summarise_tasks


@pytest.fixture(scope="module")
def default_mean_q(tmp_path_factory):
    from eobench.data.synth import build_synthetic_dataset

    repo = __import__("pathlib").Path(__file__).resolve().parents[1]
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    dataset = {k: v for k, v in config["datasets"]["synth"].items() if k != "source"}
    root = tmp_path_factory.mktemp("calibration")
    cubes, samples, labels = root / "cubes.zarr", root / "samples.parquet", root / "labels"
    build_synthetic_dataset(cubes, samples, labels, progress=False, **dataset)
    train_ids = pd.read_parquet(samples).query("split_random == 'train'")["id"].tolist()
    probe = config["probe"]
    settings = ProbeSettings(
        k_splits=probe["k_splits"],
        epochs=probe["epochs"],
        batch_size=probe["batch_size"],
        learning_rate=probe["learning_rate"],
        seed=config["seed"],
    )
    frames = []
    for name in ("averaging", "random", "rcf", "oracle"):
        path = root / f"{name}.parquet"
        extract_embeddings(
            cubes,
            path,
            encoder_spec=config["encoders"][name],
            aggregation="pre",
            embedding_dim=config["embedding_dim"],
            seed=config["seed"],
            train_ids=train_ids,
            progress=False,
        )
        scores, _ = evaluate_embeddings(
            path, labels, settings, config["embedding_dim"], progress=False
        )
        scores["method"] = name
        frames.append(scores)
    scores = pd.concat(frames, ignore_index=True)
    summary = summarise_tasks(scores)
    summary.attrs["tasks"] = CubeStore(cubes).attrs["tasks"]
    summary.attrs["scores"] = scores
    summary.attrs["ceiling_splits"] = ceiling_split_scores(cubes, labels, settings.k_splits)
    return summary, summary.groupby("method")["q"].mean()


def ceiling_split_scores(cubes, labels_dir, k_splits):
    """R^2 of the best predictor, E[label | latents], on each task's K test parts."""
    from eobench.data.labels import read_annotations
    from eobench.data.synth import TASK_SPECS
    from eobench.probes.splits import make_splits

    store = CubeStore(cubes)
    names, values = store.latents()
    latents = {name: values[:, i].astype(np.float64) for i, name in enumerate(names)}
    row = {sample_id: i for i, sample_id in enumerate(store.sample_ids)}
    out = {}
    for task in read_annotations(labels_dir):
        spec = TASK_SPECS[task.name]
        if spec.task_type != "regr":
            continue
        rows = [row[i] for i in task.ids]
        best, _ = spec.conditional_moments(spec.signal(latents)[rows])
        test = make_splits(len(rows), k_splits).test
        out[task.name] = np.array([r2_score(task.labels[t], best[t]) for t in test])
    return out


@pytest.mark.slow
def test_oracle_beats_rcf_and_averaging_beats_random(default_mean_q):
    _, mean_q = default_mean_q
    assert mean_q["oracle"] > mean_q["rcf"]
    assert mean_q["averaging"] > mean_q["random"]


@pytest.mark.slow
def test_random_baseline_mean_q_is_at_most_one(default_mean_q):
    _, mean_q = default_mean_q
    assert mean_q["random"] <= 1


@pytest.mark.slow
def test_random_tasks_are_not_learnable_by_any_encoder(default_mean_q):
    summary, _ = default_mean_q
    random_reg = summary.query("task == 'random_reg'")["mean_score"]
    assert (random_reg < 0.05).all()
    assert np.isfinite(summary["q"]).all()


@pytest.mark.slow
def test_oracle_reaches_the_known_ceiling_of_every_regression_task(default_mean_q):
    """The oracle's probe comes close to the ceiling and never beats it by more than the
    sampling error: both scored on the same K test parts of each task."""
    summary, _ = default_mean_q
    scores = summary.attrs["scores"].query("method == 'oracle' and task_type == 'regr'")
    n = {task: entry["n_labelled"] for task, entry in summary.attrs["tasks"].items()}
    for task, ceiling in summary.attrs["ceiling_splits"].items():
        if task == "random_reg":
            continue
        oracle = scores[scores["task"] == task].sort_values("split")["score"].to_numpy()
        gap = oracle - ceiling
        # the standard error of the mean gap over the K splits, doubled: the K test
        # parts overlap, and the neuco protocol picks each split's epoch on its test part
        error = 2 * 2 * gap.std(ddof=1) / np.sqrt(len(gap))
        assert gap.mean() <= error, (task, oracle.mean(), ceiling.mean(), error)
        # The paper's probe trains a fixed 20 epochs: on the families of a few hundred
        # samples it gets within 0.15 of the ceiling; on the small ones (clouds 86, heat
        # island 125 samples: 40 AdamW steps) it under-trains, 0.2-0.4 below (default
        # run: clouds_reg 0.65 of 0.91, heatisland_mean 0.66 of 0.89, heatisland_std 0.37
        # of 0.79), a property of the protocol, not of the ceiling.
        floor = -0.15 if n[task] >= 250 else -0.5
        assert gap.mean() >= floor, (task, oracle.mean(), ceiling.mean())
        tabled = summary.attrs["tasks"][task]["ceiling_r2"]
        assert abs(ceiling.mean() - tabled) < 0.1, (task, ceiling.mean(), tabled)
