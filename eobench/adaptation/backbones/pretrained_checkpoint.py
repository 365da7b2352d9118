"""A checkpoint pretrained in the DAG (rule ``pretrain``) as an adaptation backbone.

The adaptation and segmentation suites feed standardised channels ``modality:band``; the
checkpoint says which it was trained on (Sentinel-2 L2A bands, in order) and the inputs
must be exactly those: any other set is an error naming the file. ``pretrained: false``
gives the architecture's random-init twin under the run's seed.
"""

from __future__ import annotations

from torch import nn

from eobench.adaptation.backbones import register
from eobench.errors import EobenchError


@register
class PretrainedCheckpointBackbone(nn.Module):
    """The checkpoint's backbone: ``[B, C, H, W] -> [B, D, H/p, W/p]``.

    Parameters
    ----------
    channels : list of str
        Input channel names; must be the checkpoint's ``sentinel2:<band>`` list.
    image_size : int
        Tile side in pixels (a multiple of the checkpoint's patch size).
    checkpoint : str
        The checkpoint (filled in by the workflow from ``method``).
    method : str, optional
        The ``pretraining.methods`` entry; must be the checkpoint's.
    pretrained : bool
        False: the same architecture, randomly initialised.
    pretraining_seed : int, optional
        The pretraining seed of the checkpoint (which file the workflow picks).
    """

    name = "pretrained_checkpoint"

    def __init__(self, channels, image_size, checkpoint=None, method=None, pretrained=True,
                 pretraining_seed=None) -> None:  # fmt: skip
        super().__init__()
        from eobench.pretraining.backbones import build_architecture
        from eobench.pretraining.checkpoint import backbone_from_checkpoint, load_pretrained

        if not checkpoint:
            raise TypeError("parameter 'checkpoint' (a pretrained checkpoint) is required")
        state = load_pretrained(checkpoint)
        if method is not None and state["method"]["name"] != method:
            raise EobenchError(
                f"{checkpoint}: checkpoint of method {state['method']['name']!r}, not {method!r}"
            )
        expected = [f"{state['inputs']['modality']}:{b}" for b in state["inputs"]["bands"]]
        if list(channels) != expected:
            raise EobenchError(
                f"{checkpoint}: checkpoint was trained on inputs {expected}, but the run "
                f"feeds {list(channels)}"
            )
        if pretrained:
            self.model = backbone_from_checkpoint(state)
        else:
            self.model = build_architecture(state["architecture"], expected, str(checkpoint))
        if image_size % self.model.patch_size:
            raise TypeError(
                f"tiles of {image_size} px: not a multiple of patch size {self.model.patch_size}"
            )
        self.width = self.model.width
        self.weights = "pretrained" if pretrained else "random_init"

    def forward(self, x):
        return self.model(x)
