"""Figs. 4 and 5 of the adaptation stage: what each panel draws, checked against pandas."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest
from adaptation_metrics import adaptation_metrics
from PIL import Image

from eobench.errors import EobenchError
from eobench.plots.adaptation import (
    geographic_shift_figure,
    low_shot_figure,
    plot_geographic_shift,
    plot_low_shot,
)

ENCODERS = ["galileo", "galileo_random"]


@pytest.fixture(scope="module")
def metrics():
    return adaptation_metrics()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def lines_by_gid(axis) -> dict:
    return {line.get_gid(): line for line in axis.lines if line.get_gid()}


def test_low_shot_panels_draw_the_seed_means_of_ft_on_the_random_test(metrics):
    figure = low_shot_figure(metrics, encoders=ENCODERS)
    axes = np.array(figure.axes[:6]).reshape(2, 3)  # tasks x inputs
    assert [ax.get_title() for ax in axes[0]] == ["input: rgb", "input: s2", "input: multimodal"]
    assert [t.get_text() for t in axes[1, 0].get_xticklabels()] == ["5 %", "50 %", "100 %"]
    ft = metrics[(metrics["mode"] == "FT") & (metrics["test_split"] == "random")]
    panel = ft[(ft["task"] == "species") & (ft["inputs"] == "s2")]
    lines = lines_by_gid(axes[1, 1])
    assert set(lines) == set(ENCODERS)
    for encoder, line in lines.items():
        means = panel[panel["encoder"] == encoder].groupby("subset")["score"].mean()
        expected = [means["train_5"], means["train_50"], means["train_100"]]
        np.testing.assert_allclose(line.get_ydata(), expected)
        np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2])
    # Pretrained and random init apart without colour: line style and marker fill.
    assert lines["galileo"].get_linestyle() == "-" and lines["galileo"].get_fillstyle() == "full"
    assert lines["galileo_random"].get_linestyle() == "--"
    assert lines["galileo_random"].get_fillstyle() == "none"
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["galileo (pretrained)", "galileo_random (random init)"]


def test_geographic_shift_points_are_random_against_geographic_means(metrics):
    figure = geographic_shift_figure(metrics, encoders=ENCODERS)
    axis = np.array(figure.axes[:6]).reshape(2, 3)[0, 2]  # biomass, multimodal
    drawn = lines_by_gid(axis)
    runs = metrics[
        (metrics["subset"] == "train_100")
        & (metrics["task"] == "biomass")
        & (metrics["inputs"] == "multimodal")
    ]
    means = runs.groupby(["encoder", "mode", "test_split"])["score"].mean()
    for encoder in ENCODERS:
        for mode in ("LP", "FT", "JT", "JT-TTT", "JT-TTT-Geo"):
            point = drawn[f"{encoder}/{mode}"]
            assert point.get_xdata()[0] == pytest.approx(means[(encoder, mode, "random")])
            assert point.get_ydata()[0] == pytest.approx(means[(encoder, mode, "geographic")])
    markers = {drawn[f"galileo/{m}"].get_marker() for m in ("LP", "FT", "JT", "JT-TTT")}
    assert len(markers) == 4  # every mode its own shape
    assert drawn["galileo_random/FT"].get_fillstyle() == "none"
    diagonal = drawn["diagonal"]
    np.testing.assert_allclose(diagonal.get_xdata(), diagonal.get_ydata())
    assert axis.get_xlim() == axis.get_ylim()


@pytest.mark.parametrize("plot", [plot_low_shot, plot_geographic_shift])
def test_figures_are_written_with_size_and_provenance(plot, metrics, tmp_path):
    pdf, png = tmp_path / "figure.pdf", tmp_path / "figure.png"
    plot(metrics, pdf, png, {"width": 8.0, "height": 6.0, "dpi": 50}, {"run": 7}, ENCODERS)
    with Image.open(png) as image:
        assert image.size == (400, 300)
        assert json.loads(image.info["Description"]) == {"run": 7}
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_inputs_are_named(metrics):
    with pytest.raises(EobenchError, match=r"figures\.low_shot: unknown setting 'colour'"):
        low_shot_figure(metrics, {"colour": "red"})
    with pytest.raises(EobenchError, match="no rows with mode LP-TTT"):
        low_shot_figure(metrics, {"mode": "LP-TTT"})
    random_only = metrics[metrics["test_split"] == "random"]
    with pytest.raises(EobenchError, match="needs runs scored on the random and the geographic"):
        geographic_shift_figure(random_only)
    two_weights = metrics.replace({"galileo_random": "galileo"})
    with pytest.raises(EobenchError, match="'galileo' has rows with two kinds of weights"):
        low_shot_figure(two_weights)


def test_geographic_r2_below_the_floor_sits_on_the_edge_with_its_value(metrics):
    far_off = adaptation_metrics(geographic_drop=5.0)  # geographic R² near -4.5
    figure = geographic_shift_figure(far_off, {"r2_floor": -1.0}, encoders=ENCODERS)
    biomass = np.array(figure.axes[:6]).reshape(2, 3)[0, 1]
    drawn = lines_by_gid(biomass)
    runs = far_off[(far_off["subset"] == "train_100") & (far_off["task"] == "biomass")]
    runs = runs[runs["inputs"] == "s2"]
    means = runs.groupby(["encoder", "mode", "test_split"])["score"].mean()
    point = drawn["galileo/FT"]
    assert point.get_ydata()[0] == -1.0
    assert point.get_xdata()[0] == pytest.approx(means[("galileo", "FT", "random")])
    notes = {t.get_gid(): t.get_text() for t in biomass.texts}
    geographic = means[("galileo", "FT", "geographic")]
    assert f"FT {geographic:.1f}" in notes["galileo/off-scale"]
    assert -1.1 < biomass.get_ylim()[0] < -1.0
    # mAP is bounded: the species panels have no floor and no off-scale notes.
    species = np.array(figure.axes[:6]).reshape(2, 3)[1, 1]
    assert not species.texts
