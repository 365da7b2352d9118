"""Training the factorized-prior autoencoder on the training samples' Sentinel-2 L1C images.

Every season of every training sample is one image of the store's ``s2l1c`` bands as
reflectance in [0, 1] (:func:`to_reflectance`). The loss is ``R + lambda * D``
(:func:`~eobench.encoders.compressor.model.rate_distortion_loss`), minimised with Adam at
a constant learning rate.

Reproducible and resumable: the weights start from ``seed``, epoch ``e`` shuffles with a
generator seeded by ``(seed, e)`` and draws its quantisation noise from torch's generator
seeded the same way, so the run after epoch ``e`` depends only on the state saved at the
end of epoch ``e - 1``. That state (weights, optimizer moments, epoch, training curve) is
written atomically after every epoch to a partial checkpoint beside the final one; a run
that finds a partial checkpoint of the same settings continues from it, and on CPU ends
with the same weights as an uninterrupted run (bit for bit with the same number of torch
threads: the thread count changes the order of floating-point sums).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from eobench.data.bands import MODALITIES
from eobench.data.store import CubeStore
from eobench.encoders.compressor.model import (
    DOWNSAMPLING,
    FactorizedPriorAutoencoder,
    rate_distortion_loss,
)
from eobench.encoders.rcf import resolve_device
from eobench.errors import EobenchError
from eobench.io import atomic_path, write_csv

log = logging.getLogger(__name__)

#: Tag of the checkpoint layout, checked on loading.
CHECKPOINT_FORMAT = "eobench-compressor-1"
#: Columns of the training curve.
CURVE_COLUMNS = ("epoch", "loss", "bpp", "mse", "seconds")
#: The store array the compressor codes.
MODALITY = "s2l1c"


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """Settings of one training run.

    The defaults are sized for the CPU default (``1000`` samples of ``32 x 32``: about
    one minute per lambda on two cores); the paper's model is
    ``intermediate_channels=256, latent_channels=128`` trained longer.

    Attributes
    ----------
    lmbda : float
        Weight of the distortion in ``R + lambda * D`` (the paper: 0.025, 0.1, 0.5).
    epochs, batch_size : int
        Passes over the training images and images per Adam step.
    learning_rate : float
        Adam's (constant) learning rate.
    intermediate_channels, latent_channels : int
        Widths ``N`` and ``M`` of the autoencoder.
    clip_max_norm : float
        Largest gradient norm of a step (CompressAI's default, 1).
    seed : int
        Seed of the initial weights, the shuffling and the quantisation noise.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"`` (bit-for-bit reproducible on CPU only).
    """

    lmbda: float
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 1e-3
    intermediate_channels: int = 64
    latent_channels: int = 128
    clip_max_norm: float = 1.0
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "intermediate_channels", "latent_channels"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer (got {value!r})")
        for name in ("lmbda", "learning_rate", "clip_max_norm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{name} must be a positive number (got {value!r})")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], key: str) -> TrainingSettings:
        """Settings from a config block; a bad key or value is an :class:`EobenchError`
        naming ``key``."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise EobenchError(f"config key {key}: unknown setting(s) {unknown}")
        try:
            return cls(**params)
        except (TypeError, ValueError) as exc:
            raise EobenchError(f"config key {key}: {exc}") from exc

    def resumable_from(self, saved: Mapping[str, Any]) -> bool:
        """Whether a checkpoint with ``saved`` settings is an earlier state of this run
        (the same settings; a run of fewer epochs can be extended)."""
        ours = {k: v for k, v in dataclasses.asdict(self).items() if k not in ("epochs", "device")}
        theirs = {k: v for k, v in saved.items() if k not in ("epochs", "device")}
        return ours == theirs and int(saved.get("epochs", 0)) <= self.epochs


def split_rows(
    store_path: str | os.PathLike, samples_path: str | os.PathLike, split: str
) -> np.ndarray:
    """Store rows of the samples whose ``split_random`` is ``split``, in store order."""
    samples = pd.read_parquet(samples_path, columns=None)
    for column in ("id", "split_random"):
        if column not in samples:
            raise EobenchError(f"{samples_path}: samples table has no column {column!r}")
    ids = samples.loc[samples["split_random"] == split, "id"].astype(str)
    return CubeStore(store_path).rows_of(list(ids), split)


def store_images(store: CubeStore, rows: Sequence[int], split: str = "train") -> np.ndarray:
    """The S2 L1C images of ``rows``, every season one image: uint16 ``[n * T, 13, H, W]``.

    Kept as digital numbers (half the memory of float32) and normalised batch by batch.
    ``split`` names the rows in errors.
    """
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    if len(rows) == 0:
        raise EobenchError(f"{store.path}: no {split} samples for the compressor")
    bands = store.array_attrs(MODALITY).get("bands")
    if bands is not None and tuple(bands) != MODALITIES[MODALITY].bands:
        raise EobenchError(
            f"{store.path}: array '{MODALITY}' has bands {list(bands)}, the compressor "
            f"expects {list(MODALITIES[MODALITY].bands)}"
        )
    cubes = store.read(MODALITY, rows)
    images = cubes.reshape(-1, *cubes.shape[2:])
    return centre_crop(images, str(store.path))


def centre_crop(images: np.ndarray, where: str) -> np.ndarray:
    """Crop ``[..., H, W]`` images centrally to sides that are multiples of 16 (the
    synthesis transform doubles the side four times; 264 -> 256, as compression codes
    pad or crop); sides under 16 are an :class:`EobenchError`."""
    height, width = images.shape[-2:]
    kept_height, kept_width = (side // DOWNSAMPLING * DOWNSAMPLING for side in (height, width))
    if min(kept_height, kept_width) == 0:
        raise EobenchError(
            f"{where}: {MODALITY} images of {height}x{width} pixels; the compressor needs "
            f"sides of at least {DOWNSAMPLING}"
        )
    if (kept_height, kept_width) != (height, width):
        log.info(
            "%s: images cropped from %dx%d to %dx%d", where, height, width, kept_height, kept_width
        )
    top, left = (height - kept_height) // 2, (width - kept_width) // 2
    return images[..., top : top + kept_height, left : left + kept_width]


#: Digital numbers to reflectance: the codec sees images in [0, 1], as learned image
#: codecs (CompressAI's) do, so that the paper's lambdas keep their meaning.
REFLECTANCE_PER_DN = 1e-4


def to_reflectance(images: np.ndarray) -> torch.Tensor:
    """Digital numbers ``[..., 13, H, W]`` as reflectance clipped to [0, 1] (float32)."""
    scaled = np.asarray(images, dtype=np.float32) * np.float32(REFLECTANCE_PER_DN)
    return torch.from_numpy(np.clip(scaled, 0.0, 1.0))


def build_model(settings: TrainingSettings, in_channels: int) -> FactorizedPriorAutoencoder:
    """The autoencoder with weights drawn from ``settings.seed`` (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        return FactorizedPriorAutoencoder(
            in_channels, settings.intermediate_channels, settings.latent_channels
        )


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of epoch ``epoch``'s shuffling and noise (``epoch`` counts from 1)."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def train_one_epoch(
    model: FactorizedPriorAutoencoder,
    optimizer: torch.optim.Optimizer,
    images: np.ndarray,
    settings: TrainingSettings,
    epoch: int,
    device: torch.device,
) -> dict[str, float]:
    """One pass over ``images`` in the order of epoch ``epoch``; the image-weighted means
    of the loss, bits per pixel and MSE."""
    seed = epoch_seed(settings.seed, epoch)
    order = np.random.default_rng(seed).permutation(len(images))
    totals = np.zeros(3)
    model.train()
    with torch.random.fork_rng(devices=[] if device.type == "cpu" else [device]):
        torch.manual_seed(seed)
        for start in range(0, len(order), settings.batch_size):
            chosen = np.sort(order[start : start + settings.batch_size])
            batch = to_reflectance(images[chosen]).to(device)
            loss, rate, distortion = rate_distortion_loss(batch, model(batch), settings.lmbda)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # CompressAI's training clips the gradient norm at 1: the distortion in 8-bit
            # units makes rare huge steps that a GDN network does not recover from.
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_max_norm)
            optimizer.step()
            totals += len(chosen) * np.array([loss.item(), rate.item(), distortion.item()])
    loss, bpp, mse = (float(value) for value in totals / len(images))
    return {"epoch": int(epoch), "loss": loss, "bpp": bpp, "mse": mse}


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write a checkpoint atomically (a kill never leaves half a file)."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | os.PathLike, key: str = "checkpoint") -> dict[str, Any]:
    """Read a compressor checkpoint onto the CPU; ``key`` names it in errors."""
    path = Path(path)
    if not path.is_file():
        raise EobenchError(f"{key}: {path} not found (a compressor checkpoint)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a broken file
        raise EobenchError(f"{key}: {path} is not a readable checkpoint ({exc})") from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise EobenchError(f"{key}: {path} is not an eobench compressor checkpoint")
    return state


def model_from_checkpoint(state: Mapping[str, Any]) -> FactorizedPriorAutoencoder:
    """The autoencoder of a checkpoint, in evaluation mode on the CPU."""
    model = FactorizedPriorAutoencoder(**state["architecture"])
    model.load_state_dict(state["model"])
    return model.eval()


def partial_path_of(checkpoint_path: str | os.PathLike) -> Path:
    """Where the checkpoint of an unfinished run lives: beside the final one."""
    path = Path(checkpoint_path)
    return path.with_name(path.name + ".partial")


def train_compressor(
    store_path: str | os.PathLike,
    train_rows: Sequence[int],
    checkpoint_path: str | os.PathLike,
    curve_path: str | os.PathLike,
    settings: TrainingSettings,
    partial_path: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Train the compressor on ``train_rows`` of a store; write the checkpoint and curve.

    Parameters
    ----------
    store_path : path
        The canonical store (array ``s2l1c``).
    train_rows : sequence of int
        Store rows of the training samples (the random split's ``train``).
    checkpoint_path : path
        The final checkpoint (written when every epoch is done).
    curve_path : path
        CSV of :data:`CURVE_COLUMNS`, one row per epoch (train-mode means).
    settings : TrainingSettings
    partial_path : path, optional
        Checkpoint rewritten after every epoch (default: ``checkpoint_path`` +
        ``.partial``); a run finding one of the same settings resumes from it.

    Returns
    -------
    DataFrame
        The training curve.
    """
    device = resolve_device(settings.device)
    partial = Path(partial_path) if partial_path else partial_path_of(checkpoint_path)
    images = store_images(CubeStore(store_path), train_rows, "train")
    model = build_model(settings, images.shape[1]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    history, done = _resume(partial, settings, model, optimizer)

    for epoch in range(done + 1, settings.epochs + 1):
        started = time.perf_counter()
        record = train_one_epoch(model, optimizer, images, settings, epoch, device)
        record["seconds"] = round(time.perf_counter() - started, 3)
        history.append(record)
        log.info("compressor lambda=%g epoch %d: %s", settings.lmbda, epoch, record)
        save_checkpoint(partial, _state(model, optimizer, settings, epoch, history, images))

    curve = pd.DataFrame(history, columns=list(CURVE_COLUMNS))
    write_csv(curve_path, curve)
    Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, checkpoint_path)
    return curve


def _state(model, optimizer, settings, epoch, history, images) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "architecture": dict(model.architecture),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "epoch": int(epoch),
        "settings": dataclasses.asdict(settings),
        "history": [dict(row) for row in history],
        "n_images": len(images),
        "image_shape": [int(s) for s in images.shape[1:]],
    }


def _resume(partial: Path, settings, model, optimizer) -> tuple[list[dict[str, Any]], int]:
    """Load a compatible partial checkpoint into ``model`` and ``optimizer``; return the
    curve so far and the last finished epoch (0 when starting afresh)."""
    if not partial.exists():
        return [], 0
    try:
        state = load_checkpoint(partial, key=str(partial))
    except EobenchError as exc:
        log.warning("%s; training from scratch", exc)
        return [], 0
    if not settings.resumable_from(state["settings"]):
        log.warning("%s: saved by a run of other settings; training from scratch", partial)
        return [], 0
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    log.info("%s: resuming after epoch %d", partial, state["epoch"])
    return list(state["history"]), int(state["epoch"])
