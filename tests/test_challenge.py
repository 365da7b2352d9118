"""Challenge mode: phases, submission order, leaderboard history, cache, seeds, bad input."""

import json
import logging
import shutil

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from eobench.challenge import (
    DEFAULT_K_SPLITS,
    challenge_phase,
    score_challenge,
    submission_order,
)
from eobench.cli import main
from eobench.errors import EobenchError
from eobench.evaluator import probe_settings, read_evaluator_config
from eobench.plots.rank_evolution import plot_rank_evolution, rank_evolution_figure
from eobench.provenance import code_version
from eobench.scoring import leaderboard

N_SAMPLES, DIM = 200, 8
DEV_TASKS = ["height", "moisture"]
#: Few epochs at a high rate: the probes still separate good from bad embeddings.
CONFIG = "epochs: 8\nbatch_size: 32\nlearning_rate: 0.05\nembedding_dim: 8\n"
#: (team, file, submitted_at) in submission order; the manifest lists them shuffled.
SUBMISSIONS = [
    ("alpha", "alpha__first.csv", "2025-03-01T09:00:00Z"),
    ("beta", "beta__only.csv", "2025-03-01T10:00:00Z"),
    ("gamma", "gamma__only.csv", "2025-03-02T08:30:00Z"),
    ("alpha", "alpha__second.csv", "2025-03-03T17:00:00Z"),
]


EVALUATION_FILES = ["alpha__first.csv", "beta__only.csv", "gamma__only.csv"]


def embedding_csv(path, ids, values):
    frame = pd.DataFrame(values, columns=[str(j) for j in range(values.shape[1])])
    frame.insert(0, "id", ids)
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def challenge_inputs(tmp_path_factory):
    """Labels that are known functions of embedding columns, and 3 teams' submissions.

    alpha first submits the true columns (best), then pure noise (worst); beta the
    columns with noise of sd 1, gamma with noise of sd 2.
    """
    root = tmp_path_factory.mktemp("challenge")
    rng = np.random.default_rng(7)
    ids = [f"cube{i:03d}" for i in range(N_SAMPLES)]
    x = rng.normal(size=(N_SAMPLES, DIM))
    annotations = root / "annotations"
    annotations.mkdir()
    labels = {
        "height__regr.csv": 3 * x[:, 0] + 0.2 * rng.normal(size=N_SAMPLES),
        "moisture__regr.csv": x[:, 1] - x[:, 2] + 0.2 * rng.normal(size=N_SAMPLES),
        "water__cls.csv": (x[:, 3] > 0).astype(int),
    }
    for name, values in labels.items():
        pd.DataFrame({"id": ids, "label": values}).to_csv(annotations / name, index=False)
    submissions = root / "submissions"
    submissions.mkdir()
    tables = {
        "alpha__first.csv": x,
        "beta__only.csv": x + rng.normal(size=x.shape),
        "gamma__only.csv": x + 2 * rng.normal(size=x.shape),
        "alpha__second.csv": rng.normal(size=x.shape),
    }
    for name, values in tables.items():
        # An id the organiser has no labels for: dropped and counted in the log.
        embedding_csv(submissions / name, [*ids, "stranger"], np.vstack([values, values[:1]]))
    manifest = pd.DataFrame(SUBMISSIONS, columns=["team", "submission_file", "submitted_at"])
    manifest.iloc[[2, 0, 3, 1]].to_csv(submissions / "submissions.csv", index=False)
    config = root / "config.yaml"
    config.write_text(CONFIG)
    return root, annotations, submissions, config


def challenge_argv(annotations, submissions, out, config, phase, *extra):
    return [
        "challenge",
        "--annotation_path",
        str(annotations),
        "--submissions_dir",
        str(submissions),
        "--output_dir",
        str(out),
        "--config",
        str(config),
        "--phase",
        phase,
        *extra,
    ]


@pytest.fixture(scope="module")
def development_run(challenge_inputs):
    """The development phase scored once through the CLI."""
    root, annotations, submissions, config = challenge_inputs
    out = root / "out"
    argv = challenge_argv(
        annotations, submissions, out, config, "development", "--dev_tasks", ",".join(DEV_TASKS)
    )
    assert main(argv) == 0
    return out / "development", argv


@pytest.fixture(scope="module")
def evaluation_run(challenge_inputs):
    """The evaluation phase through the library, one submission per team, no manifest."""
    root, annotations, submissions, config = challenge_inputs
    folder = root / "evaluation_submissions"
    folder.mkdir()
    for name in EVALUATION_FILES:
        shutil.copy(submissions / name, folder / name)
    # Fewer epochs than the development runs keep K = 200 affordable; this test checks
    # the phase's tasks, K and feedback, not how well the probes fit.
    evaluator_config = {**read_evaluator_config(config), "epochs": 3}
    return score_challenge(
        annotations,
        folder,
        root / "library" / "evaluation",
        challenge_phase("evaluation"),
        settings=probe_settings(evaluator_config, "neuco", "shared"),
        embedding_dim=evaluator_config["embedding_dim"],
    )


def hand_ranks(task_scores: pd.DataFrame) -> list[dict[str, int]]:
    """After each submission: NeuCo-Bench ranks over every team's latest submission."""
    q = task_scores.pivot(index="submission", columns="task", values="q")
    order = task_scores.drop_duplicates("order").sort_values("order")
    latest, ranks = {}, []
    for row in order.itertuples():
        latest[row.team] = row.submission
        table = q.loc[list(latest.values())]
        table.index = list(latest)
        board, _, _ = leaderboard(table)
        ranks.append(dict(zip(board["method"], board["aggregated_rank"], strict=True)))
    return ranks


def history_ranks(history: pd.DataFrame) -> list[dict[str, int]]:
    teams = [c.removeprefix("rank_") for c in history.columns if c.startswith("rank_")]
    return [
        {team: int(row[f"rank_{team}"]) for team in teams if pd.notna(row[f"rank_{team}"])}
        for _, row in history.iterrows()
    ]


def test_submissions_follow_the_manifest_else_the_file_names(challenge_inputs, tmp_path):
    _, _, submissions, _ = challenge_inputs
    ordered = submission_order(submissions)
    assert [(s.team, s.path.name) for s in ordered] == [(t, f) for t, f, _ in SUBMISSIONS]
    assert [s.order for s in ordered] == [1, 2, 3, 4]
    for _, name, _ in SUBMISSIONS:
        shutil.copy(submissions / name, tmp_path / name)
    by_name = submission_order(tmp_path)  # no manifest
    assert [s.path.name for s in by_name] == sorted(name for _, name, _ in SUBMISSIONS)
    assert [s.team for s in by_name] == ["alpha", "alpha", "beta", "gamma"]


def test_development_phase_reports_only_mean_q_on_the_dev_tasks(development_run):
    phase_dir, _ = development_run
    run = json.loads((phase_dir / "run.json").read_text())
    assert run["phase"] == {
        "name": "development",
        "tasks": DEV_TASKS,
        "k_splits": 40,
        "report": "mean_q",
    }
    # The cache key hashes these settings: another code or torch version scores anew.
    assert run["settings"]["code_version"] == code_version()
    assert run["settings"]["torch"] == torch.__version__
    task_scores = pd.read_csv(phase_dir / "task_scores.csv")
    assert sorted(set(task_scores["task"])) == DEV_TASKS  # water is held back
    assert (task_scores["n_splits"] == DEFAULT_K_SPLITS["development"]).all()
    history = pd.read_csv(phase_dir / "leaderboard_history.csv")
    for row in history.itertuples():
        feedback = json.loads((phase_dir / "feedback" / f"{row.submission}.json").read_text())
        assert list(feedback) == ["mean_q"]
        own = task_scores[task_scores["submission"] == row.submission]
        assert feedback["mean_q"] == pytest.approx(own["q"].mean())
    assert len(list((phase_dir / "feedback").iterdir())) == len(SUBMISSIONS)


def test_ranks_after_each_submission_are_neuco_bench_ranks_of_latest_submissions(
    development_run,
):
    phase_dir, _ = development_run
    history = pd.read_csv(phase_dir / "leaderboard_history.csv")
    task_scores = pd.read_csv(phase_dir / "task_scores.csv")
    assert history["submission"].tolist() == [f.removesuffix(".csv") for _, f, _ in SUBMISSIONS]
    assert history_ranks(history) == hand_ranks(task_scores)
    # The data make the order known: alpha leads until its noise submission replaces
    # its best one (latest, not best-so-far, counts).
    assert history_ranks(history) == [
        {"alpha": 1},
        {"alpha": 1, "beta": 2},
        {"alpha": 1, "beta": 2, "gamma": 3},
        {"alpha": 3, "beta": 1, "gamma": 2},
    ]
    board = pd.read_csv(phase_dir / "leaderboard.csv")
    assert board["team"].tolist() == ["beta", "gamma", "alpha"]
    assert board["submission"].tolist() == ["beta__only", "gamma__only", "alpha__second"]


def test_rerun_scores_nothing_again_and_appends_new_submissions(
    development_run, challenge_inputs, tmp_path, caplog
):
    phase_dir, argv = development_run
    _, annotations, submissions, config = challenge_inputs
    cache_files = sorted((phase_dir / "cache").glob("*/split_scores.csv"))
    assert len(cache_files) == len(SUBMISSIONS)
    stamps = [path.stat().st_mtime_ns for path in cache_files]
    history = (phase_dir / "leaderboard_history.csv").read_text()

    caplog.set_level(logging.INFO, logger="eobench")
    assert main(argv) == 0
    run = json.loads((phase_dir / "run.json").read_text())
    # what came from the cache is in the log, not in run.json: a resumed run writes the
    # same files as an uninterrupted one
    assert "scored" not in run and "from_cache" not in run
    assert "0 scored now, 4 from the cache" in caplog.text
    assert [path.stat().st_mtime_ns for path in cache_files] == stamps
    assert (phase_dir / "leaderboard_history.csv").read_text() == history

    # A late submission in a copy of the folder: only it is scored, earlier rows stay.
    late = tmp_path / "submissions"
    shutil.copytree(submissions, late)
    shutil.copy(submissions / "beta__only.csv", late / "delta__late.csv")
    manifest = pd.read_csv(late / "submissions.csv")
    manifest.loc[len(manifest)] = ["delta", "delta__late.csv", "2025-03-04T00:00:00Z"]
    manifest.to_csv(late / "submissions.csv", index=False)
    out = tmp_path / "out"
    shutil.copytree(phase_dir.parent, out)
    caplog.clear()
    assert main(challenge_argv(annotations, late, out, config, "development", *argv[-2:])) == 0
    # Same bytes as beta's file, so the cache serves it too: nothing is probed again.
    assert "5 submissions, 0 scored now, 5 from the cache" in caplog.text
    assert "leaderboard history: 1 rows appended" in caplog.text
    appended = pd.read_csv(out / "development" / "leaderboard_history.csv")
    assert len(appended) == len(SUBMISSIONS) + 1
    assert appended.iloc[-1][["rank_beta", "rank_delta"]].tolist() == [1, 1]  # equal Q: a tie


def test_evaluation_phase_scores_every_task_with_200_splits(evaluation_run):
    run = evaluation_run
    assert run.phase.k_splits == 200 and run.phase.tasks is None
    assert sorted(set(run.task_scores["task"])) == ["height", "moisture", "water"]
    assert (run.task_scores["n_splits"] == 200).all()
    assert run.scored == [f.removesuffix(".csv") for f in EVALUATION_FILES]  # by file name
    assert history_ranks(run.history) == hand_ranks(run.task_scores)
    feedback = json.loads((run.output_dir / "feedback" / "gamma__only.json").read_text())
    assert set(feedback["task_q"]) == {"height", "moisture", "water"}
    assert feedback["rank_after_submission"] == run.history.iloc[-1]["rank_gamma"]
    assert feedback["mean_q"] == pytest.approx(np.mean(list(feedback["task_q"].values())))


def test_per_run_seed_is_recorded_and_reproduces_the_scores(
    challenge_inputs, development_run, tmp_path, caplog
):
    _, annotations, submissions, config = challenge_inputs
    fixed_dir, _ = development_run
    subset = tmp_path / "submissions"
    subset.mkdir()
    for name in ("alpha__first.csv", "gamma__only.csv"):
        shutil.copy(submissions / name, subset / name)
    dev = ("--dev_tasks", ",".join(DEV_TASKS))
    drawn_out, again_out = tmp_path / "drawn", tmp_path / "again"
    argv = challenge_argv(annotations, subset, drawn_out, config, "development", *dev)
    caplog.set_level(logging.INFO, logger="eobench")
    assert main([*argv, "--split_seed", "per_run"]) == 0
    assert "dropped 1 ids that have no labels" in caplog.text  # the 'stranger' row
    run = json.loads((drawn_out / "development" / "run.json").read_text())
    seed = run["split_seed"]
    assert run["split_seed_source"] == "per_run" and isinstance(seed, int)
    history = pd.read_csv(drawn_out / "development" / "leaderboard_history.csv")
    assert (history["split_seed"] == seed).all()

    argv = challenge_argv(annotations, subset, again_out, config, "development", *dev)
    assert main([*argv, "--split_seed", str(seed)]) == 0
    drawn = pd.read_csv(drawn_out / "development" / "task_scores.csv")
    again = pd.read_csv(again_out / "development" / "task_scores.csv")
    np.testing.assert_allclose(again["q"], drawn["q"], rtol=0, atol=1e-9)
    # The seed matters: the evaluator's fixed seed 42 gives other splits, other scores.
    fixed = pd.read_csv(fixed_dir / "task_scores.csv").set_index(["submission", "task"])
    fixed = fixed.loc[list(zip(drawn["submission"], drawn["task"], strict=True)), "q"]
    assert not np.allclose(fixed.to_numpy(), drawn["q"].to_numpy())


def _non_numeric_value(path):
    frame = pd.read_csv(path)
    frame["3"] = frame["3"].astype(str)
    frame.loc[5, "3"] = "missing"
    frame.to_csv(path, index=False)


def _wider(path):
    frame = pd.read_csv(path)
    frame[str(DIM)] = 0.5
    frame.to_csv(path, index=False)


def _with_inf(path):
    frame = pd.read_csv(path)
    frame.loc[2, "1"] = np.inf
    frame.to_csv(path, index=False)


def _duplicate_id(path):
    frame = pd.read_csv(path)
    frame.loc[1, "id"] = frame.loc[0, "id"]
    frame.to_csv(path, index=False)


def _no_label_files(annotations):
    for path in annotations.glob("*.csv"):
        path.unlink()


def _unknown_suffix(annotations):
    (annotations / "water__cls.csv").rename(annotations / "water__binary.csv")


@pytest.mark.parametrize(
    "target, damage, message",
    [
        ("submission", _non_numeric_value, "non-numeric values"),
        ("submission", _wider, "more than embedding_dim"),
        ("submission", _with_inf, "infinite values"),
        ("submission", _duplicate_id, "duplicate ids"),
        ("annotations", _no_label_files, "no <task>__<type>.csv label files"),
        ("annotations", _unknown_suffix, "unknown task type suffix 'binary'"),
        ("config", "epochs: 8\nk_folds: 1\n", "config key k_folds: 1 is too small"),
        ("config", "epochs: eight\n", "config key epochs: 'eight' is not of type int"),
    ],
)
def test_bad_input_is_one_line_and_leaves_no_output(
    challenge_inputs, tmp_path, capsys, target, damage, message
):
    _, annotations, submissions, config = challenge_inputs
    annotations = shutil.copytree(annotations, tmp_path / "annotations")
    submissions = shutil.copytree(submissions, tmp_path / "submissions")
    config = shutil.copy(config, tmp_path / "config.yaml")
    if target == "submission":
        damage(submissions / "alpha__second.csv")  # the last one: none is scored before
    elif target == "annotations":
        damage(annotations)
    else:
        (tmp_path / "config.yaml").write_text(damage)
    out = tmp_path / "out"
    argv = challenge_argv(annotations, submissions, out, config, "evaluation")
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert err.startswith("error: ") and "\n" not in err and message in err, err
    assert not out.exists()


def test_rank_evolution_figure_has_one_line_per_team(development_run, tmp_path):
    phase_dir, _ = development_run
    history = pd.read_csv(phase_dir / "leaderboard_history.csv")
    figure = rank_evolution_figure(history)
    axis = figure.axes[0]
    lines = [line.get_label() for line in axis.get_lines() if not line.get_label().startswith("_")]
    assert lines == ["alpha", "beta", "gamma"]
    bottom, top = axis.get_ylim()
    assert bottom > top  # rank 1 at the top
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["alpha", "beta", "gamma"]
    plt.close(figure)

    with pytest.raises(EobenchError, match="no rank_<team> columns"):
        rank_evolution_figure(history.drop(columns=["rank_alpha", "rank_beta", "rank_gamma"]))

    pdf, png = tmp_path / "rank_evolution.pdf", tmp_path / "rank_evolution.png"
    plot_rank_evolution(history, pdf, png, {"width": 6, "height": 4, "dpi": 50}, {"run": 1})
    assert pdf.read_bytes().startswith(b"%PDF")
    with Image.open(png) as image:
        assert image.size == (300, 200)
