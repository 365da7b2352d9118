"""One pretraining job: read the data, build the method, train, write the checkpoint and
the curves (rule ``pretrain``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from eobench.data.store import CubeStore
from eobench.encoders.rcf import resolve_device
from eobench.errors import EobenchError
from eobench.io import atomic_path, write_csv
from eobench.pretraining.backbones import build_architecture
from eobench.pretraining.captions import check_templates, make_captions
from eobench.pretraining.checkpoint import CHECKPOINT_FORMAT
from eobench.pretraining.config import uses
from eobench.pretraining.data import (
    S2,
    S2_INPUT,
    fit_standardiser,
    load_tensors,
    reconstruction_context,
)
from eobench.pretraining.methods import MethodContext, build_method, method_type
from eobench.pretraining.text import build_vocabulary, encode
from eobench.pretraining.train import PretrainingSettings, pretrain, settings_signature

log = logging.getLogger(__name__)
S2_BANDS = tuple(name.split(":")[1] for name in S2_INPUT.names())
#: Seed offset of the held-out captions (grounded, never seen in training).
EVALUATION_CAPTION_SEED = 7919


@dataclass(frozen=True)
class PretrainingJob:
    """Everything one (dataset, method, seed) run reads from the config."""

    name: str
    method: Mapping[str, Any]
    architecture: Mapping[str, Any]
    objectives: Mapping[str, Any]
    training: Mapping[str, Any]
    captions: Mapping[str, Any]
    reconstruct: Sequence[str]
    seed: int
    device: str = "auto"
    dataset: str = ""

    @property
    def key(self) -> str:
        return f"pretraining.methods.{self.name}"


def split_rows(splits: pd.DataFrame, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Store rows and continents of the samples of ``split``."""
    part = splits[splits["split"] == split]
    return part["row"].to_numpy(), part["region"].to_numpy()


def caption_settings(job: PretrainingJob) -> tuple[float, bool]:
    """``(caption_noise, verified)`` of a method: its own keys over ``pretraining.captions``."""
    noise = float(job.method.get("caption_noise", job.captions["noise"]))
    verified = bool(job.method.get("verify_captions", job.captions["verify"]))
    return noise, verified


def build_job_method(job: PretrainingJob, store, vocabulary_size: int, image_size: int):
    """The method of a job with a freshly initialised backbone (under the job's seed)."""
    needs, _ = uses(job.method)
    reconstruct = list(job.reconstruct) if "reconstruct" in needs else []
    kinds, levels, outputs = reconstruction_context(store, reconstruct)
    context = MethodContext(S2_INPUT.names(), image_size, kinds, levels, outputs, vocabulary_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(job.seed)
        backbone = build_architecture(
            job.architecture, S2_INPUT.names(), f"pretraining.backbones.{job.method['backbone']}"
        )
        method = build_method(job.method, backbone, job.objectives, context, job.key)
    return method, reconstruct


def run_pretraining(
    cubes: str, splits_path: str, job: PretrainingJob, checkpoint: str, curves: str,
    state_path: str | None = None,
) -> None:  # fmt: skip
    """Pretrain ``job`` and write ``checkpoint`` and ``curves`` (both atomically)."""
    store = CubeStore(cubes)
    splits = pd.read_parquet(splits_path)
    cls = method_type(job.method, job.key)
    templates = check_templates(job.captions.get("templates"), "pretraining.captions.templates")
    train_rows, train_continents = split_rows(splits, "train")
    val_rows, val_continents = split_rows(splits, "val")
    needs, _ = uses(job.method)  # GeoMeld-FM: only its weighted parts
    reconstruct = list(job.reconstruct) if "reconstruct" in needs else []
    standardiser = fit_standardiser(store, train_rows, reconstruct)
    seasons = "seasons" in needs
    train = load_tensors(store, train_rows, train_continents, reconstruct, standardiser, seasons)
    val = load_tensors(store, val_rows, val_continents, reconstruct, standardiser, seasons)
    vocabulary: list[str] = []
    if "captions" in needs:
        noise, verified = caption_settings(job)
        captions = make_captions(
            train.records, noise=noise, verified=verified, seed=job.seed, templates=templates
        )
        vocabulary = build_vocabulary(captions)
        held_out = make_captions(
            val.records, noise=0.0, verified=True, seed=job.seed + EVALUATION_CAPTION_SEED,
            templates=templates,
        )  # fmt: skip
        max_tokens = int(job.objectives["text"]["max_tokens"])
        train.text = torch.from_numpy(encode(captions, vocabulary, max_tokens))
        val.text = torch.from_numpy(encode(held_out, vocabulary, max_tokens))
    image_size = int(train.s2.shape[-1])
    method, _ = build_job_method(job, store, len(vocabulary), image_size)
    settings = PretrainingSettings(**job.training)
    epochs = settings.epochs if cls.trains else 0
    signature = settings_signature(
        dict(job.method), dict(job.architecture), dict(job.objectives), dict(job.training),
        dict(job.captions), list(reconstruct), job.seed, train_rows.tolist(),
    )  # fmt: skip
    device = _device(job.device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(job.seed)
        history = pretrain(method, train, val, settings, job.seed, device, state_path, signature)
    if int(os.environ.get("RANK", "0")) != 0:
        return
    method.cpu()
    mean, std = standardiser.moments[S2]
    state = {
        "format": CHECKPOINT_FORMAT,
        "method": {"name": job.name, **dict(job.method)},
        "architecture": dict(job.architecture),
        "inputs": {"array": "s2l2a", "modality": S2, "bands": list(S2_BANDS)},
        "normalisation": {"mean": mean.tolist(), "std": std.tolist(), "nodata": 0.0,
                          "units": "digital number (surface reflectance x 10000)",
                          "statistics": "training split, valid pixels, acquisition season"},
        "image_size": image_size,
        "seed": job.seed,
        "epochs": epochs,
        "dataset": job.dataset,
        "objectives": dict(job.objectives),
        "reconstruct": list(reconstruct),
        "vocabulary": vocabulary,
        "state": method.backbone.state_dict(),
        "method_state": method.state_dict(),
    }  # fmt: skip
    Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(checkpoint) as temporary:
        torch.save(state, temporary)
    frame = pd.DataFrame(history.rows or [{"epoch": 0}])
    frame.insert(0, "method", job.name)
    frame.insert(1, "method_type", job.method["method"])
    frame.insert(2, "architecture", job.architecture["type"])
    frame.insert(3, "seed", job.seed)
    write_csv(curves, frame)


def _device(name: str) -> torch.device:
    try:
        return resolve_device(name)
    except ValueError as error:
        raise EobenchError(f"config key pretraining.device: {error}") from None
