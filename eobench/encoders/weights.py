"""Published pretrained weights: where to get them and what their networks expect.

One frozen :class:`Weights` entry per published checkpoint, in the spirit of torchgeo's
``WeightsEnum`` and terratorch's backbone registry: its files (URL, checksum, filename),
upstream repository and version, license and citation, the architecture that loads it,
the store bands it reads in order, their units, the normalisation applied before the
network, the input size, the native feature width and the reduction recipe to ``N``
(:mod:`eobench.encoders.reduction`).

Checksums come in three kinds (:attr:`WeightsFile.check`):

- ``"sha256"``: the full digest, computed here from the upstream file;
- ``"sha256-prefix"``: only the first 8 hex digits of the sha256 are published, as the
  suffix of torchgeo's filenames (``resnet50_sentinel2_all_moco-df8b932e.pth``, the
  torch.hub convention); the prefix is verified;
- ``"unpublished"``: no digest is published (Hugging Face files outside torchgeo); the
  digest found at first download is recorded beside the file and verified from then on.

Facts were read from torchgeo @ 7ea0616 (0.8.0.dev0: ``torchgeo/models/resnet.py``,
``vit.py``, ``dofa.py``, ``swin.py``), terratorch @ 85467a9 (v1.1.1:
``terratorch/models/backbones/terramind/model/terramind_register.py``,
``prithvi_vit.py``), nasaharvest/presto @ 13173d0 and nasaharvest/galileo @ 0f0b5b9.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from eobench.data.bands import MODALITIES
from eobench.encoders.contract import ArrayContract, InputContract, unit_kind
from eobench.errors import EobenchError

#: torch.hub / torchgeo: the filename suffix holds this many hex digits of the sha256.
SHA256_PREFIX_LENGTH = 8
CHECK_KINDS = ("sha256", "sha256-prefix", "unpublished")
#: Libraries that build an architecture; ``eobench`` means a dedicated eobench encoder.
LIBRARIES = ("timm", "torchgeo", "terratorch", "eobench")

TORCHGEO = "https://github.com/microsoft/torchgeo @ 7ea0616 (0.8.0.dev0)"
TERRATORCH = "https://github.com/IBM/terratorch @ 85467a9 (v1.1.1)"


@dataclass(frozen=True)
class WeightsFile:
    """One file of a weights entry.

    Parameters
    ----------
    filename : str
        Name of the file in the cache folder (and in a configured local folder).
    url : str
        Where to download it (pinned to a commit wherever upstream allows).
    sha256 : str or None
        Full hex sha256 digest, where known.
    sha256_prefix : str or None
        Leading hex digits of the sha256 where only those are published (torchgeo's
        filename suffix); set at most one of ``sha256`` and ``sha256_prefix``.
    role : str
        What the file is: ``checkpoint``, ``config`` or ``normalization``.
    """

    filename: str
    url: str
    sha256: str | None = None
    sha256_prefix: str | None = None
    role: str = "checkpoint"

    @property
    def check(self) -> str:
        """Which checksum is published: one of :data:`CHECK_KINDS`."""
        if self.sha256:
            return "sha256"
        if self.sha256_prefix:
            return "sha256-prefix"
        return "unpublished"

    @property
    def expected(self) -> str | None:
        """The published digest or prefix (None when unpublished)."""
        return self.sha256 or self.sha256_prefix

    def matches(self, digest: str) -> bool:
        """Whether a file's full hex sha256 ``digest`` agrees with the published one."""
        expected = self.expected
        return expected is None or digest.lower().startswith(expected.lower())


@dataclass(frozen=True)
class Architecture:
    """The network that loads the weights.

    ``library`` builds ``model`` with ``kwargs`` (``timm.create_model``, a torchgeo model
    function, terratorch's backbone registry, or a dedicated eobench encoder type).
    ``features`` names how native features are taken from it (see
    :mod:`eobench.encoders.pretrained`); ``ignored_keys`` are model parameters the
    checkpoint does not hold (classification heads, dynamically built norms).
    """

    library: str
    model: str
    kwargs: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    features: str = ""
    ignored_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Normalisation:
    """Per-band affine normalisation ``(x - shift) / scale``, optionally clipped.

    ``kind`` says where the numbers come from: ``affine`` (the weights' own transform,
    ``shift``/``scale`` per band or one value for all), ``dataset`` (the store's band
    statistics, :data:`eobench.data.bands.MODALITIES`, for weights that leave
    normalisation to the dataset) or ``upstream`` (the dedicated encoder normalises, as
    its upstream code does).
    """

    kind: str
    shift: tuple[float, ...] = (0.0,)
    scale: tuple[float, ...] = (1.0,)
    clip: tuple[float, float] | None = None
    source: str = ""

    def apply(self, cube: np.ndarray, modality: str, bands: tuple[str, ...]) -> np.ndarray:
        """Normalise ``cube [..., C, H, W]`` holding ``bands`` of store array ``modality``."""
        if self.kind == "upstream":
            raise EobenchError(f"normalisation of {modality} is done by the dedicated encoder")
        if self.kind == "dataset":
            stats = MODALITIES[modality]
            index = [stats.bands.index(band) for band in bands]
            shift = np.asarray(stats.mean, dtype=np.float32)[index]
            scale = np.asarray(stats.std, dtype=np.float32)[index]
        else:
            shift = np.broadcast_to(np.asarray(self.shift, dtype=np.float32), (len(bands),))
            scale = np.broadcast_to(np.asarray(self.scale, dtype=np.float32), (len(bands),))
        out = (cube.astype(np.float32) - shift[:, None, None]) / scale[:, None, None]
        if self.clip is not None:
            out = np.clip(out, *self.clip)
        return out.astype(np.float32)


@dataclass(frozen=True)
class ModalityInput:
    """The bands of one store array that the weights read, in the network's order.

    ``units`` describes what the network was trained on; ``add_offset`` is added to the
    store values first (the store's Sentinel-2 digital numbers lack ESA's +1000 offset of
    processing baseline 04.00; weights trained with it would set 1000).
    """

    modality: str
    bands: tuple[str, ...]
    units: str
    normalisation: Normalisation
    add_offset: float = 0.0
    #: The modality's name in the building library (terratorch's ``S2L1C``, ``S1GRD``).
    library_name: str = ""


@dataclass(frozen=True)
class Weights:
    """A published pretrained checkpoint and everything needed to feed it."""

    name: str
    description: str
    files: tuple[WeightsFile, ...]
    repository: str
    version: str
    license: str
    citation: str
    architecture: Architecture
    inputs: tuple[ModalityInput, ...]
    #: Side in pixels the images are resized to (None: pixel time series, no resizing).
    input_size: int | None
    #: Side of the central crop taken after resizing (torchgeo's Resize 256 + CenterCrop
    #: 224); None: no crop.
    crop_size: int | None
    native_width: int
    recipe: str
    #: eobench encoder type that runs these weights (``pretrained`` or a dedicated one).
    encoder_type: str = "pretrained"
    #: Whether the network accepts other sides than ``input_size`` (DOFA's position
    #: embeddings are fixed at 224 x 224; CNNs, Swin and timm's dynamic-size ViTs adapt).
    resizable: bool = True
    notes: str = ""

    def contract(
        self,
        normalisation: str,
        temporal: str = "image",
        input_size: int | None = None,
        other_inputs: tuple[str, ...] = (),
    ) -> InputContract:
        """The input contract of an encoder running these weights: their bands in the
        network's order, in the store's units (Sentinel-2 digital numbers without the
        +1000 offset: an offset the weights need is the encoder's to add)."""
        arrays = tuple(
            ArrayContract(
                entry.modality,
                entry.bands,
                unit_kind(entry.units),
                offset=0.0 if entry.modality.startswith("s2") else None,
                scale=1e-4 if entry.modality.startswith("s2") else None,
            )
            for entry in self.inputs
        )
        return InputContract(arrays, normalisation, input_size, temporal, other_inputs)

    @property
    def checkpoint(self) -> WeightsFile:
        """The file holding the network's parameters."""
        return next(f for f in self.files if f.role == "checkpoint")

    @property
    def modalities(self) -> tuple[str, ...]:
        """Store arrays read, in input order."""
        return tuple(entry.modality for entry in self.inputs)

    @property
    def n_channels(self) -> int:
        """Channels of the network input (all modalities together)."""
        return sum(len(entry.bands) for entry in self.inputs)


def _kwargs(**values: Any) -> MappingProxyType:
    return MappingProxyType(dict(values))


def _hf_torchgeo(repo: str, commit: str, filename: str) -> str:
    return f"https://hf.co/torchgeo/{repo}/resolve/{commit}/{filename}"


_S2_ALL = MODALITIES["s2l1c"].bands
_S2_L1C_UNITS = "digital number (TOA reflectance x 10000), without the +1000 offset"
_S2_L2A_UNITS = "digital number (surface reflectance x 10000), without the +1000 offset"
_S1_UNITS = "dB (backscatter coefficient, 10 log10)"
#: The ten L1C bands Presto and Galileo read (no B01, B09, B10).
PRESTO_GALILEO_S2_BANDS = ("B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
# torchgeo's _ssl4eo_s12_transforms_s2_10k / _zhu_xlab_transforms: Resize 256,
# CenterCrop 224, divide by 10000.
_DIVIDE_10K = Normalisation("affine", (0.0,), (10000.0,), source="torchgeo SSL4EO-S12 (x / 10000)")
_SSL4EO = dict(
    repository="https://github.com/zhu-xlab/SSL4EO-S12 (weights hosted by torchgeo)",
    version=TORCHGEO,
    license="CC-BY-4.0 (SSL4EO-S12 release; not re-checked offline)",
    citation=(
        "Wang et al. 2023, SSL4EO-S12: a large-scale multi-modal, multi-temporal dataset "
        "for self-supervised learning in Earth observation, IEEE GRSM, arXiv:2211.07044"
    ),
    inputs=(ModalityInput("s2l1c", _S2_ALL, _S2_L1C_UNITS, _DIVIDE_10K),),
    input_size=256,
    crop_size=224,
)
_RESNET50 = Architecture(
    "timm", "resnet50", _kwargs(in_chans=13), "timm_cnn", frozenset({"fc.weight", "fc.bias"})
)
# dynamic_img_size: timm interpolates the position embeddings for other input sizes.
_VIT_S16 = Architecture(
    "timm",
    "vit_small_patch16_224",
    _kwargs(in_chans=13, dynamic_img_size=True),
    "timm_vit",
    frozenset({"head.weight", "head.bias", "norm.weight", "norm.bias"}),
)


def _ssl4eo(name: str, method: str, arch: Architecture, url: str, prefix, width, recipe, notes=""):
    filename = url.rsplit("/", 1)[1]
    return Weights(
        name=name,
        description=f"SSL4EO-S12 {arch.model} {method}, Sentinel-2 L1C all 13 bands",
        files=(WeightsFile(filename, url, sha256_prefix=prefix),),
        architecture=arch,
        native_width=width,
        recipe=recipe,
        notes=notes,
        **_SSL4EO,
    )


# DOFA's central wavelengths of the Sentinel-2 bands in micrometres, in _S2_ALL order.
_DOFA_S2_WAVELENGTHS_UM = (
    0.44, 0.49, 0.56, 0.665, 0.705, 0.74, 0.783, 0.832, 0.864, 0.945, 1.373, 1.61, 2.20,
)  # fmt: skip
# terratorch v1_pretraining_mean / _std["untok_sen2l1c@224"] (TerraMesh), B01..B12 + B8A.
_TERRAMIND_S2L1C_MEAN = (
    2357.089, 2137.385, 2018.788, 2082.986, 2295.651, 2854.537, 3122.849,
    3040.56, 3306.481, 1473.847, 506.07, 2472.825, 1838.929,
)  # fmt: skip
_TERRAMIND_S2L1C_STD = (
    1624.683, 1675.806, 1557.708, 1833.702, 1823.738, 1733.977, 1732.131,
    1679.732, 1727.26, 1024.687, 442.165, 1331.411, 1160.419,
)  # fmt: skip

_ENTRIES: tuple[Weights, ...] = (
    Weights(
        name="presto",
        description="Presto pretrained encoder + decoder (pixel time series)",
        files=(
            WeightsFile(
                "default_model.pt",
                "https://raw.githubusercontent.com/nasaharvest/presto/"
                "13173d028f035abcbcc3b13829314323a5c15d02/data/default_model.pt",
                sha256="559c9d76f525bdf2dd3774da8b1e7f1510769b73baacac12e9e4d8d5c67fbe65",
            ),
        ),
        repository="https://github.com/nasaharvest/presto",
        version="13173d028f035abcbcc3b13829314323a5c15d02 (data/default_model.pt, not in LFS)",
        license="MIT",
        citation=(
            "Tseng et al. 2023, Lightweight, pre-trained transformers for remote sensing "
            "timeseries, arXiv:2304.14065"
        ),
        architecture=Architecture("eobench", "presto", features="presto"),
        inputs=(
            ModalityInput("s1", ("VV", "VH"), _S1_UNITS, Normalisation("upstream")),
            ModalityInput(
                "s2l1c",
                PRESTO_GALILEO_S2_BANDS,
                _S2_L1C_UNITS,
                Normalisation("upstream"),
            ),
        ),
        input_size=None,
        crop_size=None,
        native_width=128,
        recipe="vit",
        encoder_type="presto",
        notes="normalisation, ERA5/SRTM/Dynamic World masking and location: encoder 'presto'",
    ),
    Weights(
        name="galileo_nano",
        description="Galileo-nano pretrained encoder (ViT, embed 128, depth 4)",
        files=(
            WeightsFile(
                "encoder.pt",
                "https://raw.githubusercontent.com/nasaharvest/galileo/"
                "0f0b5b95ac81acef4b74cf4686dc877202f4541b/data/models/nano/encoder.pt",
                sha256="eab6acacf527886a508a555bc24efe4b4a2cf91b162e84cd1c4a1807e942180c",
            ),
            WeightsFile(
                "config.json",
                "https://raw.githubusercontent.com/nasaharvest/galileo/"
                "0f0b5b95ac81acef4b74cf4686dc877202f4541b/data/models/nano/config.json",
                sha256="8ec17cb83cb78d987b4b920b9c1c35aa245ec0f80e1abf0c22d6f77d828f431c",
                role="config",
            ),
            WeightsFile(
                "normalization.json",
                "https://raw.githubusercontent.com/nasaharvest/galileo/"
                "0f0b5b95ac81acef4b74cf4686dc877202f4541b/config/normalization.json",
                sha256="baea3828a8750e0b570cb2fad5cd30bb249f1f001988d842cc4246860e799ff3",
                role="normalization",
            ),
        ),
        repository="https://github.com/nasaharvest/galileo",
        version=(
            "0f0b5b95ac81acef4b74cf4686dc877202f4541b "
            "(data/models/nano/, config/normalization.json, not in LFS)"
        ),
        license="MIT",
        citation=(
            "Tseng et al. 2025, Galileo: learning global and local features in pretrained "
            "remote sensing models, arXiv:2502.09356"
        ),
        architecture=Architecture("eobench", "galileo", features="galileo"),
        inputs=(
            ModalityInput("s1", ("VV", "VH"), _S1_UNITS, Normalisation("upstream")),
            ModalityInput(
                "s2l1c",
                PRESTO_GALILEO_S2_BANDS,
                _S2_L1C_UNITS + " (upstream: COPERNICUS/S2_HARMONIZED)",
                Normalisation("upstream"),
            ),
        ),
        input_size=None,
        crop_size=None,
        native_width=128,
        recipe="vit",
        encoder_type="galileo",
        notes="training normaliser from normalization.json: encoder 'galileo'",
    ),
    _ssl4eo(
        "ssl4eo_s12_resnet50_moco",
        "MoCo-v3",
        _RESNET50,
        _hf_torchgeo(
            "resnet50_sentinel2_all_moco",
            "da4f3c9dbe09272eb902f3b37f46635fa4726879",
            "resnet50_sentinel2_all_moco-df8b932e.pth",
        ),
        "df8b932e",
        2048,
        "cnn",
    ),
    _ssl4eo(
        "ssl4eo_s12_resnet50_dino",
        "DINO",
        _RESNET50,
        _hf_torchgeo(
            "resnet50_sentinel2_all_dino",
            "d7f14bf5530d70ac69d763e58e77e44dbecfec7c",
            "resnet50_sentinel2_all_dino-d6c330e9.pth",
        ),
        "d6c330e9",
        2048,
        "cnn",
    ),
    _ssl4eo(
        "ssl4eo_s12_vits16_moco",
        "MoCo-v3",
        _VIT_S16,
        _hf_torchgeo(
            "vit_small_patch16_224_sentinel2_all_moco",
            "1cb683f6c14739634cdfaaceb076529adf898c74",
            "vit_small_patch16_224_sentinel2_all_moco-67c9032d.pth",
        ),
        "67c9032d",
        384,
        "vit",
    ),
    _ssl4eo(
        "ssl4eo_s12_vits16_dino",
        "DINO",
        _VIT_S16,
        _hf_torchgeo(
            "vit_small_patch16_224_sentinel2_all_dino",
            "5b41dd418a79de47ac9f5be3e035405a83818a62",
            "vit_small_patch16_224_sentinel2_all_dino-36bcc127.pth",
        ),
        "36bcc127",
        384,
        "vit",
    ),
    _ssl4eo(
        "ssl4eo_s12_vits16_mae",
        "MAE",
        _VIT_S16,
        "https://huggingface.co/wangyi111/SSL4EO-S12/resolve/"
        "75c72195d35201dc1fb210818993518c25da566b/B13_vits16_mae_ep99_enc.pth",
        None,
        384,
        "vit",
        notes="hosted by the SSL4EO-S12 authors, not torchgeo: no published checksum",
    ),
    Weights(
        name="dofa_base",
        description="DOFA ViT-B/16 (wavelength-conditioned patch embedding), Sentinel-2 L1C",
        files=(
            WeightsFile(
                "dofa_base_patch16_224-a0275954.pth",
                _hf_torchgeo(
                    "dofa",
                    "b8db318b64a90b9e085ec04ba8851233c5893666",
                    "dofa_base_patch16_224-a0275954.pth",
                ),
                sha256_prefix="a0275954",
            ),
        ),
        repository="https://github.com/zhu-xlab/DOFA (weights hosted by torchgeo)",
        version=TORCHGEO,
        license="CC-BY-4.0 (model card; not re-checked offline)",
        citation=(
            "Xiong et al. 2024, Neural plasticity-inspired multimodal foundation model for "
            "Earth observation, arXiv:2403.15356"
        ),
        architecture=Architecture(
            "torchgeo",
            "dofa_base_patch16_224",
            _kwargs(
                wavelengths=_DOFA_S2_WAVELENGTHS_UM,
            ),
            "dofa",
            frozenset({"fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias"}),
        ),
        inputs=(
            ModalityInput(
                "s2l1c",
                _S2_ALL,
                _S2_L1C_UNITS,
                Normalisation("dataset", source="DOFA leaves normalisation to the dataset"),
            ),
        ),
        input_size=224,
        crop_size=None,
        native_width=768,
        recipe="vit",
        resizable=False,
        notes=(
            "features: mean patch token through fc_norm, which the checkpoint lacks "
            "(parameter-free layer norm at its default initialisation, as in torchgeo)"
        ),
    ),
    Weights(
        name="satlas_swinb_s2",
        description="SatlasPretrain Swin-v2-B, Sentinel-2 single-image multispectral (9 bands)",
        files=(
            WeightsFile(
                "sentinel2_swinb_si_ms-fe22a12c.pth",
                _hf_torchgeo(
                    "satlas",
                    "081d6607431bf36bdb59c223777cbb267131b8f2",
                    "sentinel2_swinb_si_ms-fe22a12c.pth",
                ),
                sha256_prefix="fe22a12c",
            ),
        ),
        repository="https://github.com/allenai/satlas (weights hosted by torchgeo)",
        version=TORCHGEO,
        license="ODC-BY (SatlasPretrain models; not re-checked offline)",
        citation=(
            "Bastani et al. 2023, SatlasPretrain: a large-scale dataset for remote sensing "
            "image understanding, ICCV, arXiv:2211.15660"
        ),
        architecture=Architecture(
            "torchgeo", "swin_v2_b", _kwargs(in_chans=9), "torchvision_swin", frozenset()
        ),
        inputs=(
            ModalityInput(
                "s2l1c",
                ("B04", "B03", "B02", "B05", "B06", "B07", "B08", "B11", "B12"),
                _S2_L1C_UNITS,
                # torchgeo: RGB from the 8-bit TCI / 255, other bands / 8160, clip 0..1.
                # TCI from digital numbers: ESA's TCI saturates at 3558 DN for L1C.
                Normalisation(
                    "affine",
                    (0.0,),
                    (3558.0, 3558.0, 3558.0, 8160.0, 8160.0, 8160.0, 8160.0, 8160.0, 8160.0),
                    clip=(0.0, 1.0),
                    source="torchgeo _satlas_sentinel2_transforms; RGB as ESA TCI (3558 DN)",
                ),
            ),
        ),
        input_size=256,
        crop_size=None,
        native_width=1024,
        recipe="cnn",
        notes="RGB scale approximates the TCI product Satlas read (an assumption)",
    ),
    Weights(
        name="terramind_v1_base",
        description="TerraMind v1 base encoder on raw S2 L1C and S1 GRD patches",
        files=(
            WeightsFile(
                "TerraMind_v1_base.pt",
                "https://huggingface.co/ibm-esa-geospatial/TerraMind-1.0-base/resolve/main/"
                "TerraMind_v1_base.pt",
            ),
        ),
        repository="https://github.com/IBM/terramind (built by terratorch)",
        version=TERRATORCH,
        license="Apache-2.0",
        citation=(
            "Jakubik et al. 2025, TerraMind: large-scale generative multimodality for Earth "
            "observation, arXiv:2504.11171"
        ),
        architecture=Architecture(
            "terratorch",
            "terramind_v1_base",
            _kwargs(modalities=("S2L1C", "S1GRD"), merge_method="mean"),
            "terramind",
        ),
        inputs=(
            ModalityInput(
                "s2l1c",
                _S2_ALL,
                _S2_L1C_UNITS,
                Normalisation(
                    "affine",
                    _TERRAMIND_S2L1C_MEAN,
                    _TERRAMIND_S2L1C_STD,
                    source="terratorch v1_pretraining_mean/std['untok_sen2l1c@224']",
                ),
                library_name="S2L1C",
            ),
            ModalityInput(
                "s1",
                ("VV", "VH"),
                _S1_UNITS,
                Normalisation(
                    "affine",
                    (-12.599, -20.293),
                    (5.195, 5.890),
                    source="terratorch v1_pretraining_mean/std['untok_sen1grd@224']",
                ),
                library_name="S1GRD",
            ),
        ),
        input_size=224,
        crop_size=None,
        native_width=768,
        recipe="vit",
        resizable=False,
        notes=(
            "TerraMesh L1C statistics (B10 mean 506 DN) suggest a mix of data with and "
            "without the +1000 offset: fed without it; URL not pinned to a commit"
        ),
    ),
    Weights(
        name="prithvi_eo_v2_300",
        description="Prithvi-EO-2.0 300M (ViT-L/16) encoder on HLS-like S2 L2A bands",
        files=(
            WeightsFile(
                "Prithvi_EO_V2_300M.pt",
                "https://huggingface.co/ibm-nasa-geospatial/Prithvi-EO-2.0-300M/resolve/main/"
                "Prithvi_EO_V2_300M.pt",
            ),
        ),
        repository="https://github.com/NASA-IMPACT/Prithvi-EO-2.0 (built by terratorch)",
        version=TERRATORCH,
        license="Apache-2.0",
        citation=(
            "Szwarcman et al. 2024, Prithvi-EO-2.0: a versatile multi-temporal foundation "
            "model for Earth observation applications, arXiv:2412.02732"
        ),
        architecture=Architecture(
            "terratorch", "prithvi_eo_v2_300", _kwargs(num_frames=1), "prithvi"
        ),
        inputs=(
            ModalityInput(
                "s2l2a",
                # HLS BLUE, GREEN, RED, NIR_NARROW, SWIR_1, SWIR_2 of Sentinel-2.
                ("B02", "B03", "B04", "B8A", "B11", "B12"),
                _S2_L2A_UNITS + " (HLS S30 surface reflectance x 10000)",
                Normalisation(
                    "affine",
                    (1087.0, 1342.0, 1433.0, 2734.0, 1958.0, 1363.0),
                    (2248.0, 2179.0, 2178.0, 1850.0, 1242.0, 1049.0),
                    source="terratorch PRITHVI_V2_MEAN / PRITHVI_V2_STD",
                ),
            ),
        ),
        input_size=224,
        crop_size=None,
        native_width=1024,
        recipe="vit",
        resizable=False,
        notes="one frame per season (num_frames=1); URL not pinned to a commit",
    ),
)

#: The registry: weights name -> entry.
WEIGHTS: dict[str, Weights] = {entry.name: entry for entry in _ENTRIES}


def encoder_spec_with_weights(
    spec: dict[str, Any], folder: str | None, key: str = "encoder"
) -> dict[str, Any]:
    """The encoder parameters of a config entry whose ``weights`` name a registry entry.

    ``weights`` is replaced by ``checkpoint``, the entry's checkpoint file in ``folder``
    (the verified cache folder of rule ``retrieve_weights``); the ``pretrained`` encoder
    type keeps ``weights`` too, since it builds its network from the entry. A spec without
    ``weights`` comes back unchanged. The entry must be run by the spec's encoder type.
    """
    spec = dict(spec)
    name = spec.get("weights")
    if name is None:
        return spec
    weights = get_weights(name, f"{key}.weights")
    if spec.get("type") != weights.encoder_type:
        raise EobenchError(
            f"config key {key}.weights: weights {name!r} run with encoder type "
            f"{weights.encoder_type!r}, not {spec.get('type')!r}"
        )
    if folder is None:
        raise EobenchError(f"config key {key}.weights: the folder of weights {name!r} is missing")
    if weights.encoder_type != "pretrained":
        del spec["weights"]
    spec.setdefault("checkpoint", str(Path(folder) / weights.checkpoint.filename))
    return spec


#: Keys of an encoder entry read by the rule that trains its checkpoint, not by the encoder.
TRAINING_KEYS = ("lambda",)


def encoder_spec_with_checkpoint(spec: dict[str, Any], checkpoint: str) -> dict[str, Any]:
    """The encoder parameters of an entry whose checkpoint a rule of the DAG trained
    (``compressor``): its training keys replaced by ``checkpoint``."""
    kept = {k: v for k, v in spec.items() if k not in TRAINING_KEYS}
    return {**kept, "checkpoint": str(checkpoint)}


def get_weights(name: str, key: str = "weights") -> Weights:
    """The registry entry ``name``; an unknown name is an error naming config ``key``."""
    try:
        return WEIGHTS[name]
    except (KeyError, TypeError):
        raise EobenchError(
            f"config key {key}: unknown weights {name!r} (known: {sorted(WEIGHTS)})"
        ) from None
