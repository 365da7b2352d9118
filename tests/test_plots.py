"""Figures: both formats written, sized as configured, provenance embedded, bad keys rejected."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from eobench.plots.q_per_task import plot_q_per_task
from eobench.plots.radar import plot_radar

TASKS = [
    "biomass_mean",
    "biomass_std",
    "crops",
    "landcover_agriculture",
    "landcover_forest",
    "clouds_reg",
    "heatisland_mean",
    "heatisland_std",
    "nodata",
    "random_reg",
    "random_cls",
]


@pytest.fixture
def task_scores():
    rng = np.random.default_rng(1)
    rows = []
    for encoder in ("averaging", "random", "rcf", "pca", "oracle"):
        for aggregation in ("pre", "post"):
            for task in TASKS:
                kind = "cls" if task in ("crops", "random_cls") else "regr"
                rows.append(
                    {
                        "method": f"{encoder}/{aggregation}",
                        "encoder": encoder,
                        "aggregation": aggregation,
                        "task": task,
                        "task_type": kind,
                        "metric": "f1" if kind == "cls" else "r2",
                        "mean_score": rng.uniform(-1, 1),
                        "std_score": 0.1,
                        "n_splits": 40,
                        "q": rng.normal(0, 5),
                        "weight": 1 / 11,
                    }
                )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "plot, settings",
    [
        (plot_radar, {"width": 6, "height": 5, "dpi": 50, "clip_min": -0.5}),
        (plot_q_per_task, {"width": 8, "height": 4, "dpi": 50, "show_weights": False}),
    ],
)
def test_figures_are_written_with_size_and_provenance(plot, settings, task_scores, tmp_path):
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    plot(task_scores, pdf, png, settings, {"code_version": "eobench test-version"})
    assert pdf.read_bytes().startswith(b"%PDF") and b"test-version" in pdf.read_bytes()
    with Image.open(png) as image:
        # tight_layout keeps the canvas size: width x dpi by height x dpi.
        assert image.size == (settings["width"] * 50, settings["height"] * 50)
        assert "test-version" in image.info["Description"]


def test_same_inputs_give_identical_files(task_scores, tmp_path):
    outputs = []
    for name in ("one", "two"):
        pdf, png = tmp_path / f"{name}.pdf", tmp_path / f"{name}.png"
        plot_q_per_task(task_scores, pdf, png, {"dpi": 40})
        outputs.append((pdf.read_bytes(), png.read_bytes()))
    assert outputs[0] == outputs[1]


def test_unknown_setting_is_rejected(task_scores, tmp_path):
    with pytest.raises(ValueError, match=r"figures\.radar: unknown setting 'colour'"):
        plot_radar(task_scores, tmp_path / "a.pdf", tmp_path / "a.png", {"colour": "red"})
