"""The factorized-prior autoencoder (Ballé et al. 2018, the baseline of the hyperprior paper).

Analysis ``g_a``: four 5x5 convolutions of stride 2 with GDN between them, from the image's
bands to ``intermediate_channels`` and finally ``latent_channels``; synthesis ``g_s``: four
5x5 transposed convolutions of stride 2 with inverse GDN between them, back to the bands.
The latents ``y = g_a(x)`` are coded with the :class:`EntropyBottleneck` (a learned
factorized density); an image of ``H x W`` pixels has ``H/16 x W/16`` latent pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from eobench.encoders.compressor.entropy import EntropyBottleneck
from eobench.encoders.compressor.gdn import GDN

#: Side reduction of the analysis transform (four stride-2 convolutions).
DOWNSAMPLING = 16
KERNEL = 5


def _conv(in_channels: int, out_channels: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, KERNEL, stride=2, padding=KERNEL // 2)


def _deconv(in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
    # output_padding 1 makes each layer exactly double the side.
    return nn.ConvTranspose2d(
        in_channels, out_channels, KERNEL, stride=2, padding=KERNEL // 2, output_padding=1
    )


class FactorizedPriorAutoencoder(nn.Module):
    """Ballé's factorized-prior compression model.

    Parameters
    ----------
    in_channels : int
        Image bands (13 for Sentinel-2 L1C).
    intermediate_channels : int
        Width ``N`` of the hidden layers (the paper: 256).
    latent_channels : int
        Latent channels ``M`` (the paper: 128).
    filters : sequence of int
        Hidden widths of each channel's density in the entropy bottleneck.
    """

    def __init__(
        self,
        in_channels: int = 13,
        intermediate_channels: int = 256,
        latent_channels: int = 128,
        filters: Sequence[int] = (3, 3, 3),
    ) -> None:
        super().__init__()
        n, m = int(intermediate_channels), int(latent_channels)
        self.architecture = {
            "in_channels": int(in_channels),
            "intermediate_channels": n,
            "latent_channels": m,
            "filters": [int(f) for f in filters],
        }
        self.analysis = nn.Sequential(
            _conv(in_channels, n), GDN(n), _conv(n, n), GDN(n), _conv(n, n), GDN(n), _conv(n, m)
        )
        self.synthesis = nn.Sequential(
            _deconv(m, n),
            GDN(n, inverse=True),
            _deconv(n, n),
            GDN(n, inverse=True),
            _deconv(n, n),
            GDN(n, inverse=True),
            _deconv(n, in_channels),
        )
        self.entropy_bottleneck = EntropyBottleneck(m, filters)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Code [0, 1] ``images`` ``[B, C, H, W]`` (sides multiples of 16).

        Returns
        -------
        dict
            ``latents`` (``y``, before noise or rounding), ``coded`` (noisy in training,
            rounded in evaluation), ``likelihoods`` of the coded latents and the
            reconstruction ``x_hat`` ``[B, C, H, W]``.
        """
        latents = self.analysis(images)
        coded, likelihoods = self.entropy_bottleneck(latents)
        return {
            "latents": latents,
            "coded": coded,
            "likelihoods": likelihoods,
            "x_hat": self.synthesis(coded),
        }


#: The MSE of [0, 1] images in squared 8-bit units, as CompressAI weighs it.
DISTORTION_SCALE = 255.0**2


def bits_per_pixel(likelihoods: torch.Tensor, n_pixels: int) -> torch.Tensor:
    """``-sum log2 p / n_pixels``: the ideal code length per image pixel."""
    return -torch.log2(likelihoods).sum() / n_pixels


def rate_distortion_loss(
    images: torch.Tensor, output: dict[str, torch.Tensor], lmbda: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``R + lmbda * D`` of a batch: the loss, the rate ``R`` and the distortion ``D``.

    ``R`` is the bits per pixel of the batch (all ``B x H x W`` pixels), ``D`` the mean
    squared error over every band and pixel of the [0, 1] images in 8-bit units
    (x :data:`DISTORTION_SCALE`), CompressAI's ``RateDistortionLoss``: the scale on which
    the paper's lambdas (0.025, 0.1, 0.5) were chosen.
    """
    batch, _, height, width = images.shape
    rate = bits_per_pixel(output["likelihoods"], batch * height * width)
    distortion = DISTORTION_SCALE * torch.mean((output["x_hat"] - images) ** 2)
    return rate + lmbda * distortion, rate, distortion
