"""``eobench score``: the evaluator's CLI, submission format and both config schemas."""

import json

import numpy as np
import pandas as pd
import pytest
from reference_probe import reference_probe

from eobench.cli import main, read_evaluator_config
from eobench.errors import EobenchError
from eobench.probes.evaluate import min_max, standardise_globally
from eobench.probes.linear import ProbeSettings
from eobench.scoring import quality_score


@pytest.fixture
def challenge(tmp_path):
    """A hand-made annotation folder and a submission with the challenge's quirks."""
    rng = np.random.default_rng(5)
    n, dim = 90, 6
    ids = [f"cube{i:02d}" for i in range(n)]
    values = rng.normal(size=(n, dim))
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    pd.DataFrame({"id": ids, "label": values[:, 0] * 10 + rng.normal(size=n)}).to_csv(
        annotations / "height__regr.csv", index=False
    )
    pd.DataFrame({"id": ids, "label": (values[:, 1] > 0).astype(int)}).to_csv(
        annotations / "water__cls.csv", index=False
    )
    submission = pd.DataFrame(values, columns=[str(j) for j in range(dim)])
    submission.insert(0, "id", [f"{i}.zarr.zip" for i in ids])
    submission.loc[3, "2"] = np.nan  # NaN becomes 0
    extra = pd.DataFrame(
        [["stranger.zarr.zip", *rng.normal(size=dim)]], columns=submission.columns
    )  # not annotated: dropped
    path = tmp_path / "team.csv"
    pd.concat([submission, extra]).to_csv(path, index=False)
    return tmp_path, annotations, path, ids, values


def write_config(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


FLAT = "k_folds: 4\nbatch_size: 16\nepochs: 3\nlearning_rate: 0.01\nembedding_dim: 8\n"
PROBE = (
    "k_folds: 4\nembedding_dim: 8\nprobe_type: linear\n"
    "probe_params:\n  batch_size: 16\n  epochs: 3\n  learning_rate: 0.01\n"
)


@pytest.mark.parametrize("schema", [FLAT, PROBE])
def test_score_reproduces_the_evaluator_protocol(challenge, schema):
    tmp_path, annotations, submission, _, values = challenge
    config = write_config(tmp_path, schema)
    out = tmp_path / "out"
    code = main(
        [
            "score",
            "--annotation_path",
            str(annotations),
            "--submission_file",
            str(submission),
            "--output_dir",
            str(out),
            "--config",
            str(config),
            "--method_name",
            "team",
            "--phase",
            "dev",
            "--minibatches",
            "per_split",
        ]
    )
    assert code == 0
    summary = json.loads((out / "dev" / "team" / "results_summary.json").read_text())

    # Independent reproduction: evaluator input rules + per-split reference loop.
    embeddings = np.nan_to_num(values.copy())
    embeddings[3, 2] = 0.0
    embeddings = standardise_globally(np.pad(embeddings, ((0, 0), (0, 2))).astype(np.float32))
    settings = ProbeSettings(
        k_splits=4, epochs=3, batch_size=16, learning_rate=0.01, minibatches="per_split"
    )
    labels = pd.read_csv(annotations / "height__regr.csv")["label"].to_numpy()
    expected = quality_score(
        reference_probe(embeddings, min_max(labels), "regr", settings, "height")
    )
    assert summary["task_results"]["height"] == pytest.approx(expected, abs=1e-4)
    board = pd.read_csv(out / "dev" / "leaderboard.csv")
    assert board["method"].tolist() == ["team"]


def test_leaderboard_collects_every_submission_of_a_phase(challenge):
    tmp_path, annotations, submission, _, _ = challenge
    config = write_config(tmp_path, FLAT)
    for name in ("first", "second"):
        assert (
            main(
                [
                    "score",
                    "--annotation_path",
                    str(annotations),
                    "--submission_file",
                    str(submission),
                    "--output_dir",
                    str(tmp_path / "out"),
                    "--config",
                    str(config),
                    "--method_name",
                    name,
                    "--phase",
                    "eval",
                ]
            )
            == 0
        )
    board = pd.read_csv(tmp_path / "out" / "eval" / "leaderboard.csv")
    assert sorted(board["method"]) == ["first", "second"]
    # Same submission, same seeds: identical Q, shared first rank.
    assert board["aggregated_rank"].tolist() == [1, 1]


@pytest.mark.parametrize(
    "text, message",
    [
        ("k_folds: 4\nepochz: 3\n", "config key epochz: unknown key"),
        ("k_folds: four\n", "config key k_folds: 'four' is not of type int"),
        ("k_folds: 4\nstandardize_embeddings: 1\n", "standardize_embeddings"),
        ("probe_type: svm\nprobe_params: {}\n", "probe_type: 'svm' is not supported"),
        ("probe_type: linear\nprobe_params:\n  momentum: 0.9\n", "probe_params.momentum"),
        ("epochs: true\n", "config key epochs"),
    ],
)
def test_bad_configs_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(EobenchError, match=message):
        read_evaluator_config(write_config(tmp_path, text))


def test_bad_submission_exits_with_one_line(challenge, capsys):
    tmp_path, annotations, submission, _, _ = challenge
    frame = pd.read_csv(submission)
    frame.loc[0, "1"] = np.inf
    frame.to_csv(submission, index=False)
    config = write_config(tmp_path, FLAT)
    code = main(
        [
            "score",
            "--annotation_path",
            str(annotations),
            "--submission_file",
            str(submission),
            "--output_dir",
            str(tmp_path / "out"),
            "--config",
            str(config),
            "--method_name",
            "team",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "infinite" in err and "\n" not in err
    assert not (tmp_path / "out").exists()
