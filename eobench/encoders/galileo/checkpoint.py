"""Galileo checkpoints: ``config.json`` (architecture) and ``encoder.pt`` (state dict).

Upstream ships a model as a folder (``data/models/nano/``) holding ``config.json``,
whose ``model.encoder`` entry gives the encoder's constructor arguments, and
``encoder.pt``, a state dict saved from CUDA tensors (loaded here onto the CPU). The
state dict is loaded strictly: every key of the model must be there with its shape, and
no key may be left over.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from eobench.encoders.galileo.model import GalileoEncoderModel
from eobench.errors import EobenchError

CONFIG_FILENAME = "config.json"
ENCODER_FILENAME = "encoder.pt"

#: Galileo-nano's architecture (upstream ``data/models/nano/config.json``, model.encoder).
NANO_ARCHITECTURE: dict = {
    "embedding_size": 128,
    "depth": 4,
    "num_heads": 8,
    "mlp_ratio": 4,
    "max_sequence_length": 24,
    "max_patch_size": 8,
    "drop_path": 0.1,
}
#: Keys of config.json's model.encoder that only matter for training.
TRAINING_ONLY_KEYS = ("freeze_projections",)


def checkpoint_files(checkpoint: str | Path) -> tuple[Path, Path]:
    """``(encoder.pt, config.json)`` of a checkpoint folder or of an ``encoder.pt`` path.

    Raises
    ------
    EobenchError
        When either file is missing.
    """
    checkpoint = Path(checkpoint)
    weights = checkpoint / ENCODER_FILENAME if checkpoint.is_dir() else checkpoint
    config = weights.parent / CONFIG_FILENAME
    for path in (weights, config):
        if not path.is_file():
            raise EobenchError(f"{path}: Galileo checkpoint file not found")
    return weights, config


def read_architecture(config_path: str | Path) -> dict:
    """The encoder's constructor arguments from ``config.json`` (``model.encoder``)."""
    config_path = Path(config_path)
    try:
        config = json.loads(config_path.read_text())
        encoder = config["model"]["encoder"]
    except (OSError, ValueError) as exc:
        raise EobenchError(f"{config_path}: not readable as JSON ({exc})") from None
    except (KeyError, TypeError):
        raise EobenchError(f"{config_path}: no model.encoder entry") from None
    unknown = sorted(set(encoder) - set(NANO_ARCHITECTURE) - set(TRAINING_ONLY_KEYS))
    missing = sorted(set(NANO_ARCHITECTURE) - set(encoder))
    if unknown or missing:
        raise EobenchError(
            f"{config_path}: model.encoder has unknown keys {unknown} and lacks keys {missing}"
        )
    return {key: encoder[key] for key in NANO_ARCHITECTURE}


def load_state_dict_strictly(model: torch.nn.Module, state: dict, source: str | Path) -> None:
    """Load ``state`` into ``model``, every key used and none left over.

    Raises
    ------
    EobenchError
        Naming ``source`` and the first missing key, left-over key or shape mismatch.
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    if missing:
        raise EobenchError(
            f"{source}: {len(missing)} model key(s) missing from the state dict "
            f"(first: {missing[0]!r}, shape {tuple(expected[missing[0]].shape)})"
        )
    extra = [k for k in state if k not in expected]
    if extra:
        raise EobenchError(
            f"{source}: {len(extra)} state dict key(s) the model does not have "
            f"(first: {extra[0]!r})"
        )
    for key, tensor in expected.items():
        found = state[key]
        if not isinstance(found, torch.Tensor) or found.shape != tensor.shape:
            shape = tuple(found.shape) if isinstance(found, torch.Tensor) else type(found).__name__
            raise EobenchError(
                f"{source}: key {key!r} has shape {shape}, expected {tuple(tensor.shape)}"
            )
    model.load_state_dict(state, strict=True)


def read_state_dict(weights_path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of ``encoder.pt`` on the CPU, keys cleaned as upstream does.

    Upstream drops a ``.backbone`` infix that some of its checkpoints carry.
    """
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EobenchError(
            f"{weights_path}: not a readable PyTorch state dict ({first_line})"
        ) from None
    if not isinstance(state, dict):
        raise EobenchError(f"{weights_path}: expected a state dict, found {type(state).__name__}")
    return {key.replace(".backbone", ""): value for key, value in state.items()}


def load_galileo(checkpoint: str | Path) -> GalileoEncoderModel:
    """Galileo's encoder from a checkpoint folder (or ``encoder.pt`` path), in eval mode."""
    weights, config = checkpoint_files(checkpoint)
    model = GalileoEncoderModel(**read_architecture(config))
    load_state_dict_strictly(model, read_state_dict(weights), weights)
    return model.eval()
