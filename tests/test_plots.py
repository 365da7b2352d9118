"""Figures: what is drawn, sizes, provenance, determinism, readable layout, bad settings."""

import itertools
import json
import re

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.lines import Line2D
from PIL import Image
from test_tables import PROVENANCE, TASKS, neuco_task_scores

from eobench.errors import EobenchError
from eobench.plots.q_per_task import plot_q_per_task, q_per_task_figure
from eobench.plots.radar import plot_radar, radar_figure


@pytest.fixture(scope="module")
def task_scores():
    return neuco_task_scores()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def method_lines(axis) -> dict[str, Line2D]:
    return {line.get_label(): line for line in axis.get_lines() if "/" in line.get_label()}


def pdf_subject(pdf: bytes) -> dict:
    """The JSON in the PDF's ``/Subject`` string (a PDF literal string, ``\\`` escapes)."""
    match = re.search(rb"/Subject \(((?:[^()\\]|\\.)*)\)", pdf)
    assert match, "no /Subject in the PDF"
    return json.loads(re.sub(rb"\\(.)", rb"\1", match.group(1)).decode())


@pytest.mark.parametrize(
    "plot, settings",
    [
        (plot_radar, {"width": 6, "height": 5, "dpi": 50, "clip_min": -0.5}),
        (plot_radar, {"width": 7, "height": 7, "dpi": 30}),
        (plot_q_per_task, {"width": 8, "height": 4, "dpi": 50, "show_weights": False}),
        (plot_q_per_task, {"width": 11, "height": 6.5, "dpi": 40}),
    ],
)
def test_figures_are_written_with_size_and_provenance(plot, settings, task_scores, tmp_path):
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    plot(task_scores, pdf, png, settings, PROVENANCE)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert pdf_subject(data) == PROVENANCE
    with Image.open(png) as image:
        # No bbox_inches="tight": the canvas is width x dpi by height x dpi pixels.
        assert image.size == (
            settings["width"] * settings["dpi"],
            settings["height"] * settings["dpi"],
        )
        assert json.loads(image.info["Description"]) == PROVENANCE
        assert image.info["Software"] == "eobench"
        # Something was drawn: far from a blank canvas.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]  # no temporaries


@pytest.mark.parametrize("plot", [plot_radar, plot_q_per_task])
def test_same_inputs_give_identical_files(plot, task_scores, tmp_path):
    outputs = []
    for name in ("one", "two"):
        pdf, png = tmp_path / f"{name}.pdf", tmp_path / f"{name}.png"
        plot(task_scores, pdf, png, {"dpi": 30}, PROVENANCE)
        outputs.append((pdf.read_bytes(), png.read_bytes()))
    assert outputs[0] == outputs[1]
    assert b"CreationDate" not in outputs[0][0]


def test_radar_draws_each_method_clipped_and_closed(task_scores):
    figure = radar_figure(task_scores, {"clip_min": 0.0})
    axis = figure.axes[0]
    lines = method_lines(axis)
    methods = list(dict.fromkeys(task_scores["method"]))
    assert list(lines) == methods
    scores = task_scores.pivot(index="method", columns="task", values="mean_score")[list(TASKS)]
    assert (scores.to_numpy() < 0).any()  # the clip is exercised
    for method, line in lines.items():
        expected = np.maximum(scores.loc[method].to_numpy(), 0.0)
        np.testing.assert_allclose(line.get_ydata(), np.append(expected, expected[0]))
        angles = np.asarray(line.get_xdata())
        np.testing.assert_allclose(angles[:-1], 2 * np.pi * np.arange(len(TASKS)) / len(TASKS))
        assert angles[-1] == angles[0]
    assert axis.get_ylim() == (0.0, 1.0)
    labels = [label.get_text() for label in axis.get_xticklabels()]
    assert [" ".join(label.split("\n")[:-1]) for label in labels] == [
        task.replace("_", " ") for task in TASKS
    ]
    assert [label.split("\n")[-1] for label in labels] == [
        "(F1)" if kind == "cls" else "(R²)" for kind in TASKS.values()
    ]
    legend = figure.legends[0]
    assert [text.get_text() for text in legend.get_texts()] == methods


def test_radar_styles_colour_by_encoder_and_dash_by_aggregation(task_scores):
    lines = method_lines(radar_figure(task_scores).axes[0])
    colour = {m: mcolors.to_hex(line.get_color()) for m, line in lines.items()}
    dashes = {m: line.get_linestyle() for m, line in lines.items()}
    encoders = sorted({m.split("/")[0] for m in lines})
    assert len({colour[f"{e}/pre"] for e in encoders}) == len(encoders)
    for encoder in encoders:
        assert colour[f"{encoder}/pre"] == colour[f"{encoder}/post"]
        assert dashes[f"{encoder}/pre"] != dashes[f"{encoder}/post"]
    assert len({dashes[m] for m in lines if m.endswith("/pre")}) == 1


def test_radar_subset_keeps_colours_and_order(task_scores):
    full = method_lines(radar_figure(task_scores).axes[0])
    chosen = ["oracle/post", "random/pre"]
    subset = method_lines(radar_figure(task_scores, {"methods": chosen}).axes[0])
    assert list(subset) == chosen
    for method in chosen:
        assert subset[method].get_color() == full[method].get_color()


def test_radar_leaves_a_gap_for_a_missing_score(task_scores):
    holes = task_scores.copy()
    holes.loc[(holes["method"] == "pca/post") & (holes["task"] == "crops"), "mean_score"] = np.nan
    line = method_lines(radar_figure(holes).axes[0])["pca/post"]
    missing = np.isnan(np.asarray(line.get_ydata(), dtype=float))
    assert missing.tolist() == [task == "crops" for task in TASKS] + [False]


def test_q_per_task_draws_q_and_weights(task_scores):
    figure = q_per_task_figure(task_scores)
    top, bottom = figure.axes
    lines = method_lines(top)
    methods = list(dict.fromkeys(task_scores["method"]))
    assert list(lines) == methods
    q = task_scores.pivot(index="method", columns="task", values="q")[list(TASKS)]
    positions = []
    for method, line in lines.items():
        np.testing.assert_allclose(line.get_ydata(), q.loc[method].to_numpy())
        positions.append(np.asarray(line.get_xdata()))
    # Dodged: every method sits at its own offset inside each task's slot.
    positions = np.array(positions)
    assert np.all(np.diff(positions, axis=0) > 0)
    assert np.all(np.abs(positions - np.arange(len(TASKS))) < 0.5)
    weights = task_scores.drop_duplicates("task").set_index("task")["weight"][list(TASKS)]
    heights = [patch.get_height() for patch in bottom.patches]
    np.testing.assert_allclose(heights, weights.to_numpy())
    printed = [text.get_text() for text in bottom.texts]
    assert printed == [f"{w:.3f}" for w in weights]
    assert any(
        line.get_ydata()[0] == 0 and line.get_ydata()[1] == 0 for line in top.get_lines()
    )  # the zero line
    labels = [label.get_text().replace("\n", " ") for label in bottom.get_xticklabels()]
    assert labels == [task.replace("_", " ") for task in TASKS]


def boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def assert_labels_apart(axis, renderer) -> None:
    """No two tick labels of ``axis`` overlap (slanted ones: their baselines are further
    apart, across the slant, than a line of text is high)."""
    labels = list(axis.get_xticklabels())
    rotation = labels[0].get_rotation()
    if rotation == 0:
        for a, b in itertools.combinations(labels, 2):
            assert not boxes_overlap(
                a.get_window_extent(renderer), b.get_window_extent(renderer)
            ), (a.get_text(), b.get_text())
        return
    assert all("\n" not in label.get_text() for label in labels)
    anchors = axis.transData.transform([(x, 0) for x in axis.get_xticks()])[:, 0]
    across = np.diff(anchors) * np.sin(np.radians(rotation))
    height = max(
        renderer.get_text_width_height_descent(label.get_text(), label.get_fontproperties(), False)[
            1
        ]
        for label in labels
    )
    assert across.min() > height


@pytest.mark.parametrize(
    "make, settings",
    [
        (radar_figure, {}),
        (radar_figure, {"width": 7, "height": 7}),
        (q_per_task_figure, {}),
        (q_per_task_figure, {"width": 8, "height": 4.5, "show_weights": False}),
    ],
)
def test_layout_is_readable(make, settings, task_scores):
    """Task labels apart, the legend over no axes, everything drawn inside the canvas."""
    figure = make(task_scores, settings)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    labelled = figure.axes[-1]
    assert len(labelled.get_xticklabels()) == len(TASKS)
    if labelled.name == "polar":
        for a, b in itertools.combinations(labelled.get_xticklabels(), 2):
            assert not boxes_overlap(a.get_window_extent(renderer), b.get_window_extent(renderer))
    else:
        assert_labels_apart(labelled, renderer)
    legend = figure.legends[0].get_window_extent(renderer)
    for axis in figure.axes:
        assert not boxes_overlap(legend, axis.get_window_extent(renderer))
    drawn = figure.get_tightbbox(renderer)  # inches; only what is drawn
    width, height = figure.get_size_inches()
    assert drawn.x0 >= -0.01 and drawn.y0 >= -0.01
    assert drawn.x1 <= width + 0.01 and drawn.y1 <= height + 0.01


@pytest.mark.parametrize(
    "plot, settings, message",
    [
        (plot_radar, {"colour": "red"}, r"figures\.radar: unknown setting 'colour'"),
        (plot_radar, {"clip_min": 1.0}, r"figures\.radar\.clip_min: 1 must be below 1"),
        (plot_radar, {"methods": ["nope/pre"]}, r"figures\.radar\.methods: 'nope/pre'"),
        (plot_radar, {"dpi": 0}, r"figures\.radar\.dpi: 0 is not a positive integer"),
        (plot_radar, {"title": "{unknown}"}, r"figures\.radar\.title"),
        (plot_q_per_task, {"show_weights": "yes"}, r"figures\.q_per_task\.show_weights"),
        (plot_q_per_task, {"width": -3}, r"figures\.q_per_task\.width: -3 is not a positive"),
    ],
)
def test_bad_settings_are_rejected(plot, settings, message, task_scores, tmp_path):
    with pytest.raises(ValueError, match=message):
        plot(task_scores, tmp_path / "a.pdf", tmp_path / "a.png", settings)
    assert not list(tmp_path.iterdir())


def test_bad_task_scores_are_named(task_scores, tmp_path):
    with pytest.raises(EobenchError, match=r"missing columns \['weight'\]"):
        plot_q_per_task(task_scores.drop(columns="weight"), tmp_path / "a.pdf", tmp_path / "a.png")
    doubled = task_scores.iloc[[0, 0]]
    with pytest.raises(EobenchError, match="duplicate"):
        plot_radar(doubled, tmp_path / "a.pdf", tmp_path / "a.png")
