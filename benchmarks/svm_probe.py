"""Benchmark: the SVM probe against upstream's per-split polynomial-kernel fits.

One regression task of planted embeddings (``--samples``, 2,415 by default as the Table
5 cell, N = ``--dim``, K = ``--splits``) under NeuCo-Bench's sample SVM search
(configs/sample_config_svm.yaml, with ``--n-iter`` trials instead of its 50; ``--full-
search`` runs all 50). Times:

(a) the reference: for every trial of the probe's own trial list, one scikit-learn
    ``SVR(kernel="poly")`` per split on the raw embeddings and its test R^2, the fits
    upstream's ``BayesSearchCV`` does (it also scores every training part, left out here);
(b) ``eobench.probes.svm.svm_probe``: the same trials and splits from one Gram matrix per
    task, plus the Bayesian optimiser that chooses the trials.

It prints both times, their ratio (target: at least 5x), the ratio of the fitting work
alone (b without the optimiser, whose cost is the same upstream), and the largest
difference between the two sides' per-trial test R^2 and split scores (must be ~0).

    python benchmarks/svm_probe.py [--samples 2415] [--splits 40] [--n-iter 10]

Each time is the fastest of a few runs, since the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np
import sklearn
import skopt
from probe_engine import timed
from sklearn.metrics import r2_score
from sklearn.model_selection import ShuffleSplit
from sklearn.svm import SVR
from threadpoolctl import threadpool_limits

from eobench.probes.runtime import planted_regression
from eobench.probes.splits import make_splits
from eobench.probes.svm import SVMSearch, svm_probe

#: NeuCo-Bench's configs/sample_config_svm.yaml, probe_params (n_iter set by the flags).
SAMPLE_PROBE_PARAMS = {
    "C_start_end": [0.001, 1000],
    "epsilon_list": [0.01, 0.05, 0.1, 0.5],
    "kernel_degree_list": [2, 3],
    "kernel_gamma_start_end": [0.0001, 10],
    "kernel_coef0_start_end": [-1, 2],
    "opt_params": {
        "n_jobs": 1,
        "n_points": 1,
        "optimizer_kwargs": {"base_estimator": "RF", "n_initial_points": 5},
        "verbose": 1,
        "random_state": 42,
    },
}
SCORE_TOLERANCE = 1e-6


def reference_test_r2(x, y, trials: list[dict], k_splits: int) -> np.ndarray:
    """``[trials, K]`` test R^2 of one ``SVR(kernel="poly")`` per trial and split, fitted on
    the split's training rows in ``ShuffleSplit``'s order, as ``BayesSearchCV`` fits them."""
    splits = list(ShuffleSplit(n_splits=k_splits, test_size=0.1, random_state=42).split(x))
    r2 = np.empty((len(trials), k_splits))
    for t, params in enumerate(trials):
        for k, (train, test) in enumerate(splits):
            model = SVR(**params).fit(x[train], y[train])
            r2[t, k] = r2_score(y[test], model.predict(x[test]))
    return r2


def machine() -> str:
    load = ""
    if hasattr(os, "getloadavg"):  # other jobs on a shared machine slow both sides
        load = ", load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())
    return (
        f"{platform.machine()} {platform.processor() or platform.system()}, "
        f"{os.cpu_count()} CPUs{load}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"scikit-optimize {skopt.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads, both sides")
    parser.add_argument("--samples", type=int, default=2415)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--splits", type=int, default=40)
    parser.add_argument("--n-iter", type=int, default=10, help="trials of the search")
    parser.add_argument("--full-search", action="store_true", help="the sample config's 50")
    parser.add_argument("--repeats", type=int, default=3, help="best of, svm_probe")
    parser.add_argument("--reference-repeats", type=int, default=1, help="best of, reference")
    args = parser.parse_args()
    n_iter = 50 if args.full_search else args.n_iter
    params = {**SAMPLE_PROBE_PARAMS, "opt_params": {**SAMPLE_PROBE_PARAMS["opt_params"]}}
    params["opt_params"]["n_iter"] = n_iter
    search = SVMSearch.from_probe_params(params)
    x, y = planted_regression(args.samples, args.dim)
    splits = make_splits(args.samples, args.splits)

    print(
        f"SVM probe benchmark: n={args.samples}, N={args.dim}, K={args.splits}, "
        f"{n_iter} trials (sample config's search), threads={args.threads}; best of "
        f"{args.repeats} (svm_probe) and {args.reference_repeats} (reference) runs"
    )
    print(f"machine: {machine()}")
    with threadpool_limits(args.threads):
        result, ours = timed(args.repeats, svm_probe, x, y, "regr", splits, search)
        trials = result.extra["trials"]
        reference, theirs = timed(
            args.reference_repeats, reference_test_r2, x, y, trials, args.splits
        )
    optimizer = result.extra["optimizer_seconds"]
    trial_gap = np.abs(result.test_history - reference).max()
    score_gap = np.abs(result.scores - reference.max(axis=0)).max()
    print(f"(a) reference, {len(trials) * args.splits} poly-kernel fits: {theirs:8.2f} s")
    print(f"(b) svm_probe, all of it:                     {ours:8.2f} s")
    print(f"    of which the Bayesian optimiser:          {optimizer:8.2f} s (same upstream)")
    print(f"ratio (a) / (b):                              {theirs / ours:8.1f}x (target >= 5x)")
    print(f"fitting work alone, (a) / (b - optimiser):    {theirs / (ours - optimizer):8.1f}x")
    print(f"upstream's cost (a + optimiser) / (b):        {(theirs + optimizer) / ours:8.1f}x")
    print(f"max |test R^2 difference| over trials x splits: {trial_gap:.1e}")
    print(f"max |split score difference|:                   {score_gap:.1e}")
    print(f"mean split score {result.scores.mean():.4f}")
    sys.exit(0 if max(trial_gap, score_gap) <= SCORE_TOLERANCE else 1)


if __name__ == "__main__":
    main()
