"""Table rendering: content, bold maxima, round trips, LaTeX escaping and structure, provenance."""

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from eobench.errors import EobenchError
from eobench.tables.references import read_task_references
from eobench.tables.render import (
    latex_escape,
    markdown_escape,
    render_leaderboard,
    render_task_scores,
)

#: The 11 tasks of the challenge, in the order the scoring stage writes them.
TASKS = {
    "biomass_mean": "regr",
    "biomass_std": "regr",
    "crops": "cls",
    "landcover_agriculture": "regr",
    "landcover_forest": "regr",
    "clouds_reg": "regr",
    "heatisland_mean": "regr",
    "heatisland_std": "regr",
    "nodata": "regr",
    "random_reg": "regr",
    "random_cls": "cls",
}
ENCODERS = {"averaging": 0.45, "random": -0.3, "rcf": 0.5, "pca": 0.55, "oracle": 0.9}
PROVENANCE = {
    "code_version": "eobench 9.9.9 test-commit",
    "settings": {"decimals": 2, "note": "a-->b"},
}


def neuco_task_scores(seed: int = 0) -> pd.DataFrame:
    """A task score table shaped like the scoring stage's: 5 encoders x 2 aggregations x
    11 tasks, Q = 100 * 0.02 * mean / (std + 0.02), weights = std of Q over methods."""
    rng = np.random.default_rng(seed)
    rows = []
    for encoder, skill in ENCODERS.items():
        for aggregation in ("pre", "post"):
            for task, kind in TASKS.items():
                if task.startswith("random"):  # no signal: R² near 0, F1 near chance
                    mean = rng.normal(-0.05, 0.04) if kind == "regr" else rng.uniform(0.45, 0.55)
                elif kind == "cls":
                    mean = float(np.clip(0.5 + 0.45 * skill + rng.normal(0, 0.05), 0, 1))
                else:
                    mean = min(skill - 0.3 * (aggregation == "pre") + rng.normal(0, 0.2), 0.98)
                std = rng.uniform(0.01, 0.3)
                rows.append(
                    {
                        "method": f"{encoder}/{aggregation}",
                        "encoder": encoder,
                        "aggregation": aggregation,
                        "task": task,
                        "task_type": kind,
                        "metric": "f1" if kind == "cls" else "r2",
                        "mean_score": mean,
                        "std_score": std,
                        "n_splits": 10,
                        "q": 100 * 0.02 * mean / (std + 0.02),
                    }
                )
    frame = pd.DataFrame(rows)
    spread = frame.pivot(index="method", columns="task", values="q").std(ddof=1)
    frame["weight"] = frame["task"].map(spread / spread.sum())
    return frame


@pytest.fixture
def task_scores():
    return neuco_task_scores()


@pytest.fixture
def templates(repo):
    return repo / "report" / "templates"


def render(task_scores, tmp_path, templates, settings=None, references=None):
    out = {ext: tmp_path / f"task_scores.{ext}" for ext in ("csv", "md", "tex")}
    render_task_scores(
        task_scores,
        out["csv"],
        out["md"],
        out["tex"],
        templates / "task_scores.md.j2",
        templates / "task_scores.tex.j2",
        settings,
        PROVENANCE,
        references,
    )
    return out


def markdown_rows(text: str) -> list[list[str]]:
    """The cells of every row of the first Markdown table in ``text``."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]


def provenance_comment(text: str, pattern: str) -> dict:
    """The JSON provenance of a ``<!-- eobench provenance: ... -->`` or ``% ...`` footer."""
    match = re.search(pattern, text)
    assert match, "no provenance footer"
    return json.loads(match.group(1))


def test_markdown_has_a_row_per_method_a_column_per_task_and_bold_maxima(
    task_scores, tmp_path, templates
):
    text = render(task_scores, tmp_path, templates)["md"].read_text()
    header, rule, *body = markdown_rows(text)
    methods = list(dict.fromkeys(task_scores["method"]))
    assert len(body) == len(methods) == 10
    assert header[:2] == ["encoder", "aggregation"]
    assert [cell.split(" (")[0] for cell in header[2:]] == list(TASKS)
    assert header[2 + list(TASKS).index("crops")] == "crops (F1)"
    assert all(len(row) == 2 + len(TASKS) for row in [rule, *body])
    for column, task in enumerate(TASKS, start=2):
        means = task_scores[task_scores["task"] == task].set_index("method")["mean_score"]
        cells = [row[column] for row in body]
        bold = [methods[i] for i, cell in enumerate(cells) if cell.startswith("**")]
        assert bold == [means.idxmax()], task
        row = methods.index(means.idxmax())
        std = task_scores.set_index(["method", "task"]).loc[(means.idxmax(), task), "std_score"]
        assert cells[row] == f"**{means.max():.2f} ± {std:.2f}**"


def test_cells_that_print_equal_to_the_maximum_are_all_bold(task_scores, tmp_path, templates):
    tied = task_scores.copy()
    crops = tied["task"] == "crops"
    best = tied.loc[crops, "mean_score"].max()
    tied.loc[crops & (tied["method"] == "random/pre"), "mean_score"] = best - 1e-4
    body = markdown_rows(render(tied, tmp_path, templates)["md"].read_text())[2:]
    column = 2 + list(TASKS).index("crops")
    assert sum(row[column].startswith("**") for row in body) == 2


def test_csv_round_trips_the_numbers(task_scores, tmp_path, templates):
    wide = pd.read_csv(render(task_scores, tmp_path, templates)["csv"])
    expected = ["row", "method", "encoder", "aggregation", "same_as"] + [
        f"{task}_{stat}" for task in TASKS for stat in ("mean", "std")
    ]
    assert list(wide.columns) == expected
    wide = wide.set_index("method")
    for row in task_scores.itertuples():
        assert wide.loc[row.method, f"{row.task}_mean"] == pytest.approx(row.mean_score, 1e-12)
        assert wide.loc[row.method, f"{row.task}_std"] == pytest.approx(row.std_score, 1e-12)
        assert wide.loc[row.method, "encoder"] == row.encoder


def test_missing_values_print_a_dash_and_no_false_bold(task_scores, tmp_path, templates):
    holes = task_scores.copy()
    nodata = holes["task"] == "nodata"
    holes.loc[nodata & (holes["method"] == "rcf/pre"), "mean_score"] = np.nan
    holes.loc[nodata & (holes["method"] == "pca/pre"), "std_score"] = np.nan
    out = render(holes, tmp_path, templates)
    methods = list(dict.fromkeys(holes["method"]))
    body = markdown_rows(out["md"].read_text())[2:]
    column = 2 + list(TASKS).index("nodata")
    assert body[methods.index("rcf/pre")][column] == "–"
    pca_mean = holes.loc[nodata & (holes["method"] == "pca/pre"), "mean_score"].item()
    assert body[methods.index("pca/pre")][column].strip("*") == f"{pca_mean:.2f}"
    assert sum(row[column].startswith("**") for row in body) == 1
    for text in (out["tex"].read_text(), out["md"].read_text()):
        assert not re.search(r"\bnan\b", text, re.IGNORECASE)


def latex_body(tex: str) -> str:
    """``tex`` without its comment lines."""
    return "\n".join(line for line in tex.splitlines() if not line.lstrip().startswith("%"))


def check_latex_structure(tex: str, n_columns: int) -> None:
    """What pdflatex would reject: unbalanced braces or environments, ragged rows,
    unescaped underscores, commands outside LaTeX, booktabs and graphicx."""
    body = latex_body(tex)
    unescaped = re.sub(r"\\[{}]", "", body)
    depth = 0
    for char in unescaped:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "a closing brace without its opening"
    assert depth == 0, "unbalanced braces"
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{(\w+\*?)\}", body):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, f"\\end{{{name}}} does not close its \\begin"
    assert not stack, f"unclosed environments {stack}"
    spec = re.search(r"\\begin\{tabular\}\{([lcr]+)\}", body)
    assert spec and len(spec.group(1)) == n_columns
    tabular = body[body.index(r"\toprule") : body.index(r"\bottomrule")]
    rows = [row for row in tabular.split(r"\\") if "&" in row]
    assert rows and all(len(re.findall(r"(?<!\\)&", row)) == n_columns - 1 for row in rows)
    text = re.sub(r"\$[^$]*\$|\\label\{[^}]*\}", "", body)  # "_" is fine in math and labels
    assert not re.search(r"(?<!\\)_", text), "unescaped underscore"
    assert body.count("$") % 2 == 0, "unbalanced math mode"
    known = {
        "begin", "end", "centering", "caption", "label", "resizebox", "linewidth",
        "toprule", "midrule", "bottomrule", "rotatebox", "emph", "boldmath", "pm",
        "par", "footnotesize", "varepsilon",
        "_", "&", "%", "#", "{", "}", "$", "textbackslash", "textless", "textgreater",
        "times", "leq", "geq", "textasciitilde", "textasciicircum",
    }  # fmt: skip
    used = set(re.findall(r"\\([A-Za-z]+|[^A-Za-z\\])", body.replace("\\\\", "")))
    assert used <= known, f"unexpected commands {used - known}"


def test_latex_escapes_underscores_and_is_well_formed(task_scores, tmp_path, templates):
    tex = render(task_scores, tmp_path, templates, {"decimals": 3})["tex"].read_text()
    check_latex_structure(tex, 2 + len(TASKS))
    body = latex_body(tex)
    assert r"\rotatebox{60}{landcover\_agriculture}" in body
    assert re.search(r"^pca & post( & .*){11} \\\\$", body, re.MULTILINE)
    assert re.search(r"\$-?\d+\.\d{3} \\pm \d+\.\d{3}\$", body)
    assert body.count(r"{\boldmath$") == len(TASKS)  # one best cell per task, no ties here
    assert r"\usepackage{booktabs,graphicx}" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_tables_compile(task_scores, tmp_path, templates):
    render(task_scores, tmp_path, templates)
    board = neuco_leaderboard(task_scores)
    render_leaderboard(
        board[0],
        board[1],
        tmp_path / "leaderboard.md",
        tmp_path / "leaderboard.tex",
        templates / "leaderboard.md.j2",
        templates / "leaderboard.tex.j2",
    )
    (tmp_path / "main.tex").write_text(
        "\\documentclass{article}\n\\usepackage{booktabs,graphicx}\n\\begin{document}\n"
        "\\input{task_scores.tex}\n\\input{leaderboard.tex}\n\\end{document}\n"
    )
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_provenance_is_a_footer_of_both_formats(task_scores, tmp_path, templates):
    out = render(task_scores, tmp_path, templates)
    md, tex = out["md"].read_text(), out["tex"].read_text()
    assert provenance_comment(md, r"<!-- eobench provenance: (.*) -->\n$") == PROVENANCE
    assert provenance_comment(tex, r"\n% eobench provenance: (.*)\n$") == PROVENANCE
    # "-->" inside the provenance must not close the Markdown comment early.
    assert md.count("-->") == 1


def test_caption_and_label_reach_the_latex_escaped(task_scores, tmp_path, templates):
    settings = {"caption": "Scores of rcf_post ± std, 50% & more", "label": "tab:my_scores"}
    out = render(task_scores, tmp_path, templates, settings)
    tex = out["tex"].read_text()
    assert r"\caption{Scores of rcf\_post $\pm$ std, 50\% \& more}" in tex
    assert r"\label{tab:my_scores}" in tex
    assert "Table: Scores of rcf_post ± std, 50% & more" in out["md"].read_text()
    check_latex_structure(tex, 2 + len(TASKS))


def test_latex_escape():
    assert latex_escape("a_b & 50% #1 {x} R² ± 1") == r"a\_b \& 50\% \#1 \{x\} R$^2$ $\pm$ 1"
    assert latex_escape("C:\\path~") == r"C:\textbackslash{}path\textasciitilde{}"
    assert markdown_escape("a|b") == r"a\|b"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"colour": "red"}, r"tables\.task_scores: unknown setting 'colour'"),
        ({"decimals": -1}, r"tables\.task_scores\.decimals: -1 is not a non-negative integer"),
        ({"decimals": 2.5}, r"tables\.task_scores\.decimals"),
        ({"label": "tab:a b"}, r"tables\.task_scores\.label"),
        ({"caption": 3}, r"tables\.task_scores\.caption: 3 is not a string"),
    ],
)
def test_bad_settings_are_rejected(task_scores, tmp_path, templates, settings, message):
    with pytest.raises(ValueError, match=message):
        render(task_scores, tmp_path, templates, settings)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_missing_column_names_it(task_scores, tmp_path, templates):
    with pytest.raises(EobenchError, match=r"missing columns \['std_score'\]"):
        render(task_scores.drop(columns="std_score"), tmp_path, templates)


def neuco_leaderboard(task_scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The paper's rank-then-aggregate leaderboard, computed here with scipy and pandas."""
    q = task_scores.pivot(index="method", columns="task", values="q")[list(TASKS)]
    weights = task_scores.drop_duplicates("task").set_index("task")["weight"][list(TASKS)]
    ranks = q.apply(lambda column: rankdata(-column, method="min"))
    weighted = (ranks * weights).sum(axis=1)
    board = q.assign(
        mean_q=q.mean(axis=1),
        weighted_score=weighted,
        aggregated_rank=rankdata(weighted, method="min").astype(int),
    )
    board = board.sort_values("weighted_score", kind="stable").reset_index()
    return board[["method", "mean_q", "weighted_score", "aggregated_rank", *TASKS]], weights


def test_leaderboard_has_every_method_in_order_and_a_weights_row(task_scores, tmp_path, templates):
    board, weights = neuco_leaderboard(task_scores)
    md, tex = tmp_path / "leaderboard.md", tmp_path / "leaderboard.tex"
    render_leaderboard(
        board,
        weights,
        md,
        tex,
        templates / "leaderboard.md.j2",
        templates / "leaderboard.tex.j2",
        {"decimals": 1},
        PROVENANCE,
    )
    header, _, *body = markdown_rows(md.read_text())
    # The header says what the columns are: Q per task, and which way the score points.
    assert header == [
        "rank",
        "method",
        "mean Q",
        "weighted score (lower is better)",
        *(f"Q {task}" for task in TASKS),
    ]
    *rows, weight_row = body
    assert [row[1] for row in rows] == list(board["method"])
    for row, expected in zip(rows, board.itertuples(index=False), strict=True):
        assert int(row[0]) == expected.aggregated_rank
        assert float(row[2]) == pytest.approx(expected.mean_q, abs=0.05)
        assert float(row[3]) == pytest.approx(expected.weighted_score, abs=0.05)
        for task, cell in zip(TASKS, row[4:], strict=True):
            assert float(cell) == pytest.approx(getattr(expected, task), abs=0.05)
    assert weight_row[1] == "*task weight*"
    shown = [float(cell.strip("*")) for cell in weight_row[4:]]
    np.testing.assert_allclose(shown, weights.to_numpy(), atol=5e-4)
    assert sum(shown) == pytest.approx(1, abs=0.01)
    assert provenance_comment(md.read_text(), r"<!-- eobench provenance: (.*) -->") == PROVENANCE

    text = tex.read_text()
    check_latex_structure(text, 4 + len(TASKS))
    assert r"\rotatebox{60}{$Q$ random\_cls}" in text
    assert "not R$^2$ or F1" in text and "lower is better" in text
    assert provenance_comment(text, r"% eobench provenance: (.*)\n$") == PROVENANCE


def test_leaderboard_missing_task_column_names_it(task_scores, tmp_path, templates):
    board, weights = neuco_leaderboard(task_scores)
    with pytest.raises(EobenchError, match=r"missing columns \['nodata'\]"):
        render_leaderboard(
            board.drop(columns="nodata"),
            weights,
            tmp_path / "l.md",
            tmp_path / "l.tex",
            templates / "leaderboard.md.j2",
            templates / "leaderboard.tex.j2",
        )


def references_of(task_scores, ceiling=0.95):
    """Ceiling and chance per task as tasks.csv writes them (F1 chance of a 1:1 task)."""
    kinds = task_scores.drop_duplicates("task").set_index("task")["task_type"]
    return pd.DataFrame(
        {
            "task": kinds.index,
            "ceiling": [np.nan if t.startswith("random") else ceiling for t in kinds.index],
            "chance": [2 / 3 if kind == "cls" else 0.0 for kind in kinds],
        }
    )


def render_with_references(task_scores, tmp_path, templates, references, settings=None):
    return render(task_scores, tmp_path, templates, settings, references)


def test_ceiling_and_chance_rows_follow_the_methods(task_scores, tmp_path, templates):
    out = render_with_references(task_scores, tmp_path, templates, references_of(task_scores))
    text = out["md"].read_text()
    *methods, ceiling, chance = markdown_rows(text)[2:]
    assert len(methods) == 10

    def column(task):
        return 2 + list(TASKS).index(task)

    assert ceiling[0] == "*ceiling*" and ceiling[column("biomass_mean")] == "*0.95*"
    assert ceiling[column("random_reg")] == "*–*"  # unknown ceiling: a dash
    assert chance[0] == "*chance*"
    assert chance[column("crops")] == "*0.67*" and chance[column("nodata")] == "*0.00*"
    wide = pd.read_csv(out["csv"]).set_index("row")
    assert wide.loc["chance", "crops_mean"] == pytest.approx(2 / 3)
    assert np.isnan(wide.loc["ceiling", "random_reg_mean"])
    tex = out["tex"].read_text()
    check_latex_structure(tex, 2 + len(TASKS))
    assert re.search(r"^\\emph\{chance\} & ( & \$\d\.\d\d\$){11} \\\\$", tex, re.M)


def test_a_best_score_at_chance_is_never_bold(task_scores, tmp_path, templates):
    scores = task_scores.copy()
    crops = scores["task"] == "crops"
    # Every method at most chance + 0.02 on crops (F1 chance 0.667), the best 0.68.
    scores.loc[crops, "mean_score"] = np.linspace(0.40, 0.68, crops.sum())
    # random_cls: one method clearly above chance is bold.
    random_cls = scores["task"] == "random_cls"
    scores.loc[random_cls & (scores["method"] == "oracle/post"), "mean_score"] = 0.75
    out = render_with_references(scores, tmp_path, templates, references_of(scores))
    text = out["md"].read_text()
    body = markdown_rows(text)[2:12]
    crops_cells = [row[2 + list(TASKS).index("crops")] for row in body]
    assert not any(cell.startswith("**") for cell in crops_cells)
    assert "0.68" in crops_cells[-1]
    random_cells = [row[2 + list(TASKS).index("random_cls")] for row in body]
    assert [cell.startswith("**") for cell in random_cells].count(True) == 1
    assert random_cells[-1].startswith("**0.75")
    # random_reg: the fixture's best R² is within 0.02 of 0, so nothing is bold there.
    assert "Nothing bold for crops, random_reg:" in text
    assert "at most the chance level + 0.02" in text
    # A larger tolerance takes random_cls's 0.75 out too.
    text = render_with_references(
        scores, tmp_path, templates, references_of(scores), {"chance_tolerance": 0.1}
    )["md"].read_text()
    assert "Nothing bold for crops, random_reg, random_cls:" in text
    assert "**" not in "".join(markdown_rows(text)[2:12][-1][2 + list(TASKS).index("random_cls")])


def test_without_references_the_best_is_bold_as_before(task_scores, tmp_path, templates):
    text = render(task_scores, tmp_path, templates)["md"].read_text()
    assert "*chance*" not in text and "Nothing bold" not in text


def test_methods_with_the_same_embeddings_print_once(task_scores, tmp_path, templates):
    twins = task_scores.copy()
    twins["same_as"] = np.where(twins["method"] == "averaging/post", "averaging/pre", None)
    out = render_with_references(twins, tmp_path, templates, references_of(twins))
    text = out["md"].read_text()
    body = markdown_rows(text)[2:-2]
    assert len(body) == 9
    assert body[0][:2] == ["averaging", "pre = post"]
    assert "averaging/post has the same embeddings as averaging/pre" in text
    wide = pd.read_csv(out["csv"])
    assert wide.set_index("method").loc["averaging/post", "same_as"] == "averaging/pre"


def test_leaderboard_lists_identical_methods_once_with_a_note(task_scores, tmp_path, templates):
    board, weights = neuco_leaderboard(task_scores)
    board.insert(1, "same_as", np.where(board["method"] == "pca/pre", "pca/post", None))
    md, tex = tmp_path / "leaderboard.md", tmp_path / "leaderboard.tex"
    render_leaderboard(
        board,
        weights,
        md,
        tex,
        templates / "leaderboard.md.j2",
        templates / "leaderboard.tex.j2",
        tie_tolerance=1e-4,
    )
    text = md.read_text()
    *rows, _ = markdown_rows(text)[2:]
    methods = [row[1] for row in rows]
    assert len(rows) == 9 and "pca/post = pca/pre" in methods and "pca/pre" not in methods
    assert (
        "pca/pre has the same embeddings as pca/post (up to float rounding): ranked once." in text
    )
    assert "within 0.0001 of a better one share its rank" in text
    check_latex_structure(tex.read_text(), 4 + len(TASKS))


def test_chance_levels_from_labels_and_a_tasks_csv_without_ceilings(tmp_path):
    labels = tmp_path / "labels"
    labels.mkdir()
    pd.DataFrame({"id": list("abcde"), "label": [1, 0, 0, 0, np.nan]}).to_csv(
        labels / "crops__cls.csv", index=False
    )
    pd.DataFrame({"id": list("ab"), "label": [3.2, 1.0]}).to_csv(
        labels / "biomass__regr.csv", index=False
    )
    found = read_task_references(labels).set_index("task")
    # Positive rate 1/4 of the 4 labelled samples: F1 of all-positive = 2 p / (1 + p) = 0.4.
    assert found.loc["crops", "chance"] == pytest.approx(0.4)
    assert found.loc["biomass", "chance"] == 0.0
    assert found["ceiling"].isna().all()
    tasks_csv = tmp_path / "tasks.csv"
    pd.DataFrame({"task": ["crops"], "chance": [0.4]}).to_csv(tasks_csv, index=False)
    assert np.isnan(read_task_references(tasks_csv).loc[0, "ceiling"])


def test_a_task_without_signal_has_no_best_score(task_scores, tmp_path, templates):
    """A task whose ceiling is its chance level (the random tasks): a score above chance is
    selection on small test parts, never printed bold as best."""
    scores = task_scores.copy()
    random_cls = scores["task"] == "random_cls"
    scores.loc[random_cls & (scores["method"] == "oracle/post"), "mean_score"] = 0.75
    references = references_of(scores)
    references.loc[references["task"] == "random_cls", "ceiling"] = 2 / 3
    text = render_with_references(scores, tmp_path, templates, references)["md"].read_text()
    body = markdown_rows(text)[2:12]
    random_cells = [row[2 + list(TASKS).index("random_cls")] for row in body]
    assert not any(cell.startswith("**") for cell in random_cells)
    assert "Nothing bold for random_cls: the labels carry no signal" in text


def test_degenerate_embeddings_are_flagged_under_the_leaderboard(task_scores, tmp_path, templates):
    board, weights = neuco_leaderboard(task_scores)
    first, second = board["method"].iloc[0], board["method"].iloc[1]
    board["constant_dims"] = [832, 3] + [0] * (len(board) - 2)
    board["zero_dims"] = [832, 0] + [0] * (len(board) - 2)
    board["duplicate_rows"] = [0, 41] + [0] * (len(board) - 2)
    md, tex = tmp_path / "leaderboard.md", tmp_path / "leaderboard.tex"
    render_leaderboard(
        board, weights, md, tex, templates / "leaderboard.md.j2", templates / "leaderboard.tex.j2"
    )
    text = md.read_text()
    assert (
        "Dimensions that are zero for every sample (zero padding of a narrower encoder to N, "
        f"or dead features): {first} 832." in text
    )
    assert f"{second}: 3 embedding dimensions are constant (not zero) over all samples." in text
    assert f"{second}: 41 samples have exactly the embedding of another sample." in text
    assert text.count("constant (not zero)") == 1
