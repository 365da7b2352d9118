"""LP: linear probing, the frozen backbone in eval mode and a trained head."""

from eobench.adaptation.modes import Mode

MODE = Mode("LP", "frozen backbone (eval mode), trained head", freeze_backbone=True)
