"""Published pretrained models by registry name: encoder type ``pretrained``.

The config names weights from :data:`eobench.encoders.weights.WEIGHTS` and the verified
checkpoint that rule ``retrieve_weights`` put in the cache::

    ssl4eo_moco:
      type: pretrained
      weights: ssl4eo_s12_resnet50_moco
      checkpoint: resources/weights/ssl4eo_s12_resnet50_moco

The encoder builds the architecture with timm, torchgeo or terratorch (the optional
extra ``pip install 'eobench[fm]'``), loads the checkpoint (every parameter accounted
for), reads the store bands the weights expect in their order, resizes to the weights'
input size, normalises as the weights' library does, takes native features and reduces
them to ``N`` by the weights' recipe (:func:`eobench.encoders.reduction.reduce_features`).
Seasons of a time series are not supported (aggregations ``pre`` and ``post``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from eobench.data.bands import MODALITIES
from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.encoders.contract import InputContract
from eobench.encoders.rcf import resolve_device
from eobench.encoders.reduction import reduce_features
from eobench.encoders.weights import WEIGHTS, Weights
from eobench.errors import EobenchError

#: Why the architecture libraries may be missing even where pip can install them.
FM_EXTRA = "pip install 'eobench[fm]'"


def import_library(library: str, weights: str):
    """Import ``timm``/``torchgeo``/``terratorch`` (or a submodule); one error line if absent.

    Besides ImportError, importing torchvision-based libraries can fail with a
    RuntimeError ('operator torchvision::nms does not exist') when torchvision was built
    for another torch: that is reported the same way.
    """
    try:
        return importlib.import_module(library)
    except Exception as exc:  # any import failure means "not usable"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EobenchError(
            f"weights {weights!r} need the python package {library.split('.')[0]!r} "
            f"({FM_EXTRA}); "
            f"importing it failed: {reason}"
        ) from None


# --- inputs -----------------------------------------------------------------------------


def select_bands(cube: np.ndarray, modality: str, bands: tuple[str, ...]) -> np.ndarray:
    """The ``bands`` of store array ``modality`` from ``cube [..., C, H, W]``, in that order."""
    store_bands = MODALITIES[modality].bands
    missing = [band for band in bands if band not in store_bands]
    if missing:
        raise EobenchError(f"store array {modality!r} has no band {missing[0]!r}")
    return cube[..., [store_bands.index(band) for band in bands], :, :]


def resize_and_crop(images: torch.Tensor, size: int | None, crop: int | None) -> torch.Tensor:
    """Bilinear resize ``[n, C, H, W]`` to ``size`` x ``size``, then a central ``crop``.

    Bilinear with ``align_corners=False`` and antialiasing when shrinking, as kornia's /
    torchvision's ``Resize`` used by torchgeo's transforms.
    """
    if size is not None and images.shape[-2:] != (size, size):
        shrinking = size < max(images.shape[-2:])
        images = F.interpolate(
            images, size=(size, size), mode="bilinear", align_corners=False, antialias=shrinking
        )
    if crop is not None:
        top = (images.shape[-2] - crop) // 2
        left = (images.shape[-1] - crop) // 2
        images = images[..., top : top + crop, left : left + crop]
    return images


def prepare_inputs(
    cubes: dict[str, np.ndarray],
    weights: Weights,
    input_size: int | None = None,
    crop_size: int | None = None,
) -> dict[str, torch.Tensor]:
    """Network inputs per modality from store cubes ``[n, C, H, W]`` (store units).

    Per :class:`~eobench.encoders.weights.ModalityInput`: select and order the bands,
    add the offset the weights expect, resize and crop (torchgeo resizes before it
    normalises; the order matters where the normalisation clips), normalise.
    """
    prepared = {}
    for entry in weights.inputs:
        selected = select_bands(cubes[entry.modality], entry.modality, entry.bands)
        images = torch.from_numpy(np.ascontiguousarray(selected, dtype=np.float32))
        if entry.add_offset:
            images = images + entry.add_offset
        images = resize_and_crop(images, input_size, crop_size)
        normalised = entry.normalisation.apply(images.numpy(), entry.modality, entry.bands)
        prepared[entry.modality] = torch.from_numpy(normalised)
    return prepared


# --- networks ---------------------------------------------------------------------------


def load_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict in a checkpoint file (unwrapping ``state_dict``/``model`` holders)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable file is the user's to fix
        raise EobenchError(f"{path}: not a readable torch checkpoint ({exc})") from None
    for holder in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(holder), dict):
            state = state[holder]
    if not isinstance(state, dict):
        raise EobenchError(f"{path}: holds a {type(state).__name__}, not a state dict")
    return state


def load_state_dict_checked(
    module: torch.nn.Module,
    state: dict[str, torch.Tensor],
    ignored: frozenset[str],
    path: str | Path,
) -> None:
    """Load ``state`` into ``module``: every key used, none left over, shapes equal.

    Keys in ``ignored`` (heads, dynamically built norms) may be absent on either side.
    A problem is one error line naming ``path``, the key and the shapes.
    """
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state) - ignored)
    unexpected = sorted(set(state) - set(expected) - ignored)
    if missing:
        raise EobenchError(f"{path}: key {missing[0]!r} missing ({len(missing)} missing)")
    if unexpected:
        raise EobenchError(
            f"{path}: unexpected key {unexpected[0]!r} ({len(unexpected)} unexpected)"
        )
    for key in sorted(set(state) & set(expected)):
        if tuple(state[key].shape) != tuple(expected[key].shape):
            raise EobenchError(
                f"{path}: key {key!r} has shape {tuple(state[key].shape)}, "
                f"expected {tuple(expected[key].shape)}"
            )
    module.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=False)


def build_network(weights: Weights, checkpoint: Path | None) -> torch.nn.Module:
    """The architecture of ``weights``, loaded from ``checkpoint`` (None: random init).

    The caller seeds torch for the random-init twin and verifies the checkpoint.
    """
    arch = weights.architecture
    kwargs = dict(arch.kwargs)
    if arch.library == "terratorch":
        # terratorch selects the checkpoint's keys itself (encoder of an encoder-decoder).
        registry = import_library("terratorch.registry", weights.name).BACKBONE_REGISTRY
        kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
        return registry.build(
            arch.model,
            pretrained=checkpoint is not None,
            ckpt_path=None if checkpoint is None else str(checkpoint),
            **kwargs,
        )
    library = import_library(
        "torchgeo.models" if arch.library == "torchgeo" else arch.library, weights.name
    )
    if arch.library == "timm":
        network = library.create_model(arch.model, pretrained=False, num_classes=0, **kwargs)
    elif arch.features == "dofa":
        kwargs.pop("wavelengths")
        network = getattr(library, arch.model)(weights=None, **kwargs)
    elif arch.features == "torchvision_swin":
        in_chans = kwargs.pop("in_chans")
        network = getattr(library, arch.model)(weights=None, **kwargs)
        # As torchgeo (after satlaspretrain_models): a stem for the weights' channels.
        stem = network.features[0][0]
        network.features[0][0] = torch.nn.Conv2d(
            in_chans, stem.out_channels, kernel_size=stem.kernel_size, stride=stem.stride
        )
    else:
        raise EobenchError(f"weights {weights.name!r}: no builder for {arch.library}/{arch.model}")
    if checkpoint is not None:
        load_state_dict_checked(network, load_checkpoint(checkpoint), arch.ignored_keys, checkpoint)
    return network


def native_features(
    network: torch.nn.Module, inputs: dict[str, torch.Tensor], weights: Weights
) -> torch.Tensor:
    """Pooled native features ``[n, native_width]`` of prepared ``inputs``."""
    kind = weights.architecture.features
    if kind == "terramind":
        named = {e.library_name: inputs[e.modality] for e in weights.inputs}
        return network(named)[-1].mean(dim=1)  # modalities merged by mean, then tokens
    images = torch.cat([inputs[m] for m in weights.modalities], dim=1)
    if kind == "timm_cnn":
        return network.forward_features(images).mean(dim=(2, 3))
    if kind == "timm_vit":
        tokens = network.forward_features(images)
        return tokens[:, network.num_prefix_tokens :].mean(dim=1)
    if kind == "dofa":
        wavelengths = list(weights.architecture.kwargs["wavelengths"])
        return network.forward_features(images, wavelengths)
    if kind == "torchvision_swin":
        return network.norm(network.features(images)).mean(dim=(1, 2))
    if kind == "prithvi":
        tokens = network(images.unsqueeze(2))[-1]  # [n, C, T=1, H, W] -> last block tokens
        return tokens[:, 1:].mean(dim=1)  # drop the class token
    raise EobenchError(f"weights {weights.name!r}: unknown feature kind {kind!r}")


# --- encoder ----------------------------------------------------------------------------


@register
class PretrainedEncoder(Encoder):
    """A published pretrained network from the weights registry.

    Parameters
    ----------
    weights : str
        Registry name (:data:`eobench.encoders.weights.WEIGHTS`).
    checkpoint : str
        The weights' cache folder (or its checkpoint file), verified against the
        registry's checksum.
    pretrained : bool
        False builds the random-init twin under ``seed`` (no checkpoint needed).
    input_size : int, optional
        Resize images to this side instead of the weights' input size (no crop then).
    batch_images : int
        Images per forward pass (memory bound).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    """

    name = "pretrained"

    def __init__(
        self,
        embedding_dim: int,
        seed: int = 0,
        weights: str | None = None,
        checkpoint: str | None = None,
        pretrained: bool = True,
        input_size: int | None = None,
        batch_images: int = 16,
        device: str = "auto",
    ) -> None:
        super().__init__(embedding_dim, seed)
        if weights not in WEIGHTS:
            raise ValueError(f"weights: unknown weights {weights!r} (known: {sorted(WEIGHTS)})")
        self.weights = WEIGHTS[weights]
        if self.weights.encoder_type != self.name:
            raise ValueError(
                f"weights {self.weights.name!r} are run by encoder type "
                f"{self.weights.encoder_type!r}, not 'pretrained'"
            )
        self.inputs = self.weights.modalities
        if input_size and input_size != self.weights.input_size and not self.weights.resizable:
            raise ValueError(
                f"input_size: weights {self.weights.name!r} take {self.weights.input_size} "
                f"x {self.weights.input_size} pixels only (got {input_size})"
            )
        self.input_size = input_size or self.weights.input_size
        self.crop_size = None if input_size else self.weights.crop_size
        self.batch_images = int(batch_images)
        self.device = resolve_device(device)
        self.checkpoint = self._checkpoint_file(checkpoint) if pretrained else None
        torch.manual_seed(self.seed)  # the random-init twin is reproducible
        self.network = build_network(self.weights, self.checkpoint).to(self.device).eval()

    def contract(self) -> InputContract:
        """The weights' bands in the network's order, in the store's units (the encoder
        adds the weights' offset itself), normalised as the weights were trained."""
        return self.weights.contract(
            normalisation="; ".join(
                f"{e.modality}: {e.normalisation.kind} ({e.normalisation.source})"
                for e in self.weights.inputs
            ),
            input_size=self.input_size,
        )

    def _checkpoint_file(self, checkpoint: str | None) -> Path:
        from eobench.retrieval import verify_file  # retrieval imports tqdm: only when needed

        if checkpoint is None:
            raise ValueError(
                f"weights {self.weights.name!r}: no checkpoint (config key checkpoint); run "
                "rule retrieve_weights, or set pretrained: false for the random-init twin"
            )
        path = Path(checkpoint)
        if path.is_dir():
            path = path / self.weights.checkpoint.filename
        if not path.is_file():
            raise EobenchError(f"{path}: checkpoint of weights {self.weights.name!r} not found")
        verify_file(path, self.weights.checkpoint, "checkpoint")
        return path

    def encode(self, batch: CubeBatch) -> np.ndarray:
        first = batch.cubes[self.inputs[0]]
        n_samples, n_seasons = first.shape[:2]
        # Seasons become separate images; their features are averaged per sample.
        flat = {m: batch.cubes[m].reshape(-1, *batch.cubes[m].shape[2:]) for m in self.inputs}
        parts = []
        with torch.inference_mode():
            for start in range(0, n_samples * n_seasons, self.batch_images):
                chunk = {m: cube[start : start + self.batch_images] for m, cube in flat.items()}
                inputs = prepare_inputs(chunk, self.weights, self.input_size, self.crop_size)
                inputs = {m: x.to(self.device) for m, x in inputs.items()}
                parts.append(native_features(self.network, inputs, self.weights).float().cpu())
        features = torch.cat(parts).numpy().reshape(n_samples, n_seasons, -1).mean(axis=1)
        return reduce_features(features, self.embedding_dim, self.weights.recipe)

    def metadata(self) -> dict[str, Any]:
        from eobench.io import file_sha256

        architecture = self.weights.architecture
        return {
            **super().metadata(),
            "weights": self.weights.name,
            "checkpoint_sha256": None if self.checkpoint is None else file_sha256(self.checkpoint),
            "architecture": f"{architecture.library}/{architecture.model}",
            "bands": {e.modality: list(e.bands) for e in self.weights.inputs},
            "units": {e.modality: e.units for e in self.weights.inputs},
            "normalisation": {e.modality: e.normalisation.source for e in self.weights.inputs},
            "input_size": self.input_size,
            "native_width": self.weights.native_width,
            "recipe": self.weights.recipe,
            "device": str(self.device),
        }
