"""The exploration notebooks: executed by the tiny run, their library views, reruns."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import zarr
from test_workflow import planned_jobs, with_report_jobs

from eobench.data.explore import band_statistics, example_rows, rgb_images, sar_images
from eobench.data.store import CubeStore
from eobench.errors import EobenchError
from eobench.notebooks import execute_notebook, path_leaves
from eobench.plots.explore import intervals_figure, score_overview, significant_wins

NOTEBOOKS = ("neuco_leaderboard", "neuco_task_scores", "data")
STEM = "results/notebooks/synth_tiny"


def executed(workdir: Path, name: str):
    return nbformat.read(workdir / f"{STEM}/{name}.ipynb", as_version=4)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_tiny_run_executes_every_notebook(tiny_run, name):
    workdir, _ = tiny_run
    notebook = executed(workdir, name)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "a cell did not run"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "a cell warned"
    assert any("image/png" in o.get("data", {}) for o in outputs)
    # The run's values are injected, visibly, below the defaults.
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'dataset = "synth_tiny"' in injected[0].source
    parameters = notebook.metadata.papermill["parameters"]
    assert parameters["dataset"] == "synth_tiny"
    read = ("protocols", "cubes", "samples", "labels", "references")
    paths = list(path_leaves([parameters[k] for k in read if k in parameters]))
    assert paths
    for path in paths:
        assert path.startswith("results/") and (workdir / path).exists(), path
        assert f'"{path}"' in injected[0].source
    # No timings: a rerun on the same inputs writes the same bytes.
    assert "start_time" not in json.dumps(notebook.metadata)
    assert not [c for c in notebook.cells if "execution" in c.metadata]
    html = (workdir / f"{STEM}/{name}.html").read_text()
    assert "data:image/png;base64," in html and 'src="http' not in html


@pytest.mark.slow
def test_a_notebook_rerun_gives_the_same_files(tiny_run, tmp_path, monkeypatch):
    workdir, _ = tiny_run
    name = "neuco_leaderboard"
    notebook = executed(workdir, name)
    injected = next(c for c in notebook.cells if c.id == "injected-parameters")
    parameters = {}  # in the run's order (the stored metadata sorts the keys)
    exec(injected.source, {}, parameters)
    monkeypatch.chdir(workdir)  # the parameters are paths relative to the run's folder
    execute_notebook(
        f"report/notebooks/{name}.ipynb", tmp_path / "x.ipynb", tmp_path / "x.html", parameters
    )
    assert (tmp_path / "x.ipynb").read_bytes() == (workdir / f"{STEM}/{name}.ipynb").read_bytes()
    assert (tmp_path / "x.html").read_bytes() == (workdir / f"{STEM}/{name}.html").read_bytes()


def test_a_failing_cell_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("value = 1", id="parameters")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("1 / (value - 2)", id="fails")]
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nbformat.write(notebook, "broken.ipynb")
    with pytest.raises(EobenchError) as error:
        execute_notebook("broken.ipynb", "out.ipynb", "out.html", {"value": 2}, "raw.ipynb")
    message = str(error.value)
    assert message.startswith("broken.ipynb: cell ") and "ZeroDivisionError" in message
    assert "\n" not in message and "raw.ipynb" in message
    assert not Path("out.ipynb").exists() and not Path("out.html").exists()
    assert "ZeroDivisionError" in Path("raw.ipynb").read_text()  # the traceback is kept


def test_a_notebook_without_parameters_cell_is_refused(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1", id="only")]
    nbformat.write(notebook, tmp_path / "plain.ipynb")
    with pytest.raises(EobenchError, match=r"plain\.ipynb: no cell tagged 'parameters'"):
        execute_notebook(tmp_path / "plain.ipynb", tmp_path / "o.ipynb", tmp_path / "o.html", {})


@pytest.mark.slow
def test_editing_a_notebook_reruns_that_notebook_alone(tiny_run, tmp_path):
    workdir, _ = tiny_run
    copy = tmp_path / "run"
    shutil.copytree(workdir, copy, symlinks=True)  # keeps mtimes and .snakemake records
    # One dry run (about 15 s): every notebook's rule comes from the same loop.
    path = copy / "report/notebooks/data.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("An edit.", id="edit"))
    nbformat.write(notebook, path)
    # with the report's jobs: the provenance manifest and the run page
    assert planned_jobs(copy) == {"all": 1, **with_report_jobs({"notebook_data": 1})}


# -- the library views the notebooks show ---------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["s2l2a", "s1"])
def test_band_statistics_match_numpy_on_the_raw_arrays(tiny_run, name):
    workdir, _ = tiny_run
    path = workdir / "results/data/synth_tiny/cubes.zarr"
    statistics = band_statistics(CubeStore(path), name, batch_size=50).set_index(["season", "band"])
    array = zarr.open_group(path, mode="r")[name]
    raw = array[:].astype(np.float64)  # [n, T, C, H, W]
    nodata = array.attrs["nodata"]
    for t, season in enumerate(array.attrs["seasons"]):
        for c, band in enumerate(array.attrs["bands"]):
            values = raw[:, t, c].ravel()
            valid = values[values != nodata]
            row = statistics.loc[(season, band)]
            assert row["n_valid"] == valid.size
            assert row["nodata_fraction"] == pytest.approx(1 - valid.size / values.size)
            assert row["mean"] == pytest.approx(valid.mean(), rel=1e-9)
            assert row["std"] == pytest.approx(valid.std(), rel=1e-6)
            assert (row["min"], row["max"]) == (valid.min(), valid.max())


def test_example_rows_are_evenly_spaced_and_bounded():
    assert example_rows(240, 3) == [0, 120, 239]
    assert example_rows(2, 5) == [0, 1]
    with pytest.raises(EobenchError, match=r"notebooks\.data\.examples"):
        example_rows(10, 0)


def test_sar_images_stretch_vv_vh_and_their_ratio():
    rng = np.random.default_rng(0)
    cube = np.stack([rng.normal(-10, 3, (4, 8, 8)), rng.normal(-18, 3, (4, 8, 8))], axis=1)
    cube[2, :, :3, :3] = 0.0  # nodata corner
    images = sar_images(cube, 5, 95)
    valid = np.ones((4, 8, 8), bool)
    valid[2, :3, :3] = False
    ratio = (cube[:, 0] - cube[:, 1])[valid]
    lo, hi = np.percentile(ratio, [5, 95])
    expected = np.clip(((cube[:, 0] - cube[:, 1]) - lo) / (hi - lo), 0, 1)
    np.testing.assert_allclose(images["VV/VH"][..., 2][valid], expected[valid])
    np.testing.assert_allclose(images["VV/VH"][..., 0], images["VV"])
    assert not images["VV/VH"][2, :3, :3].any() and images["VH"].max() == 1.0


def test_rgb_images_stretch_each_season_on_its_own():
    bands = ["B02", "B03", "B04", "B08"]
    rng = np.random.default_rng(1)
    cube = rng.integers(1, 3000, (4, 4, 8, 8)).astype(np.uint16)
    cube[3] *= 3  # a bright season does not darken the others
    images = rgb_images(cube, bands, 0, 100)
    assert images.shape == (4, 8, 8, 3)
    for t in range(4):
        assert images[t].min() == 0.0 and images[t].max() == 1.0
        red = cube[t, 2].astype(float)
        low, high = cube[t, 0:3].min(), cube[t, 0:3].max()
        np.testing.assert_allclose(images[t][..., 0], (red - low) / (high - low))
    with pytest.raises(EobenchError, match="no band 'B04'"):
        rgb_images(cube[:, :2], bands[:2])


def test_significant_wins_count_tasks_by_sign_and_level():
    tests = pd.DataFrame(
        {
            "task": ["t1", "t1", "t2", "t2", "t3"],
            "method_a": ["a", "a", "a", "b", "a"],
            "method_b": ["b", "c", "b", "c", "b"],
            "median_difference": [0.3, -0.2, 0.1, 0.4, 0.5],
            "p_holm": [0.01, 0.02, 0.2, 0.001, 0.04],
        }
    )
    wins = significant_wins(tests, alpha=0.05)
    expected = {("a", "b"): 2, ("c", "a"): 1, ("b", "c"): 1}
    for a in "abc":
        for b in "abc":
            assert wins.loc[a, b] == expected.get((a, b), 0), (a, b)
    assert significant_wins(tests, alpha=0.005).to_numpy().sum() == 1


@pytest.mark.slow
def test_intervals_figure_draws_the_files_intervals_best_first(tiny_run):
    workdir, _ = tiny_run
    intervals = pd.read_csv(workdir / "results/scores/synth_tiny/neuco/intervals.csv")
    figure = intervals_figure(intervals)
    axis = figure.axes[0]
    labels = [t.get_text() for t in axis.get_yticklabels()]
    by_rank = intervals[intervals["resample"] == "splits"].sort_values("aggregated_rank")
    assert labels == list(by_rank["method"])
    for container, resample in zip(axis.containers, ("splits", "tasks"), strict=True):
        part = intervals[intervals["resample"] == resample].set_index("method").loc[labels]
        segments = container.lines[2][0].get_segments()
        np.testing.assert_allclose([s[0][0] for s in segments], part["mean_q_low"])
        np.testing.assert_allclose([s[1][0] for s in segments], part["mean_q_high"])


def test_score_overview_puts_tasks_in_rows_with_their_references():
    scores = pd.DataFrame(
        {
            "method": ["m/pre", "m/pre", "n/post", "n/post"],
            "task": ["t1", "t2", "t1", "t2"],
            "mean_score": [0.5, 0.25, -1.0, 0.125],
            "std_score": [0.1, 0.2, 0.3, 0.05],
        }
    )
    references = pd.DataFrame({"task": ["t2", "t1"], "ceiling": [0.9, 0.8], "chance": [0, 0.5]})
    table = score_overview(scores, references)
    assert list(table.index) == ["t1", "t2"]
    assert list(table.columns) == ["ceiling", "chance", "m/pre", "n/post"]
    assert table.loc["t1", "ceiling"] == 0.8 and table.loc["t1", "chance"] == 0.5
    assert table.loc["t2", "n/post"] == "0.12 ± 0.05" and table.loc["t1", "m/pre"] == "0.50 ± 0.10"
