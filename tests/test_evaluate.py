"""Evaluating an embedding table on label files: input rules and bad input."""

import numpy as np
import pandas as pd
import pytest

from eobench.data.labels import read_annotations, write_task_labels
from eobench.embeddings import load_embeddings, write_embeddings
from eobench.errors import EobenchError
from eobench.probes.evaluate import evaluate_embeddings, standardise_globally
from eobench.probes.linear import ProbeSettings

SETTINGS = ProbeSettings(k_splits=3, epochs=3)


@pytest.fixture
def annotated(tmp_path):
    """Embeddings of 120 samples and three label files."""
    rng = np.random.default_rng(0)
    ids = [f"s{i:03d}" for i in range(120)]
    values = rng.normal(size=(120, 16)).astype(np.float32)
    labels = tmp_path / "labels"
    labels.mkdir()
    write_task_labels(labels, "alpha", "regr", ids, values[:, 0] * 3 + rng.normal(size=120))
    write_task_labels(labels, "beta", "regr", ids[:100], rng.normal(size=100))
    write_task_labels(labels, "gamma", "cls", ids, (values[:, 1] > 0).astype(int))
    path = tmp_path / "emb.parquet"
    write_embeddings(path, ids, values)
    return path, labels, ids, values


def test_scores_of_a_task_do_not_depend_on_other_tasks(annotated):
    path, labels, _, _ = annotated
    alone, _ = evaluate_embeddings(path, labels, SETTINGS, 16, tasks=["beta"], progress=False)
    together, _ = evaluate_embeddings(path, labels, SETTINGS, 16, progress=False)
    np.testing.assert_array_equal(
        alone["score"].to_numpy(), together.query("task == 'beta'")["score"].to_numpy()
    )
    assert set(together["task"]) == {"alpha", "beta", "gamma"}
    assert set(together.query("task == 'gamma'")["metric"]) == {"f1"}


def test_history_has_every_epoch_of_every_split(annotated):
    path, labels, _, _ = annotated
    _, history = evaluate_embeddings(path, labels, SETTINGS, 16, tasks=["alpha"], progress=False)
    assert len(history) == SETTINGS.k_splits * SETTINGS.epochs
    assert history["train_loss"].notna().all()


def test_global_standardisation_uses_one_scalar():
    values = np.array([[0.0, 10.0], [2.0, 12.0]], dtype=np.float32)
    out = standardise_globally(values)
    expected = (values - values.mean()) / values.std()
    np.testing.assert_allclose(out, expected)
    assert out.mean() == pytest.approx(0) and out.std() == pytest.approx(1)


def test_submission_csv_rules(tmp_path):
    frame = pd.DataFrame(
        {"id": ["a.zarr.zip", "b.zarr", "c"], "0": [1.0, np.nan, 3.0], "1": [4.0, 5.0, 6.0]}
    )
    path = tmp_path / "sub.csv"
    frame.to_csv(path, index=False)
    ids, values = load_embeddings(path, 4, keep_ids=["a", "b"])
    assert ids == ["a", "b"]
    np.testing.assert_array_equal(values, [[1, 4, 0, 0], [0, 5, 0, 0]])


def test_numeric_looking_ids_keep_their_leading_zeros(tmp_path):
    """SSL4EO-S12 ids such as 0000001 must match the label files' ids, read as text."""
    path = tmp_path / "sub.csv"
    path.write_text("id,0\n0000001,1.5\n0000002,2.5\n")
    ids, values = load_embeddings(path, 1)
    assert ids == ["0000001", "0000002"]
    np.testing.assert_array_equal(values, [[1.5], [2.5]])


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"id": ["a", "b"], "0": [1, 2], "1": [1, 2], "2": [3, 4]}), "more than"),
        (pd.DataFrame({"id": ["a", "b"], "0": [1.0, np.inf]}), "infinite"),
        (pd.DataFrame({"id": ["a", "a.zarr.zip"], "0": [1.0, 2.0]}), "duplicate ids"),
        (pd.DataFrame({"id": ["a", None], "0": [1.0, 2.0]}), "empty id"),
        (pd.DataFrame({"id": ["a", "b"], "0": ["x", "y"]}), "non-numeric"),
        (pd.DataFrame({"id": ["a"], "0": [1.0]}), "have no embedding"),
        (pd.DataFrame({"name": ["a", "b"], "0": [1.0, 2.0]}), "no 'id' column"),
    ],
)
def test_bad_embedding_tables_are_rejected_with_one_line(tmp_path, frame, message):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(EobenchError, match=message) as info:
        load_embeddings(path, 2, required_ids=["a", "b"])
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def _labels(tmp_path, name, text):
    folder = tmp_path / "labels"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("t__regr.csv", "id,label\na,1\nb,1\nc,1\n", "all 3 labels are equal"),
        ("t__regr.csv", "", "empty"),
        ("t__regr.csv", "id,label\n", "no labelled rows"),
        ("t__regr.csv", "id,value\na,1\n", "missing column"),
        ("t__cls.csv", "id,label\na,0\nb,2\n", "must be 0 or 1"),
        ("t__segm.csv", "id,label\na,0\nb,1\n", "unknown task type suffix"),
        ("t.csv", "id,label\na,0\nb,1\n", r"<task>__<type>\.csv"),
    ],
)
def test_bad_label_files_are_rejected(tmp_path, name, text, message):
    folder = _labels(tmp_path, name, text)
    with pytest.raises(EobenchError, match=message):
        read_annotations(folder)


def test_missing_label_folder_and_unknown_task(tmp_path):
    with pytest.raises(EobenchError, match="annotation folder not found"):
        read_annotations(tmp_path / "nowhere")
    folder = _labels(tmp_path, "t__regr.csv", "id,label\na,0\nb,1\n")
    with pytest.raises(EobenchError, match="no label file for task 'other'"):
        read_annotations(folder, ["other"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(EobenchError, match=r"no <task>__<type>\.csv"):
        read_annotations(tmp_path / "empty")


def test_single_class_split_is_rejected(tmp_path):
    ids = [f"s{i}" for i in range(40)]
    labels = tmp_path / "labels"
    labels.mkdir()
    # One positive among 40: most test parts (4 samples) hold only negatives.
    write_task_labels(labels, "rare", "cls", ids, [1] + [0] * 39)
    path = tmp_path / "emb.parquet"
    write_embeddings(path, ids, np.random.default_rng(0).normal(size=(40, 4)))
    with pytest.raises(EobenchError, match="single class"):
        evaluate_embeddings(path, labels, SETTINGS, 4, progress=False)


def test_single_class_test_part_scores_zero_f1(tmp_path, caplog):
    ids = [f"s{i}" for i in range(40)]
    labels = tmp_path / "labels"
    labels.mkdir()
    # 8 positives among 40: every training part holds both classes, many test parts
    # (4 samples) none, as on the small embedded random_cls.
    truth = np.array([1] * 8 + [0] * 32)
    write_task_labels(labels, "rare", "cls", ids, truth)
    path = tmp_path / "emb.parquet"
    write_embeddings(path, ids, np.random.default_rng(0).normal(size=(40, 4)))
    scores, _ = evaluate_embeddings(path, labels, SETTINGS, 4, progress=False)
    no_positive = scores["tp"] + scores["fn"] == 0
    assert no_positive.any() and (scores.loc[no_positive, "score"] == 0).all()
    assert "single class" in caplog.text


def test_detailed_metrics_agree_with_the_split_score(annotated):
    path, labels, _, _ = annotated
    scores, _ = evaluate_embeddings(path, labels, SETTINGS, 16, progress=False)
    regression = scores.query("task_type == 'regr'")
    np.testing.assert_allclose(regression["score"], regression["r2"], atol=1e-5)
    assert (regression["mse"] >= 0).all() and (regression["mae"] >= 0).all()
    classification = scores.query("task_type == 'cls'")
    np.testing.assert_allclose(classification["score"], classification["f1"], atol=1e-6)
    counts = classification[["tn", "fp", "fn", "tp"]].sum(axis=1)
    assert (counts == classification["n_test"]).all()
    assert classification["roc_auc"].between(0, 1).all()


def test_evaluation_is_deterministic(annotated):
    path, labels, _, _ = annotated
    first, _ = evaluate_embeddings(path, labels, SETTINGS, 16, progress=False)
    second, _ = evaluate_embeddings(path, labels, SETTINGS, 16, progress=False)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("head_spec", [{"type": "linear"}, {"type": "knn", "n_neighbors": 5}])
def test_test_predictions_reproduce_the_split_scores(annotated, head_spec):
    from sklearn.metrics import f1_score, r2_score

    from eobench.probes.heads import ProbeHead

    path, labels, ids, _ = annotated
    head = ProbeHead.from_config("h", head_spec)
    scores, _, predictions = evaluate_embeddings(
        path, labels, SETTINGS, 16, progress=False, head=head, with_predictions=True
    )
    for (task, split), rows in predictions.groupby(["task", "split"]):
        score = scores.query("task == @task and split == @split")["score"].item()
        if rows["task_type"].iloc[0] == "cls":
            expected = f1_score(rows["label"], rows["output"] > 0, zero_division=0)
        else:
            expected = r2_score(rows["label"], rows["output"])
        assert score == pytest.approx(expected, abs=1e-5), (task, split)
    # 10 % of each task's samples per split, and real sample ids
    assert len(predictions.query("task == 'beta'")) == SETTINGS.k_splits * 10
    assert set(predictions["id"]) <= set(ids)


def test_diagnostics_figure_has_a_row_per_task(annotated, tmp_path):
    import matplotlib.pyplot as plt

    from eobench.plots.diagnostics import diagnostics_figure, plot_probe_diagnostics

    path, labels, _, _ = annotated
    _, history, predictions = evaluate_embeddings(
        path, labels, SETTINGS, 16, progress=False, with_predictions=True
    )
    figure, _ = diagnostics_figure(history, predictions)
    titles = [ax.get_title() for ax in figure.axes]
    assert sum(t.startswith(("alpha", "beta", "gamma")) for t in titles) == 3
    confusion = [ax for ax in figure.axes if ax.get_title() == "confusion matrix, all splits"]
    assert len(confusion) == 1
    cells = sorted(int(t.get_text()) for t in confusion[0].texts)
    assert sum(cells) == len(predictions.query("task == 'gamma'"))
    plt.close(figure)
    plot_probe_diagnostics(history, predictions, tmp_path / "d.pdf", tmp_path / "d.png")
    assert (tmp_path / "d.png").stat().st_size > 0
    with pytest.raises(EobenchError, match="predictions table lacks"):
        diagnostics_figure(history, predictions.drop(columns="output"))
