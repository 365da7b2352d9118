"""Rate and distortion of the compressor and of JPEG2000 on the test images (paper Fig. 11).

Images: every season of every test sample (``split_random == "test"``) is one 13-band S2
L1C image in digital numbers (centre-cropped to sides that are multiples of 16, as the
compressor needs, for both codecs alike). For each codec setting the table gives the mean
over images of:

- ``bpp``, bits per pixel (one pixel = all 13 bands of one location). The compressor's is
  the ideal code length of its rounded latents under its entropy model,
  ``-sum log2 p(y_hat) / (H W)``: estimated from the likelihoods, with no arithmetic coder
  run and no header counted. JPEG2000's is ``8 * bytes / (H W)`` of the whole codestream
  (OpenJPEG through ``imagecodecs``, raw J2K without the JP2 box, so its main header,
  sizeable for 13 components of a small tile, is counted).
- ``mse`` and ``psnr``: digital numbers are scaled to reflectance (``/ 10000``) and clipped
  to ``[0, 1]``, original and reconstruction alike; an image's MSE is the mean over bands
  and pixels, its PSNR ``10 log10(1 / MSE)`` (peak 1; infinite for an exact
  reconstruction). ``psnr`` is the mean of the images' PSNRs, ``mse`` the mean of their
  MSEs.

JPEG2000 settings are ``imagecodecs.jpeg2k_encode``'s ``level``: OpenJPEG's fixed-quality
target, a PSNR in dB relative to the 16-bit range, one quality layer, irreversible 9/7
wavelet; ``level = 0`` is the reversible (lossless) mode.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from eobench.data.store import CubeStore
from eobench.encoders.compressor.model import FactorizedPriorAutoencoder
from eobench.encoders.compressor.train import (
    REFLECTANCE_PER_DN,
    load_checkpoint,
    model_from_checkpoint,
    store_images,
    to_reflectance,
)
from eobench.encoders.rcf import resolve_device
from eobench.errors import EobenchError

#: Digital number of reflectance 1 (Sentinel-2 L1C quantification value).
REFLECTANCE_SCALE = 10000.0
#: Columns of the rate-distortion table.
TABLE_COLUMNS = ("codec", "setting", "parameter", "bpp", "psnr", "mse", "n_images")
#: JPEG2000 levels of the default sweep (0 = lossless).
DEFAULT_JPEG2000_LEVELS = (30, 35, 40, 45, 50, 60, 70, 80, 0)


def reflectance(digital_numbers: np.ndarray) -> np.ndarray:
    """Digital numbers as reflectance clipped to ``[0, 1]`` (float64)."""
    return np.clip(np.asarray(digital_numbers, dtype=np.float64) / REFLECTANCE_SCALE, 0.0, 1.0)


def image_mse(original: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    """Per-image MSE ``[n]`` of reflectances of ``[n, C, H, W]`` digital numbers."""
    error = reflectance(original) - reflectance(reconstructed)
    return np.mean(error**2, axis=(1, 2, 3))


def psnr(mse: np.ndarray) -> np.ndarray:
    """``10 log10(1 / mse)`` in dB (peak 1), infinite where ``mse`` is 0."""
    mse = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(mse > 0, -10.0 * np.log10(np.where(mse > 0, mse, 1.0)), np.inf)


def compressor_codes(
    model: FactorizedPriorAutoencoder,
    images: np.ndarray,
    batch_size: int = 64,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """Code digital numbers ``[n, 13, H, W]``; return each image's bits per pixel ``[n]``
    and the reconstruction in digital numbers (float32 ``[n, 13, H, W]``)."""
    device = resolve_device(device)
    model = model.eval().to(device)
    height, width = images.shape[-2:]
    bpp, reconstructed = [], []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            output = model(to_reflectance(images[start : start + batch_size]).to(device))
            bits = -torch.log2(output["likelihoods"]).sum(dim=(1, 2, 3))
            bpp.append((bits / (height * width)).cpu().numpy())
            reconstructed.append(output["x_hat"].cpu().numpy() / REFLECTANCE_PER_DN)
    return np.concatenate(bpp).astype(np.float64), np.concatenate(reconstructed)


def jpeg2000_codes(images: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """JPEG2000-code uint16 digital numbers ``[n, C, H, W]`` at ``level`` (0 = lossless);
    return bits per pixel ``[n]`` and the decoded images (uint16 ``[n, C, H, W]``)."""
    import imagecodecs

    height, width = images.shape[-2:]
    bpp = np.empty(len(images))
    decoded = np.empty_like(images)
    for i, image in enumerate(images):
        # imagecodecs takes samples last: [H, W, bands].
        pixels = np.ascontiguousarray(image.transpose(1, 2, 0))
        stream = imagecodecs.jpeg2k_encode(pixels, level=level, codecformat="j2k")
        bpp[i] = 8.0 * len(stream) / (height * width)
        decoded[i] = imagecodecs.jpeg2k_decode(stream).transpose(2, 0, 1)
    return bpp, decoded


def summary_row(
    codec: str, setting: str, parameter: float, bpp: np.ndarray, mse: np.ndarray
) -> dict[str, object]:
    """One row of the table from per-image bits per pixel and MSE."""
    return {
        "codec": codec,
        "setting": setting,
        "parameter": float(parameter),
        "bpp": float(np.mean(bpp)),
        "psnr": float(np.mean(psnr(mse))),
        "mse": float(np.mean(mse)),
        "n_images": len(mse),
    }


def jpeg2000_setting(level: float) -> str:
    return "lossless" if level == 0 else f"level={level:g}"


def rate_distortion_table(
    store_path: str | os.PathLike,
    test_rows: Sequence[int],
    checkpoints: Sequence[str | os.PathLike],
    jpeg2000_levels: Sequence[float] = DEFAULT_JPEG2000_LEVELS,
    batch_size: int = 64,
    device: str = "cpu",
) -> pd.DataFrame:
    """The rate-distortion table of the compressor checkpoints and a JPEG2000 sweep.

    Parameters
    ----------
    store_path : path
        The canonical store.
    test_rows : sequence of int
        Store rows of the test samples.
    checkpoints : sequence of path
        Compressor checkpoints (one per lambda).
    jpeg2000_levels : sequence of float
        ``imagecodecs.jpeg2k_encode`` levels, ``0`` for lossless (see the module notes).
    batch_size : int
        Images coded at a time by the compressor.
    device : str
        The compressor's device.

    Returns
    -------
    DataFrame
        :data:`TABLE_COLUMNS`: the compressor's rows by lambda, then JPEG2000's by level.
    """
    for level in jpeg2000_levels:
        if isinstance(level, bool) or not isinstance(level, int | float) or level < 0:
            raise EobenchError(f"rate distortion: JPEG2000 level {level!r} is not a number >= 0")
    images = store_images(CubeStore(store_path), test_rows, "test")
    rows = []
    for path in checkpoints:
        state = load_checkpoint(path)
        lmbda = float(state["settings"]["lmbda"])
        bpp, reconstructed = compressor_codes(
            model_from_checkpoint(state), images, batch_size, device
        )
        rows.append(
            summary_row(
                "compressor", f"lambda={lmbda:g}", lmbda, bpp, image_mse(images, reconstructed)
            )
        )
    rows.sort(key=lambda row: row["parameter"])
    for level in jpeg2000_levels:
        bpp, decoded = jpeg2000_codes(images, level)
        rows.append(
            summary_row("JPEG2000", jpeg2000_setting(level), level, bpp, image_mse(images, decoded))
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
