"""MMEarth-Bench splits of a dataset, written once and read by every adaptation stage.

The geographic test split is every sample in Africa (``region == "Africa"`` in the samples
table). The other ``n`` samples are shuffled by ``numpy.random.default_rng(seed)
.permutation(n)`` (seed 42 by default) and cut, in permuted order, into ``round(0.7 n)``
training samples, ``round(0.15 n)`` validation samples and the rest as the random test
split (Python's ``round``: halves go to the even integer). The training subsets are
prefixes of the training samples in permuted order, so they are nested:
``train_100`` is every training sample, ``train_50`` the first ``round(0.5 n_train)`` and
``train_5`` the first ``max(1, round(0.1 n_50))`` of those (10 % of ``train_50``, 5 % of
the training split).

The official MMEarth-Bench code draws ``train_50`` and ``train_5`` by ``random.sample``
from the sorted ``train_100`` and ``train_50`` and floors the split sizes; here the issue's
rule (prefixes, ``round``) is followed: the same distribution of subsets.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from eobench.errors import EobenchError
from eobench.io import write_parquet

GEOGRAPHIC_REGION = "Africa"
DEFAULT_SEED = 42
#: Values of the ``split`` column.
SPLITS: tuple[str, ...] = ("train", "val", "test", "geographic_test")
#: Boolean columns of the nested training subsets, largest first.
SUBSETS: tuple[str, ...] = ("train_100", "train_50", "train_5")
#: The ``test_split`` of a result row -> the ``split`` it scores.
TEST_SPLITS: dict[str, str] = {"random": "test", "geographic": "geographic_test"}
COLUMNS: tuple[str, ...] = ("id", "row", "region", "lat", "lon", "split", *SUBSETS)
TRAIN_SHARE, VAL_SHARE, HALF_SHARE, TENTH_SHARE = 0.7, 0.15, 0.5, 0.1
#: Fewest samples of the validation and the random test split.
MIN_EVAL_SAMPLES = 2

log = logging.getLogger(__name__)


def assign_splits(
    samples: pd.DataFrame, *, seed: int = DEFAULT_SEED, dataset_key: str = "dataset"
) -> pd.DataFrame:
    """Split and training-subset columns of every sample (see the module docstring).

    Parameters
    ----------
    samples : DataFrame
        The dataset's samples table, with columns id, row, region, lat, lon.
    seed : int
        Seed of the permutation of the samples outside Africa.
    dataset_key : str
        Config key of the dataset (``datasets.<name>``), named in errors.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, one row per sample, in store-row order.

    Raises
    ------
    EobenchError
        No sample in Africa, an empty ``train_5``, or fewer than 2 validation or random
        test samples.
    """
    table = samples.loc[:, ["id", "row", "region", "lat", "lon"]].sort_values("row")
    table = table.reset_index(drop=True)
    african = (table["region"] == GEOGRAPHIC_REGION).to_numpy()
    if not african.any():
        raise EobenchError(
            f"{dataset_key}.n_samples: the dataset has no sample in {GEOGRAPHIC_REGION}, so the "
            "geographic test split is empty; use more samples or a family that covers Africa"
        )
    rest = np.flatnonzero(~african)
    order = rest[np.random.default_rng(seed).permutation(len(rest))]
    n_train = round(TRAIN_SHARE * len(rest))
    n_val = round(VAL_SHARE * len(rest))
    n_test = len(rest) - n_train - n_val
    n_50 = round(HALF_SHARE * n_train)
    n_5 = max(1, round(TENTH_SHARE * n_50)) if n_50 else 0
    if n_5 == 0:
        raise EobenchError(
            f"{dataset_key}.n_samples: {len(rest)} samples outside {GEOGRAPHIC_REGION} leave "
            f"{n_train} training samples, so the train_5 subset is empty; use more samples"
        )
    if min(n_val, n_test) < MIN_EVAL_SAMPLES:
        raise EobenchError(
            f"{dataset_key}.n_samples: {len(rest)} samples outside {GEOGRAPHIC_REGION} give "
            f"{n_val} validation and {n_test} random test samples (at least "
            f"{MIN_EVAL_SAMPLES} each); use more samples"
        )
    split = np.full(len(table), "geographic_test", dtype=object)
    split[order[:n_train]] = "train"
    split[order[n_train : n_train + n_val]] = "val"
    split[order[n_train + n_val :]] = "test"
    table["split"] = split.astype(str)
    for name, size in zip(SUBSETS, (n_train, n_50, n_5), strict=True):
        member = np.zeros(len(table), dtype=bool)
        member[order[:size]] = True
        table[name] = member
    return table


def write_splits(
    samples_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    seed: int = DEFAULT_SEED,
    dataset_key: str = "dataset",
) -> pd.DataFrame:
    """Read the samples table, assign the splits and write them as Parquet atomically.

    ``dataset_key`` (``datasets.<name>``) is the config key that errors name. Returns the
    table written (:data:`COLUMNS`).
    """
    samples = _read_table(samples_path, ("id", "row", "region", "lat", "lon"))
    splits = assign_splits(samples, seed=seed, dataset_key=dataset_key)
    counts = splits["split"].value_counts().to_dict()
    metadata = {
        "seed": seed,
        "geographic_region": GEOGRAPHIC_REGION,
        "counts": {name: int(counts.get(name, 0)) for name in SPLITS}
        | {name: int(splits[name].sum()) for name in SUBSETS},
    }
    write_parquet(out_path, splits, metadata=metadata)
    log.info("splits of %s: %s", dataset_key, metadata["counts"])
    return splits


def read_splits(path: str | os.PathLike) -> pd.DataFrame:
    """The splits table written by :func:`write_splits` (checked: columns, split names)."""
    splits = _read_table(path, COLUMNS)
    unknown = sorted(set(splits["split"]) - set(SPLITS))
    if unknown:
        raise EobenchError(f"{path}: unknown split {unknown[0]!r} (known: {list(SPLITS)})")
    return splits.loc[:, list(COLUMNS)]


def _read_table(path: str | os.PathLike, columns) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow raises both for missing or broken files
        raise EobenchError(f"{path}: not a readable Parquet table ({exc})") from exc
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise EobenchError(f"{path}: missing columns {missing}")
    return table


def subset_rows(splits: pd.DataFrame, subset: str) -> np.ndarray:
    """Sorted store rows of the training subset ``subset`` (:data:`SUBSETS`)."""
    if subset not in SUBSETS:
        raise EobenchError(f"unknown training subset {subset!r} (known: {list(SUBSETS)})")
    return _rows(splits, splits[subset].to_numpy(dtype=bool))


def split_rows(splits: pd.DataFrame, split: str) -> np.ndarray:
    """Sorted store rows of split ``split`` (:data:`SPLITS`)."""
    if split not in SPLITS:
        raise EobenchError(f"unknown split {split!r} (known: {list(SPLITS)})")
    return _rows(splits, (splits["split"] == split).to_numpy())


def rows_scored_as(splits: pd.DataFrame, test_split: str) -> np.ndarray:
    """Sorted store rows scored as ``test_split`` (``random`` or ``geographic``)."""
    if test_split not in TEST_SPLITS:
        raise EobenchError(f"unknown test split {test_split!r} (known: {list(TEST_SPLITS)})")
    return split_rows(splits, TEST_SPLITS[test_split])


def _rows(splits: pd.DataFrame, member: np.ndarray) -> np.ndarray:
    return np.sort(splits["row"].to_numpy(dtype=np.int64)[member])
