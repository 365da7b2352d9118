"""Benchmark: the batched probe engine against the plain per-split reference loop.

The cell of the NeuCo-Bench paper's Table 5 that took 7.98 s on a 16-core CPU: one task,
N = 1024, 20 epochs, K = 40 splits, 2,415 samples. Everything is measured in this one run
on this machine; the script prints times and ratios (target: at least 20x) and checks the
scores: the per-split schedule must equal the reference to float tolerance, the shared
schedule must give a mean score within two standard errors of the reference's.

    python benchmarks/probe_engine.py [--threads 2] [--samples 2415] [--splits 40]

Each time is the fastest of a few runs, since the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference_probe import reference_probe

from eobench.probes.linear import ProbeSettings, probe_task
from eobench.probes.runtime import planted_regression


def timed(repeats, function, *args, **kwargs):
    """Result and the fastest of ``repeats`` wall-clock times (the machine is shared)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return result, min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=2415)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--splits", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5, help="best of, batched engine")
    parser.add_argument("--reference-repeats", type=int, default=2, help="best of, reference")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = planted_regression(args.samples, args.dim)
    base = dict(k_splits=args.splits, epochs=args.epochs, device="cpu")
    shared_settings = ProbeSettings(minibatches="shared", **base)
    exact_settings = ProbeSettings(minibatches="per_split", **base)

    probe_task(x[:200], y[:200], "regr", ProbeSettings(k_splits=2, epochs=1), "warm-up")
    shared, t_shared = timed(args.repeats, probe_task, x, y, "regr", shared_settings, "task")
    exact, t_exact = timed(args.repeats, probe_task, x, y, "regr", exact_settings, "task")
    reference, t_reference = timed(
        args.reference_repeats, reference_probe, x, y, "regr", exact_settings, "task"
    )

    print(
        f"probe engine benchmark: n={args.samples}, N={args.dim}, K={args.splits}, "
        f"epochs={args.epochs}, threads={args.threads}, torch {torch.__version__}; "
        f"best of {args.repeats} (batched) and {args.reference_repeats} (reference) runs"
    )
    print(f"  per-split reference loop : {t_reference:8.2f} s")
    print(f"  batched, per_split order : {t_exact:8.2f} s  ({t_reference / t_exact:5.1f}x)")
    print(f"  batched, shared order    : {t_shared:8.2f} s  ({t_reference / t_shared:5.1f}x)")
    difference = np.abs(exact.scores - reference).max()
    print(f"  per_split vs reference   : max |score difference| = {difference:.2e}")
    standard_error = np.sqrt(
        shared.scores.var(ddof=1) / len(shared.scores) + reference.var(ddof=1) / len(reference)
    )
    gap = shared.scores.mean() - reference.mean()
    print(
        f"  shared vs reference      : mean R2 {shared.scores.mean():.4f} vs "
        f"{reference.mean():.4f}, gap {gap:+.4f} = {gap / standard_error:+.2f} standard errors"
    )
    ok = difference < 1e-4 and abs(gap) <= 2 * standard_error
    print(f"  scores check             : {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
