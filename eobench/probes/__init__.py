"""Probes: models trained on frozen embeddings over K random train/test splits."""

from eobench.probes.linear import ProbeResult, ProbeSettings, probe_task
from eobench.probes.splits import Splits, make_splits, task_seed

__all__ = ["ProbeResult", "ProbeSettings", "Splits", "make_splits", "probe_task", "task_seed"]
