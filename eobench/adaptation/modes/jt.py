"""JT: finetuning plus a light decoder per modality; loss = task + mean reconstruction."""

from eobench.adaptation.modes import Mode

MODE = Mode(
    "JT",
    "finetuning with multimodal reconstruction: task loss + mean of the modality losses",
    reconstruct=True,
)
