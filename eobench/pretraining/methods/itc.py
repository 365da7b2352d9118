"""ITC (CLIP-style image-text contrast): symmetric InfoNCE between the projected mean
token of the Sentinel-2 tile and the projected caption embedding."""

from __future__ import annotations

from torch import nn

from eobench.pretraining.backbones import TextEncoder
from eobench.pretraining.losses import info_nce
from eobench.pretraining.methods import Method, register


class ImageTextContrast(nn.Module):
    """Text tower, both projections and the loss (shared with GeoMeld-FM)."""

    def __init__(self, backbone, objectives, context) -> None:
        super().__init__()
        settings, text = objectives["itc"], objectives["text"]
        self.temperature = float(settings["temperature"])
        self.text = TextEncoder(context.vocabulary, text["width"], text["depth"], text["heads"])
        self.image_projection = nn.Linear(backbone.width, settings["projection"])
        self.text_projection = nn.Linear(text["width"], settings["projection"])

    def image_embedding(self, backbone, images):
        return self.image_projection(backbone.tokens(images).mean(dim=1))

    def text_embedding(self, ids):
        return self.text_projection(self.text(ids))

    def forward(self, backbone, batch):
        return info_nce(
            self.image_embedding(backbone, batch["s2"]),
            self.text_embedding(batch["text"]),
            self.temperature,
        )


@register
class ITC(Method):
    name = "itc"
    needs = frozenset({"captions"})

    def __init__(self, backbone, objectives, context) -> None:
        super().__init__(backbone, objectives, context)
        self.itc = ImageTextContrast(backbone, objectives, context)

    def loss(self, batch, generator):
        loss = self.itc(self.backbone, batch)
        return loss, {"itc": float(loss.detach())}
