"""The pretraining loop: seeded, resumable, one checkpoint and its curves per run.

AdamW with a linear warm-up and a cosine decay per step (the adaptation suite's
schedule, :func:`eobench.adaptation.training.learning_rate_factor`), batches drawn by a
seeded permutation per epoch, every mask and season drawn from one seeded generator on
the CPU. After each epoch the whole state (model, optimiser, scheduler, generators,
curves) is written to ``state_path``, so a killed job resumes from its last finished
epoch to the same weights. The curves hold the training loss and its terms per epoch
and the validation loss under a fixed generator (comparable across epochs).

At scale (``config/paper.yaml``) a job runs on a GPU with bf16 autocast, and under
``torchrun`` (``WORLD_SIZE`` > 1, inside a SLURM allocation) as DistributedDataParallel:
every rank takes its share of each epoch's permutation, rank 0 writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eobench.adaptation.training import learning_rate_factor
from eobench.io import atomic_path

log = logging.getLogger(__name__)
#: Seed offset of the validation generator (fixed across epochs).
VALIDATION_SEED_OFFSET = 1_000_003


@dataclass(frozen=True)
class PretrainingSettings:
    """``pretraining.training``."""

    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.05
    warmup_fraction: float = 0.1
    min_learning_rate: float = 1e-6
    bf16: bool = True


@dataclass
class Curves:
    rows: list[dict[str, float]] = field(default_factory=list)


def settings_signature(*parts: Any) -> str:
    """A hash of everything a run depends on (a saved state of other settings is ignored)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def distributed() -> tuple[int, int]:
    """``(rank, world_size)``; starts the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def _autocast(device: torch.device, enabled: bool):
    if device.type == "cuda" and enabled:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def pretrain(
    method,
    train_data,
    val_data,
    settings: PretrainingSettings,
    seed: int,
    device: torch.device,
    state_path: str | Path | None = None,
    signature: str = "",
) -> Curves:
    """Train ``method`` in place; the per-epoch curves. Resumes from ``state_path``."""
    curves = Curves()
    if not method.trains or settings.epochs == 0:
        return curves
    device = torch.device(device)
    method.to(device)
    rank, world = distributed()
    model = method
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(method, find_unused_parameters=True)
    parameters = [p for p in method.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    steps_per_epoch = math.ceil(len(train_data) / (settings.batch_size * world))
    total = settings.epochs * steps_per_epoch
    warmup = max(1, round(settings.warmup_fraction * settings.epochs)) * steps_per_epoch
    floor = settings.min_learning_rate / settings.learning_rate
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, total, warmup, floor)
    )
    order_generator = torch.Generator().manual_seed(seed)
    mask_generator = torch.Generator().manual_seed(seed + 1)
    objects = (method, optimizer, scheduler, order_generator, mask_generator, curves)
    start = _resume(state_path, signature, *objects)
    for epoch in range(start, settings.epochs):
        method.train()
        order = torch.randperm(len(train_data), generator=order_generator)[rank::world]
        sums: dict[str, list[float]] = {}
        for begin in range(0, len(order), settings.batch_size):
            batch = train_data.batch(order[begin : begin + settings.batch_size], device)
            with _autocast(device, settings.bf16):
                loss, terms = model(batch, mask_generator)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            method.after_step()
            for name, value in {"loss": float(loss.detach()), **terms}.items():
                sums.setdefault(name, []).append(value)
        row = {"epoch": epoch + 1, **{f"train_{k}": float(np.mean(v)) for k, v in sums.items()}}
        row["val_loss"] = validation_loss(method, val_data, settings, seed, device)
        curves.rows.append(row)
        log.info("epoch %d: %s", epoch + 1, row)
        if rank == 0:
            _save_state(state_path, signature, epoch + 1, *objects)
    return curves


@torch.no_grad()
def validation_loss(method, data, settings, seed: int, device) -> float:
    """Mean loss over the validation rows, masks drawn by a generator fixed per run."""
    method.eval()
    generator = torch.Generator().manual_seed(seed + VALIDATION_SEED_OFFSET)
    losses, weights = [], []
    for begin in range(0, len(data), settings.batch_size):
        index = torch.arange(begin, min(begin + settings.batch_size, len(data)))
        loss, _ = method.loss(data.batch(index, device), generator)
        losses.append(float(loss))
        weights.append(len(index))
    return float(np.average(losses, weights=weights)) if losses else float("nan")


def _save_state(path, signature, epoch, method, optimizer, scheduler, order, masks, curves):
    if path is None:
        return
    state = {
        "signature": signature,
        "epoch": epoch,
        "method": method.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "order_generator": order.get_state(),
        "mask_generator": masks.get_state(),
        "curves": curves.rows,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def _resume(path, signature, method, optimizer, scheduler, order, masks, curves) -> int:
    """Load a saved state of the same settings; the epoch to start at."""
    if path is None or not Path(path).is_file():
        return 0
    state: Mapping[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("signature") != signature:
        return 0
    method.load_state_dict(state["method"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    order.set_state(state["order_generator"])
    masks.set_state(state["mask_generator"])
    curves.rows[:] = list(state["curves"])
    log.info("resumed from %s after epoch %d", path, state["epoch"])
    return int(state["epoch"])
