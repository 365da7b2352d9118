"""One adaptation job: a (backbone, inputs, mode, training subset, seed) on every task.

A training job (LP, FT, JT) trains one model per task and writes ``model.pt`` (every
task's best checkpoint with the normalisation it was trained with) and ``metrics.csv``
(one row per task and test split, the method key in columns). A test-time job
(JT-TTT, JT-TTT-Geo) reads its base mode's ``model.pt`` and adapts on the test batches.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from eobench.adaptation.backbones import build_backbone
from eobench.adaptation.data import (
    InputChannels,
    Samples,
    Standardiser,
    build_samples,
    class_counts,
    read_modalities,
    read_target,
    target_moments,
)
from eobench.adaptation.modalities import MODALITIES
from eobench.adaptation.model import AdaptationModel, decoder_outputs
from eobench.adaptation.modes import Mode, get_mode
from eobench.adaptation.results import METRIC_COLUMNS
from eobench.adaptation.splits import (
    TEST_SPLITS,
    read_splits,
    rows_scored_as,
    split_rows,
    subset_rows,
)
from eobench.adaptation.tasks import AdaptationTask, get_task, task_score
from eobench.adaptation.training import TrainingSettings, predict, train
from eobench.data.store import CubeStore
from eobench.errors import EobenchError
from eobench.io import atomic_path, write_csv

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What one job runs: the method key and the settings that shape it."""

    dataset: str
    encoder: str
    encoder_spec: Mapping[str, Any]
    inputs: str
    channels: InputChannels
    mode: Mode
    subset: str
    seed: int
    tasks: tuple[str, ...]
    reconstruct: tuple[str, ...]
    training: TrainingSettings

    def key(self, weights: str) -> dict[str, Any]:
        return {
            "encoder": self.encoder,
            "weights": weights,
            "mode": self.mode.name,
            "inputs": self.inputs,
            "subset": self.subset,
            "seed": self.seed,
        }


def make_job(
    dataset: str,
    encoder: str,
    encoder_spec: Mapping[str, Any],
    inputs: str,
    inputs_entry: Mapping[str, Sequence[str] | None],
    mode: str,
    subset: str,
    seed: int,
    tasks: Sequence[str],
    reconstruct: Sequence[str],
    training: Mapping[str, Any],
) -> Job:
    """A checked job from the config's values (each error names its key)."""
    for name in tasks:
        get_task(name)
    for name in reconstruct:
        if name not in MODALITIES:
            raise EobenchError(
                f"config key adaptation.reconstruct: unknown modality {name!r} "
                f"(known: {list(MODALITIES)})"
            )
    return Job(
        dataset,
        encoder,
        dict(encoder_spec),
        inputs,
        InputChannels.from_config(inputs_entry, f"adaptation.inputs.{inputs}"),
        get_mode(mode),
        subset,
        int(seed),
        tuple(tasks),
        tuple(reconstruct),
        TrainingSettings(**training),
    )


def job_of_rule(smk) -> Job:
    """The job of an adaptation rule: its wildcards (the method key) and params, the
    backbone's weights resolved in the verified weights folder of its input."""
    from eobench.encoders.weights import encoder_spec_with_weights

    w = smk.wildcards
    folder = str(Path(smk.input.weights[0]).parent) if smk.input.weights else None
    key = f"adaptation.encoders.{w.encoder}"
    spec = encoder_spec_with_weights(smk.params.encoder, folder, key)
    return make_job(
        w.dataset, w.encoder, spec, w.inputs, smk.params.inputs, w.mode, w.subset,
        int(w.seed), smk.params.tasks, smk.params.reconstruct, smk.params.training,
    )  # fmt: skip


def _rows(splits: pd.DataFrame, subset: str) -> dict[str, np.ndarray]:
    """Store rows of the training subset, the validation split and both tests."""
    rows = {"train": subset_rows(splits, subset), "val": split_rows(splits, "val")}
    rows.update({name: rows_scored_as(splits, name) for name in TEST_SPLITS})
    return rows


def _check_store(store: CubeStore, job: Job) -> None:
    for name in job.reconstruct if job.mode.reconstruct else ():
        array = MODALITIES[name].array
        if array not in store.arrays:
            raise EobenchError(
                f"config key adaptation.reconstruct: the decoder of {name} needs store array "
                f"{array!r}, which dataset {job.dataset} lacks (datasets.{job.dataset}.families)"
            )


class JobData:
    """The store values a job reads, read once for every row of its splits and shared by
    its tasks (one chunk per sample makes each read cost a file access per row)."""

    def __init__(self, store, splits, job: Job, parts=None) -> None:
        rows = _rows(splits, job.subset)
        self.rows = rows if parts is None else {name: rows[name] for name in parts}
        self.store, self.job = store, job
        self.all_rows = np.unique(np.concatenate(list(self.rows.values())))
        needed = dict.fromkeys([m for m, _ in job.channels.parts] + list(job.reconstruct))
        self.raw = read_modalities(store, self.all_rows, list(needed))
        self.lonlat = splits.set_index("row").loc[self.all_rows, ["lon", "lat"]].to_numpy()

    def positions(self, part: str) -> np.ndarray:
        return np.searchsorted(self.all_rows, self.rows[part])

    def raw_of(self, part: str) -> dict:
        at = self.positions(part)
        return {name: (values[at], valid[at]) for name, (values, valid) in self.raw.items()}

    def samples(self, task: AdaptationTask, normalisation=None):
        """Samples of every part for ``task``; the normalisation is fitted on the training
        subset unless a checkpoint's (standardiser and target moments) is given."""
        target = read_target(self.store, task, self.all_rows)
        if normalisation is None:
            standardiser = Standardiser.fit(self.raw_of("train"))
            moments = target_moments(task, target[self.positions("train")])
        else:
            standardiser, moments = normalisation
        samples = {
            part: build_samples(
                self.raw_of(part),
                target[self.positions(part)],
                self.lonlat[self.positions(part)],
                self.job.channels,
                standardiser,
                moments,
                self.job.reconstruct,
            )
            for part in self.rows
        }
        return samples, standardiser, moments


def build_model(job: Job, task: AdaptationTask, store, samples: Samples) -> AdaptationModel:
    """The untrained model of ``job`` for ``task`` under the job's seed."""
    key = f"adaptation.encoders.{job.encoder}"
    size = samples.inputs.shape[-1]
    backbone = build_backbone(job.encoder_spec, job.channels.names(), size, job.seed, key)
    outputs = samples.target.shape[1]
    decoders = None
    if job.mode.reconstruct:
        decoders = decoder_outputs(job.reconstruct, class_counts(store, job.reconstruct))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(job.seed + 1)
        return AdaptationModel(backbone, task, outputs, size, decoders)


def score_rows(job: Job, task, weights, samples, predictions, best_epoch, steps) -> list[dict]:
    """One metrics row per test split."""
    rows = []
    for split in TEST_SPLITS:
        score = task_score(task, predictions[split], samples[split].target.cpu().numpy())
        rows.append(
            {
                "dataset": job.dataset,
                "task": task.name,
                "task_kind": task.kind,
                "metric": task.metric,
                **job.key(weights),
                "test_split": split,
                "score": score,
                "n_test": len(samples[split]),
                "best_epoch": best_epoch,
                "ttt_steps": steps.get(split, 0),
            }
        )
    return rows


def run_training_job(
    store_path,
    splits_path,
    out_model,
    out_metrics,
    job: Job,
    state_dir: str | Path,
    device: str = "auto",
) -> pd.DataFrame:
    """Train every task of ``job``; write the checkpoints and the metrics table."""
    from eobench.probes.linear import resolve_device

    device = resolve_device(device)
    store = CubeStore(store_path)
    _check_store(store, job)
    data = JobData(store, read_splits(splits_path), job)
    checkpoints, rows = {}, []
    for name in job.tasks:
        task = get_task(name)
        samples, standardiser, moments = data.samples(task)
        samples = {name: part.to(device) for name, part in samples.items()}
        model = build_model(job, task, store, samples["train"]).to(device)
        result = train(
            model,
            job.mode,
            task,
            samples["train"],
            samples["val"],
            job.training,
            job.seed,
            Path(state_dir) / f"{name}.pt",
        )
        model.load_state_dict(result.state)
        predictions = {
            s: predict(model, samples[s], job.training.eval_batch_size) for s in TEST_SPLITS
        }
        weights = model.backbone.weights
        rows += score_rows(job, task, weights, samples, predictions, result.best_epoch, {})
        checkpoints[name] = {
            "state": {k: v.cpu() for k, v in result.state.items()},
            "best_epoch": result.best_epoch,
            "history": result.history,
            "weights": weights,
            "standardiser": standardiser.state(),
            "target_moments": moments,
        }
        log.info(
            "%s %s: best epoch %d, val %.3f",
            job.mode.name,
            name,
            result.best_epoch,
            result.best_score,
        )
    with atomic_path(out_model) as temporary:
        torch.save(checkpoints, temporary)
    table = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    write_csv(out_metrics, table)
    return table


def load_checkpoint_model(job: Job, task, store, checkpoint, samples) -> AdaptationModel:
    """The model of a training job's checkpoint (its base mode's architecture)."""
    base = Job(**{**job.__dict__, "mode": get_mode(job.mode.base)})
    model = build_model(base, task, store, samples)
    model.load_state_dict(checkpoint["state"])
    return model.eval()


def normalisation_of(checkpoint) -> tuple[Standardiser, Any]:
    """The standardiser and target moments a checkpoint was trained with."""
    moments = checkpoint["target_moments"]
    return Standardiser.from_state(checkpoint["standardiser"]), (
        None if moments is None else tuple(moments)
    )
