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


LINEAR_PARAMS = (
    "k_folds: 4\nprobe_type: linear\nprobe_params:\n"
    "  batch_size: 16\n  epochs: 3\n  learning_rate: 0.01\n"
)
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
    assert summary["task_q_scores"]["height"] == pytest.approx(expected, abs=1e-4)
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
        ("k_folds: four\n", "config key k_folds: 'four' is not of type int"),
        ("k_folds: 4\nstandardize_embeddings: 1\n", "standardize_embeddings"),
        ("probe_type: svm\nprobe_params: {}\n", "config key k_folds: missing"),
        ("k_folds: 4\nprobe_type: knn\nprobe_params: {}\n", "probe_type: 'knn'"),
        (LINEAR_PARAMS + "  momentum: 0.9\n", "config key probe_params.momentum: unknown key"),
        ("k_folds: 4\nprobe_type: linear\nprobe_params:\n  epochs: 3\n", "batch_size: missing"),
        (LINEAR_PARAMS + "  device: 0\n", "config key probe_params.device: 0 is not of type str"),
        ("k_folds: 4\nprobe_type: linear\n", "config key probe_params: missing"),
        ("learning_rate: fast\n", "config key learning_rate: 'fast' is not a number"),
        ("epochs: true\n", "config key epochs"),
        ("k_folds: 1\n", "config key k_folds: 1 is too small"),
        ("task_filter: [1, 2]\n", "config key task_filter"),
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


# The official repository's configs/sample_config_linear.yaml, key for key (HEAD a89ba06).
SAMPLE_LINEAR = """
k_folds: 40
probe_type: "linear"
probe_params:
  batch_size: 64
  epochs: 10
  learning_rate: 0.001
  device: "auto"
embedding_dim: null
standardize_embeddings: true
normalize_labels: true
enable_plots: false
update_leaderboard: false
store_probes: false
task_filter: null
"""


def test_the_official_linear_sample_config_is_read_as_written(tmp_path):
    config = read_evaluator_config(write_config(tmp_path, SAMPLE_LINEAR))
    assert config["probe_type"] == "linear" and config["svm"] is None
    assert (config["k_folds"], config["epochs"], config["batch_size"]) == (40, 10, 64)
    assert config["learning_rate"] == 0.001 and config["device"] == "auto"
    assert config["embedding_dim"] is None and config["update_leaderboard"] is False
    assert config["given"]["probe_params"]["device"] == "auto"


def test_keys_the_official_checks_ignore_are_accepted_with_a_warning(tmp_path, caplog):
    config = read_evaluator_config(write_config(tmp_path, FLAT + "notes: first try\n"))
    assert "notes" not in config and config["epochs"] == 3
    assert "config key notes: not an evaluator key; ignored" in caplog.text


def test_yaml_exponents_without_a_dot_are_numbers(tmp_path):
    config = read_evaluator_config(write_config(tmp_path, LINEAR_PARAMS.replace("0.01", "1e-2")))
    assert config["learning_rate"] == pytest.approx(0.01)


def run_score(annotations, submission, *extra):
    return main(
        [
            "score",
            "--annotation_path",
            str(annotations),
            "--submission_file",
            str(submission),
            "--minibatches",
            "per_split",
            *extra,
        ]
    )


def test_score_writes_the_official_files_with_upstream_defaults(challenge, monkeypatch):
    tmp_path, annotations, submission, _, _ = challenge
    monkeypatch.chdir(tmp_path)
    config = SAMPLE_LINEAR.replace("epochs: 10", "epochs: 3").replace("k_folds: 40", "k_folds: 4")
    config = config.replace("update_leaderboard: false", "update_leaderboard: true")
    (tmp_path / "config.yaml").write_text(config + "output_fold_results: true\n")
    # upstream's defaults: --config config.yaml, --output_dir results/, --phase results,
    # --method_name the submission's stem
    assert run_score(annotations, submission) == 0
    run_dir = tmp_path / "results" / "results" / "team"
    summary = json.loads((run_dir / "results_summary.json").read_text())
    assert {
        "experiment",
        "overall_q_score",
        "overall_acc_score",
        "task_q_scores",
        "task_acc_scores",
        "config",
    } <= set(summary)
    assert summary["experiment"] == "team"
    assert summary["config"]["probe_params"]["device"] == "auto"  # the config as given
    split_scores = pd.read_csv(run_dir / "split_scores.csv")
    for task in ("height", "water"):
        result = json.loads((run_dir / task / f"{task}_result.json").read_text())
        assert set(result) == {"q_stat", "mean_score", "std_dev", "hyperparamaters", "q_t"}
        scores = split_scores.loc[split_scores["task"] == task, "score"].to_numpy()
        np.testing.assert_allclose(result["q_t"], scores)
        assert result["mean_score"] == pytest.approx(np.mean(scores))
        assert result["std_dev"] == pytest.approx(np.std(scores))
        assert result["q_stat"] == pytest.approx(quality_score(scores))
        assert result["q_stat"] == pytest.approx(summary["task_q_scores"][task])
        assert result["mean_score"] == pytest.approx(summary["task_acc_scores"][task])
        assert result["hyperparamaters"] == {"epochs": 3, "learning_rate": 0.001, "batch_size": 64}
    board = pd.read_csv(
        tmp_path / "results" / "leaderboards" / "results" / "leaderboard_latest.csv"
    )
    assert list(board.columns[:4]) == [
        "experiment",
        "mean_score",
        "weighted_score",
        "aggregated_rank",
    ]
    assert {"q::height", "q::water", "acc::height", "acc::water"} <= set(board.columns)
    assert list(board.columns[-2:]) == ["overall_q_score", "overall_acc_score"]
    assert board.loc[0, "mean_score"] == pytest.approx(summary["overall_q_score"])


def test_exclude_file_drops_ids_before_scoring(challenge):
    tmp_path, annotations, submission, ids, _ = challenge
    config = write_config(tmp_path, FLAT)
    excluded = tmp_path / "corrupted.txt"
    excluded.write_text("".join(f"{i}.zarr.zip\n" for i in ids[:30]) + "\n")
    out = tmp_path / "out"
    common = ["--config", str(config), "--output_dir", str(out), "--phase", "p"]
    assert run_score(annotations, submission, *common, "--exclude_file", str(excluded)) == 0
    scores = pd.read_csv(out / "p" / "team" / "split_scores.csv")
    # 60 of 90 samples left: ceil(0.1 x 60) = 6 test samples per split
    assert (scores["n_test"] == 6).all() and (scores["n_fit"] == 54).all()
    # the same as a submission and annotations without those ids
    frame = pd.read_csv(submission)
    frame = frame[~frame["id"].str.removesuffix(".zarr.zip").isin(ids[:30])]
    smaller = tmp_path / "smaller"
    smaller.mkdir()
    for path in annotations.iterdir():
        labels = pd.read_csv(path)
        labels[~labels["id"].isin(ids[:30])].to_csv(smaller / path.name, index=False)
    frame.to_csv(tmp_path / "team.csv", index=False)
    assert run_score(smaller, tmp_path / "team.csv", *common[:4], "--phase", "q") == 0
    reference = pd.read_csv(out / "q" / "team" / "split_scores.csv")
    np.testing.assert_allclose(scores["score"], reference["score"])


def test_missing_exclude_file_is_one_line(challenge, capsys):
    tmp_path, annotations, submission, _, _ = challenge
    config = write_config(tmp_path, FLAT)
    code = run_score(annotations, submission, "--config", str(config), "--exclude_file", "nope.txt")
    assert code == 2
    assert capsys.readouterr().err.strip() == "error: nope.txt: exclude file not found"


# The official repository's configs/sample_config_svm.yaml, key for key, with a short search.
SAMPLE_SVM = """
k_folds: 4
probe_type: "svm"
probe_params:
  C_start_end: [0.001, 1000]
  epsilon_list: [0.01, 0.05, 0.1, 0.5]
  kernel_degree_list: [2, 3]
  kernel_gamma_start_end: [0.0001, 10]
  kernel_coef0_start_end: [-1, 2]
  opt_params:
    n_iter: 4
    n_jobs: 1
    n_points: 1
    optimizer_kwargs:
      base_estimator: "RF"
      n_initial_points: 2
    verbose: 1
embedding_dim: null
standardize_embeddings: true
normalize_labels: true
enable_plots: false
update_leaderboard: true
store_probes: false
task_filter: null
"""


def test_the_official_svm_sample_config_scores_and_reports_its_search(challenge):
    tmp_path, annotations, submission, _, _ = challenge
    config = write_config(tmp_path, SAMPLE_SVM)
    out = tmp_path / "out"
    assert (
        run_score(annotations, submission, "--config", str(config), "--output_dir", str(out)) == 0
    )
    run_dir = out / "results" / "team"
    scores = pd.read_csv(run_dir / "split_scores.csv")
    assert set(scores["task"]) == {"height", "water"} and len(scores) == 8
    for task in ("height", "water"):
        result = json.loads((run_dir / task / f"{task}_result.json").read_text())
        searched = result["hyperparamaters"]
        assert set(searched) >= {"C", "degree", "gamma", "coef0", "kernel"}
        assert 0.001 <= searched["C"] <= 1000 and searched["degree"] in (2, 3)
    assert (
        "epsilon"
        in json.loads((run_dir / "height" / "height_result.json").read_text())["hyperparamaters"]
    )
    assert (out / "leaderboards" / "results" / "leaderboard_latest.csv").exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ("kernel_degree_list: [2, 3]", "kernel_degree_list: [1, 2]"),
        ("C_start_end: [0.001, 1000]", "C_start_end: [10, 1]"),
    ],
)
def test_svm_configs_the_official_checks_reject_are_one_line(tmp_path, change, message):
    text = SAMPLE_SVM.replace(change, message)
    with pytest.raises(EobenchError, match=r"config key probe_params\.") as error:
        read_evaluator_config(write_config(tmp_path, text))
    assert "\n" not in str(error.value)
