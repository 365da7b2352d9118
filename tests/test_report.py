"""The report: tables as HTML, the run page, the paper folder and its macros, and
`snakemake --report` holding every output the README lists."""

from __future__ import annotations

import html.parser
import itertools
import json
import re
import shutil

import pandas as pd
import pytest
from conftest import REPO, TINY, snakemake

from eobench.errors import EobenchError
from eobench.report.html import csv_to_html, markdown_to_html
from eobench.report.macros import macros_tex, resolve_config_macros
from eobench.report.paper import contents_tex
from eobench.report.run_page import read_benchmarks, stage_times


class _Cells(html.parser.HTMLParser):
    """The text of every table cell, row by row, and every HTML comment."""

    def __init__(self):
        super().__init__()
        self.rows, self.comments, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_comment(self, data):
        self.comments.append(data.strip())


def cells_of(page: str) -> _Cells:
    parser = _Cells()
    parser.feed(page)
    return parser


# -- tables as HTML --------------------------------------------------------------------


def test_a_markdown_table_becomes_an_html_table_with_the_same_cells():
    markdown = (
        "| method | mean Q | task a\\|b |\n"
        "|---|---:|---:|\n"
        "| rcf/post | 2.03 | **1.10** |\n"
        "| oracle/pre = oracle/post | 13.92 | – |\n"
        "\n"
        "A note under the table.\n\n"
        "Table: The caption.\n\n"
        "<!-- eobench provenance: {'code_version': 'x'} -->\n"
    )
    page = markdown_to_html(markdown, "leaderboard")
    parsed = cells_of(page)
    expected = [
        [
            cell.strip().replace("\\|", "|").replace("**", "")
            for cell in re.split(r"(?<!\\)\|", line)[1:-1]
        ]
        for line in markdown.splitlines()[:4]
        if not line.startswith("|---")
    ]
    assert parsed.rows == expected
    assert "<strong>1.10</strong>" in page
    assert 'style="text-align: right;"' in page  # numbers right-aligned, as in the md
    assert "A note under the table." in page and "Table: The caption." in page
    assert parsed.comments == ["eobench provenance: {'code_version': 'x'}"]
    assert page.startswith("<!DOCTYPE html>") and "<title>leaderboard</title>" in page


def test_a_csv_page_shows_every_value_to_four_significant_digits(tmp_path):
    frame = pd.DataFrame(
        {
            "method": ["a/post", "b/pre", "c/none"],
            "score": [0.123456789, -12345.678, float("nan")],
            "count": [1, 20, 300],
        }
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    csv_to_html(tmp_path / "t.csv", tmp_path / "t.html", "Scores of ``probe.k_splits`` splits.")
    page = (tmp_path / "t.html").read_text()
    rows = cells_of(page).rows
    assert rows[0] == list(frame.columns)
    for row, (_, record) in zip(rows[1:], frame.iterrows(), strict=True):
        assert row[0] == record["method"]
        if pd.isna(record["score"]):
            assert row[1] == ""
        else:
            assert float(row[1]) == pytest.approx(record["score"], rel=5e-4)
        assert int(row[2]) == record["count"]
    assert "probe.k_splits</tt>" in page or "probe.k_splits</code>" in page  # rst rendered


# -- the run page ------------------------------------------------------------------------

BENCHMARK_HEADER = (
    "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
)


def _benchmark(path, seconds, rss, cpu):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCHMARK_HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")


def test_stage_times_add_up_the_benchmark_files_of_each_stage(tmp_path):
    folder = tmp_path / "benchmarks"
    _benchmark(folder / "probe_embeddings" / "synth" / "neuco" / "rcf" / "post.tsv", 7.5, 300, 6)
    _benchmark(folder / "probe_embeddings" / "synth" / "neuco" / "rcf" / "pre.tsv", 2.5, 500, 2)
    _benchmark(folder / "extract_embeddings" / "synth" / "rcf" / "post.tsv", 4.0, 800, 3.5)
    _benchmark(folder / "paper_folder.tsv", 1.0, 100, 0.5)
    (folder / "unknown_rule").mkdir()
    _benchmark(folder / "unknown_rule" / "x.tsv", 0.25, "-", "-")  # Snakemake's "not measured"
    jobs = read_benchmarks(folder)
    assert sorted(jobs["rule"]) == sorted(
        [
            "probe_embeddings",
            "probe_embeddings",
            "extract_embeddings",
            "paper_folder",
            "unknown_rule",
        ]
    )
    stages = {"probe_embeddings": "probe", "extract_embeddings": "embed", "paper_folder": "report"}
    table = stage_times(jobs, stages).set_index("stage")
    assert list(table.index) == ["probe", "embed", "report", "other"]  # by total time
    assert table.loc["probe", "jobs"] == 2
    assert table.loc["probe", "wall_seconds"] == pytest.approx(10.0)
    assert table.loc["probe", "longest_job_seconds"] == pytest.approx(7.5)
    assert table.loc["probe", "cpu_seconds"] == pytest.approx(8.0)
    assert table.loc["probe", "peak_memory_mb"] == pytest.approx(500)
    assert table.loc["other", "wall_seconds"] == pytest.approx(0.25)
    assert pd.isna(table.loc["other", "peak_memory_mb"])


# -- macros ------------------------------------------------------------------------------

LEADERBOARD = pd.DataFrame(
    {
        "method": ["oracle/pre", "galileo/post", "rcf/post", "averaging/pre", "random/post"],
        "encoder": ["oracle", "galileo", "rcf", "averaging", "random"],
        "mean_q": [13.92, 4.06, 6.44, 1.5, -0.25],
    }
)


@pytest.fixture
def results(tmp_path):
    (tmp_path / "scores").mkdir()
    LEADERBOARD.to_csv(tmp_path / "scores" / "leaderboard.csv", index=False)
    return tmp_path


def _line_of(path, method):
    """The CSV line (1 = header) whose first field is ``method``, read independently."""
    lines = path.read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.split(",")[0] == method)


def _defined(tex):
    return dict(re.findall(r"\\newcommand\{\\(\w+)\}\{(.*)\}", tex))


def test_macros_take_the_chosen_row_and_say_where_it_came_from(results):
    board = "scores/leaderboard.csv"
    macros = {
        "BestMeanQ": {
            "file": board,
            "column": "mean_q",
            "exclude": {"encoder": ["oracle"]},
            "pick": "max",
        },
        "BestMethod": {
            "file": board,
            "column": "method",
            "by": "mean_q",
            "exclude": {"encoder": ["oracle"]},
            "pick": "max",
        },
        "WorstMeanQ": {"file": board, "column": "mean_q", "pick": "min", "decimals": 1},
        "OracleMeanQ": {"file": board, "column": "mean_q", "where": {"encoder": "oracle"}},
        "Above": {
            "file": board,
            "column": "method",
            "exclude": {"encoder": ["random"]},
            "pick": "count",
        },
        "Ksplits": {"config": "probe.k_splits"},
    }
    resolved = resolve_config_macros(macros, {"probe": {"k_splits": 40}})
    tex = macros_tex(resolved, results, "abc123", "eobench 0.1.0 (deadbeef)")
    board_csv = LEADERBOARD[LEADERBOARD["encoder"] != "oracle"]
    best = board_csv.loc[board_csv["mean_q"].idxmax()]
    assert _defined(tex) == {
        "ConfigHash": "abc123",
        "BestMeanQ": f"{best['mean_q']:.2f}",
        "BestMethod": best["method"],
        "WorstMeanQ": f"{LEADERBOARD['mean_q'].min():.1f}",
        "OracleMeanQ": "13.92",
        "Above": str(int((LEADERBOARD["encoder"] != "random").sum())),
        "Ksplits": "40",
    }
    lines = tex.splitlines()
    comment = lines[lines.index(r"\newcommand{\BestMeanQ}{6.44}") - 1]
    line = _line_of(results / board, "rcf/post")
    assert (
        comment == f"% results/{board}, line {line} (method=rcf/post), column mean_q; config abc123"
    )
    assert (
        lines[lines.index(r"\newcommand{\Ksplits}{40}") - 1]
        == "% config key probe.k_splits; config abc123"
    )
    assert "eobench 0.1.0 (deadbeef)" in tex


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("best_q", {"config": "seed"}, "paper.macros.best_q: a LaTeX macro name has letters only"),
        (
            "A",
            {"file": "scores/leaderboard.csv", "column": "mean_q", "pic": "max"},
            "unknown key 'pic'",
        ),
        ("A", {"file": "scores/leaderboard.csv", "column": "q"}, "no column 'q'"),
        (
            "A",
            {"file": "scores/leaderboard.csv", "column": "mean_q"},
            "5 rows of scores/leaderboard.csv match",
        ),
        (
            "A",
            {"file": "scores/leaderboard.csv", "column": "mean_q", "where": {"encoder": "x"}},
            "no row",
        ),
        ("A", {"config": "probe.nothing"}, "config key 'probe.nothing' does not exist"),
        ("A", {"file": "scores/leaderboard.csv", "config": "seed"}, "either file"),
    ],
)
def test_a_bad_macro_is_one_line_naming_it(results, name, spec, message):
    with pytest.raises(EobenchError) as info:
        macros_tex(resolve_config_macros({name: spec}, {"seed": 1, "probe": {}}), results, "h", "v")
    assert message in str(info.value)
    assert str(info.value).startswith(f"config key paper.macros.{name}")
    assert "\n" not in str(info.value)


def test_contents_inputs_every_table_and_includes_every_figure(tmp_path):
    tables = [
        str(tmp_path / "tables" / "claims.tex"),
        str(tmp_path / "tables" / "neuco" / "leaderboard.tex"),
    ]
    figures = [str(tmp_path / "figures" / "neuco" / "radar.pdf")]
    tex = contents_tex(tables, figures, tmp_path)
    assert re.findall(r"\\input\{([^}]+)\}", tex) == ["tables/claims", "tables/neuco/leaderboard"]
    assert re.findall(r"\\includegraphics\[[^]]*\]\{([^}]+)\}", tex) == ["figures/neuco/radar.pdf"]
    assert r"\label{fig:neuco:radar}" in tex


# -- the workflow: snakemake --report, the paper folder, the run page --------------------


def readme_report_rows():
    """(what, produced patterns, report patterns) of the README's Outputs table."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Outputs") : text.index("Beside the report:")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2].startswith("`"):
            rows.append(
                (cells[0], re.findall(r"`([^`]+)`", cells[1]), re.findall(r"`([^`]+)`", cells[2]))
            )
    return rows


#: The tiny configuration's values of the README's placeholders.
TINY_WILDCARDS = {
    "dataset": ["synth_tiny", "synth_tiny_mmearth"],  # the NeuCo and adaptation suites'
    "task": ["biomass", "species"],  # the adaptation tasks of tiny.yaml
    "protocol": ["neuco"],
    "phase": ["development", "evaluation"],
}
#: Rows the tiny configuration does not make, and why.
NOT_IN_TINY = {
    "per-run probe diagnostics": "probe.enable_plots is false",
    "the compressor's rate-distortion": "the tiny run selects no compressor",
}


def expand(pattern: str) -> list[str]:
    """Every path of a README pattern: {a,b} alternatives and the tiny run's wildcards."""
    parts = re.split(r"(\{[^}]+\})", pattern)
    options = []
    for part in parts:
        if part.startswith("{"):
            inner = part[1:-1]
            options.append(TINY_WILDCARDS.get(inner, inner.split(",")))
        else:
            options.append([part])
    return ["".join(choice) for choice in itertools.product(*options)]


@pytest.fixture(scope="module")
def report_results(tiny_run, tmp_path_factory):
    """The results of `snakemake --report` of the tiny run: path -> record."""
    workdir, _ = tiny_run
    report = tmp_path_factory.mktemp("report") / "report.html"
    result = snakemake(workdir, "--report", str(report), "--configfile", TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    match = re.search(r"^\s*var results = (\{.*\});?\s*$", report.read_text(), re.MULTILINE)
    return json.loads(match.group(1))


@pytest.mark.slow
def test_the_report_holds_every_output_the_readme_lists(tiny_run, report_results):
    workdir, _ = tiny_run
    documented = set()
    for what, produced, shown in readme_report_rows():
        left_out = next((why for row, why in NOT_IN_TINY.items() if what.startswith(row)), None)
        made = [p for pattern in produced for p in expand(pattern) if (workdir / p).exists()]
        paths = [p for pattern in shown for p in expand(pattern)]
        documented.update(paths)
        if left_out:
            assert not made, f"{what}: made by the tiny run although {left_out}"
            continue
        assert made, f"{what}: the tiny run made none of {produced}"
        # every file of the row that the run made is in the report, and at least one
        missing = [p for p in paths if (workdir / p).exists() and p not in report_results]
        assert not missing, f"{what}: not in the report: {missing}"
        assert any(p in report_results for p in paths), f"{what}: nothing in the report"
    undocumented = sorted(set(report_results) - documented)
    assert not undocumented, f"in the report, not in the README's Outputs: {undocumented}"


@pytest.mark.slow
def test_every_result_of_the_report_has_a_caption_and_a_place(report_results):
    for path, record in report_results.items():
        assert len(re.sub("<[^>]+>", "", record["caption"]).strip()) > 40, path
        assert "{{" not in record["caption"] and "{%" not in record["caption"], path
    tables = [p for p in report_results if p.startswith("results/tables/")]
    assert tables and all(report_results[p]["mime_type"] == "text/html" for p in tables)


@pytest.mark.slow
def test_the_paper_folder_holds_every_table_and_figure_and_true_macros(tiny_run):
    workdir, _ = tiny_run
    paper = workdir / "results" / "paper"
    for source in (workdir / "results" / "tables" / "synth_tiny").rglob("*.tex"):
        copy = paper / "tables" / source.relative_to(workdir / "results" / "tables" / "synth_tiny")
        assert copy.read_bytes() == source.read_bytes(), copy
    figures = sorted((workdir / "results" / "figures").rglob("*.pdf"))
    assert figures and all(
        (paper / "figures" / f.relative_to(workdir / "results" / "figures" / "synth_tiny")).exists()
        if "synth_tiny" in f.parts
        else (paper / "figures" / f.relative_to(workdir / "results" / "figures")).exists()
        for f in figures
    )
    board = pd.read_csv(workdir / "results" / "scores" / "synth_tiny" / "neuco" / "leaderboard.csv")
    encoders = board[board["encoder"] != "oracle"]
    claims = pd.read_csv(workdir / "results" / "tables" / "synth_tiny" / "claims.csv")
    macros = _defined((paper / "macros.tex").read_text())
    assert macros["BestMeanQ"] == f"{encoders['mean_q'].max():.2f}"
    assert macros["BestMethod"] == encoders.loc[encoders["mean_q"].idxmax(), "method"].replace(
        "_", r"\_"
    )
    assert macros["ClaimsPassed"] == str((claims["status"] == "PASS").sum())
    assert macros["Ksplits"] == "5"
    contents = (paper / "contents.tex").read_text()
    inputs = set(re.findall(r"\\input\{([^}]+)\}", contents))
    assert inputs == {
        str(p.relative_to(paper).with_suffix("")) for p in (paper / "tables").rglob("*.tex")
    }


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed here")
def test_report_paper_tex_compiles_against_the_paper_folder(tiny_run):
    workdir, _ = tiny_run
    result = snakemake(workdir, "paper_pdf", "--cores", "1", "--configfile", TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workdir / "results" / "paper" / "paper.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.slow
def test_the_run_page_names_the_run_and_times_every_stage(tiny_run):
    workdir, _ = tiny_run
    page = (workdir / "results" / "report" / "run.html").read_text()
    summary = (workdir / "results" / "summary.md").read_text()
    config_hash = re.search(r"config hash[^:]*: ([0-9a-f]{12})", summary).group(1)
    assert config_hash in page
    rows = cells_of(page).rows
    header = rows.index(
        ["stage", "jobs", "wall_seconds", "longest_job_seconds", "cpu_seconds", "peak_memory_mb"]
    )
    stages = {}
    for row in rows[header + 1 :]:
        if len(row) != 6 or not row[1].isdigit():
            break
        stages[row[0]] = int(row[1])
    # the jobs before the run page (later tests may add jobs, e.g. paper_pdf)
    written = (workdir / "results" / "report" / "run.html").stat().st_mtime
    benchmarks = [
        path
        for path in (workdir / "results" / "benchmarks").rglob("*.tsv")
        if path.stat().st_mtime <= written
    ]
    assert {"data", "embed", "probe", "score", "tables", "figures"} <= set(stages)
    assert sum(stages.values()) == len(benchmarks)


@pytest.mark.slow
def test_a_macro_reading_no_output_of_the_run_stops_with_one_line(tiny_run, tmp_path):
    workdir, _ = tiny_run
    overlay = tmp_path / "bad_macro.yaml"
    overlay.write_text("paper:\n  macros:\n    Gone: {file: tables/nowhere.csv, column: x}\n")
    result = snakemake(workdir, "-n", "all", "--configfile", TINY, str(overlay))
    assert result.returncode != 0
    assert (
        "error: config key paper.macros.Gone.file: results/tables/nowhere.csv is not a table "
        "or figure output of this run"
    ) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
