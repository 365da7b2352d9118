"""MAE (He et al. 2022): hide ``mask_ratio`` of the Sentinel-2 patches, rebuild their
standardised pixels with a light decoder; the loss counts masked patches only."""

from __future__ import annotations

from torch import nn

from eobench.pretraining.losses import masked_patch_mse
from eobench.pretraining.masking import patchify, random_mask
from eobench.pretraining.methods import Method, register
from eobench.pretraining.methods.decoders import TokenDecoder


class MaskedImageModel(nn.Module):
    """The masked Sentinel-2 branch of MAE and MP-MAE: mask, encode, decode, patch loss."""

    def __init__(self, backbone, objectives, context) -> None:
        super().__init__()
        settings = objectives["mae"]
        self.mask_ratio = float(settings["mask_ratio"])
        p, c = backbone.patch_size, len(context.channels)
        self.decoder = TokenDecoder(backbone.width, settings["decoder_width"])
        self.pixels = nn.Linear(settings["decoder_width"], p * p * c)

    def forward(self, backbone, batch, generator):
        """``(decoded tokens, visibility, s2 loss)``."""
        images = batch["s2"]
        p = backbone.patch_size
        grid = (images.shape[-2] // p, images.shape[-1] // p)
        n = grid[0] * grid[1]
        hidden = random_mask(len(images), n, self.mask_ratio, generator).to(images.device)
        decoded = self.decoder(backbone.tokens(images, ~hidden), ~hidden, grid)
        valid = batch["s2_valid"].expand_as(images)
        loss = masked_patch_mse(
            self.pixels(decoded), patchify(images, p), hidden, patchify(valid.float(), p)
        )
        return decoded, ~hidden, loss


@register
class MAE(Method):
    name = "mae"

    def __init__(self, backbone, objectives, context) -> None:
        super().__init__(backbone, objectives, context)
        self.masked = MaskedImageModel(backbone, objectives, context)

    def loss(self, batch, generator):
        _, _, loss = self.masked(self.backbone, batch, generator)
        return loss, {"sentinel2": float(loss.detach())}
