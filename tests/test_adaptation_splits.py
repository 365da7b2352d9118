"""MMEarth-Bench splits: hand-worked counts, nesting, determinism, files and errors."""

import numpy as np
import pandas as pd
import pytest

from eobench.adaptation.splits import (
    COLUMNS,
    assign_splits,
    read_splits,
    rows_scored_as,
    split_rows,
    subset_rows,
    write_splits,
)
from eobench.errors import EobenchError

AFRICAN_ROWS = (2, 7, 11, 19)


def samples_table(n_rest: int, african_rows=AFRICAN_ROWS) -> pd.DataFrame:
    """``n_rest`` samples outside Africa and the African ones at ``african_rows``."""
    n = n_rest + len(african_rows)
    region = np.where(np.isin(np.arange(n), african_rows), "Africa", "Europe")
    rows = np.arange(n)
    # stored out of row order, as a table may be: the splits come back in row order
    return pd.DataFrame(
        {
            "id": [f"s{i:03d}" for i in rows],
            "row": rows,
            "region": region,
            "lat": np.linspace(-30, 60, n),
            "lon": np.linspace(-10, 40, n),
            "task_group": "mmearth",
        }
    ).iloc[::-1]


def test_hand_worked_example_of_twenty_samples_four_in_africa():
    splits = assign_splits(samples_table(16), seed=42)
    assert list(splits.columns) == list(COLUMNS)
    assert splits["row"].tolist() == list(range(20))
    # 16 outside Africa: round(11.2) = 11 train, round(2.4) = 2 val, 3 test;
    # train_50 = round(5.5) = 6 (halves to even), train_5 = max(1, round(0.6)) = 1
    counts = splits["split"].value_counts().to_dict()
    assert counts == {"train": 11, "val": 2, "test": 3, "geographic_test": 4}
    assert [int(splits[s].sum()) for s in ("train_100", "train_50", "train_5")] == [11, 6, 1]
    african = splits["region"] == "Africa"
    assert (splits.loc[african, "split"] == "geographic_test").all()
    assert (splits.loc[~african, "split"] != "geographic_test").all()
    assert splits.loc[african, "row"].tolist() == list(AFRICAN_ROWS)
    # the samples outside Africa in row order, permuted by default_rng(42), cut in order
    rest = np.setdiff1d(np.arange(20), AFRICAN_ROWS)
    order = rest[np.random.default_rng(42).permutation(16)]
    assert set(np.flatnonzero(splits["split"] == "train")) == set(order[:11])
    assert set(np.flatnonzero(splits["split"] == "val")) == set(order[11:13])
    assert set(np.flatnonzero(splits["split"] == "test")) == set(order[13:])
    assert set(np.flatnonzero(splits["train_50"])) == set(order[:6])
    assert set(np.flatnonzero(splits["train_5"])) == {order[0]}


@pytest.mark.parametrize(
    "n_rest, expected",
    [
        # n: train round(0.7 n), val round(0.15 n), test rest, train_50, train_5
        (13, (9, 2, 2, 4, 1)),  # 9.1, 1.95; round(4.5) = 4; round(0.4) = 0 -> at least 1
        (57, (40, 9, 8, 20, 2)),  # 39.9, 8.55; 20; 2
        (100, (70, 15, 15, 35, 4)),  # 35; round(3.5) = 4
        (1000, (700, 150, 150, 350, 35)),
    ],
)
def test_counts_follow_the_rounding_rule(n_rest, expected):
    splits = assign_splits(samples_table(n_rest, african_rows=(0,)))
    counts = splits["split"].value_counts()
    sizes = [int(splits[s].sum()) for s in ("train_100", "train_50", "train_5")]
    assert (counts["train"], counts["val"], counts["test"], *sizes[1:]) == expected
    assert sizes[0] == counts["train"]


def test_subsets_are_nested_and_train_100_is_the_training_split():
    splits = assign_splits(samples_table(200), seed=7)
    train_100, train_50, train_5 = (
        splits[s].to_numpy() for s in ("train_100", "train_50", "train_5")
    )
    assert (train_100 == (splits["split"] == "train")).all()
    assert not (train_50 & ~train_100).any() and not (train_5 & ~train_50).any()
    assert 0 < train_5.sum() < train_50.sum() < train_100.sum()


def test_same_seed_same_splits_another_seed_others():
    table = samples_table(40)
    a, b = assign_splits(table, seed=42), assign_splits(table, seed=42)
    pd.testing.assert_frame_equal(a, b)
    other = assign_splits(table, seed=43)
    assert not other["split"].equals(a["split"])
    # the geographic test does not depend on the seed
    assert (other["split"] == "geographic_test").equals(a["split"] == "geographic_test")


def test_written_splits_read_back_and_give_the_rows_of_each_split(tmp_path):
    samples_path, out = tmp_path / "samples.parquet", tmp_path / "splits" / "mmearth.parquet"
    samples_table(36).to_parquet(samples_path)
    written = write_splits(samples_path, out, seed=42, dataset_key="datasets.tiny")
    splits = read_splits(out)
    pd.testing.assert_frame_equal(splits, written)
    pd.testing.assert_frame_equal(splits, assign_splits(pd.read_parquet(samples_path)))
    np.testing.assert_array_equal(rows_scored_as(splits, "geographic"), AFRICAN_ROWS)
    random_test = split_rows(splits, "test")
    np.testing.assert_array_equal(rows_scored_as(splits, "random"), random_test)
    every = np.concatenate([split_rows(splits, s) for s in ("train", "val", "test")])
    assert sorted([*every, *AFRICAN_ROWS]) == list(range(40))
    rows = subset_rows(splits, "train_50")
    assert (np.diff(rows) > 0).all()  # sorted, as CubeStore.read wants them
    np.testing.assert_array_equal(rows, np.flatnonzero(splits["train_50"]))


def test_a_dataset_without_african_samples_names_the_config_key():
    with pytest.raises(EobenchError) as error:
        assign_splits(samples_table(30, african_rows=()), dataset_key="datasets.tiny")
    message = str(error.value)
    assert message.startswith("datasets.tiny.n_samples: the dataset has no sample in Africa")
    assert "geographic test split is empty" in message and "\n" not in message


@pytest.mark.parametrize(
    "n_rest, words",
    [
        (1, "train_5 subset is empty"),  # round(0.7) = 1 train, round(0.5) = 0 in train_50
        (10, "2 validation and 1 random test"),  # 7 train, round(1.5) = 2 val, 1 test
        (4, "1 validation and 0 random test"),  # 3 train, round(0.6) = 1 val, 0 test
    ],
)
def test_too_few_samples_are_one_line_errors_naming_the_key(n_rest, words):
    with pytest.raises(EobenchError) as error:
        assign_splits(samples_table(n_rest, african_rows=(n_rest,)), dataset_key="datasets.x")
    message = str(error.value)
    assert message.startswith("datasets.x.n_samples: ") and words in message
    assert "\n" not in message


def test_broken_files_and_unknown_names_are_one_line_errors(tmp_path):
    with pytest.raises(EobenchError, match="not a readable Parquet"):
        read_splits(tmp_path / "absent.parquet")
    path = tmp_path / "bad.parquet"
    samples_table(20).drop(columns="region").to_parquet(path)
    with pytest.raises(EobenchError, match=r"missing columns \['region'\]"):
        write_splits(path, tmp_path / "out.parquet")
    splits = assign_splits(samples_table(20))
    splits.loc[0, "split"] = "holdout"
    splits.to_parquet(path)
    with pytest.raises(EobenchError, match="unknown split 'holdout'"):
        read_splits(path)
    with pytest.raises(EobenchError, match="unknown training subset 'train_10'"):
        subset_rows(splits, "train_10")
    with pytest.raises(EobenchError, match="unknown test split 'spatial'"):
        rows_scored_as(splits, "spatial")
