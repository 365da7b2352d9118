"""MP-MAE (MMEarth's multi-pretext masked autoencoder): MAE on Sentinel-2 plus light
decoders rebuilding every other modality from the same masked input (MSE for continuous,
cross-entropy for categorical modalities, masked where missing). The loss is the masked
Sentinel-2 loss plus the mean of the other modalities' losses."""

from __future__ import annotations

from torch import nn

from eobench.pretraining.losses import multi_pretext_loss
from eobench.pretraining.masking import unpatchify
from eobench.pretraining.methods import Method, register
from eobench.pretraining.methods.mae import MaskedImageModel


class CrossModalHeads(nn.Module):
    """One linear head per modality on the decoded tokens: a pixel modality's patch
    values (unpatchified to the tile), a tile modality's values from the mean token."""

    def __init__(self, width: int, patch_size: int, context) -> None:
        super().__init__()
        self.patch_size, self.size, self.levels = patch_size, context.image_size, context.levels
        self.heads = nn.ModuleDict()
        for name, out in context.outputs.items():
            if context.levels[name] == "pixel":
                self.heads[name] = nn.Linear(width, patch_size * patch_size * out)
            else:
                self.heads[name] = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, out))
        self.outputs = dict(context.outputs)

    def forward(self, decoded):
        predictions = {}
        for name, head in self.heads.items():
            if self.levels[name] == "pixel":
                predictions[name] = unpatchify(
                    head(decoded), self.patch_size, self.outputs[name], self.size
                )
            else:
                predictions[name] = head(decoded.mean(dim=1))
        return predictions


@register
class MPMAE(Method):
    name = "mpmae"
    needs = frozenset({"reconstruct"})

    def __init__(self, backbone, objectives, context) -> None:
        super().__init__(backbone, objectives, context)
        self.masked = MaskedImageModel(backbone, objectives, context)
        self.cross = CrossModalHeads(
            objectives["mae"]["decoder_width"], backbone.patch_size, context
        )
        self.kinds = dict(context.kinds)

    def loss(self, batch, generator):
        decoded, _, s2_loss = self.masked(self.backbone, batch, generator)
        cross, terms = multi_pretext_loss(
            self.cross(decoded), batch["targets"], batch["valid"], self.kinds
        )
        return s2_loss + cross, {"sentinel2": float(s2_loss.detach()), **terms}
