"""Runtime scaling of the evaluation (the paper's Table 5), measured on this machine.

Times one task of the batched probe engine over a grid of embedding sizes N, epochs and
numbers of splits K, on planted-regression embeddings of the configured sample count
(run time does not depend on what the embeddings contain). Times are wall-clock and
machine-dependent: the table records the machine and thread count beside them and is
the one output of the workflow that is not reproducible bit for bit.
"""

from __future__ import annotations

import itertools
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from eobench.probes.linear import ProbeSettings, probe_task, resolve_device


def planted_regression(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standardised Gaussian embeddings whose labels are linear in them plus noise,
    min-max scaled to [0, 1] like the evaluator's regression labels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    y = x @ rng.normal(size=dim) / np.sqrt(dim) + 0.5 * rng.normal(size=n)
    return x, (y - y.min()) / np.ptp(y)


def runtime_scaling(
    settings: ProbeSettings,
    n_samples: int,
    embedding_dims: Sequence[int],
    epochs: Sequence[int],
    k_splits: Sequence[int],
    repeats: int = 1,
) -> pd.DataFrame:
    """Seconds per task of the probe engine for every (N, epochs, K) of the grid.

    ``seconds_per_task`` is the fastest of ``repeats`` runs (the machines are shared);
    ``seconds_median``, ``seconds_min`` and ``seconds_max`` give their spread. A small
    warm-up run comes first so one-off start-up costs are not charged to a cell.
    """
    probe_task(*planted_regression(64, 8), "regr", replace(settings, k_splits=2, epochs=1), "w")
    rows = []
    inputs = {dim: planted_regression(n_samples, dim) for dim in embedding_dims}
    for dim, n_epochs, k in itertools.product(embedding_dims, epochs, k_splits):
        x, y = inputs[dim]
        cell = replace(settings, epochs=n_epochs, k_splits=k)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            probe_task(x, y, "regr", cell, "runtime")
            times.append(time.perf_counter() - start)
        rows.append(
            {
                "embedding_dim": dim,
                "epochs": n_epochs,
                "k_splits": k,
                "n_samples": n_samples,
                "seconds_per_task": min(times),
                "seconds_median": float(np.median(times)),
                "seconds_min": min(times),
                "seconds_max": max(times),
                "repeats": repeats,
            }
        )
    table = pd.DataFrame(rows)
    table["device"] = str(resolve_device(settings.device))
    table["threads"] = torch.get_num_threads()
    table["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs"
    return table
