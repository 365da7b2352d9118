"""Table rendering: content, bold maxima, LaTeX escaping and structure, provenance."""

import re

import numpy as np
import pandas as pd
import pytest

from eobench.tables.render import latex_escape, render_leaderboard, render_task_scores

TASKS = ["biomass_mean", "crops", "random_reg"]


@pytest.fixture
def task_scores():
    rng = np.random.default_rng(0)
    rows = []
    for encoder in ("rcf", "random"):
        for aggregation in ("pre", "post"):
            for task in TASKS:
                kind = "cls" if task == "crops" else "regr"
                rows.append(
                    {
                        "method": f"{encoder}/{aggregation}",
                        "encoder": encoder,
                        "aggregation": aggregation,
                        "task": task,
                        "task_type": kind,
                        "metric": "f1" if kind == "cls" else "r2",
                        "mean_score": rng.uniform(-0.5, 0.9),
                        "std_score": rng.uniform(0, 0.2),
                        "n_splits": 10,
                        "q": rng.normal(),
                        "weight": 1 / 3,
                    }
                )
    return pd.DataFrame(rows)


def render(task_scores, tmp_path, repo, settings=None):
    out = {ext: tmp_path / f"table.{ext}" for ext in ("csv", "md", "tex")}
    templates = repo / "report" / "templates"
    render_task_scores(
        task_scores,
        out["csv"],
        out["md"],
        out["tex"],
        templates / "task_scores.md.j2",
        templates / "task_scores.tex.j2",
        settings,
        {"code_version": "eobench test"},
    )
    return out


def test_markdown_has_a_row_per_method_and_bold_column_maxima(task_scores, tmp_path, repo):
    out = render(task_scores, tmp_path, repo)
    lines = [line for line in out["md"].read_text().splitlines() if line.startswith("| ")]
    header, body = lines[0], lines[1:]
    assert len(body) == 4
    assert header.count("|") == 2 + len(TASKS) + 1
    for column, task in enumerate(TASKS, start=3):
        cells = [row.split("|")[column].strip() for row in body]
        bold = [i for i, cell in enumerate(cells) if cell.startswith("**")]
        means = task_scores[task_scores["task"] == task]["mean_score"].to_numpy()
        assert bold == [int(np.argmax(means))]
    assert "eobench test" in out["md"].read_text()


def test_csv_round_trips_the_numbers(task_scores, tmp_path, repo):
    out = render(task_scores, tmp_path, repo)
    wide = pd.read_csv(out["csv"]).set_index("method")
    for row in task_scores.itertuples():
        assert wide.loc[row.method, f"{row.task}_mean"] == pytest.approx(row.mean_score)
        assert wide.loc[row.method, f"{row.task}_std"] == pytest.approx(row.std_score)


def test_latex_is_escaped_and_balanced(task_scores, tmp_path, repo):
    tex = render(task_scores, tmp_path, repo, {"decimals": 3})["tex"].read_text()
    assert r"biomass\_mean" in tex and "biomass_mean" not in tex.replace(r"\_", "")
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    assert body.count("{") == body.count("}")
    assert body.count(r"\begin{") == body.count(r"\end{")
    rows = [line for line in body.splitlines() if line.endswith(r"\\") and " & " in line]
    assert all(line.count("&") == 1 + len(TASKS) for line in rows)
    assert re.search(r"\$-?\d+\.\d{3} \\pm \d+\.\d{3}\$", body)


def test_latex_escape():
    assert latex_escape("a_b & 50% #1 {x}") == r"a\_b \& 50\% \#1 \{x\}"


def test_unknown_setting_is_rejected(task_scores, tmp_path, repo):
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        render(task_scores, tmp_path, repo, {"colour": "red"})


def test_leaderboard_table_has_weights_row(tmp_path, repo):
    board = pd.DataFrame(
        {
            "method": ["a/pre", "b/pre"],
            "mean_q": [2.0, 1.0],
            "weighted_score": [1.2, 1.8],
            "aggregated_rank": [1, 2],
            "t_1": [3.0, 1.0],
            "t_2": [1.0, 1.0],
        }
    )
    weights = pd.Series({"t_1": 0.75, "t_2": 0.25})
    templates = repo / "report" / "templates"
    md, tex = tmp_path / "l.md", tmp_path / "l.tex"
    render_leaderboard(
        board, weights, md, tex, templates / "leaderboard.md.j2", templates / "leaderboard.tex.j2"
    )
    text = md.read_text()
    assert "| 1 | a/pre | 2.00 | 1.20 | 3.00 | 1.00 |" in text
    assert "*0.750*" in text and "*0.250*" in text
    assert r"t\_1" in tex.read_text()
