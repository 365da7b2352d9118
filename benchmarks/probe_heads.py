"""Benchmark: the batched MLP and kNN probes against plain per-split reference loops.

The Table-5 cell of probe_engine.py (one task, N = 1024, 20 epochs, K = 40 splits, 2,415
samples, batch 64, AdamW lr 1e-3, weight decay 0.01) for the other probe heads:

- MLPs with one and with two hidden ReLU layers (``--hidden``, default 256 and 256,256):
  one ``nn.Sequential`` per split with autograd and ``torch.optim.AdamW``
  (tests/reference_probe.py::reference_mlp, same splits, initial weights and minibatch
  order as the ``per_split`` schedule) against the batched engine's ``per_split`` and
  ``shared`` schedules;
- kNN (``--neighbors``, cosine similarity): scikit-learn's ``KNeighborsRegressor`` per
  split (brute force) against the batched kNN probe.

Everything is measured in this one run on this machine; the script prints times and
ratios (target: at least 20x on a GPU) and checks the scores. On a CPU, where batched
and looped runs do the same multiply-adds, the target is the machine's own matrix-
multiply rate: the script times plain float32 batched GEMMs of the MLP's step shapes and
prints the batched MLP's achieved rate as a fraction of it (target: at least 50 %).
``per_split`` repeats the reference's arithmetic: its float32 scores are printed as the
largest difference from the reference, and on ``--exact-splits`` splits both run again
in float64, where they must agree to 1e-9 (training amplifies float32 rounding, the more
so the deeper the network). The ``shared`` schedule must give mean scores within two
standard errors of ``per_split``'s over ``--seeds`` seeds (split scores as in
probe_engine.py, pooled over the seeds). kNN must equal scikit-learn to 1e-6. It also
prints the arithmetic each side must do (MLP multiply-adds, kNN similarities): their
ratio bounds the speed-up wherever arithmetic rather than per-step overhead sets the
time, as on a CPU.

    python benchmarks/probe_heads.py [--threads 2] [--hidden 256 256,256] [--neighbors 20]

Each time is the fastest of a few runs, since the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from probe_engine import timed
from reference_probe import reference_knn, reference_mlp

from eobench.probes.knn import knn_probe
from eobench.probes.linear import (
    ProbeSettings,
    _BatchedProbes,
    epoch_permutations,
    probe_task,
    task_splits,
)
from eobench.probes.mlp import MLPHead, parameter_count
from eobench.probes.runtime import planted_regression
from eobench.probes.splits import Splits, task_seed

TASK = "task"


def batched_float64(x, y, settings: ProbeSettings, splits: Splits) -> np.ndarray:
    """Scores of the batched ``per_split`` schedule run in float64 on ``splits`` (CPU).

    ``probe_task`` always trains in float32, so this builds the engine itself.
    """
    seed = task_seed(settings.seed, TASK)
    init = MLPHead.initial(seed, splits.k, x.shape[1], settings.hidden_layers, "cpu")
    head = MLPHead([(w.double(), b.double()) for w, b in init.layers])
    x64, y64 = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    engine = _BatchedProbes(x64, y64, "regr", splits, settings, head)
    order = epoch_permutations(seed, splits, settings.epochs)
    return engine.run(engine.per_split_schedule(order)).scores


def mlp_multiply_adds(dim: int, hidden: tuple[int, ...], trained: int, scored: int) -> int:
    """Multiply-adds of one network over ``trained`` training rows and ``scored`` scored
    rows: forward, weight gradients, and input gradients of every layer but the first."""
    widths = [dim, *hidden, 1]
    forward = sum(a * b for a, b in itertools.pairwise(widths))
    backward = 2 * forward - dim * widths[1]
    return trained * (forward + backward) + scored * forward


def gemm_rate(k: int, batch: int, widths: list[int], repeats: int, steps: int = 30) -> float:
    """Multiply-adds per second of plain float32 GEMMs of one MLP training step.

    The shapes of the batched engine's per-split step for K probes: forward ``[K, B, a] x
    [K, a, b]`` for every layer, weight gradients ``[K, a, B] x [K, B, b]``, and input
    gradients ``[K, B, b] x [K, b, a]`` of every layer but the first, with nothing else in
    between, and the first layer as one ``[B, a] x [a, K b]`` product: the faster of the
    two is the machine's own ceiling for this arithmetic.
    """
    generator = torch.Generator().manual_seed(0)
    layers = list(itertools.pairwise(widths))
    inputs = [torch.randn(k, batch, a, generator=generator) for a, _ in layers]
    weights = [torch.randn(k, a, b, generator=generator) for a, b in layers]
    grads = [torch.randn(k, batch, b, generator=generator) for _, b in layers]
    # Contiguous transposes: the fastest layout of each product, so the rate is a ceiling.
    inputs_t = [x.transpose(1, 2).contiguous() for x in inputs]
    weights_t = [w.transpose(1, 2).contiguous() for w in weights]

    def step():
        for i, (x, w, g) in enumerate(zip(inputs, weights, grads, strict=True)):
            torch.bmm(x, w)
            torch.bmm(inputs_t[i], g)
            if i > 0:
                torch.bmm(g, weights_t[i])

    def run():
        for _ in range(steps):
            step()

    _, seconds = timed(repeats, run)
    forward = sum(a * b for a, b in layers)
    per_step = k * batch * (2 * forward + forward - widths[0] * widths[1])
    # The same first layer as one product over all K probes, [B, a] x [a, K b], the way
    # the shared schedule computes it: larger matrices run nearer the machine's peak.
    a, b = layers[0]
    x, w = torch.randn(batch, a, generator=generator), torch.randn(a, k * b, generator=generator)
    xt, g = x.T.contiguous(), torch.randn(batch, k * b, generator=generator)

    def run_flat():
        for _ in range(steps):
            torch.mm(x, w)
            torch.mm(xt, g)

    _, flat_seconds = timed(repeats, run_flat)
    flat_rate = steps * 2 * batch * a * k * b / flat_seconds
    return max(steps * per_step / seconds, flat_rate)


def gap_in_standard_errors(ours: list[np.ndarray], theirs: list[np.ndarray]):
    """Mean score gap and its size in standard errors, pooled over seeds.

    Within a seed the standard error is probe_engine.py's (split scores as independent
    samples); the mean gap over S seeds has the root sum of their squares over S.
    """
    gaps = np.array([a.mean() - b.mean() for a, b in zip(ours, theirs, strict=True)])
    variances = np.array(
        [a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b) for a, b in zip(ours, theirs, strict=True)]
    )
    standard_error = np.sqrt(variances.sum()) / len(gaps)
    return gaps.mean(), gaps.mean() / standard_error, gaps / np.sqrt(variances)


def benchmark_mlp(args, x, y, hidden: tuple[int, ...]) -> bool:
    base = ProbeSettings(
        k_splits=args.splits, epochs=args.epochs, device=args.device, hidden_layers=hidden
    )
    exact_settings = replace(base, minibatches="per_split")
    shared_settings = replace(base, minibatches="shared")
    warm = replace(exact_settings, k_splits=2, epochs=1)
    probe_task(x[:200], y[:200], "regr", warm, "warm-up")
    shared, t_shared = timed(args.repeats, probe_task, x, y, "regr", shared_settings, TASK)
    exact, t_exact = timed(args.repeats, probe_task, x, y, "regr", exact_settings, TASK)
    reference, t_reference = timed(
        args.reference_repeats,
        reference_mlp,
        x,
        y,
        "regr",
        exact_settings,
        TASK,
        device=args.device,
    )
    difference = np.abs(exact.scores - reference).max()

    # Exactness without float32 rounding, on the first few splits.
    splits = task_splits(exact_settings, len(y), TASK)
    few = Splits(fit=splits.fit[: args.exact_splits], test=splits.test[: args.exact_splits])
    ours64 = batched_float64(x, y, exact_settings, few)
    reference64 = reference_mlp(x, y, "regr", exact_settings, TASK, few, dtype=torch.float64)
    difference64 = np.abs(ours64 - reference64).max()

    # The shared schedule against per_split (equal to the reference) over several seeds.
    shared_scores, exact_scores = [shared.scores], [exact.scores]
    for seed in range(1, args.seeds):
        for settings, scores in ((shared_settings, shared_scores), (exact_settings, exact_scores)):
            seeded = replace(settings, seed=seed, split_seed=seed)
            scores.append(probe_task(x, y, "regr", seeded, TASK).scores)
    gap, gap_se, per_seed = gap_in_standard_errors(shared_scores, exact_scores)

    # What each run must compute: the ratio a compute-bound device cannot beat.
    n_fit, n_test = int(splits.fit[0].sum()), int(splits.test[0].sum())
    per_split = args.epochs * mlp_multiply_adds(args.dim, hidden, n_fit, n_test)
    shared_work = args.epochs * mlp_multiply_adds(args.dim, hidden, len(y), n_test)

    # The batched engine's rate against the machine's own GEMM rate at the same shapes.
    ceiling = gemm_rate(args.splits, 64, [args.dim, *hidden, 1], args.repeats)
    rate_exact = args.splits * per_split / t_exact
    rate_shared = args.splits * shared_work / t_shared

    n_parameters = parameter_count(args.dim, hidden)
    widths = ",".join(map(str, hidden))
    print(
        f"MLP {widths} ({len(hidden)} hidden layer{'s' * (len(hidden) > 1)}): "
        f"{n_parameters:,} parameters per probe, {n_parameters / (args.dim + 1):.0f}x the "
        f"linear probe's {args.dim + 1:,}"
    )
    print(
        f"  multiply-adds per split  : reference and per_split {per_split / 1e9:.2f} G, shared "
        f"{shared_work / 1e9:.2f} G (it trains on every row, masked): arithmetic ratio "
        f"1.00x and {per_split / shared_work:.2f}x"
    )
    print(
        f"  plain float32 GEMMs      : {ceiling / 1e9:8.2f} G multiply-adds/s (this machine, "
        f"the MLP's step shapes)"
    )
    print(
        f"  batched, achieved rate   : per_split {rate_exact / 1e9:.2f} G/s = "
        f"{rate_exact / ceiling:.0%}, shared {rate_shared / 1e9:.2f} G/s = "
        f"{rate_shared / ceiling:.0%} of the GEMM rate (target >= 50 %)"
    )
    print(f"  per-split reference loop : {t_reference:8.2f} s")
    print(f"  batched, per_split order : {t_exact:8.2f} s  ({t_reference / t_exact:5.1f}x)")
    print(f"  batched, shared order    : {t_shared:8.2f} s  ({t_reference / t_shared:5.1f}x)")
    print(f"  per_split vs reference   : max |score difference| = {difference:.2e} (float32)")
    print(
        f"                             max |score difference| = {difference64:.2e} "
        f"(float64, {args.exact_splits} splits)"
    )
    seeds = ", ".join(f"{s:+.2f}" for s in per_seed)
    print(
        f"  shared vs per_split      : mean R2 gap {gap:+.4f} = {gap_se:+.2f} standard errors "
        f"over {args.seeds} seeds ({seeds})"
    )
    ok = difference64 < 1e-9 and abs(gap_se) <= 2
    print(f"  scores check             : {'PASS' if ok else 'FAIL'}")
    fast = min(rate_exact, rate_shared) >= 0.5 * ceiling
    print(f"  GEMM-rate check          : {'PASS' if fast else 'FAIL'}")
    return ok and fast


def benchmark_knn(args, x, y) -> bool:
    ok = True
    splits = task_splits(ProbeSettings(k_splits=args.splits), len(y), TASK)
    print(f"kNN, k={args.neighbors}, cosine similarity: no trained parameters")
    # The similarities each must compute: their ratio bounds the gain where they dominate.
    n = len(y)
    reference_pairs = int((splits.test.sum(1) * splits.fit.sum(1)).sum())
    print(
        f"  similarities             : reference K x test x train = {reference_pairs:,}, "
        f"batched n x n = {n * n:,}: arithmetic ratio {reference_pairs / (n * n):.2f}x"
    )
    classes = (y > np.median(y)).astype(float)
    for task_type, labels in (("regr", y), ("cls", classes)):
        ours, t_ours = timed(
            args.repeats, knn_probe, x, labels, task_type, splits, args.neighbors, args.device
        )
        reference, t_reference = timed(
            args.repeats, reference_knn, x, labels, task_type, splits, args.neighbors
        )
        difference = np.abs(ours.scores - reference).max()
        print(f"  {task_type + ', sklearn per split':24s} : {t_reference:8.2f} s")
        print(
            f"  {task_type + ', batched':24s} : {t_ours:8.2f} s  ({t_reference / t_ours:5.1f}x), "
            f"max |score difference| = {difference:.2e}"
        )
        ok &= difference < 1e-6
    print(f"  scores check             : {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=2415)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--splits", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument(
        "--hidden",
        nargs="+",
        default=["256", "256,256"],
        help="hidden-layer widths of each MLP, e.g. 256 256,256",
    )
    parser.add_argument("--neighbors", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="best of, batched engine")
    parser.add_argument("--reference-repeats", type=int, default=1, help="best of, reference")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the shared-order check")
    parser.add_argument("--exact-splits", type=int, default=2, help="splits run in float64")
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda (kNN reference and float64 checks: cpu)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = planted_regression(args.samples, args.dim)

    print(
        f"probe heads benchmark: n={args.samples}, N={args.dim}, K={args.splits}, "
        f"epochs={args.epochs}, threads={args.threads}, device={args.device}, "
        f"torch {torch.__version__}; best of {args.repeats} (batched) and "
        f"{args.reference_repeats} (MLP reference) runs"
    )
    ok = True
    # scikit-learn's BLAS gets the same number of threads as torch.
    with threadpool_limits(args.threads):
        for widths in args.hidden:
            ok &= benchmark_mlp(args, x, y, tuple(int(w) for w in widths.split(",")))
        ok &= benchmark_knn(args, x, y)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
