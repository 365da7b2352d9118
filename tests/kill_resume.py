"""Kill a workflow run with SIGKILL at random moments, resume it, compare with a clean run.

What a user does after an interrupted run (README): Snakemake keeps its lock after a
kill, so ``snakemake --unlock``, then the same command again; the default profile's
``rerun-incomplete`` redoes the jobs the kill interrupted. The final tables, scores and
figures must be byte-identical to a clean run's, and no file may be left half-written:
the check looks for eobench's temporary files (``.<name>.tmp-*``) in ``results/``.

Run on the default configuration (a copy of the workflow in a temporary folder)::

    python tests/kill_resume.py [--kills 5] [--seed 0] [--targets all_tables all_figures]

The test suite runs a cheaper variant on the tiny configuration (tests/test_workflow.py):
it starts from a copy of a finished run, deletes the outputs of one job of each
long-running rule (``LONG_RULES``) and of what follows from them, and kills the run that
redoes them.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Outputs compared byte for byte. The run-time table is a measurement of the machine.
COMPARED = ("results/tables", "results/scores", "results/figures", "results/challenge")
MACHINE_DEPENDENT = ("runtime_scaling",)
#: Rules whose jobs run longest: a kill most likely lands in one of them.
LONG_RULES = (
    "extract_embeddings",
    "probe_embeddings",
    "train_compressor",
    "adapt",
    "test_time_train",
    "pretrain",
)


def snakemake_command(targets, configfiles, cores: int = 2) -> list[str]:
    command = [sys.executable, "-m", "snakemake", *targets, "--cores", str(cores)]
    return command + (["--configfile", *configfiles] if configfiles else [])


def run_with_kills(workdir: Path, command: list[str], kills: int, seed: int, expected: float):
    """Start ``command``, SIGKILL its process group at ``kills`` random moments (uniform in
    the expected duration, each run resumed after ``--unlock``), then let it finish.

    Returns the moments (seconds into each attempt) and the final completed process.
    """
    rng = random.Random(seed)
    moments = []
    for _ in range(kills):
        moment = rng.uniform(0.05, 0.6) * expected
        process = subprocess.Popen(
            command,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        moments.append(round(moment, 1))
        unlock = subprocess.run([*command, "--unlock"], cwd=workdir, capture_output=True)
        assert unlock.returncode == 0, unlock.stderr.decode()[-2000:]
    final = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    return moments, final


def copy_run(finished: Path, destination: Path) -> None:
    """Copy a finished run's results and Snakemake's record of them (mtimes kept)."""
    shutil.copytree(finished / "results", destination / "results")
    metadata = finished / ".snakemake" / "metadata"
    if metadata.exists():
        shutil.copytree(metadata, destination / ".snakemake" / "metadata")


def summary_rows(workdir: Path, command: list[str], *extra: str) -> list[list[str]]:
    """Snakemake's ``--summary`` of ``command``: (output, date, rule, log, status, plan)."""
    summary = subprocess.run(
        [*command, "--summary", *extra], cwd=workdir, capture_output=True, text=True
    )
    assert summary.returncode == 0, summary.stderr[-2000:]
    return [line.split("\t") for line in sorted(summary.stdout.splitlines()[1:])]


def remove_one_job_per_rule(workdir: Path, command: list[str], rules=LONG_RULES) -> dict[str, str]:
    """Delete the outputs of one job of each rule in ``rules`` (its first output in path
    order) and of every job downstream of them, so the next run of ``command`` redoes
    those jobs. Downstream outputs go too: Snakemake does not regenerate a missing
    intermediate file whose consumers are up to date. Returns rule -> the chosen output
    (rules with no job in ``command`` are absent)."""
    chosen: dict[str, str] = {}
    for row in summary_rows(workdir, command):
        if len(row) > 2 and row[2] in rules:
            chosen.setdefault(row[2], row[0])
    for row in summary_rows(workdir, command, "--forcerun", *chosen.values()):
        target = workdir / row[0]
        if row[-1] == "update pending" and target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
    return chosen


def compared_files(root: Path, folders=COMPARED) -> list[Path]:
    return sorted(
        path.relative_to(root)
        for folder in folders
        if (root / folder).exists()
        for path in (root / folder).rglob("*")
        if path.is_file()
        and "cache" not in path.parts
        and not any(name in path.name for name in MACHINE_DEPENDENT)
    )


def differences(first: Path, second: Path, folders=COMPARED) -> list[str]:
    """Files under ``folders`` that differ or exist in only one of two run folders."""
    ours, theirs = compared_files(first, folders), compared_files(second, folders)
    only = sorted(set(ours) ^ set(theirs))
    both = sorted(set(ours) & set(theirs))
    return [f"only in one: {p}" for p in only] + [
        str(p) for p in both if not filecmp.cmp(first / p, second / p, shallow=False)
    ]


def leftovers(root: Path) -> list[str]:
    """Temporary files of eobench's atomic writes left in ``results/``."""
    return sorted(str(p.relative_to(root)) for p in (root / "results").rglob("*.tmp-*"))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import copy_workflow

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", nargs="+", default=["all_tables"])
    parser.add_argument("--configfile", nargs="*", default=[])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clean = copy_workflow(Path(folder) / "clean")
        killed = copy_workflow(Path(folder) / "killed")
        command = snakemake_command(args.targets, args.configfile, args.cores)
        start = time.perf_counter()
        reference = subprocess.run(command, cwd=clean, capture_output=True, text=True)
        duration = time.perf_counter() - start
        if reference.returncode != 0:
            sys.exit(f"clean run failed:\n{reference.stderr[-3000:]}")
        print(f"clean run: {duration:.0f} s")
        moments, final = run_with_kills(killed, command, args.kills, args.seed, duration)
        if final.returncode != 0:
            sys.exit(f"resumed run failed:\n{final.stderr[-3000:]}")
        print(f"killed at {moments} s into each attempt, resumed after --unlock")
        different, partial = differences(clean, killed), leftovers(killed)
        print(f"{len(compared_files(clean))} files compared; differing: {different or 'none'}")
        print(f"temporary files left: {partial or 'none'}")
        sys.exit(1 if different or partial else 0)


if __name__ == "__main__":
    main()
