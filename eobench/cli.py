"""Command line: ``eobench score`` evaluates anyone's embeddings like the NeuCo-Bench CLI.

    eobench score --annotation_path labels/ --submission_file team.csv \\
        [--config config.yaml] [--output_dir results/] [--phase results] \\
        [--method_name team] [--exclude_file corrupted_ids.txt]

A drop-in for the official evaluator's ``benchmark/main.py``: the same arguments and
defaults, its submission CSV (``id,0,...,N-1``, ids with or without ``.zarr.zip``), every
config it accepts (:mod:`eobench.evaluator`: ``probe_type`` linear or svm, and the older
flat schema) and its output files, beside eobench's split scores. Results of every method
scored in a phase are kept under ``<output_dir>/<phase>/<method_name>/``; with
``update_leaderboard`` the phase's leaderboard is rewritten from all of them
(``<output_dir>/<phase>/leaderboard.{csv,json}`` and upstream's
``<output_dir>/leaderboards/<phase>/leaderboard_latest.csv``).

``eobench challenge`` scores a whole folder of submissions in submission order for the
development or evaluation phase (:mod:`eobench.challenge`)::

    eobench challenge --annotation_path labels/ --submissions_dir submissions/ \\
        --output_dir results/challenge --phase development --dev_tasks crops,biomass_mean
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

from eobench.errors import EobenchError
from eobench.evaluator import evaluator_defaults, read_evaluator_config
from eobench.io import write_csv, write_json

log = logging.getLogger("eobench")


def score_submission(args: argparse.Namespace) -> Path:
    """Score one submission, write its results as the evaluator does, update the phase."""
    from eobench.evaluator import probe_settings, read_exclude_file

    timings: dict[str, float] = {}
    config = read_evaluator_config(Path(args.config))
    exclude = read_exclude_file(args.exclude_file) if args.exclude_file else set()
    method = args.method_name or Path(args.submission_file).stem
    settings = probe_settings(config, args.protocol, args.minibatches)
    scores, extras = _probe_submission(args, config, settings, exclude, timings)
    start = time.perf_counter()
    run_dir = _write_run(args, method, config, settings, scores, extras)
    if config["update_leaderboard"]:
        _write_phase_leaderboards(Path(args.output_dir), args.phase)
    timings["write"] = time.perf_counter() - start
    if args.timings:
        write_json(Path(args.timings), timings)
    return run_dir


def _probe_submission(args, config, settings, exclude, timings):
    from eobench.evaluator import probe_head
    from eobench.probes.evaluate import evaluate_embeddings

    extras: dict[str, dict] = {}
    scores, _ = evaluate_embeddings(
        args.submission_file,
        args.annotation_path,
        settings,
        config["embedding_dim"] or _infer_dim(Path(args.submission_file)),
        tasks=config["task_filter"],
        standardize=config["standardize_embeddings"],
        normalize_labels=config["normalize_labels"],
        require_all_ids=False,
        progress=True,
        head=probe_head(config),
        exclude_ids=exclude,
        extras=extras,
        timings=timings,
    )
    return scores, extras


def _write_run(args, method, config, settings, scores, extras) -> Path:
    """eobench's split scores and upstream's summary and per-task files of one run."""
    from eobench.evaluator import hyperparameters, results_summary, task_result
    from eobench.provenance import provenance
    from eobench.scoring import summarise_tasks

    scores.insert(0, "method", method)
    summary = summarise_tasks(scores)
    run_dir = Path(args.output_dir) / args.phase / method
    write_csv(run_dir / "split_scores.csv", scores)
    for row in summary.to_dict(orient="records"):
        task = row["task"]
        result = task_result(
            row,
            hyperparameters(config, extras.get(task, {})),
            scores.loc[scores["task"] == task, "score"],
            config["output_fold_results"],
        )
        write_json(run_dir / task / f"{task}_result.json", result)
    record = results_summary(method, summary, config["given"])
    record["provenance"] = provenance(settings.as_dict())
    write_json(run_dir / "results_summary.json", record)
    log.info("%s: mean Q %.3f over %d tasks", method, summary["q"].mean(), len(summary))
    return run_dir


def _write_phase_leaderboards(output_dir: Path, phase: str) -> None:
    """The phase's leaderboard over every run scored in it, eobench's and upstream's."""
    from eobench.evaluator import official_leaderboard, phase_runs
    from eobench.scoring import leaderboard

    phase_dir = output_dir / phase
    runs = phase_runs(phase_dir)
    rows = {run["experiment"]: run["task_q_scores"] for run in runs}
    q_table = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    board, weights, excluded = leaderboard(q_table)
    write_csv(phase_dir / "leaderboard.csv", board)
    write_json(
        phase_dir / "leaderboard.json",
        {
            "phase": phase,
            "leaderboard": board.to_dict(orient="records"),
            "task_weights": weights.to_dict(),
            "excluded_methods": excluded,
        },
    )
    official = official_leaderboard(runs)
    write_csv(output_dir / "leaderboards" / phase / "leaderboard_latest.csv", official)
    print(board.to_string(index=False))


def score_challenge_folder(args: argparse.Namespace) -> Path:
    """Score a folder of submissions for one phase; return the phase's output folder."""
    from eobench.challenge import (
        CHALLENGE_EMBEDDING_DIM,
        DEFAULT_K_SPLITS,
        challenge_phase,
        score_challenge,
    )
    from eobench.evaluator import probe_head, probe_settings

    defaults = evaluator_defaults()
    config = read_evaluator_config(Path(args.config)) if args.config else defaults
    if args.dev_tasks is not None:
        dev_tasks = [task.strip() for task in args.dev_tasks.split(",") if task.strip()]
        if not dev_tasks:
            raise EobenchError("--dev_tasks: no task named")
    else:  # the evaluator's own way of naming a task subset
        dev_tasks = config["task_filter"]
    phase = challenge_phase(args.phase, dev_tasks, args.k_splits)
    if config["k_folds"] != defaults["k_folds"] and config["k_folds"] != phase.k_splits:
        log.warning(
            "config key k_folds (%d) not used: the %s phase uses K = %d (--k_splits changes it)",
            config["k_folds"],
            phase.name,
            phase.k_splits,
        )
    if phase.name == "evaluation" and dev_tasks:
        source = "--dev_tasks" if args.dev_tasks is not None else "config key task_filter"
        log.warning("%s not used: the evaluation phase scores every task", source)
    output_dir = Path(args.output_dir) / phase.name
    run = score_challenge(
        args.annotation_path,
        args.submissions_dir,
        output_dir,
        phase,
        settings=probe_settings(config, args.protocol, args.minibatches),
        head=probe_head(config),
        embedding_dim=config["embedding_dim"] or CHALLENGE_EMBEDDING_DIM,
        standardize=config["standardize_embeddings"],
        normalize_labels=config["normalize_labels"],
        split_seed=args.split_seed,
    )
    seed_note = " (drawn for this run)" if run.split_seed_drawn else ""
    print(
        f"{phase.name} phase: {len(run.history)} submissions ({len(run.scored)} scored now, "
        f"{len(run.cached)} from the cache), K = {phase.k_splits} "
        f"(default {DEFAULT_K_SPLITS[phase.name]}), split seed {run.split_seed}{seed_note}"
    )
    print(
        run.leaderboard[["team", "submission", "mean_q", "aggregated_rank"]].to_string(index=False)
    )
    return output_dir


def _infer_dim(path: Path) -> int:
    header = pd.read_csv(path, nrows=0).columns
    return sum(1 for column in header if column != "id")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eobench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score an embeddings CSV on an annotation folder")
    score.add_argument("--annotation_path", required=True, help="folder of <task>__<type>.csv")
    score.add_argument("--submission_file", required=True, help="CSV id,0,...,N-1")
    score.add_argument("--output_dir", default="results/", help="where results are kept")
    score.add_argument(
        "--config", default="config.yaml", help="evaluator config YAML (either schema)"
    )
    score.add_argument("--method_name", help="name of the submission (default: the file's stem)")
    score.add_argument(
        "--phase", default="results", help="phase label, e.g. dev or eval (a subfolder)"
    )
    score.add_argument("--exclude_file", help="ids to leave out before scoring, one per line")
    score.add_argument("--timings", help=argparse.SUPPRESS)  # JSON of seconds per stage
    challenge = commands.add_parser(
        "challenge", help="score a folder of submissions for a challenge phase, in order"
    )
    challenge.add_argument(
        "--annotation_path", required=True, help="the organiser's folder of <task>__<type>.csv"
    )
    challenge.add_argument(
        "--submissions_dir",
        required=True,
        help="submission CSVs, ordered by a submissions.csv manifest "
        "(team,submission_file,submitted_at) or else by file name",
    )
    challenge.add_argument(
        "--output_dir", required=True, help="results go to <output_dir>/<phase>/"
    )
    challenge.add_argument("--phase", required=True, choices=("development", "evaluation"))
    challenge.add_argument("--config", help="evaluator config YAML (either schema)")
    challenge.add_argument(
        "--dev_tasks",
        help="comma-separated tasks of the development phase (default: the config's task_filter)",
    )
    challenge.add_argument(
        "--split_seed",
        default="42",
        help="integer seed of the splits, or per_run to draw one (recorded in run.json)",
    )
    challenge.add_argument(
        "--k_splits", type=int, help="splits per task (default: 40 development, 200 evaluation)"
    )
    for command in (score, challenge):
        command.add_argument(
            "--protocol",
            default="neuco",
            choices=("neuco", "strict"),
            help="epoch selection: neuco (the evaluator's) or strict (leak-free)",
        )
        command.add_argument(
            "--minibatches",
            default="shared",
            choices=("shared", "per_split"),
            help="per_split reproduces a per-split training loop exactly",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        if args.command == "score":
            run_dir = score_submission(args)
            print(f"results written to {run_dir}")
        elif args.command == "challenge":
            phase_dir = score_challenge_folder(args)
            print(f"results written to {phase_dir}")
    except EobenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
