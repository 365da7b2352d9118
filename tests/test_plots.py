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
    figure = radar_figure(task_scores, {"clip_min": 0.0, "aggregations": None})
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
    lines = method_lines(radar_figure(task_scores, {"aggregations": None}).axes[0])
    colour = {m: mcolors.to_hex(line.get_color()) for m, line in lines.items()}
    dashes = {m: line.get_linestyle() for m, line in lines.items()}
    encoders = sorted({m.split("/")[0] for m in lines})
    assert len({colour[f"{e}/pre"] for e in encoders}) == len(encoders)
    for encoder in encoders:
        assert colour[f"{encoder}/pre"] == colour[f"{encoder}/post"]
        assert dashes[f"{encoder}/pre"] != dashes[f"{encoder}/post"]
    assert len({dashes[m] for m in lines if m.endswith("/pre")}) == 1


def test_radar_subset_keeps_colours_and_order(task_scores):
    full = method_lines(radar_figure(task_scores, {"aggregations": None}).axes[0])
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


# -- the style registry, references, coinciding methods, titles, cut bars -------------

#: The config's encoder order: the registry every figure rule passes as `encoders`.
REGISTRY = ["averaging", "random", "rcf", "pca", "oracle", "patch_transformer"]


def figure_text(figure) -> str:
    """Every title, caption, annotation and legend text of a figure, as one string."""
    parts = [figure.get_suptitle(), figure.get_supxlabel()]
    parts += [text.get_text() for text in figure.texts]
    for axis in figure.axes:
        parts += [axis.get_title(loc) for loc in ("left", "center", "right")]
        parts += [text.get_text() for text in axis.texts]
        if axis.get_legend():
            parts += [text.get_text() for text in axis.get_legend().get_texts()]
    for legend in figure.legends:
        parts += [text.get_text() for text in legend.get_texts()]
    return "\n".join(parts).replace("\n", " ")


def style_of(line) -> tuple[str, str]:
    return mcolors.to_hex(line.get_color()), line.get_marker()


def size_summary():
    """An embedding-size summary: rcf grows with N, patch_transformer stops at 192."""
    import pandas as pd

    rows = []
    for encoder, width in (("rcf", 2048), ("patch_transformer", 192)):
        for size in (64, 128, 256, 512):
            for task, kind in (("biomass_mean", "regr"), ("crops", "cls")):
                score = 0.1 * np.log2(min(size, width)) - 0.2
                rows.append(
                    {
                        "encoder": encoder,
                        "size": size,
                        "head": "linear",
                        "task": task,
                        "metric": "r2" if kind == "regr" else "f1",
                        "mean_score": score,
                        "std_score": 0.02,
                        "q": 1.0,
                        "n_splits": 40,
                    }
                )
    return pd.DataFrame(rows)


def depth_summary():
    """A probe-depth summary with a score near 1 whose whisker passes 1, and a score of
    an encoder far below the axis floor."""
    import pandas as pd

    rows = []
    for encoder, score in (("random", -3.5), ("rcf", 0.97), ("pca", 0.4)):
        for head, params in (("linear", 1025), ("mlp1", 65665)):
            for task in ("biomass_mean", "clouds_reg"):
                rows.append(
                    {
                        "encoder": encoder,
                        "head": head,
                        "head_parameters": params,
                        "task": task,
                        "metric": "r2",
                        "mean_score": score,
                        "std_score": 0.1,
                        "q": 1.0,
                        "n_splits": 10,
                    }
                )
    return pd.DataFrame(rows)


def rank_history():
    """Three teams, two rounds (every pre table, then every post one); rcf and pca tie
    after submission 5."""
    import pandas as pd

    teams = ["rcf", "pca", "oracle"] * 2
    ranks = [
        (1, None, None),
        (2, 1, None),
        (2, 3, 1),
        (3, 2, 1),
        (2, 2, 1),
        (3, 2, 1),
    ]
    frame = pd.DataFrame(ranks, columns=["rank_rcf", "rank_pca", "rank_oracle"], dtype="Int64")
    frame.insert(0, "order", range(1, 7))
    frame.insert(1, "team", teams)
    frame.insert(2, "file", [f"{t}__{'pre' if i < 3 else 'post'}.csv" for i, t in enumerate(teams)])
    return frame


def test_an_encoder_has_one_colour_and_marker_in_every_figure(task_scores):
    """The registry follows the config's encoder order, whatever subset a figure shows."""
    from eobench.plots.ablations import ablation_figure
    from eobench.plots.rank_evolution import rank_evolution_figure
    from eobench.plots.style import encoder_styles, method_style

    expected = encoder_styles(REGISTRY)
    assert len({colour for colour, _ in expected.values()}) == len(REGISTRY)
    assert len({marker for _, marker in expected.values()}) == len(REGISTRY)
    seen: dict[str, set] = {}

    def record(encoder, line):
        seen.setdefault(encoder, set()).add(style_of(line))

    for make in (radar_figure, q_per_task_figure):
        figure = make(
            task_scores, {"aggregations": None} if make is radar_figure else {}, encoders=REGISTRY
        )
        for method, line in method_lines(figure.axes[0]).items():
            record(method.split("/")[0], line)
    figure, _ = ablation_figure("embedding_size", size_summary(), encoders=REGISTRY)
    for line in figure.axes[0].get_lines():
        if not line.get_label().startswith("_"):
            record(line.get_label(), line)
    figure = rank_evolution_figure(rank_history(), encoders=REGISTRY)
    for line in figure.axes[0].get_lines():
        team = line.get_label().removeprefix("_").removesuffix(" submissions")
        if line.get_label().endswith("submissions"):  # the markers of a team's submissions
            record(team, line)
    for encoder, styles in seen.items():
        colour, marker = expected[encoder]
        assert styles == {(mcolors.to_hex(colour), marker)}, encoder
        # The style of one method comes from the registry alone, not from the figure.
        assert method_style(encoder, "post", REGISTRY).colour == colour
    assert {"rcf", "pca", "oracle", "patch_transformer"} <= set(seen)
    # A subset keeps its colours: rcf alone is drawn as in the full registry.
    alone = encoder_styles(["rcf"])
    assert alone["rcf"] != expected["rcf"]  # position-based: the registry must be passed
    assert method_style("rcf", "pre", REGISTRY).colour == expected["rcf"][0]


@pytest.mark.parametrize("name", ["embedding_size", "embedding_size_per_task"])
def test_size_figures_mark_native_width_and_padding(name):
    from eobench.plots.ablations import ablation_figure

    figure, _ = ablation_figure(
        name, size_summary(), encoders=REGISTRY, native_dims={"rcf": 2048, "patch_transformer": 192}
    )
    panels = [axis for axis in figure.axes if axis.get_visible() and axis.get_lines()]
    assert len(panels) == (1 if name == "embedding_size" else 2)
    for axis in panels:
        lines = {line.get_label(): line for line in axis.get_lines()}
        native = [line for line in axis.get_lines() if line.get_label() == "_native"]
        # 2048 lies beyond the sizes drawn: only patch_transformer's 192 is marked.
        assert [tuple(line.get_xdata()) for line in native] == [(192, 192)]
        assert mcolors.to_hex(native[0].get_color()) == mcolors.to_hex(
            lines["patch_transformer"].get_color()
        )
        real = np.asarray(lines["patch_transformer"].get_xdata())
        padded = np.asarray(lines["_patch_transformer zero padding"].get_xdata())
        assert real.max() <= 192 and padded.min() < 192 < padded.max()  # joined at 128
        assert lines["_patch_transformer zero padding"].get_linestyle() == ":"
        assert lines["_patch_transformer zero padding"].get_fillstyle() == "none"
        assert list(lines["rcf"].get_xdata()) == [64, 128, 256, 512]
        assert any(patch.get_label() == "_padding" for patch in axis.patches)
    text = figure_text(figure)
    assert "padded with zeros" in text and "no trend of the embedding" in text
    assert "native width of patch_transformer: N = 192" in text
    assert "zero padding of patch_transformer" in text


def test_probe_depth_axes_stop_at_one_and_cut_bars_carry_their_value():
    from eobench.plots.ablations import ablation_figure

    summary = depth_summary()
    widths = {"mlp1": [64]}
    for name in ("probe_depth", "probe_depth_per_task"):
        figure, settings = ablation_figure(name, summary, encoders=REGISTRY, head_widths=widths)
        panels = [axis for axis in figure.axes if axis.get_visible() and axis.patches]
        for axis in panels:
            bottom, top = axis.get_ylim()
            assert top <= 1.0 and bottom == settings["y_min"]
            cut = [text for text in axis.texts if text.get_gid() == "cut"]
            # random's bars (-3.5) on every head are below the floor of -1: labelled.
            assert [text.get_text() for text in cut] == ["-3.5"] * 2
            heights = [patch.get_height() for patch in axis.patches]
            assert min(heights) >= settings["y_min"]
        text = figure_text(figure)
        assert "mlp1 [64]" in text and "paper's MLP probes are wider" in text
        assert "carries its value" in text
        if name.endswith("per_task"):
            assert "standard deviation of the score over the K splits" in text


def test_radar_draws_ceiling_and_chance_of_each_task(task_scores):
    import pandas as pd

    tasks = pd.DataFrame(
        {
            "task": list(TASKS),
            "ceiling": [np.nan if t == "random_reg" else 0.9 for t in TASKS],
            "chance": [0.667 if kind == "cls" else 0.0 for kind in TASKS.values()],
        }
    )
    axis = radar_figure(task_scores, tasks=tasks).axes[0]
    arcs = [line for line in axis.get_lines() if line.get_label() == "_ceiling"]
    assert len(arcs) == len(TASKS) - 1  # none for the task without a ceiling
    assert all(np.allclose(line.get_ydata(), 0.9) for line in arcs)
    wedges = [patch for patch in axis.patches if patch.get_height() > 0]
    assert sorted(round(p.get_height(), 3) for p in wedges) == [0.667, 0.667]  # the F1 tasks
    legend = [text.get_text() for text in axis.figure.legends[0].get_texts()]
    assert legend[-2:] == ["chance level", "ceiling"]
    bare = radar_figure(task_scores).axes[0]
    assert not [line for line in bare.get_lines() if line.get_label() == "_ceiling"]


def test_radar_draws_coinciding_methods_once(task_scores):
    scores = task_scores.copy()
    pre = scores[scores["method"] == "rcf/pre"].set_index("task")["mean_score"]
    post = scores["method"] == "rcf/post"
    scores.loc[post, "mean_score"] = scores.loc[post, "task"].map(pre) + 0.003
    figure = radar_figure(scores, {"aggregations": None, "coincide_tolerance": 0.005})
    lines = method_lines(figure.axes[0])
    assert "rcf/pre" in lines and "rcf/post" not in lines
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "rcf/pre = rcf/post" in legend
    assert "Drawn once" in figure.get_supxlabel() and "rcf/post" in figure.get_supxlabel()
    # Apart by more than the tolerance on one task: both drawn.
    figure = radar_figure(scores, {"aggregations": None, "coincide_tolerance": 0.001})
    assert {"rcf/pre", "rcf/post"} <= set(method_lines(figure.axes[0]))


def test_radar_shows_post_encoding_and_encoders_without_it_by_default(task_scores):
    import pandas as pd

    own = task_scores[task_scores["method"] == "oracle/pre"].assign(
        method="mine/none", encoder="mine", aggregation="none"
    )
    scores = pd.concat([task_scores, own], ignore_index=True)
    drawn = list(method_lines(radar_figure(scores).axes[0]))
    assert drawn == [m for m in dict.fromkeys(scores["method"]) if m.endswith("/post")] + [
        "mine/none"
    ]


@pytest.mark.parametrize("protocol, k", [("neuco", 40), ("strict", 10)])
def test_titles_name_protocol_aggregation_and_k(protocol, k, task_scores):
    from eobench.plots.ablations import ablation_figure

    radar = radar_figure(task_scores, protocol=protocol, k_splits=k)
    q = q_per_task_figure(task_scores, protocol=protocol, k_splits=k)
    for figure in (radar, q):
        title = " ".join(axis.get_title() for axis in figure.axes) + figure.get_suptitle()
        assert f"{protocol} protocol" in title and f"K = {k} splits" in title
    assert "post-encoding" in radar.axes[0].get_title()
    assert "pre- and post-encoding" not in radar.axes[0].get_title()
    assert "pre" in q.axes[0].get_title() and "post" in q.axes[0].get_title()
    assert ("as the paper" in figure_text(radar)) == (protocol == "neuco")
    figure, _ = ablation_figure(
        "probe_depth", depth_summary(), protocol=protocol, aggregation="post"
    )
    title = figure.get_suptitle()
    assert f"{protocol} protocol" in title and "K = 10 splits" in title
    assert "post-encoding" in title


def test_rank_evolution_names_phase_k_tasks_and_marks_rounds():
    from eobench.plots.rank_evolution import (
        rank_evolution_figure,
        submission_rounds,
        tie_offsets,
    )

    history = rank_history()
    assert submission_rounds(history).tolist() == [1, 1, 1, 2, 2, 2]
    figure = rank_evolution_figure(
        history,
        encoders=REGISTRY,
        phase="development",
        k_splits=40,
        tasks=["biomass_mean", "crops"],
        protocol="neuco",
    )
    axis = figure.axes[0]
    title = axis.get_title()
    assert "development phase" in title and "K = 40 splits" in title
    assert "biomass_mean, crops" in title
    (top,) = axis.child_axes  # the rounds' names on a top axis, at their centres
    assert [label.get_text() for label in top.get_xticklabels()] == [
        "round 1: pre",
        "round 2: post",
    ]
    assert list(top.get_xticks()) == [2.0, 5.0]
    separators = [line for line in axis.get_lines() if tuple(line.get_xdata()) == (3.5, 3.5)]
    assert len(separators) == 1
    # Offsets only where teams share a rank, and the caption says so.
    offsets = tie_offsets(rank_evolution_ranks(history))
    assert (offsets.loc[[1, 2, 3, 4, 6]] == 0).all().all()
    assert offsets.loc[5, "rcf"] < 0 < offsets.loc[5, "pca"] and offsets.loc[5, "oracle"] == 0
    assert "sharing a rank are drawn" in figure.get_supxlabel()
    steps = {line.get_label(): line for line in axis.get_lines()}
    np.testing.assert_allclose(steps["oracle"].get_ydata()[2:], 1.0)  # untied: no offset


def rank_evolution_ranks(history):
    from eobench.plots.rank_evolution import team_ranks

    return team_ranks(history)


def test_runtime_figure_shows_the_spread_and_the_papers_cell():
    import pandas as pd

    from eobench.plots.runtime_scaling import runtime_scaling_figure

    rows = []
    for dim in (256, 1024):
        for epochs in (10, 20):
            for k in (10, 40):
                base = dim * epochs * k / 1e6
                rows.append(
                    {
                        "embedding_dim": dim,
                        "epochs": epochs,
                        "k_splits": k,
                        "n_samples": 2415,
                        "seconds_per_task": base,
                        "seconds_median": 1.1 * base,
                        "seconds_min": base,
                        "seconds_max": 1.5 * base,
                        "repeats": 3,
                        "machine": "x86_64, 2 CPUs",
                        "threads": 2,
                        "device": "cpu",
                    }
                )
    figure = runtime_scaling_figure(pd.DataFrame(rows))
    axis = figure.axes[0]
    labels = [text.get_text() for text in axis.get_legend().get_texts()]
    assert "20 epochs, K = 40" in labels
    paper = [line for line in axis.get_lines() if line.get_label().startswith("paper")]
    assert [tuple(paper[0].get_xydata()[0])] == [(1024, 7.98)]
    caption = figure.get_supxlabel().replace("\n", " ")
    assert "median of 3 runs" in caption and "range" in caption
    assert "ours: median 0.90 s, range 0.82 to 1.23 s" in caption
    assert "16-core CPU" in caption and "2 CPUs" in axis.get_title()
    # One run per cell (an older table without spread columns): said so, not hidden.
    old = pd.DataFrame(rows).drop(columns=["seconds_median", "seconds_min", "seconds_max"])
    caption = runtime_scaling_figure(old.drop(columns="repeats")).get_supxlabel()
    assert "One run per cell" in caption
