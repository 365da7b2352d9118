"""TTT batches: seeded random chunks and geographic groups against hand-worked boxes."""

import numpy as np
import pytest

from eobench.adaptation.geo_batches import (
    cut_index,
    geographic_batches,
    padded_box,
    random_batches,
)
from eobench.errors import EobenchError


def assert_partition(batches, n):
    joined = np.concatenate(batches)
    assert sorted(joined.tolist()) == list(range(n))


def test_random_batches_sizes_seeded_partition():
    batches = random_batches(35, seed=3)
    assert [len(b) for b in batches] == [8, 8, 8, 11]
    assert_partition(batches, 35)
    again = random_batches(35, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    other = random_batches(35, seed=4)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other, strict=True))
    # The permutation is numpy's seeded one, cut in order.
    expected = np.random.default_rng(3).permutation(35)
    assert np.array_equal(np.concatenate(batches), expected)


@pytest.mark.parametrize(
    ("n", "sizes"), [(5, [5]), (8, [8]), (15, [15]), (16, [8, 8]), (47, [8, 8, 8, 8, 15])]
)
def test_random_batches_last_absorbs_remainder(n, sizes):
    batches = random_batches(n, seed=0)
    assert [len(b) for b in batches] == sizes
    assert_partition(batches, n)


def test_no_samples_is_one_line_error():
    with pytest.raises(EobenchError, match="no samples"):
        random_batches(0, seed=0)
    with pytest.raises(EobenchError, match="no samples"):
        geographic_batches(np.array([]), np.array([]))


@pytest.mark.parametrize(("n", "cut"), [(16, 8), (24, 8), (32, 16), (40, 16), (43, 24), (19, 8)])
def test_cut_index(n, cut):
    # clamp(ceil(n / 8) // 2 * 8, 8, n - 8), worked by hand.
    assert cut_index(n) == cut


def test_sixteen_points_split_once_along_longer_side():
    rng = np.random.default_rng(0)
    # Wide box (lon 0..15, lat within 0..1): one cut along longitude into 8 + 8.
    lon = rng.permutation(16).astype(float)
    lat = rng.uniform(0, 1, 16)
    groups = geographic_batches(lon, lat)
    assert [sorted(lon[g].tolist()) for g in groups] == [list(range(8)), list(range(8, 16))]
    # Tall box: the cut is along latitude.
    groups = geographic_batches(lat, lon)
    assert [sorted(lon[g].tolist()) for g in groups] == [list(range(8)), list(range(8, 16))]


def test_forty_points_on_a_line():
    lon = np.arange(40.0)[::-1].copy()
    lat = np.zeros(40)
    groups = geographic_batches(lon, lat)
    # 40 -> 16 | 24; 16 -> 8 | 8; 24 -> 8 | 16; 16 -> 8 | 8: five groups of consecutive lons.
    expected = [list(range(8 * i, 8 * i + 8)) for i in range(5)]
    assert [sorted(lon[g].tolist()) for g in groups] == expected


def test_forty_three_points_remainder_in_last_group():
    lon, lat = np.arange(43.0), np.zeros(43)
    groups = geographic_batches(lon, lat)
    # 43 -> 24 | 19; 24 -> 8 | 16 -> 8 | 8; 19 -> 8 | 11.
    assert [g.tolist() for g in groups] == [
        list(range(0, 8)),
        list(range(8, 16)),
        list(range(16, 24)),
        list(range(24, 32)),
        list(range(32, 43)),
    ]


def test_square_box_cuts_latitude_and_ties_keep_input_order():
    # A 4 x 4 grid: equal extents, so the cut is along latitude (lon only if strictly
    # wider); the 8 lowest latitudes are two rows of 4 tied points, kept in input order.
    lon, lat = np.meshgrid(np.arange(4.0), np.arange(4.0))
    lon, lat = lon.ravel(), lat.ravel()
    groups = geographic_batches(lon, lat)
    assert [g.tolist() for g in groups] == [list(range(8)), list(range(8, 16))]


def test_padded_box():
    box = padded_box(np.array([0.0, 10.0]), np.array([-2.0, 2.0]))
    assert box == pytest.approx((-0.5, 10.5, -2.2, 2.2))


def test_children_inherit_the_padded_box():
    """The second cut is decided by the half box (padded edge to the cut line), not by the
    group's own points.

    32 points: 16 on a 4 x 4 grid (lon 0..0.9, lat 0..1.2) and 16 at lon 1.1..10. The root
    box, padded, is lon [-0.5, 10.5] x lat [-0.06, 1.26]: cut along lon between 0.9 and 1.1
    at 1.0. The lower half box is lon [-0.5, 1.0] (1.5 wide) x 1.32 tall: cut along lon
    again, although the grid's own box (0.9 x 1.2) is taller than wide.
    """
    grid_lon, grid_lat = np.meshgrid([0.0, 0.3, 0.6, 0.9], [0.0, 0.4, 0.8, 1.2])
    far_lon = np.linspace(1.1, 10.0, 16)
    lon = np.concatenate([grid_lon.ravel(), far_lon])
    lat = np.concatenate([grid_lat.ravel(), np.linspace(0.0, 1.2, 16)])
    groups = geographic_batches(lon, lat)
    assert len(groups) == 4
    assert sorted(lon[groups[0]].tolist()) == [0.0] * 4 + [0.3] * 4
    assert sorted(lon[groups[1]].tolist()) == [0.6] * 4 + [0.9] * 4
    assert_partition(groups, 32)


def test_random_points_partition_and_sizes():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-20, 50, 501), rng.uniform(-35, 35, 501)
    groups = geographic_batches(lon, lat)
    assert_partition(groups, 501)
    assert all(8 <= len(g) < 16 for g in groups)
