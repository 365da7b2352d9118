"""JT-TTT (TTT-MMR): the JT checkpoint adapted per random test batch by reconstruction."""

from eobench.adaptation.modes import Mode

MODE = Mode(
    "JT-TTT",
    "TTT-MMR: JT's encoder adapted on each random test batch by multimodal reconstruction",
    reconstruct=True,
    base="JT",
    batching="random",
)
