"""Checking a run: the provenance manifest of `all` and rule verify on the tiny run."""

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY, snakemake

from eobench.io import read_parquet_metadata, write_parquet
from eobench.reproducibility import compare_outputs

DATA = "results/data/synth_tiny"
SCORES = "results/scores/synth_tiny/neuco"
PROBE = "results/probes/synth_tiny/neuco/linear/rcf/post"
EMBEDDING = "results/embeddings/synth_tiny/rcf/post.parquet"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_sha256(folder: Path) -> str:
    """The documented folder digest: sorted relative paths with their files' sha256."""
    lines = "".join(
        f"{p.relative_to(folder).as_posix()}\t{sha256(p)}\n"
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def copy_of_run(tiny_run, destination: Path) -> Path:
    """A copy of the finished tiny run (results, Snakemake's records, mtimes kept)."""
    workdir, _ = tiny_run
    shutil.copytree(workdir, destination, symlinks=True)
    return destination


def overlay(workdir: Path, text: str, name: str = "verify") -> str:
    path = workdir / f"{name}.yaml"
    path.write_text(text)
    return str(path)


def outputs_overlay(workdir: Path, outputs: list[str]) -> str:
    return overlay(workdir, "verify:\n  outputs:\n" + "".join(f"    - {o}\n" for o in outputs))


def run_verify(workdir: Path, *configfiles: str):
    return snakemake(
        workdir, "verify", "--cores", "2", "--forcerun", "verify", "--configfile", TINY,
        *configfiles,
    )  # fmt: skip


def keep_mtime(path: Path):
    """Restore a file's modification time after tampering, so Snakemake sees no change."""
    stat = path.stat()
    return lambda: os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


# -- the provenance manifest -----------------------------------------------------------


@pytest.fixture(scope="module")
def manifest(tiny_run):
    workdir, _ = tiny_run
    return workdir, pd.read_csv(workdir / "results/provenance.csv", keep_default_na=False)


@pytest.mark.slow
def test_the_manifest_covers_every_table_and_figure_with_its_checksum(manifest):
    workdir, table = manifest
    produced = {
        p.relative_to(workdir).as_posix()
        for folder in ("results/tables", "results/figures")
        for p in (workdir / folder).rglob("*")
        if p.is_file()
    }
    outputs = set(table["output"])
    assert produced | {"results/summary.md", f"{SCORES}/leaderboard.csv"} <= outputs
    for output, digest in table.groupby("output")["output_sha256"].first().items():
        assert digest == sha256(workdir / output), output
    for source, digest in table.groupby("input")["input_sha256"].first().items():
        if source:
            path = workdir / source
            assert digest == (tree_sha256(path) if path.is_dir() else sha256(path)), source


@pytest.mark.slow
def test_the_manifest_lists_the_inputs_the_rules_declare(manifest):
    workdir, table = manifest
    # By hand from rules/tables.smk and rules/figures_data.smk.
    declared = {
        "results/tables/synth_tiny/neuco/task_scores.tex": (
            "table_task_scores",
            {
                f"{SCORES}/task_scores.csv",
                f"{DATA}/tasks.csv",
                "report/templates/task_scores.md.j2",
                "report/templates/task_scores.tex.j2",
            },
        ),
        "results/summary.md": (
            "run_summary",
            {f"{SCORES}/leaderboard.csv", "results/tables/synth_tiny/claims.csv"},
        ),
        "results/figures/synth_tiny/channel_correlation.png": (
            "figure_channel_correlation",
            {f"{DATA}/cubes.zarr"},
        ),
    }
    for output, (rule, inputs) in declared.items():
        rows = table[table["output"] == output]
        assert set(rows["rule"]) == {rule}, output
        assert set(rows["input"]) == inputs, output
    # The run's config hash and code version, as the summary and the leaderboard give them.
    summary = (workdir / "results/summary.md").read_text()
    config_hash = re.search(r"config hash \(settings behind the numbers\): (\w+)", summary)
    assert set(table["config_hash"].astype(str)) == {config_hash.group(1)}
    record = json.loads((workdir / f"{SCORES}/leaderboard.json").read_text())
    assert set(table["code_version"]) == {record["provenance"]["code_version"]}


# -- rule verify -------------------------------------------------------------------------


@pytest.mark.slow
def test_verify_passes_on_the_tiny_run(tiny_run, tmp_path):
    workdir = copy_of_run(tiny_run, tmp_path / "run")
    # A Parquet table with timings in its metadata, and figures (the tampering test below
    # has CSV and more Parquet outputs that pass).
    chosen = [EMBEDDING, "results/figures/synth_tiny/neuco/radar.png"]
    result = run_verify(workdir, outputs_overlay(workdir, chosen))
    assert result.returncode == 0, result.stderr[-3000:]
    report = pd.read_csv(workdir / "results/verify/verify.csv").set_index("output")
    # Every output of each job (rules extract_embeddings and figure_radar).
    assert report["status"].to_dict() == {
        EMBEDDING: "identical but timings",
        "results/figures/synth_tiny/neuco/radar.pdf": "identical",
        "results/figures/synth_tiny/neuco/radar.png": "identical",
    }
    assert report.loc[EMBEDDING, "where"] == "metadata created, seconds differ"
    assert "| `results/figures/synth_tiny/neuco/radar.png` | figure_radar | identical |" in (
        (workdir / "results/verify/verify.md").read_text()
    )


@pytest.mark.slow
def test_verify_reports_tampered_outputs_and_where(tiny_run, tmp_path):
    workdir = copy_of_run(tiny_run, tmp_path / "run")
    # One number of a probe's scores (Parquet) and one byte of a CSV of another job.
    scores = workdir / PROBE / "scores.parquet"
    restore = keep_mtime(scores)
    import pyarrow as pa
    import pyarrow.parquet as pq

    original = pq.read_table(scores)
    values = original.column("score").to_pylist()
    values[3] += 0.5
    column = original.schema.get_field_index("score")
    tampered = original.set_column(column, "score", pa.array(values))
    pq.write_table(tampered.replace_schema_metadata(original.schema.metadata), scores)
    restore()
    correlation = "results/figures/synth_tiny/channel_correlation.csv"
    restore = keep_mtime(workdir / correlation)
    lines = (workdir / correlation).read_text().splitlines(keepends=True)
    assert lines[2].startswith("s2l1c_B02,0.")
    lines[2] = lines[2].replace("s2l1c_B02,0.", "s2l1c_B02,1.", 1)
    (workdir / correlation).write_text("".join(lines))
    restore()

    chosen = [f"{PROBE}/scores.parquet", correlation]
    result = run_verify(workdir, outputs_overlay(workdir, chosen))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    reported = [line for line in result.stderr.splitlines() if line.startswith("ERROR: verify:")]
    score = original.column("score")[3].as_py()
    cell = [float(pd.read_csv(root / correlation).iloc[1, 1]) for root in (workdir, tiny_run[0])]
    assert reported == [
        f"ERROR: verify: {PROBE}/scores.parquet differs from its recomputation: "
        f"row 4, column 'score': {score + 0.5!r} != {score!r}",
        f"ERROR: verify: {correlation} differs from its recomputation: "
        f"row 2, column 's2l1c_B01': {cell[0]!r} != {cell[1]!r}",
    ]
    # A failed verify writes no report (the log has it) and leaves nothing half-written.
    assert not (workdir / "results/verify").exists() or not any(
        (workdir / "results/verify").iterdir()
    )
    # The log has the whole report: the jobs' other outputs are identical.
    log = (workdir / "results/logs/verify.log").read_text()
    for output in (
        f"{PROBE}/history.parquet",
        f"{PROBE}/predictions.parquet",
        "results/figures/synth_tiny/channel_correlation.png",
        "results/figures/synth_tiny/channel_correlation.pdf",
    ):
        assert re.search(rf"\| `{re.escape(output)}` \| \w+ \| identical \|", log), output
    assert log.count("| different |") == 2


@pytest.mark.slow
def test_an_unknown_verify_output_is_one_line_naming_the_key(tiny_run):
    workdir, _ = tiny_run
    bad = overlay(workdir.parent, 'verify:\n  outputs: ["results/nowhere/t.csv"]\n', "bad")
    result = snakemake(workdir, "verify", "--dry-run", "--configfile", TINY, bad)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: config key verify.outputs: no rule makes results/nowhere/t.csv"]


# -- comparing an output with its recomputation ---------------------------------------


@pytest.fixture
def perturbed_copies(tiny_run, tmp_path):
    """The run's probe scores (Parquet), leaderboard (CSV, JSON) and radar figure, with
    one number 1e-9 off (one byte off in the figure)."""
    workdir, _ = tiny_run
    scores = pd.read_parquet(workdir / PROBE / "scores.parquet")
    scores.loc[5, "r2"] += 1e-9
    metadata = read_parquet_metadata(workdir / PROBE / "scores.parquet")
    write_parquet(tmp_path / "scores.parquet", scores, metadata)
    board = pd.read_csv(workdir / f"{SCORES}/leaderboard.csv")
    board.loc[2, "mean_q"] += 1e-9
    board.to_csv(tmp_path / "leaderboard.csv", index=False)
    record = json.loads((workdir / f"{SCORES}/leaderboard.json").read_text())
    first_task = next(iter(record["task_weights"]))
    record["task_weights"][first_task] += 1e-9
    (tmp_path / "leaderboard.json").write_text(json.dumps(record))
    figure = bytearray((workdir / "results/figures/synth_tiny/neuco/radar.png").read_bytes())
    figure[1000] ^= 1
    (tmp_path / "radar.png").write_bytes(bytes(figure))
    originals = {
        "scores.parquet": workdir / PROBE / "scores.parquet",
        "leaderboard.csv": workdir / f"{SCORES}/leaderboard.csv",
        "leaderboard.json": workdir / f"{SCORES}/leaderboard.json",
        "radar.png": workdir / "results/figures/synth_tiny/neuco/radar.png",
    }
    return {name: (path, tmp_path / name) for name, path in originals.items()}, first_task


@pytest.mark.slow
def test_a_perturbation_below_the_tolerance_passes_with_it_and_fails_without(
    perturbed_copies,
):
    copies, first_task = perturbed_copies
    where = {
        "scores.parquet": "row 6, column 'r2'",
        "leaderboard.csv": "row 3, column 'mean_q'",
        "leaderboard.json": f"task_weights.{first_task}",
    }
    for name, (original, perturbed) in copies.items():
        if name == "radar.png":
            continue
        tolerated = compare_outputs(original, perturbed, tolerance=1e-6)
        assert tolerated.status == "within tolerance", (name, tolerated)
        assert tolerated.max_abs_diff == pytest.approx(1e-9, rel=1e-3)
        exact = compare_outputs(original, perturbed)
        assert exact.status == "different" and exact.where.startswith(where[name]), exact
        assert compare_outputs(original, perturbed, tolerance=1e-10).status == "different"
    # Figures are compared byte for byte whatever the tolerance.
    original, perturbed = copies["radar.png"]
    figure = compare_outputs(original, perturbed, tolerance=1.0)
    assert (figure.status, figure.where) == ("different", "byte 1000")
    assert compare_outputs(original, original).status == "identical"


@pytest.mark.slow
def test_folders_compare_file_by_file(tiny_run, tmp_path):
    workdir, _ = tiny_run
    labels = workdir / DATA / "labels"
    copy = tmp_path / "labels"
    shutil.copytree(labels, copy)
    assert compare_outputs(labels, copy).status == "identical"
    victim = sorted(copy.glob("*.csv"))[0]
    victim.write_text(victim.read_text().replace("\n", "\n\n", 1))
    result = compare_outputs(labels, copy)
    assert result.status == "different" and result.where.startswith(f"{victim.name}: ")
    victim.unlink()
    assert "on one side only" in compare_outputs(labels, copy).where
