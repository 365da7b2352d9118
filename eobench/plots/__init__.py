"""Figures of the paper (matplotlib, Agg backend: no display needed)."""

import matplotlib

matplotlib.use("Agg")
