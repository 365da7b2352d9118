"""Random train/test splits and the seeds that drive probe training.

Test parts follow the NeuCo-Bench evaluator exactly: scikit-learn's
``ShuffleSplit(n_splits=K, test_size=0.1, random_state=42)`` over the task's samples.
Everything random inside a task (validation parts, initial weights, minibatch order) is
seeded from the run seed and the task *name*, so a task's scores do not depend on which
other tasks run (the reference evaluator draws from one stream across tasks).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np


def task_seed(run_seed: int, task_name: str) -> int:
    """A 63-bit seed derived from the run seed and the task name (stable across runs)."""
    digest = hashlib.sha256(f"{run_seed}:{task_name}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


_STREAMS = {"init": 0, "minibatches": 1}


def split_rng(seed: int, split: int, stream: str) -> np.random.Generator:
    """The generator of one split's ``stream`` ("init" weights or "minibatches" order).

    ``split = -1`` is the stream shared by all splits (shared minibatch schedule).
    """
    return np.random.default_rng([seed, split + 1, _STREAMS[stream]])


@dataclass
class Splits:
    """Membership of the n samples in the parts of K splits (boolean ``[K, n]``).

    ``fit`` trains the probe; ``validation`` (strict protocol only) picks the epoch;
    ``test`` scores it. ``fit`` and ``validation`` together form the training split.
    """

    fit: np.ndarray
    test: np.ndarray
    validation: np.ndarray | None = None

    @property
    def k(self) -> int:
        return self.fit.shape[0]

    def fit_indices(self, split: int) -> np.ndarray:
        return np.flatnonzero(self.fit[split])


def shuffle_split(
    n_samples: int, n_splits: int, test_size: float | int, random_state: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``list(ShuffleSplit(n_splits, test_size=test_size, random_state=random_state).split(X))``.

    scikit-learn's splits index for index, training indices in its order (tested against
    it): ``ceil(test_size x n)`` test samples (``test_size`` of them for an int), each split
    the head of one ``RandomState(random_state).permutation``. Written out because
    importing scikit-learn's model selection costs about 1.5 s, more than a task's linear
    probes, in every probe job and every ``eobench score``.
    """
    if isinstance(test_size, int | np.integer):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = math.ceil(test_size * n_samples)
    else:
        raise ValueError(f"test_size must lie in (0, 1) or be a count, got {test_size!r}")
    if not 0 < n_test < n_samples:
        raise ValueError(f"test_size {test_size} leaves no training sample of {n_samples}")
    rng = np.random.RandomState(random_state)
    splits = []
    for _ in range(n_splits):
        permutation = rng.permutation(n_samples)
        splits.append((permutation[n_test:], permutation[:n_test]))
    return splits


def make_splits(
    n_samples: int,
    k_splits: int,
    test_size: float = 0.1,
    split_seed: int = 42,
    validation_size: float | None = None,
    seed: int = 0,
) -> Splits:
    """K random splits of ``n_samples``.

    With ``validation_size`` the training part of every split is divided once more
    (``validation_size`` of it, drawn with ``seed`` and the split number) for epoch
    selection that never sees the test part.
    """
    fit = np.zeros((k_splits, n_samples), dtype=bool)
    test = np.zeros_like(fit)
    validation = np.zeros_like(fit) if validation_size else None
    for k, (train_idx, test_idx) in enumerate(
        shuffle_split(n_samples, k_splits, test_size, split_seed)
    ):
        test[k, test_idx] = True
        if validation is None:
            fit[k, train_idx] = True
            continue
        # train_test_split(train_idx, test_size=validation_size, random_state=...) draws
        # the first split of a ShuffleSplit over the training indices
        ((fit_pos, val_pos),) = shuffle_split(
            len(train_idx), 1, validation_size, (seed + 7919 * k) % 2**32
        )
        fit[k, train_idx[fit_pos]] = True
        validation[k, train_idx[val_pos]] = True
    return Splits(fit=fit, test=test, validation=validation)
