"""Embedding tables that are the same up to float rounding are found by their fingerprints."""

import numpy as np
import pandas as pd
import pytest

from eobench.embeddings import (
    embedding_diagnostics,
    embedding_fingerprint,
    fingerprint_distance,
    identical_tables,
    table_diagnostics,
    table_fingerprint,
    write_embeddings,
)

IDS = [f"s{i:04d}" for i in range(300)]


@pytest.fixture
def table():
    return np.random.default_rng(0).normal(2.0, 3.0, size=(300, 64)).astype(np.float32)


def test_the_distance_estimates_the_rms_difference_of_the_standardised_tables(table):
    rng = np.random.default_rng(1)
    shifted = table + rng.normal(0, 0.3, size=table.shape)  # RMS 0.1 in standard units
    z = (table - table.mean()) / table.std()
    z_shifted = (shifted - shifted.mean()) / shifted.std()
    rms = np.sqrt(np.mean((z - z_shifted) ** 2))
    distance = fingerprint_distance(
        embedding_fingerprint(table, IDS), embedding_fingerprint(shifted, IDS)
    )
    # 32 projections: the estimate is within about 25 % of the truth at 95 %.
    assert distance == pytest.approx(rms, rel=0.35)


def test_tables_equal_up_to_1e_6_noise_are_identical_a_different_one_is_not(table):
    rng = np.random.default_rng(2)
    noisy = table + rng.normal(0, 1e-6, size=table.shape).astype(np.float32)
    # The probes standardise by one global mean and spread: an affine copy is the same.
    rescaled = (table * 3.0 + 1.0).astype(np.float32)
    different = rng.normal(2.0, 3.0, size=table.shape).astype(np.float32)
    fingerprints = {
        "averaging/pre": embedding_fingerprint(table, IDS),
        "averaging/post": embedding_fingerprint(noisy, IDS),
        "rcf/pre": embedding_fingerprint(different, IDS),
        "rcf/post": embedding_fingerprint(rescaled, IDS),
    }
    found = identical_tables(fingerprints, tolerance=1e-4).set_index("method")
    assert found.loc["averaging/post", "same_as"] == "averaging/pre"
    assert found.loc["averaging/post", "rms_difference"] < 1e-5
    assert pd.isna(found.loc["rcf/pre", "same_as"])
    assert found.loc["rcf/pre", "rms_difference"] > 0.5
    assert found.loc["rcf/post", "same_as"] == "averaging/pre"
    assert pd.isna(found.loc["averaging/pre", "same_as"])


def test_a_small_real_difference_is_not_identical(table):
    # One column in 64 shifted by 0.05 standard deviations: RMS 0.05 / 8 = 6e-3.
    changed = table.copy()
    changed[:, 0] += 0.05 * table.std()
    distance = fingerprint_distance(
        embedding_fingerprint(table, IDS), embedding_fingerprint(changed, IDS)
    )
    assert distance > 1e-3


def test_other_rows_or_shapes_are_never_identical(table):
    first = embedding_fingerprint(table, IDS)
    assert fingerprint_distance(first, embedding_fingerprint(table, IDS[::-1])) == np.inf
    assert fingerprint_distance(first, embedding_fingerprint(table[:, :32], IDS)) == np.inf


def test_parquet_tables_carry_their_fingerprint_and_csv_ones_get_it_computed(table, tmp_path):
    write_embeddings(tmp_path / "a.parquet", IDS, table, {"encoder": "x"})
    write_embeddings(tmp_path / "a.csv", IDS, table)
    stored = table_fingerprint(tmp_path / "a.parquet")
    assert stored["shape"] == [300, 64]
    assert fingerprint_distance(stored, table_fingerprint(tmp_path / "a.csv")) < 1e-6


def test_diagnostics_count_constant_and_zero_dimensions_and_duplicate_rows(tmp_path):
    rng = np.random.default_rng(3)
    values = rng.normal(size=(50, 12)).astype(np.float32)
    values[:, 3] = 7.0  # constant, not zero
    values[:, 8:] = 0.0  # zero padding
    values[10] = values[2]  # two samples share one embedding, a third shares it too
    values[20] = values[2]
    expected = {"constant_dims": 5, "zero_dims": 4, "duplicate_rows": 2}
    assert embedding_diagnostics(values) == expected
    write_embeddings(tmp_path / "a.parquet", IDS[:50], values, {})
    write_embeddings(tmp_path / "a.csv", IDS[:50], values)
    assert table_diagnostics(tmp_path / "a.parquet") == expected
    assert table_diagnostics(tmp_path / "a.csv") == expected
    assert embedding_diagnostics(rng.normal(size=(50, 12))) == {
        "constant_dims": 0,
        "zero_dims": 0,
        "duplicate_rows": 0,
    }
