"""Challenge mode: score a folder of submissions in order, as the Embed2Scale challenge did.

The organiser keeps the annotation folder; participants send embedding CSVs
(``id,0,...,N-1``). Two phases:

``development``
    A subset of the tasks, K = 40 splits; a participant learns only the mean Q.
``evaluation``
    Every task, K = 200 splits; a participant learns the Q of every task and the rank.

Submissions are scored in submission order: the rows of a ``submissions.csv`` manifest
(``team, submission_file, submitted_at``) sorted by ``submitted_at`` (ties keep the
manifest's order), else the folder's CSV files sorted by name, the team being the part of
the name before ``__`` (``alpha__v2.csv`` is team ``alpha``). After each submission the
leaderboard history gets a row with the rank of every team so far: the NeuCo-Bench
aggregated rank (:func:`eobench.scoring.leaderboard`) over each team's *latest*
submission, as the Embed2Scale leaderboard showed it; a worse late submission costs the
team its place.

Split seed: an integer (the evaluator's 42 by default) or ``"per_run"``, which draws one
seed from OS entropy for the whole run, so all submissions of the run share the splits. The
drawn seed is recorded in ``run.json`` and in every history row; passing it as an integer
redoes the run.

Scores are cached per submission, keyed by the SHA-256 of the file's bytes and of the phase
settings (tasks, K, split seed, probe settings, embedding width, label files, eobench's
code version and torch's version): a re-run scores only new or changed submissions, and a
per-run seed, a new label file, another phase or another code version scores everything
again.

Output folder (the organiser's; only ``feedback/`` goes to participants)::

    run.json                     phase, split seed (drawn or given), settings, provenance
    leaderboard_history.csv      one row per submission, the ranks of all teams after it
    leaderboard.csv              final leaderboard of the teams' latest submissions
    task_scores.csv              Q of every submission on every task of the phase
    cache/<key>/                 split scores of one submission under one phase setting
    feedback/<submission>.json   development: only {"mean_q": ...}; evaluation: Q per task
                                 and the rank after the submission
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

# Only light imports here: the rank-evolution figure (plots environment, without torch
# or scipy) imports this module for RANK_PREFIX.
from eobench.errors import EobenchError
from eobench.io import atomic_path, file_sha256, write_csv, write_json

log = logging.getLogger(__name__)

PHASES = ("development", "evaluation")
#: Splits per task of each phase in the Embed2Scale challenge.
DEFAULT_K_SPLITS = {"development": 40, "evaluation": 200}
#: What a participant sees: the mean Q only, or Q per task and the rank.
REPORTS = {"development": "mean_q", "evaluation": "full"}
#: Width of every submission in the Embed2Scale challenge.
CHALLENGE_EMBEDDING_DIM = 1024
#: The reference evaluator's fixed split seed.
DEFAULT_SPLIT_SEED = 42
PER_RUN = "per_run"
MANIFEST = "submissions.csv"
MANIFEST_COLUMNS = ("team", "submission_file", "submitted_at")
#: Prefix of the history's rank columns (``rank_<team>``).
RANK_PREFIX = "rank_"
#: Columns of the organiser's task_scores.csv.
TASK_SCORE_COLUMNS = (
    "order",
    "team",
    "submission",
    "task",
    "task_type",
    "metric",
    "mean_score",
    "std_score",
    "n_splits",
    "q",
)
#: Timestamp of the first demo submission; the others follow an hour apart.
DEMO_START = pd.Timestamp("2025-03-01T12:00:00Z")


@dataclass(frozen=True)
class Phase:
    """One phase of the challenge.

    Attributes
    ----------
    name : {"development", "evaluation"}
    tasks : tuple of str or None
        Tasks scored in the phase; None means every task of the annotation folder.
    k_splits : int
        Random train/test splits per task (K).
    report : {"mean_q", "full"}
        What goes back to participants.
    """

    name: str
    tasks: tuple[str, ...] | None
    k_splits: int
    report: str


def challenge_phase(
    name: str, dev_tasks: Sequence[str] | None = None, k_splits: int | None = None
) -> Phase:
    """The phase ``name`` with the challenge's defaults.

    Parameters
    ----------
    name : {"development", "evaluation"}
    dev_tasks : sequence of str, optional
        The development phase's task subset (required there, ignored for evaluation,
        which scores every task).
    k_splits : int, optional
        Splits per task; default 40 (development) or 200 (evaluation).
    """
    if name not in PHASES:
        raise EobenchError(f"phase {name!r}: unknown phase (expected one of {list(PHASES)})")
    if k_splits is None:
        k_splits = DEFAULT_K_SPLITS[name]
    if isinstance(k_splits, bool) or not isinstance(k_splits, int) or k_splits < 2:
        raise EobenchError(f"phase {name}: k_splits {k_splits!r} is not an integer of 2 or more")
    tasks = None
    if name == "development":
        if not dev_tasks:
            raise EobenchError(
                "phase development: no task subset given (dev_tasks, or the config's task_filter)"
            )
        if len(set(dev_tasks)) != len(dev_tasks):
            raise EobenchError(f"phase development: dev_tasks {list(dev_tasks)} repeat a task")
        tasks = tuple(dev_tasks)
    return Phase(name, tasks, k_splits, REPORTS[name])


def parse_split_seed(value: int | str) -> int | str:
    """An integer seed (0 to 2**32 - 1, as scikit-learn accepts) or ``"per_run"``."""
    if isinstance(value, str):
        if value == PER_RUN:
            return PER_RUN
        try:
            value = int(value)
        except ValueError:
            raise EobenchError(
                f"split_seed {value!r}: expected an integer or {PER_RUN!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise EobenchError(f"split_seed {value!r}: expected an integer in [0, 2**32) or per_run")
    return value


def resolve_split_seed(value: int | str) -> tuple[int, bool]:
    """The run's split seed and whether it was drawn (``per_run``) rather than given."""
    value = parse_split_seed(value)
    if value == PER_RUN:
        # OS entropy, not a seeded generator: participants cannot predict the splits.
        return secrets.randbelow(2**31), True
    return int(value), False


@dataclass(frozen=True)
class Submission:
    """One submission: its place in the order, team, name (file stem) and file."""

    order: int
    team: str
    name: str
    path: Path
    submitted_at: str | None = None


def submission_order(folder: str | os.PathLike) -> list[Submission]:
    """The submissions of ``folder`` in submission order (see the module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EobenchError(f"{folder}: submissions folder not found")
    manifest = folder / MANIFEST
    if manifest.exists():
        return _manifest_order(manifest)
    files = sorted(p for p in folder.glob("*.csv") if p.name != MANIFEST)
    if not files:
        raise EobenchError(f"{folder}: no submission CSV files")
    return [
        Submission(order, path.stem.split("__", 1)[0], path.stem, path)
        for order, path in enumerate(files, start=1)
    ]


def _manifest_order(manifest: Path) -> list[Submission]:
    try:
        frame = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise EobenchError(f"{manifest}: the manifest is empty") from exc
    except Exception as exc:
        raise EobenchError(f"{manifest}: cannot be read as CSV ({exc})") from exc
    missing = [c for c in MANIFEST_COLUMNS if c not in frame.columns]
    if missing:
        raise EobenchError(f"{manifest}: missing column(s) {missing}")
    if frame.empty:
        raise EobenchError(f"{manifest}: no submissions listed")
    for column in ("team", "submission_file"):
        blank = frame[column].str.strip() == ""
        if blank.any():
            raise EobenchError(f"{manifest}: row {int(blank.idxmax()) + 2} has an empty {column}")
    duplicated = frame["submission_file"][frame["submission_file"].duplicated()]
    if len(duplicated):
        raise EobenchError(f"{manifest}: submission_file {duplicated.iloc[0]!r} listed twice")
    times = pd.to_datetime(frame["submitted_at"], utc=True, errors="coerce", format="ISO8601")
    if times.isna().any():
        bad = frame["submitted_at"][times.isna()].iloc[0]
        raise EobenchError(f"{manifest}: submitted_at {bad!r} is not an ISO 8601 time")
    folder = manifest.parent
    submissions = []
    for row in frame.assign(time=times).sort_values("time", kind="stable").itertuples():
        path = folder / row.submission_file
        if Path(row.submission_file).name != row.submission_file or path.suffix != ".csv":
            raise EobenchError(
                f"{manifest}: submission_file {row.submission_file!r} must be the name of a "
                "CSV file in the submissions folder"
            )
        if not path.is_file():
            raise EobenchError(f"{manifest}: submission_file {row.submission_file!r} not found")
        submissions.append(
            Submission(len(submissions) + 1, row.team, path.stem, path, row.submitted_at)
        )
    listed = {s.path.name for s in submissions} | {MANIFEST}
    unlisted = sorted(p.name for p in folder.glob("*.csv") if p.name not in listed)
    if unlisted:
        log.warning(
            "%s: %d CSV files not in the manifest are not scored (first: %s)",
            manifest,
            len(unlisted),
            unlisted[0],
        )
    return submissions


def annotation_fingerprint(folder: str | os.PathLike) -> str:
    """SHA-256 over the names and bytes of every label file of an annotation folder.

    All files count, not only the phase's tasks: the evaluator standardises a submission
    over the ids of every label file, so any of them changes the scores.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + file_sha256(path).encode())
    return digest.hexdigest()


def _json_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class ChallengeRun:
    """What :func:`score_challenge` produced.

    Attributes
    ----------
    output_dir : Path
    phase : Phase
    split_seed : int
        The split seed used (drawn when ``split_seed_drawn``).
    split_seed_drawn : bool
    history : DataFrame
        The leaderboard history (one row per submission).
    leaderboard : DataFrame
        The final leaderboard of the teams' latest submissions.
    task_scores : DataFrame
        Q of every submission on every task of the phase.
    scored, cached : list of str
        Submissions scored in this run and those taken from the cache.
    """

    output_dir: Path
    phase: Phase
    split_seed: int
    split_seed_drawn: bool
    history: pd.DataFrame
    leaderboard: pd.DataFrame
    task_scores: pd.DataFrame
    scored: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)


def score_challenge(
    annotation_dir: str | os.PathLike,
    submissions_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    phase: Phase,
    *,
    settings,
    head=None,
    embedding_dim: int = CHALLENGE_EMBEDDING_DIM,
    standardize: bool = True,
    normalize_labels: bool = True,
    split_seed: int | str = DEFAULT_SPLIT_SEED,
    epsilon: float | None = None,
) -> ChallengeRun:
    """Score every submission of a folder in order and write the phase's outputs.

    Every input (annotation folder, dev tasks, manifest, each submission not yet in the
    cache) is checked before anything is written, so a bad one leaves no output behind.

    Parameters
    ----------
    annotation_dir : path
        The organiser's folder of ``<task>__<type>.csv`` label files.
    submissions_dir : path
        Submission CSVs, optionally with a ``submissions.csv`` manifest.
    output_dir : path
        The phase's folder (layout in the module docstring).
    phase : Phase
        From :func:`challenge_phase`.
    settings : eobench.probes.linear.ProbeSettings
        The probe's settings (from the workflow's ``probe`` keys or an evaluator config);
        the phase sets K and the split seed.
    head : eobench.probes.heads.ProbeHead, optional
        The probe head (default: the paper's linear probe).
    embedding_dim : int
        The width every submission is scored at (the challenge's 1024 by default).
    standardize, normalize_labels : bool
        The evaluator's input rules (:func:`eobench.probes.evaluate.evaluate_embeddings`).
    split_seed : int or "per_run"
    epsilon : float, optional
        Of the quality score Q (default :data:`eobench.scoring.EPSILON`).

    Returns
    -------
    ChallengeRun
    """
    from eobench.data.labels import read_annotations
    from eobench.embeddings import load_embeddings
    from eobench.probes.heads import LINEAR
    from eobench.provenance import provenance
    from eobench.scoring import EPSILON

    if epsilon is None:
        epsilon = EPSILON
    head = LINEAR if head is None else head
    annotation_dir, output_dir = Path(annotation_dir), Path(output_dir)
    all_tasks = read_annotations(annotation_dir)
    task_names = [task.name for task in all_tasks]
    if phase.tasks is not None:
        unknown = [t for t in phase.tasks if t not in task_names]
        if unknown:
            raise EobenchError(
                f"{annotation_dir}: no label file for development task {unknown[0]!r} "
                f"(has: {task_names})"
            )
    # evaluate_embeddings reports tasks in the annotation folder's (sorted) order.
    phase_tasks = [t for t in task_names if phase.tasks is None or t in phase.tasks]
    labelled = sorted({i for task in all_tasks for i in task.ids})
    submissions = submission_order(submissions_dir)

    seed, drawn = resolve_split_seed(split_seed)
    if drawn:
        log.info("split seed drawn for this run: %d (pass it as split_seed to redo the run)", seed)
    settings = replace(settings, k_splits=phase.k_splits, split_seed=seed)
    preprocessing = {
        "standardize_embeddings": standardize,
        "normalize_labels": normalize_labels,
    }
    scoring_settings = {
        "tasks": phase_tasks,
        "probe": settings.as_dict(),
        "head": head.spec(),
        "embedding_dim": embedding_dim,
        **preprocessing,
        "annotations": annotation_fingerprint(annotation_dir),
    }
    # Another code or torch version may score differently: it must not reuse the cache.
    versions = provenance()
    scoring_settings |= {key: versions[key] for key in ("code_version", "torch")}
    settings_hash = _json_hash(scoring_settings)
    cache_dir = output_dir / "cache"
    file_hashes = {s.name: file_sha256(s.path) for s in submissions}
    cache_keys = {
        name: hashlib.sha256(f"{file_hash}:{settings_hash}".encode()).hexdigest()[:32]
        for name, file_hash in file_hashes.items()
    }

    def cached(submission: Submission) -> bool:
        return (cache_dir / cache_keys[submission.name] / "split_scores.csv").is_file()

    pending = [s for s in submissions if not cached(s)]
    for submission in pending:
        ids, _ = load_embeddings(submission.path, embedding_dim, keep_ids=labelled)
        if not ids:
            raise EobenchError(f"{submission.path}: none of its ids is in the annotations")

    # Every input is valid: from here on, outputs are written.
    scored, from_cache = [], []
    for position, submission in enumerate(submissions, start=1):
        if cached(submission):  # also a second copy of a file scored a moment ago
            from_cache.append(submission.name)
            continue
        _score_into_cache(
            submission,
            cache_dir / cache_keys[submission.name],
            annotation_dir,
            settings,
            head,
            embedding_dim,
            phase,
            preprocessing,
            {
                "file_sha256": file_hashes[submission.name],
                "settings_sha256": settings_hash,
                "split_seed": seed,
            },
        )
        scored.append(submission.name)
        log.info("scored %s (%d/%d)", submission.name, position, len(submissions))
    log.info(
        "%s phase: %d submissions, %d scored now, %d from the cache",
        phase.name,
        len(submissions),
        len(scored),
        len(from_cache),
    )

    task_scores = pd.concat(
        [
            _submission_task_scores(
                submission, cache_dir / cache_keys[submission.name], phase_tasks, epsilon
            )
            for submission in submissions
        ],
        ignore_index=True,
    )
    history, board = rank_history(submissions, task_scores, phase, seed)
    _note_history_change(output_dir / "leaderboard_history.csv", history)

    write_csv(output_dir / "task_scores.csv", task_scores)
    write_csv(output_dir / "leaderboard_history.csv", history)
    write_csv(output_dir / "leaderboard.csv", board)
    _write_feedback(output_dir / "feedback", phase, history, task_scores)
    write_json(
        output_dir / "run.json",
        {
            "phase": asdict(phase),
            "split_seed": seed,
            "split_seed_source": PER_RUN if drawn else "given",
            "redo": f"--split_seed {seed}",
            "settings": scoring_settings,
            "settings_sha256": settings_hash,
            "epsilon": epsilon,
            "submissions": [s.name for s in submissions],
            "provenance": provenance(settings.as_dict()),
        },
    )
    return ChallengeRun(
        output_dir, phase, seed, drawn, history, board, task_scores, scored, from_cache
    )


def _score_into_cache(
    submission: Submission,
    entry: Path,
    annotation_dir: Path,
    settings,
    head,
    embedding_dim: int,
    phase: Phase,
    preprocessing: Mapping[str, bool],
    key: dict[str, Any],
) -> None:
    """Probe one submission and store its split scores as one cache entry (atomically)."""
    from eobench.probes.evaluate import evaluate_embeddings

    scores, _ = evaluate_embeddings(
        submission.path,
        annotation_dir,
        settings,
        embedding_dim,
        tasks=list(phase.tasks) if phase.tasks is not None else None,
        standardize=preprocessing["standardize_embeddings"],
        normalize_labels=preprocessing["normalize_labels"],
        require_all_ids=False,
        progress=False,
        detailed=False,
        head=head,
    )
    # A whole folder at once: an interrupted run never leaves a half-written entry.
    with atomic_path(entry, directory=True) as tmp:
        scores.to_csv(tmp / "split_scores.csv", index=False)
        (tmp / "entry.json").write_text(
            json.dumps({**key, "first_scored_as": submission.name}, indent=2) + "\n"
        )


def _submission_task_scores(
    submission: Submission, entry: Path, tasks: list[str], epsilon: float
) -> pd.DataFrame:
    """Q per task of one submission from its cached split scores."""
    from eobench.scoring import summarise_tasks

    scores = pd.read_csv(entry / "split_scores.csv")
    scores.insert(0, "method", submission.name)
    summary = summarise_tasks(scores, epsilon)
    missing = [t for t in tasks if t not in set(summary["task"])]
    if missing:  # an entry is keyed by the task list, so this is a damaged cache
        raise EobenchError(f"{entry}: cached scores lack task {missing[0]!r}; delete the entry")
    summary = summary.set_index("task").loc[tasks].reset_index()
    summary = summary.rename(columns={"method": "submission"})
    summary.insert(0, "team", submission.team)
    summary.insert(0, "order", submission.order)
    return summary[list(TASK_SCORE_COLUMNS)]


def rank_history(
    submissions: Sequence[Submission], task_scores: pd.DataFrame, phase: Phase, split_seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leaderboard after each submission, and the final leaderboard.

    After submission i, every team that has submitted is ranked with
    :func:`eobench.scoring.leaderboard` on the Q of its latest submission up to i.

    Returns
    -------
    history : DataFrame
        ``order, team, submission, file, submitted_at, phase, split_seed, mean_q`` and one
        ``rank_<team>`` column per team (empty before the team's first submission or
        when its Q is NaN on some task).
    board : DataFrame
        The leaderboard after the last submission, ``team`` and ``submission`` first.
    """
    from eobench.scoring import leaderboard

    q_by_submission = task_scores.pivot(index="submission", columns="task", values="q")
    tasks = list(dict.fromkeys(task_scores["task"]))
    teams = list(dict.fromkeys(s.team for s in submissions))
    latest: dict[str, str] = {}
    rows = []
    board = pd.DataFrame()
    for submission in submissions:
        latest[submission.team] = submission.name
        q_table = q_by_submission.loc[list(latest.values()), tasks]
        q_table.index = pd.Index(list(latest), name="team")
        board, _, _ = leaderboard(q_table)
        rank_of = dict(zip(board["method"], board["aggregated_rank"], strict=True))
        rows.append(
            {
                "order": submission.order,
                "team": submission.team,
                "submission": submission.name,
                "file": submission.path.name,
                "submitted_at": submission.submitted_at,
                "phase": phase.name,
                "split_seed": split_seed,
                "mean_q": float(q_by_submission.loc[submission.name, tasks].mean()),
                **{f"{RANK_PREFIX}{team}": rank_of.get(team, pd.NA) for team in teams},
            }
        )
    history = pd.DataFrame(rows)
    for team in teams:
        history[f"{RANK_PREFIX}{team}"] = history[f"{RANK_PREFIX}{team}"].astype("Int64")
    board = board.rename(columns={"method": "team"})
    board.insert(1, "submission", board["team"].map(latest))
    return history, board


def _note_history_change(path: Path, history: pd.DataFrame) -> None:
    """Log how the new history relates to the last run's: rows appended, or rewritten."""
    if not path.exists():
        return
    previous = pd.read_csv(path)
    rendered = pd.read_csv(io.StringIO(history.to_csv(index=False)))
    common = [c for c in previous.columns if c in rendered.columns]
    unchanged = len(previous) <= len(rendered) and len(common) == len(previous.columns)
    if unchanged:
        head = rendered.loc[: len(previous) - 1, common].reset_index(drop=True)
        try:
            pd.testing.assert_frame_equal(previous, head, check_dtype=False)
        except AssertionError:
            unchanged = False
    if unchanged:
        log.info("leaderboard history: %d rows appended", len(rendered) - len(previous))
    else:
        log.warning(
            "leaderboard history: earlier rows changed (another split seed, phase setting, "
            "annotation folder or submission order than the last run)"
        )


def _write_feedback(
    folder: Path, phase: Phase, history: pd.DataFrame, task_scores: pd.DataFrame
) -> None:
    """One JSON per submission with what the phase lets participants see."""
    with atomic_path(folder, directory=True) as tmp:
        for row in history.itertuples(index=False):
            if phase.report == "mean_q":
                feedback: dict[str, Any] = {"mean_q": row.mean_q}
            else:
                own = task_scores[task_scores["submission"] == row.submission]
                rank = history.loc[history["order"] == row.order, f"{RANK_PREFIX}{row.team}"]
                feedback = {
                    "submission": row.submission,
                    "team": row.team,
                    "mean_q": row.mean_q,
                    "task_q": dict(zip(own["task"], own["q"], strict=True)),
                    "rank_after_submission": None if pd.isna(rank.iloc[0]) else int(rank.iloc[0]),
                }
            write_json(tmp / f"{row.submission}.json", feedback)


def write_demo_submissions(
    entries: Sequence[Mapping[str, str]], folder: str | os.PathLike
) -> pd.DataFrame:
    """A demo submissions folder: copies of embedding CSVs and their manifest.

    Parameters
    ----------
    entries : sequence of mappings
        In submission order, each with ``team``, ``source`` (a submission CSV) and
        ``submission_file`` (its name in the folder).
    folder : path
        Written atomically; the submissions are an hour apart from :data:`DEMO_START`.

    Returns
    -------
    DataFrame
        The manifest (``team, submission_file, submitted_at``).
    """
    if not entries:
        raise EobenchError("challenge demo: no submissions (no encoder has the aggregations)")
    manifest = pd.DataFrame(
        {
            "team": [e["team"] for e in entries],
            "submission_file": [e["submission_file"] for e in entries],
            "submitted_at": [
                (DEMO_START + pd.Timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
                for i in range(len(entries))
            ],
        }
    )
    duplicated = manifest["submission_file"][manifest["submission_file"].duplicated()]
    if len(duplicated):
        raise EobenchError(f"challenge demo: submission_file {duplicated.iloc[0]!r} twice")
    with atomic_path(folder, directory=True) as tmp:
        for entry in entries:
            shutil.copyfile(entry["source"], tmp / entry["submission_file"])
        manifest.to_csv(tmp / MANIFEST, index=False)
    return manifest
