"""Random convolutional features (MOSAIKS, Rolf et al. 2021, Nature Communications 12:4392)."""

from __future__ import annotations

import numpy as np
import torch

from eobench.data.bands import IMAGE_MODALITIES, stack_normalised
from eobench.encoders import register
from eobench.encoders.base import CubeBatch, Encoder
from eobench.errors import EobenchError

#: Channels of :func:`eobench.data.bands.stack_normalised`.
N_CHANNELS = 27
#: Most bytes of convolution responses held at once.
RESPONSE_BYTES = 256 * 2**20


def resolve_device(device: str) -> torch.device:
    """``"auto"`` means the first CUDA device when there is one, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r} ({exc})") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return resolved


@register
class RCFEncoder(Encoder):
    """Random convolutional features over the 27 normalised channels.

    ``ceil(N / 2)`` random kernels ``w_k`` with a shared threshold ``b`` give, per kernel,
    the spatial means of ``ReLU(w_k * x - b)`` and ``ReLU(-w_k * x - b)`` (valid
    convolution, no padding): ``N`` features, in the order all positive then all
    negative ones. For odd ``N`` the last negative feature is dropped.

    Kernels are standard Gaussian divided by ``sqrt(27 * kernel_size**2)``, so a
    response to the standardised bands has about unit variance and the threshold
    ``bias`` is on that scale (MOSAIKS thresholds whitened patches at 1). Kernels come
    from a CPU generator seeded with ``seed``, so they are the same on every device.

    Parameters
    ----------
    kernel_size : int
        Kernel side in pixels.
    stride : int
        Convolution stride.
    bias : float
        Threshold ``b`` of both rectifiers.
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda[:i]"``.
    """

    name = "rcf"
    inputs = IMAGE_MODALITIES

    def __init__(
        self,
        embedding_dim: int,
        seed: int = 0,
        kernel_size: int = 3,
        stride: int = 1,
        bias: float = 1.0,
        device: str = "auto",
    ) -> None:
        super().__init__(embedding_dim, seed)
        for label, value in (("kernel_size", kernel_size), ("stride", stride)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"rcf: {label} must be a positive integer (got {value!r})")
        self.kernel_size = kernel_size
        self.stride = stride
        self.bias = float(bias)
        self.device = resolve_device(device)
        n_kernels = (self.embedding_dim + 1) // 2
        generator = torch.Generator().manual_seed(self.seed)
        kernels = torch.randn(
            (n_kernels, N_CHANNELS, kernel_size, kernel_size), generator=generator
        )
        #: ``[ceil(N/2), 27, k, k]`` float32 kernels on CPU.
        self.kernels = kernels / np.sqrt(N_CHANNELS * kernel_size**2)

    def encode(self, batch: CubeBatch) -> np.ndarray:
        stacked = stack_normalised(batch.cubes)  # [B, T, 27, H, W]
        n_samples, n_seasons, channels, height, width = stacked.shape
        if min(height, width) < self.kernel_size:
            raise EobenchError(
                f"rcf: images of {height}x{width} pixels are smaller than kernel_size "
                f"{self.kernel_size}"
            )
        # Seasons of a series are encoded as separate images and their features averaged.
        images = torch.from_numpy(stacked.reshape(-1, channels, height, width))
        kernels = self.kernels.to(self.device)
        out_pixels = ((height - self.kernel_size) // self.stride + 1) * (
            (width - self.kernel_size) // self.stride + 1
        )
        # Bound the float32 responses of one chunk (large images, many kernels).
        chunk = max(1, RESPONSE_BYTES // (4 * len(kernels) * out_pixels))
        parts = []
        with torch.inference_mode():
            for start in range(0, len(images), chunk):
                response = torch.nn.functional.conv2d(
                    images[start : start + chunk].to(self.device), kernels, stride=self.stride
                )
                positive = (response - self.bias).clamp_(min=0).mean(dim=(2, 3))
                # In place: the response is not needed any more (saves a pass over memory).
                negative = response.neg_().sub_(self.bias).clamp_(min=0).mean(dim=(2, 3))
                parts.append(torch.cat([positive, negative], dim=1).cpu())
        features = torch.cat(parts)[:, : self.embedding_dim]
        features = features.numpy().reshape(n_samples, n_seasons, -1).mean(axis=1)
        return features.astype(np.float32)

    def metadata(self):
        return {
            **super().metadata(),
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "bias": self.bias,
            "device": str(self.device),
        }
