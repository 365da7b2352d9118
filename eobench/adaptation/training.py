"""The training loop of LP, FT and JT (MMEarth-Bench's recipe).

AdamW (lr 1e-4, weight decay 0.05), a linear warm-up over the first 10 % of the epochs and
a cosine decay to 1e-6 after it (per step), batches of 64 drawn by a seeded permutation per
epoch, and the checkpoint of the epoch with the best validation score (R^2, or mAP for
multi-label; ties keep the earlier epoch). After every epoch the whole training state is
written to ``state_path``, so a killed job resumes from its last finished epoch to the
same numbers.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eobench.adaptation.data import Samples
from eobench.adaptation.model import AdaptationModel, mean_reconstruction_loss, task_loss
from eobench.adaptation.modes import Mode
from eobench.adaptation.tasks import AdaptationTask, task_score
from eobench.io import atomic_path


@dataclass(frozen=True)
class TrainingSettings:
    """The recipe (``adaptation.training``)."""

    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-4
    weight_decay: float = 0.05
    warmup_fraction: float = 0.1
    min_learning_rate: float = 1e-6
    eval_batch_size: int = 128


@dataclass
class TrainResult:
    """The best state, its epoch and score, and the per-epoch history."""

    state: dict[str, torch.Tensor]
    best_epoch: int
    best_score: float
    history: list[dict[str, float]] = field(default_factory=list)


def learning_rate_factor(step: int, total: int, warmup: int, floor: float) -> float:
    """Multiplier of the base rate at ``step``: linear warm-up, then cosine to ``floor``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _in_batches(function, inputs: torch.Tensor, batch_size: int) -> torch.Tensor:
    with torch.no_grad():
        parts = [function(inputs[s : s + batch_size]) for s in range(0, len(inputs), batch_size)]
    return torch.cat(parts)


def predict(model: AdaptationModel, samples: Samples, batch_size: int, frozen=False):
    """Predictions of ``model`` (eval mode) for every sample; ``frozen``: the samples'
    inputs are already the backbone's features."""
    model.eval()
    function = model.head if frozen else model
    return _in_batches(function, samples.inputs, batch_size).cpu().numpy()


def frozen_features(model: AdaptationModel, samples: Samples, batch_size: int) -> Samples:
    """``samples`` with the frozen backbone's features (eval mode) as inputs: a frozen
    backbone gives the same features every epoch, so LP computes them once."""
    model.backbone.eval()
    features = _in_batches(model.backbone, samples.inputs, batch_size)
    return dataclasses.replace(samples, inputs=features)


def batch_loss(model, mode: Mode, task: AdaptationTask, batch: Samples) -> torch.Tensor:
    """Task loss, plus the mean reconstruction loss for joint training."""
    features = batch.inputs if mode.freeze_backbone else model.backbone(batch.inputs)
    loss = task_loss(task, model.head(features), batch.target)
    if mode.reconstruct:
        loss = loss + mean_reconstruction_loss(
            features, model.decoders, batch.reconstruction, batch.valid
        )
    return loss


def train(
    model: AdaptationModel,
    mode: Mode,
    task: AdaptationTask,
    train_samples: Samples,
    val_samples: Samples,
    settings: TrainingSettings,
    seed: int,
    state_path: str | Path | None = None,
) -> TrainResult:
    """Train ``model`` in ``mode``; resume from ``state_path`` when it holds a state."""
    parameters = model.head.parameters() if mode.freeze_backbone else model.parameters()
    optimizer = torch.optim.AdamW(
        list(parameters), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    steps_per_epoch = math.ceil(len(train_samples) / settings.batch_size)
    total = settings.epochs * steps_per_epoch
    warmup = max(1, round(settings.warmup_fraction * settings.epochs)) * steps_per_epoch
    floor = settings.min_learning_rate / settings.learning_rate
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, total, warmup, floor)
    )
    generator = torch.Generator().manual_seed(seed)
    if mode.freeze_backbone:
        train_samples = frozen_features(model, train_samples, settings.eval_batch_size)
        val_samples = frozen_features(model, val_samples, settings.eval_batch_size)
    best = TrainResult(copy.deepcopy(model.state_dict()), 0, -math.inf)
    # Stochastic layers (Galileo's drop path) draw from the global stream: seeded here,
    # saved with every epoch's state, so a run and a resumed run draw the same numbers.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        loop = _Loop(model, optimizer, scheduler, generator, best)
        start = _resume(state_path, settings, loop)
        for epoch in range(start, settings.epochs):
            _epoch(loop, mode, task, train_samples, val_samples, settings, epoch)
            _save_state(state_path, settings, epoch + 1, loop)
    return best


@dataclass
class _Loop:
    """What a training run carries from epoch to epoch (saved for a resume)."""

    model: AdaptationModel
    optimizer: torch.optim.Optimizer
    scheduler: Any
    generator: torch.Generator
    best: TrainResult


def _save_state(path, settings, epoch, loop: _Loop) -> None:
    if path is None:
        return
    best = loop.best
    state = {
        "settings": asdict(settings),
        "epoch": epoch,
        "model": loop.model.state_dict(),
        "optimizer": loop.optimizer.state_dict(),
        "scheduler": loop.scheduler.state_dict(),
        "generator": loop.generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "best": {"state": best.state, "epoch": best.best_epoch, "score": best.best_score},
        "history": best.history,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def _resume(path, settings, loop: _Loop) -> int:
    """Load a saved state of the same settings into the objects; the epoch to start at."""
    if path is None or not Path(path).is_file():
        return 0
    state: Mapping[str, Any] = torch.load(path, weights_only=False)
    if state["settings"] != asdict(settings):
        return 0
    loop.model.load_state_dict(state["model"])
    loop.optimizer.load_state_dict(state["optimizer"])
    loop.scheduler.load_state_dict(state["scheduler"])
    loop.generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    best = loop.best
    best.state, best.best_epoch = state["best"]["state"], state["best"]["epoch"]
    best.best_score, best.history = state["best"]["score"], list(state["history"])
    return int(state["epoch"])


def _epoch(loop: _Loop, mode, task, train_samples, val_samples, settings, epoch) -> None:
    """One epoch of training and its validation; ``loop.best`` keeps the best epoch."""
    model, best = loop.model, loop.best
    model.train()
    if mode.freeze_backbone:
        model.backbone.eval()
    order = torch.randperm(
        len(train_samples), generator=loop.generator
    )  # on the CPU: same order on any device
    losses = []
    for begin in range(0, len(order), settings.batch_size):
        batch = train_samples.subset(order[begin : begin + settings.batch_size])
        loss = batch_loss(model, mode, task, batch)
        loop.optimizer.zero_grad()
        loss.backward()
        loop.optimizer.step()
        loop.scheduler.step()
        losses.append(loss.item())
    score = task_score(
        task,
        predict(model, val_samples, settings.eval_batch_size, mode.freeze_backbone),
        val_samples.target.cpu().numpy(),
    )
    best.history.append(
        {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_score": score}
    )
    if score > best.best_score:
        best.state, best.best_epoch, best.best_score = (
            copy.deepcopy(model.state_dict()),
            epoch + 1,
            score,
        )
