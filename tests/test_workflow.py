"""End to end: the tiny configuration through the whole DAG, and what a change reruns."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_workflow
from forked_snakemake import snakemake_forked

TINY = "tests/configs/tiny.yaml"


def planned_jobs(workdir: Path, *overlays: str) -> dict[str, int]:
    """Rule -> job count of a dry run of ``all`` with the tiny config plus ``overlays``."""
    result = snakemake_forked(workdir, ["all", "--dry-run", "--configfile", TINY, *overlays])
    assert result.returncode == 0, result.stderr
    jobs = {}
    in_stats = False
    for line in result.stdout.splitlines():
        if line.startswith("Job stats:"):
            in_stats = True
            continue
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if in_stats and match and match.group(1) != "total":
            jobs[match.group(1)] = int(match.group(2))
    return jobs


#: HTML pages of the report (rule csv_page) per job that rewrites their CSVs.
CSV_PAGES_OF = {
    "leaderboard_statistics": 3,
    "compare_embeddings": 1,
    "challenge_leaderboard": 2,
    "figure_channel_correlation": 1,
    "rate_distortion": 1,
    "adaptation_metrics": 1,
}


def with_report_jobs(jobs: dict[str, int]) -> dict[str, int]:
    """The jobs plus the report's: the CSV pages of the CSVs rewritten, the paper folder
    after a table, a figure, a macro's source (the leaderboard, the claims) or a new
    config hash, the provenance manifest after any output of `all`, and the
    run page, which shows the whole config, after every change."""
    jobs = dict(jobs)
    pages = sum(CSV_PAGES_OF.get(rule, 0) * count for rule, count in jobs.items())
    if pages:
        jobs["csv_page"] = pages
    # the macros carry the config hash, which the run summary prints too
    if "run_summary" in jobs or any(
        rule.startswith(("table_", "figure_")) or rule == "score_methods" for rule in jobs
    ):
        jobs["paper_folder"] = 1
    if jobs:  # the provenance manifest covers every output of `all`
        jobs["provenance"] = 1
    jobs["run_page"] = 1
    return jobs


@pytest.mark.slow
def test_tiny_run_produces_tables_and_figures(tiny_run):
    workdir, result = tiny_run
    stem = "synth_tiny/neuco"
    for path in [
        f"results/tables/{stem}/task_scores.md",
        f"results/tables/{stem}/task_scores.tex",
        f"results/tables/{stem}/leaderboard.md",
        f"results/scores/{stem}/leaderboard.csv",
        f"results/figures/{stem}/radar.png",
        f"results/figures/{stem}/q_per_task.pdf",
        f"results/tables/{stem}/leaderboard_intervals.md",
        "results/tables/synth_tiny/claims.md",
        "results/tables/synth_tiny/probe_depth.tex",
        "results/tables/synth_tiny/converged_gap.md",
        "results/tables/synth_tiny/runtime_scaling.csv",
        "results/figures/synth_tiny/embedding_size.png",
        "results/figures/synth_tiny/probe_depth_per_task.pdf",
        "results/figures/synth_tiny/channel_correlation.png",
        "results/figures/synth_tiny/sample_map.png",
        "results/figures/synth_tiny/task_samples.png",
    ]:
        assert (workdir / path).stat().st_size > 0, path
        assert path in result.stdout + result.stderr  # the run says where outputs landed
    board = pd.read_csv(workdir / f"results/scores/{stem}/leaderboard.csv")
    # tiny.yaml: averaging with pre/post/none, random/rcf/oracle with pre/post.
    assert len(board) == 9
    mean_q = board.set_index("method")["mean_q"]
    assert mean_q["oracle/pre"] > mean_q["random/pre"]
    record = json.loads((workdir / f"results/scores/{stem}/leaderboard.json").read_text())
    assert record["provenance"]["code_version"].startswith("eobench ")
    assert sum(record["task_weights"].values()) == pytest.approx(1)
    log = "results/logs/probe_embeddings/synth_tiny/neuco/linear/rcf/post.log"
    assert (workdir / log).exists()
    # The averaging baseline is linear: its pre and post tables are one table, ranked once.
    identical = pd.read_csv(workdir / "results/embeddings/synth_tiny/identical.csv")
    assert identical.set_index("method").loc["averaging/post", "same_as"] == "averaging/pre"
    twin = board.set_index("method").loc["averaging/post"]
    assert twin["same_as"] == "averaging/pre"
    assert (
        twin["aggregated_rank"] == board.set_index("method").loc["averaging/pre", "aggregated_rank"]
    )
    summary = (workdir / "results/summary.md").read_text()
    assert "averaging/pre = averaging/post" in summary and "## Claims of the paper" in summary


@pytest.mark.slow
def test_tiny_run_ablation_tables(tiny_run):
    workdir, _ = tiny_run
    depth = pd.read_csv(workdir / "results/tables/synth_tiny/probe_depth.csv")
    # tiny.yaml: heads linear, mlp1 (32 hidden), knn, converged on random and rcf.
    assert set(depth["head"]) == {"linear", "mlp1", "knn", "converged"}
    assert set(depth["encoder"]) == {"random", "rcf"}
    parameters = depth.drop_duplicates("head").set_index("head")["parameters"]
    assert parameters["linear"] == 1024 + 1 and parameters["mlp1"] == 1024 * 32 + 32 + 33
    claims = pd.read_csv(workdir / "results/tables/synth_tiny/claims.csv")
    assert set(claims["status"]) <= {"PASS", "FAIL", "NOT RUN", "NOT TESTABLE"}
    # 14 of NeuCo-Bench, 4 of MMEarth-Bench, 4 of pretraining (MMEarth MP-MAE, GeoMeld)
    assert len(claims) == 14 + 4 + 4 and claims["claim"].is_unique
    pretraining = claims[claims["source"].str.contains(r"MP-MAE|GeoMeld")]
    assert len(pretraining) == 4
    # tiny.yaml selects no pretrained encoder and no compressor: their rows say so.
    neuco = claims[~claims["source"].str.contains("MMEarth|GeoMeld")]
    about_models = neuco[neuco["claim"].str.contains("pretrained encoders|compressor")]
    assert len(about_models) == 3 and set(about_models["status"]) == {"NOT RUN"}
    # tiny.yaml's probe-depth encoders are random (the baseline) and rcf alone: too few
    # encoders to rank across heads.
    ranking = claims[claims["source"] == "Figs. 5b, 13"]
    assert ranking["status"].item() == "NOT RUN"
    sizes = pd.read_csv(workdir / "results/ablations/synth_tiny/embedding_size/task_scores.csv")
    assert sorted(sizes["size"].unique()) == [16, 64, 256]


@pytest.mark.slow
def test_tiny_run_adaptation_suite(tiny_run):
    """tiny.yaml's grid: FT on train_100 and train_5, JT and both TTT modes, 2 seeds, one
    ViT, two tasks; every run in the tidy table, TTT rows next to their JT runs."""
    workdir, _ = tiny_run
    metrics = pd.read_csv(workdir / "results/adaptation/synth_tiny_mmearth/metrics.csv")
    runs = metrics[["mode", "subset", "seed"]].drop_duplicates()
    assert len(runs) == 2 * (2 + 3) and set(metrics["seed"]) == {41, 42}
    assert set(metrics["mode"]) == {"FT", "JT", "JT-TTT", "JT-TTT-Geo"}
    assert len(metrics) == len(runs) * 2 * 2  # x tasks x test splits
    assert metrics.loc[metrics["metric"] == "map", "task"].unique().tolist() == ["species"]
    ttt = metrics[metrics["mode"].str.startswith("JT-TTT")]
    assert ttt["ttt_steps"].between(1, 5).all()
    splits = pd.read_parquet(workdir / "results/splits/synth_tiny_mmearth/mmearth.parquet")
    geographic = metrics[metrics["test_split"] == "geographic"]["n_test"]
    assert (geographic == (splits["split"] == "geographic_test").sum()).all()
    assert (splits.loc[splits["split"] == "geographic_test", "region"] == "Africa").all()
    stem = "results/tables/synth_tiny_mmearth/adaptation"
    ttt_table = pd.read_csv(workdir / f"{stem}/ttt.csv")
    assert set(ttt_table["mode"]) == {"JT", "JT-TTT", "JT-TTT-Geo"}
    for path in (f"{stem}/low_shot.md", f"{stem}/per_task/biomass.tex",
                 "results/figures/synth_tiny_mmearth/adaptation/low_shot.png",
                 "results/figures/synth_tiny_mmearth/adaptation/geographic_shift.pdf"):  # fmt: skip
        assert (workdir / path).stat().st_size > 0, path


@pytest.mark.slow
def test_nothing_to_do_after_a_run(tiny_run):
    workdir, _ = tiny_run
    assert planned_jobs(workdir) == {}


@pytest.mark.slow
def test_figure_setting_reruns_that_figure_alone(tiny_run, tmp_path):
    workdir, _ = tiny_run
    overlay = tmp_path / "radar.yaml"
    overlay.write_text("figures:\n  radar:\n    clip_min: -0.5\n")
    # with the report's jobs: the figure's PDF in the paper folder, provenance, run page
    expected = with_report_jobs({"figure_radar": 1})
    assert planned_jobs(workdir, str(overlay)) == {"all": 1, **expected}


@pytest.mark.slow
def test_ablation_figure_setting_reruns_that_figure_alone(tiny_run, tmp_path):
    workdir, _ = tiny_run
    overlay = tmp_path / "size.yaml"
    overlay.write_text("figures:\n  embedding_size:\n    title: Size\n")
    expected = with_report_jobs({"figure_ablation": 1})
    assert planned_jobs(workdir, str(overlay)) == {"all": 1, **expected}


@pytest.mark.slow
def test_table_setting_reruns_that_table_alone(tiny_run, tmp_path):
    workdir, _ = tiny_run
    overlay = tmp_path / "table.yaml"
    overlay.write_text("tables:\n  task_scores:\n    decimals: 3\n")
    # The claims compare scores as the task-score table prints them, and the summary
    # prints the claims: both follow the table's decimals.
    assert planned_jobs(workdir, str(overlay)) == {
        "all": 1,
        **with_report_jobs({"table_task_scores": 1, "table_claims": 1, "run_summary": 1}),
    }
    overlay.write_text("tables:\n  leaderboard_intervals:\n    label: tab:x\n")
    assert planned_jobs(workdir, str(overlay)) == {
        "all": 1,
        **with_report_jobs({"table_leaderboard_intervals": 1}),
    }


@pytest.mark.slow
def test_probe_setting_reruns_probes_and_what_follows_never_extraction(tiny_run, tmp_path):
    workdir, _ = tiny_run
    overlay = tmp_path / "probe.yaml"
    overlay.write_text("probe:\n  epochs: 7\n")
    jobs = planned_jobs(workdir, str(overlay))
    # The runs of trained heads: 9 main tables, mlp1 on random and rcf, 3 sizes; the kNN
    # and converged runs have no epochs and stay (tests/test_reruns.py has every key).
    assert jobs.get("probe_embeddings") == 9 + 2 + 3
    assert {"score_methods", "table_task_scores", "figure_radar"} <= set(jobs)
    assert "extract_embeddings" not in jobs and "synthesize_dataset" not in jobs


@pytest.mark.slow
def test_a_run_killed_five_times_resumes_to_the_clean_runs_files(tiny_run, tmp_path):
    """A copy of the finished tiny run loses the outputs of one job of each long-running
    rule (probe, adaptation, TTT, pretraining) and of every job downstream of
    them; the run that redoes them is SIGKILLed at five random moments, with
    ``--unlock`` and the same command after each. The final tables and scores equal the
    clean run's byte for byte and no half-written file is left (``python
    tests/kill_resume.py`` kills a run of the whole DAG instead)."""
    from kill_resume import (
        LONG_RULES,
        compared_files,
        copy_run,
        differences,
        leftovers,
        remove_one_job_per_rule,
        run_with_kills,
        snakemake_command,
    )

    clean, _ = tiny_run
    workdir = copy_workflow(tmp_path / "killed")
    copy_run(clean, workdir)
    command = snakemake_command(["all_tables"], [TINY])
    # The tiny configuration trains no compressor. Extraction is left out to keep the test
    # short (a job adds its probes, scores and leaderboards); its files go through the same
    # atomic writer, and the whole-DAG script kills extractions too.
    victims = set(LONG_RULES) - {"train_compressor", "extract_embeddings"}
    removed = remove_one_job_per_rule(workdir, command, rules=victims)
    assert set(removed) == victims, removed
    moments, final = run_with_kills(workdir, command, kills=5, seed=1, expected=30.0)
    assert final.returncode == 0, final.stderr[-3000:]
    assert all((workdir / path).exists() for path in removed.values())
    folders = ("results/tables", "results/scores")
    assert len(compared_files(clean, folders)) > 40
    assert differences(clean, workdir, folders) == [], f"killed at {moments}"
    assert leftovers(workdir) == []
