"""Atomic outputs: all or nothing, with the permissions of a plain write."""

import os
import stat

import pytest

from eobench.io import atomic_path, write_text


@pytest.fixture
def group_readable_umask():
    previous = os.umask(0o022)
    yield 0o022
    os.umask(previous)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("the writer failed")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_previous_result(tmp_path):
    target = tmp_path / "table.csv"
    write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new")
        raise RuntimeError("the writer failed")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_files_get_the_mode_of_a_plain_write(tmp_path, group_readable_umask):
    write_text(tmp_path / "table.csv", "a,b\n")
    (tmp_path / "plain.csv").write_text("a,b\n")
    mode = stat.S_IMODE((tmp_path / "table.csv").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.csv").stat().st_mode) == 0o644


def test_folders_get_the_mode_of_a_plain_mkdir(tmp_path, group_readable_umask):
    with atomic_path(tmp_path / "store.zarr", directory=True) as tmp:
        (tmp / "zarr.json").write_text("{}")
    (tmp_path / "plain").mkdir()
    mode = stat.S_IMODE((tmp_path / "store.zarr").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o755
    assert (tmp_path / "store.zarr" / "zarr.json").read_text() == "{}"


def test_temporaries_of_a_killed_write_are_removed_by_the_next_write(tmp_path):
    from eobench.io import atomic_path

    target = tmp_path / "table.csv"
    # what SIGKILL leaves mid-write: the temporary, never moved onto the target
    (tmp_path / ".table.csv.tmp-abc123.csv").write_text("half")
    (tmp_path / ".table.csv.tmp-dir9").mkdir()
    (tmp_path / ".other.csv.tmp-x.csv").write_text("another output's")
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.csv.tmp-x.csv", "table.csv"]
