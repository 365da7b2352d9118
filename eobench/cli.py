"""Command line: ``eobench score`` evaluates anyone's embeddings like the NeuCo-Bench CLI.

    eobench score --annotation_path labels/ --submission_file team.csv \\
        --output_dir results/ --config config.yaml --method_name team --phase dev

It accepts the evaluator's submission CSV (``id,0,...,N-1``, ids with or without
``.zarr.zip``) and both of its config schemas: the flat one (``batch_size, epochs,
learning_rate, k_folds, embedding_dim, ...``) and the one with ``probe_type`` and
``probe_params``. Results of every method scored in a phase are kept under
``<output_dir>/<phase>/<method_name>/`` and the phase's leaderboard is rewritten from all
of them (``<output_dir>/<phase>/leaderboard.{csv,json}``).

``eobench challenge`` scores a whole folder of submissions in submission order for the
development or evaluation phase (:mod:`eobench.challenge`)::

    eobench challenge --annotation_path labels/ --submissions_dir submissions/ \\
        --output_dir results/challenge --phase development --dev_tasks crops,biomass_mean
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from eobench.errors import EobenchError

log = logging.getLogger("eobench")

#: The evaluator's config keys, their types and defaults (both schemas).
_FLAT_KEYS: dict[str, tuple[tuple[type, ...], Any]] = {
    "batch_size": ((int,), 64),
    "epochs": ((int,), 20),
    "learning_rate": ((int, float), 0.001),
}
_COMMON_KEYS: dict[str, tuple[tuple[type, ...], Any]] = {
    "k_folds": ((int,), 40),
    "embedding_dim": ((int, type(None)), 1024),
    "standardize_embeddings": ((bool,), True),
    "normalize_labels": ((bool,), True),
    "task_filter": ((list, bool, type(None)), None),
    "enable_plots": ((bool,), False),
    "update_leaderboard": ((bool,), True),
    "output_fold_results": ((bool,), False),
    "store_models": ((bool,), False),
    "store_probes": ((bool,), False),
    "device": ((str,), "auto"),
    "seed": ((int,), 42),
}
_PROBE_TYPES = ("linear",)


def evaluator_defaults() -> dict[str, Any]:
    """The evaluator config with every key at its default (what an empty file gives)."""
    return {key: default for key, (_, default) in {**_FLAT_KEYS, **_COMMON_KEYS}.items()}


def read_evaluator_config(path: Path) -> dict[str, Any]:
    """Read either evaluator schema into one flat dict, rejecting unknown or mistyped keys."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise EobenchError(f"{path}: config file not found") from exc
    except yaml.YAMLError as exc:
        raise EobenchError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(raw, dict):
        raise EobenchError(f"{path}: the config must be a mapping of keys to values")
    config = dict(raw)
    if "probe_type" in config or "probe_params" in config:
        probe_type = config.pop("probe_type", "linear")
        if probe_type not in _PROBE_TYPES:
            raise EobenchError(
                f"{path}: config key probe_type: {probe_type!r} is not supported "
                f"(supported: {list(_PROBE_TYPES)})"
            )
        params = config.pop("probe_params", None) or {}
        if not isinstance(params, dict):
            raise EobenchError(f"{path}: config key probe_params must be a mapping")
        for key in params:
            if key not in _FLAT_KEYS:
                raise EobenchError(f"{path}: config key probe_params.{key}: unknown key")
        clash = set(params) & set(config)
        if clash:
            raise EobenchError(f"{path}: config key {sorted(clash)[0]} given twice")
        config.update(params)
    known = {**_FLAT_KEYS, **_COMMON_KEYS}
    out = {}
    for key, value in config.items():
        if key not in known:
            raise EobenchError(f"{path}: config key {key}: unknown key")
        types, _ = known[key]
        # bool is an int in Python; an integer key must not accept true/false.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(t.__name__ for t in types)
            raise EobenchError(f"{path}: config key {key}: {value!r} is not of type {names}")
        out[key] = value
    for key, (_, default) in known.items():
        out.setdefault(key, default)
    for key in ("batch_size", "epochs", "k_folds"):
        if out[key] < 1 + (key == "k_folds"):
            raise EobenchError(f"{path}: config key {key}: {out[key]} is too small")
    if out["learning_rate"] <= 0:
        raise EobenchError(f"{path}: config key learning_rate: must be positive")
    task_filter = out["task_filter"]
    if task_filter is True:
        raise EobenchError(f"{path}: config key task_filter: use false/null or a list of tasks")
    out["task_filter"] = task_filter or None
    return out


def score_submission(args: argparse.Namespace) -> Path:
    """Score one submission, store its results and rewrite the phase's leaderboard."""
    from eobench.io import write_csv, write_json
    from eobench.probes.evaluate import evaluate_embeddings
    from eobench.probes.linear import ProbeSettings
    from eobench.provenance import provenance
    from eobench.scoring import leaderboard, summarise_tasks

    config = read_evaluator_config(Path(args.config))
    settings = ProbeSettings(
        protocol=args.protocol,
        k_splits=config["k_folds"],
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        learning_rate=float(config["learning_rate"]),
        seed=config["seed"],
        device=config["device"],
        minibatches=args.minibatches,
    )
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
    )
    scores.insert(0, "method", args.method_name)
    summary = summarise_tasks(scores)
    run_dir = Path(args.output_dir) / args.phase / args.method_name
    write_csv(run_dir / "split_scores.csv", scores)
    write_json(
        run_dir / "results_summary.json",
        {
            "experiment": args.method_name,
            "overall_score": float(summary["q"].mean()),
            "task_results": dict(zip(summary["task"], summary["q"], strict=True)),
            "config": config,
            "provenance": provenance(settings.as_dict()),
        },
    )
    log.info("%s: mean Q %.3f over %d tasks", args.method_name, summary["q"].mean(), len(summary))
    if config["update_leaderboard"]:
        phase_dir = Path(args.output_dir) / args.phase
        runs = sorted(phase_dir.glob("*/results_summary.json"))
        rows = {}
        for path in runs:
            record = json.loads(path.read_text())
            rows[record["experiment"]] = record["task_results"]
        q_table = pd.DataFrame.from_dict(rows, orient="index").astype(float)
        board, weights, excluded = leaderboard(q_table)
        write_csv(phase_dir / "leaderboard.csv", board)
        write_json(
            phase_dir / "leaderboard.json",
            {
                "phase": args.phase,
                "leaderboard": board.to_dict(orient="records"),
                "task_weights": weights.to_dict(),
                "excluded_methods": excluded,
            },
        )
        print(board.to_string(index=False))
    return run_dir


def score_challenge_folder(args: argparse.Namespace) -> Path:
    """Score a folder of submissions for one phase; return the phase's output folder."""
    from eobench.challenge import DEFAULT_K_SPLITS, challenge_phase, score_challenge

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
        evaluator_config=config,
        split_seed=args.split_seed,
        protocol=args.protocol,
        minibatches=args.minibatches,
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
    score.add_argument("--config", required=True, help="evaluator config YAML (either schema)")
    score.add_argument("--method_name", required=True, help="name of the submission")
    score.add_argument("--phase", default="all", help="phase label, e.g. dev or eval")
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
