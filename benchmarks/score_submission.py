"""Benchmark: scoring one submission end to end, as ``eobench score`` does.

A synthetic challenge submission (13,000 samples, N = 1024, the evaluator's CSV
``id,0,...,1023`` with ``.zarr.zip`` ids) and an annotation folder of the 11 tasks (8
regression and 3 classification label files, labels a noisy function of a few embedding
columns) are written to a temporary folder; then ``eobench.cli.main(["score", ...])`` runs
with the evaluator's defaults (K = 40 splits, 20 epochs, batch 64) and the whole command
is timed: reading the CSV and the labels, probing every task, writing the results and
the leaderboard. Target: under 60 s on 2 cores.

    python benchmarks/score_submission.py [--threads 2] [--samples 13000] [--workdir DIR]

Writing the inputs is not timed; ``--workdir`` keeps them for the next run. The command
is timed once by default (``--repeats``), since it takes tens of seconds; the time of
reading the CSV alone is printed beside it. On a machine whose cores other jobs keep
busy, torch's OpenMP threads wait for each other at every small operation and 2 threads
can be ten times slower than ``--threads 1`` (or ``OMP_WAIT_POLICY=PASSIVE``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from eobench.cli import main as eobench_main
from eobench.data.labels import write_task_labels
from eobench.embeddings import load_embeddings, write_embeddings

TARGET_SECONDS = 60.0
REGRESSION_TASKS = 8
CLASSIFICATION_TASKS = 3


def write_inputs(folder: Path, n: int, dim: int, seed: int = 0) -> tuple[Path, Path]:
    """Write the submission CSV and the annotation folder; return their paths.

    Embeddings are Gaussian with a few strong directions (like an encoder's leading
    components); every task's label is a noisy function of 3 of the first 32 columns,
    thresholded at a random quantile for the classification tasks.
    """
    rng = np.random.default_rng(seed)
    scale = np.where(np.arange(dim) < 32, 3.0, 1.0)
    values = (rng.normal(size=(n, dim)) * scale).astype(np.float32)
    ids = [f"sample_{i:05d}" for i in range(n)]
    submission = folder / "submission.csv"
    write_embeddings(submission, [f"{i}.zarr.zip" for i in ids], values)
    annotations = folder / "annotations"
    annotations.mkdir(exist_ok=True)
    for task in range(REGRESSION_TASKS + CLASSIFICATION_TASKS):
        columns = rng.choice(32, size=3, replace=False)
        weights = rng.normal(size=3)
        signal = np.tanh(values[:, columns] @ weights / 3) + 0.3 * rng.normal(size=n)
        if task < REGRESSION_TASKS:
            write_task_labels(annotations, f"task{task:02d}", "regr", ids, 10 * signal + 50)
        else:
            labels = signal > np.quantile(signal, rng.uniform(0.3, 0.7))
            write_task_labels(annotations, f"task{task:02d}", "cls", ids, labels.astype(int))
    return submission, annotations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=13000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--splits", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1, help="best of, whole command")
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the inputs here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        else:
            folder = args.workdir
            folder.mkdir(parents=True, exist_ok=True)
        submission = folder / "submission.csv"
        annotations = folder / "annotations"
        if not (submission.exists() and annotations.is_dir()):
            start = time.perf_counter()
            write_inputs(folder, args.samples, args.dim)
            print(f"wrote the inputs in {time.perf_counter() - start:.1f} s to {folder}")
        config = folder / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "k_folds": args.splits,
                    "epochs": args.epochs,
                    "batch_size": 64,
                    "learning_rate": 0.001,
                    "embedding_dim": args.dim,
                    "device": "cpu",
                }
            )
        )
        command = [
            "score",
            "--annotation_path",
            str(annotations),
            "--submission_file",
            str(submission),
            "--config",
            str(config),
            "--method_name",
            "synthetic",
            "--phase",
            "benchmark",
        ]
        times = []
        for repeat in range(args.repeats):
            output = folder / f"results-{repeat}"
            start = time.perf_counter()
            # Keep the command's leaderboard, log and progress bar out of the table.
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                code = eobench_main([*command, "--output_dir", str(output)])
            times.append(time.perf_counter() - start)
            if code != 0:
                sys.exit(f"eobench score failed with exit code {code}")
        start = time.perf_counter()
        load_embeddings(submission, args.dim)
        t_read = time.perf_counter() - start
        summary = json.loads(
            (output / "benchmark" / "synthetic" / "results_summary.json").read_text()
        )

    elapsed = min(times)
    n_tasks = REGRESSION_TASKS + CLASSIFICATION_TASKS
    print(
        f"score-submission benchmark: {args.samples} samples, N={args.dim}, {n_tasks} tasks "
        f"({REGRESSION_TASKS} regr, {CLASSIFICATION_TASKS} cls), K={args.splits}, "
        f"epochs={args.epochs}, threads={args.threads}, torch {torch.__version__}; "
        f"best of {args.repeats} run(s)"
    )
    print(f"  eobench score, whole command : {elapsed:8.2f} s  (target < {TARGET_SECONDS:.0f} s)")
    print(f"  of which reading the CSV     : {t_read:8.2f} s  (timed separately)")
    print(f"  overall score (mean Q)       : {summary['overall_score']:8.3f}")
    ok = elapsed < TARGET_SECONDS
    print(f"  target check                 : {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
