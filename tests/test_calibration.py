"""Calibration on the default dataset: the known floor and ceiling come out in order.

Builds the dataset of config/config.yaml, extracts four encoders with pre-encoding
aggregation and probes them with the default probe settings (neuco protocol).
"""

import numpy as np
import pandas as pd
import pytest
import yaml

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
    summary = summarise_tasks(pd.concat(frames, ignore_index=True))
    summary.attrs["tasks"] = CubeStore(cubes).attrs["tasks"]
    return summary, summary.groupby("method")["q"].mean()


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
    summary, _ = default_mean_q
    oracle = summary.query("method == 'oracle' and task_type == 'regr'").set_index("task")
    for task, row in oracle.iterrows():
        ceiling = summary.attrs["tasks"][task]["ceiling_r2"]
        # Within 0.1 below the ceiling; test-set epoch selection may overshoot a little.
        assert ceiling - 0.1 <= row["mean_score"] <= ceiling + 0.05, task
