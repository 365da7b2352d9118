"""The NeuCo-Bench evaluator's interface: its config files and its output files.

eobench reads every config the official evaluator (``embed2scale/NeuCo-Bench``, HEAD
a89ba06) accepts and writes the files it writes, so that tools built around the
official results keep working. Two config schemas exist:

- the current one: ``k_folds``, ``probe_type`` (``linear`` or ``svm``) and
  ``probe_params`` are required; a linear probe's ``probe_params`` hold ``batch_size,
  epochs, learning_rate`` and optionally ``device`` (``"auto"`` in the sample config);
  an SVM probe's hold the search space (:mod:`eobench.probes.svm`);
- the older flat one (``batch_size, epochs, learning_rate, k_folds, ...`` at the top),
  which the official evaluator no longer reads; it means a linear probe.

Both share the optional keys of :data:`COMMON_KEYS`. A key the official checks do not
know is ignored there, so here it is accepted with a warning naming it.

Output files of a run, beside eobench's own ``split_scores.csv``::

    <output_dir>/<phase>/<method>/results_summary.json
        experiment, overall_q_score, overall_acc_score, task_q_scores, task_acc_scores,
        config (as given), provenance (eobench's)
    <output_dir>/<phase>/<method>/<task>/<task>_result.json
        q_stat, mean_score, std_dev, hyperparamaters (sic, upstream's key), and q_t (the
        split scores) when output_fold_results is true
    <output_dir>/leaderboards/<phase>/leaderboard_latest.csv
        experiment, mean_score, weighted_score, aggregated_rank, q::<task>...,
        acc::<task>..., overall_q_score, overall_acc_score

Upstream names its run folders and leaderboard files with a timestamp; eobench uses the
method name and ``latest`` so that the same inputs give the same files.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from eobench.errors import EobenchError

log = logging.getLogger(__name__)

PROBE_TYPES = ("linear", "svm")
#: probe_params of the linear probe: (types, default); the first three are required.
LINEAR_PARAMS: dict[str, tuple[tuple[type, ...], Any]] = {
    "batch_size": ((int,), 64),
    "epochs": ((int,), 20),
    "learning_rate": ((float,), 0.001),
    "device": ((str,), "auto"),
}
REQUIRED_LINEAR_PARAMS = ("batch_size", "epochs", "learning_rate")
#: Keys outside probe_params, both schemas: (types, default).
COMMON_KEYS: dict[str, tuple[tuple[type, ...], Any]] = {
    "k_folds": ((int,), 40),
    "embedding_dim": ((int, type(None)), None),
    "standardize_embeddings": ((bool,), True),
    "normalize_labels": ((bool,), True),
    "task_filter": ((list, type(None)), None),
    "enable_plots": ((bool,), False),
    "update_leaderboard": ((bool,), True),
    "output_fold_results": ((bool,), False),
    "store_models": ((bool,), False),
    "store_probes": ((bool,), False),
    # eobench's own: the seed of initial weights and minibatch order
    "seed": ((int,), 42),
}
RESULTS_SUMMARY = "results_summary.json"


def evaluator_defaults() -> dict[str, Any]:
    """The normalised config of a linear probe with every key at its default."""
    config = {key: default for key, (_, default) in {**COMMON_KEYS, **LINEAR_PARAMS}.items()}
    return {**config, "probe_type": "linear", "svm": None, "given": {}}


def read_evaluator_config(path: str | Path) -> dict[str, Any]:
    """Read an evaluator config file (either schema) into one normalised dict.

    The result holds every key of :data:`COMMON_KEYS` and :data:`LINEAR_PARAMS`,
    ``probe_type``, ``svm`` (the checked search of an SVM probe, else None) and
    ``given`` (the file's mapping as written, for ``results_summary.json``). A config
    the official checks reject raises :class:`EobenchError` naming the key.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise EobenchError(f"{path}: config file not found") from exc
    except yaml.YAMLError as exc:
        raise EobenchError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise EobenchError(f"{path}: the config must be a mapping of keys to values")
    try:
        return normalise_evaluator_config(raw)
    except EobenchError as exc:
        raise EobenchError(f"{path}: {exc}") from None


def normalise_evaluator_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`read_evaluator_config` for a mapping already read."""
    config = dict(raw)
    out = evaluator_defaults()
    out["given"] = dict(raw)
    if "probe_type" in config or "probe_params" in config:
        for key in ("k_folds", "probe_type", "probe_params"):
            if key not in config:
                raise EobenchError(f"config key {key}: missing (required with probe_type)")
        out.update(_probe_section(config.pop("probe_type"), config.pop("probe_params")))
    else:  # the older flat schema: a linear probe with its keys at the top
        flat = {key: config.pop(key) for key in list(config) if key in LINEAR_PARAMS}
        out.update(_checked(flat, LINEAR_PARAMS, ""))
    for key in sorted(set(config) - set(COMMON_KEYS)):
        log.warning("config key %s: not an evaluator key; ignored", key)
        config.pop(key)
    out.update(_checked(config, COMMON_KEYS, ""))
    _check_values(out)
    return out


def _probe_section(probe_type: Any, params: Any) -> dict[str, Any]:
    if probe_type not in PROBE_TYPES:
        raise EobenchError(
            f"config key probe_type: {probe_type!r} is not one of {list(PROBE_TYPES)}"
        )
    if not isinstance(params, dict):
        raise EobenchError("config key probe_params: must be a mapping")
    if probe_type == "svm":
        from eobench.probes.svm import SVMSearch

        return {"probe_type": "svm", "svm": SVMSearch.from_probe_params(params)}
    for key in REQUIRED_LINEAR_PARAMS:
        if key not in params:
            raise EobenchError(f"config key probe_params.{key}: missing")
    unknown = sorted(set(params) - set(LINEAR_PARAMS))
    if unknown:
        raise EobenchError(f"config key probe_params.{unknown[0]}: unknown key")
    return {"probe_type": "linear", **_checked(params, LINEAR_PARAMS, "probe_params.")}


def _checked(values: Mapping[str, Any], schema: Mapping, prefix: str) -> dict[str, Any]:
    """Values of ``schema``'s keys, type-checked; a float key also takes an int or "1e-3"."""
    out = {}
    for key, value in values.items():
        types, _ = schema[key]
        if float in types and isinstance(value, str):
            value = _float_from_text(prefix + key, value)
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        # bool is an int in Python: an integer key must not accept true/false
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise EobenchError(f"config key {prefix}{key}: {value!r} is not of type {names}")
        out[key] = value
    return out


def _float_from_text(key: str, text: str) -> float:
    # YAML 1.1 reads 1e-3 (no dot) as a string; the official evaluator passes it on to
    # torch, which fails mid-run. Read it as the number it means.
    try:
        value = float(text)
    except ValueError:
        raise EobenchError(f"config key {key}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise EobenchError(f"config key {key}: {text!r} is not a finite number")
    return value


def _check_values(config: Mapping[str, Any]) -> None:
    for key, least in (("batch_size", 1), ("epochs", 1), ("k_folds", 2)):
        if config[key] < least:
            raise EobenchError(f"config key {key}: {config[key]} is too small (at least {least})")
    if config["learning_rate"] <= 0:
        raise EobenchError("config key learning_rate: must be positive")
    if config["embedding_dim"] is not None and config["embedding_dim"] < 1:
        raise EobenchError("config key embedding_dim: must be positive or null")
    task_filter = config["task_filter"]
    if task_filter is not None and not all(isinstance(t, str) for t in task_filter):
        raise EobenchError("config key task_filter: must be a list of task names or null")


# -- output files --------------------------------------------------------------------------


def task_result(summary_row: Mapping[str, Any], hyperparameters: Any, split_scores, folds: bool):
    """The content of upstream's ``<task>_result.json`` for one task."""
    result = {
        "q_stat": float(summary_row["q"]),
        "mean_score": float(summary_row["mean_score"]),
        "std_dev": float(summary_row["std_score"]),
        "hyperparamaters": hyperparameters,
    }
    if folds:
        result["q_t"] = [float(s) for s in split_scores]
    return result


def results_summary(experiment: str, summary, config: Mapping[str, Any]) -> dict[str, Any]:
    """The content of upstream's ``results_summary.json`` from a task summary table."""
    q = dict(zip(summary["task"], summary["q"].astype(float), strict=True))
    acc = dict(zip(summary["task"], summary["mean_score"].astype(float), strict=True))
    return {
        "experiment": experiment,
        "overall_q_score": float(sum(q.values()) / len(q)),
        "overall_acc_score": float(sum(acc.values()) / len(acc)),
        "task_q_scores": q,
        "task_acc_scores": acc,
        "config": _json_safe(config),
    }


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def phase_runs(phase_dir: Path) -> list[dict[str, Any]]:
    """Every run's summary under a phase folder, in upstream's current key names.

    Summaries in upstream's older format (``overall_score``, ``task_result``) and in
    eobench's before version 0.2 (``task_results``) are read too.
    """
    runs = []
    for path in sorted(Path(phase_dir).glob(f"*/{RESULTS_SUMMARY}")):
        record = json.loads(path.read_text())
        if "task_q_scores" not in record:
            old = record.get("task_result") or record.get("task_results") or {}
            record = {
                "experiment": record["experiment"],
                "overall_q_score": record.get("overall_score"),
                "overall_acc_score": None,
                "task_q_scores": old,
                "task_acc_scores": {},
            }
        runs.append(record)
    return runs


def official_leaderboard(runs: list[dict[str, Any]]):
    """Upstream's phase leaderboard: its columns, its ranking (complete runs only)."""
    import pandas as pd

    from eobench.scoring import leaderboard

    rows = []
    for run in runs:
        row = {"experiment": run["experiment"]}
        row |= {f"q::{t}": v for t, v in run["task_q_scores"].items()}
        row |= {f"acc::{t}": v for t, v in run["task_acc_scores"].items()}
        row |= {k: run.get(k) for k in ("overall_q_score", "overall_acc_score")}
        rows.append(row)
    frame = pd.DataFrame(rows)
    q_columns = sorted(c for c in frame.columns if c.startswith("q::"))
    acc_columns = sorted(c for c in frame.columns if c.startswith("acc::"))
    q_table = frame.set_index("experiment")[q_columns].astype(float)
    board, _, _ = leaderboard(q_table)
    board = board.rename(columns={"method": "experiment", "mean_q": "mean_score"})
    board = board[["experiment", "mean_score", "weighted_score", "aggregated_rank"]]
    extra = frame[["experiment", *q_columns, *acc_columns, "overall_q_score", "overall_acc_score"]]
    return board.merge(extra, on="experiment", how="left")


# -- what the config sets ------------------------------------------------------------------


def probe_settings(config: Mapping[str, Any], protocol: str, minibatches: str, **overrides):
    """The :class:`~eobench.probes.linear.ProbeSettings` of a normalised evaluator config.

    The evaluator fixes what its config does not hold: 10 % test parts of
    ``ShuffleSplit(random_state=42)``, AdamW's default weight decay 0.01; the strict
    protocol's validation part is 10 % of each training split.
    """
    from eobench.probes.linear import ProbeSettings

    values = {
        "protocol": protocol,
        "k_splits": config["k_folds"],
        "epochs": config["epochs"],
        "batch_size": config["batch_size"],
        "learning_rate": float(config["learning_rate"]),
        "seed": config["seed"],
        "device": config["device"],
        "minibatches": minibatches,
    }
    return ProbeSettings(**{**values, **overrides})


def probe_head(config: Mapping[str, Any]):
    """The probe head a normalised evaluator config asks for."""
    from eobench.probes.heads import LINEAR, ProbeHead

    if config["probe_type"] == "svm":
        return ProbeHead(name="svm", type="svm", svm_search=config["svm"])
    return LINEAR


def hyperparameters(config: Mapping[str, Any], extra: Mapping[str, Any]) -> Any:
    """What upstream's ``<task>_result.json`` reports as ``hyperparamaters``."""
    if config["probe_type"] == "svm":
        # BayesSearchCV's best_params_: the first trial with the best mean objective
        objective = list(extra["objective"])
        return _json_safe(extra["trials"][objective.index(max(objective))])
    return {key: config[key] for key in ("epochs", "learning_rate", "batch_size")}


def read_exclude_file(path: str | Path) -> set[str]:
    """Ids listed one per line (blank lines skipped), without ``.zarr.zip`` / ``.zarr``."""
    from eobench.embeddings import ID_SUFFIXES

    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise EobenchError(f"{path}: exclude file not found") from None
    except UnicodeDecodeError:
        raise EobenchError(f"{path}: exclude file is not text (one id per line)") from None
    ids = set()
    for line in lines:
        sample_id = line.strip()
        for suffix in ID_SUFFIXES:
            sample_id = sample_id.removesuffix(suffix)
        if sample_id:
            ids.add(sample_id)
    return ids
