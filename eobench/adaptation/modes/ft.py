"""FT: full finetuning of backbone and head on the task loss."""

from eobench.adaptation.modes import Mode

MODE = Mode("FT", "backbone and head finetuned on the task loss")
