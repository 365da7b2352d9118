"""GeoMeld-FM: MP-MAE + JEPA + ITC on one backbone, the loss their weighted sum
(``weights`` of the entry; a component of weight 0 is not built, which gives the
ablation's MP-MAE + JEPA and MP-MAE + ITC rows)."""

from __future__ import annotations

from torch import nn

from eobench.errors import EobenchError
from eobench.pretraining.losses import multi_pretext_loss
from eobench.pretraining.methods import Method, register
from eobench.pretraining.methods.itc import ImageTextContrast
from eobench.pretraining.methods.jepa import LatentPredictor
from eobench.pretraining.methods.mae import MaskedImageModel
from eobench.pretraining.methods.mpmae import CrossModalHeads

COMPONENTS = ("mpmae", "jepa", "itc")


@register
class GeoMeld(Method):
    name = "geomeld"
    needs = frozenset({"reconstruct", "captions"})
    options = ("weights",)

    def __init__(self, backbone, objectives, context, weights=None) -> None:
        super().__init__(backbone, objectives, context)
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(COMPONENTS))
        if unknown or not any(weights.get(c, 0) > 0 for c in COMPONENTS):
            raise EobenchError(
                f"geomeld weights {weights}: give a positive weight to at least one of "
                f"{list(COMPONENTS)} and nothing else"
            )
        self.weights = {c: float(weights.get(c, 0.0)) for c in COMPONENTS}
        self.kinds = dict(context.kinds)
        if self.weights["mpmae"]:
            self.masked = MaskedImageModel(backbone, objectives, context)
            self.cross = CrossModalHeads(
                objectives["mae"]["decoder_width"], backbone.patch_size, context
            )
        if self.weights["jepa"]:
            self.jepa = LatentPredictor(backbone, objectives)
        if self.weights["itc"]:
            self.itc = ImageTextContrast(backbone, objectives, context)

    def loss(self, batch, generator):
        total, terms = 0.0, {}
        if self.weights["mpmae"]:
            decoded, _, s2_loss = self.masked(self.backbone, batch, generator)
            cross, cross_terms = multi_pretext_loss(
                self.cross(decoded), batch["targets"], batch["valid"], self.kinds
            )
            total = total + self.weights["mpmae"] * (s2_loss + cross)
            terms.update(sentinel2=float(s2_loss.detach()), **cross_terms)
        if self.weights["jepa"]:
            jepa = self.jepa(self.backbone, batch["s2"], generator)
            total = total + self.weights["jepa"] * jepa
            terms["jepa"] = float(jepa.detach())
        if self.weights["itc"]:
            itc = self.itc(self.backbone, batch)
            total = total + self.weights["itc"] * itc
            terms["itc"] = float(itc.detach())
        return total, terms

    def after_step(self) -> None:
        if self.weights["jepa"]:
            self.jepa.update(self.backbone)


def has_text(method: nn.Module) -> bool:
    """Whether a method has a text tower (its checkpoint can be scored on retrieval)."""
    return isinstance(getattr(method, "itc", None), ImageTextContrast)


__all__ = ["GeoMeld", "has_text", "nn"]
