"""JT-TTT-Geo (TTT-MMR-Geo): as JT-TTT, on geographic batches of the test set."""

from eobench.adaptation.modes import Mode

MODE = Mode(
    "JT-TTT-Geo",
    "TTT-MMR-Geo: as TTT-MMR, on geographic batches (recursive lon/lat box splits)",
    reconstruct=True,
    base="JT",
    batching="geographic",
)
