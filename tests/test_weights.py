"""The weights registry is self-consistent and its digests match the shipped files."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from eobench.data.bands import MODALITIES
from eobench.encoders.reduction import RECIPES
from eobench.encoders.weights import CHECK_KINDS, LIBRARIES, WEIGHTS, get_weights
from eobench.errors import EobenchError

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_WEIGHTS = REPO_ROOT.parent / "shared" / "real" / "weights"
#: Folders of ../shared/real/weights holding each entry's files (its README).
SHARED_FOLDERS = {"presto": "presto", "galileo_nano": "galileo-nano"}

ENTRIES = sorted(WEIGHTS.values(), key=lambda entry: entry.name)
ids = [entry.name for entry in ENTRIES]


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_bands_exist_in_the_store_in_a_valid_order(entry):
    for source in entry.inputs:
        assert source.modality in MODALITIES
        store = MODALITIES[source.modality].bands
        assert set(source.bands) <= set(store)
        assert len(set(source.bands)) == len(source.bands)


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_normalisation_has_one_value_or_one_per_band(entry):
    for source in entry.inputs:
        norm = source.normalisation
        assert norm.kind in ("affine", "dataset", "upstream")
        if norm.kind == "affine":
            for values in (norm.shift, norm.scale):
                assert len(values) in (1, len(source.bands))
            assert all(value > 0 for value in norm.scale)
            assert norm.source


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_files_checksums_and_urls_are_well_formed(entry):
    assert [f.role for f in entry.files].count("checkpoint") == 1
    assert len({f.filename for f in entry.files}) == len(entry.files)
    for item in entry.files:
        assert item.check in CHECK_KINDS
        assert not (item.sha256 and item.sha256_prefix)
        if item.sha256:
            assert re.fullmatch(r"[0-9a-f]{64}", item.sha256)
        if item.sha256_prefix:
            assert re.fullmatch(r"[0-9a-f]{8}", item.sha256_prefix)
            # torchgeo convention: the prefix is the filename's suffix.
            assert Path(item.filename).stem.endswith("-" + item.sha256_prefix)
            assert item.url.endswith("/" + item.filename)
        assert item.url.startswith("https://")


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_architecture_width_and_recipe_agree(entry):
    arch = entry.architecture
    assert arch.library in LIBRARIES
    assert entry.recipe in RECIPES
    assert entry.encoder_type == ("pretrained" if arch.library != "eobench" else arch.model)
    # A width stated in the kwargs is the native width; channel counts match the bands.
    for key in ("embed_dim", "dim"):
        if key in arch.kwargs:
            assert arch.kwargs[key] == entry.native_width
    if "in_chans" in arch.kwargs:
        assert arch.kwargs["in_chans"] == entry.n_channels
    if "wavelengths" in arch.kwargs:
        assert len(arch.kwargs["wavelengths"]) == entry.n_channels
        assert list(arch.kwargs["wavelengths"]) == sorted(arch.kwargs["wavelengths"])
    if entry.crop_size is not None:
        assert entry.input_size is not None and entry.crop_size <= entry.input_size


def test_github_hosted_files_are_pinned_raw_urls():
    # Not in Git LFS upstream (the blobs are the files themselves): raw, not media, URLs.
    for name in ("presto", "galileo_nano"):
        for item in WEIGHTS[name].files:
            assert re.match(
                r"https://raw\.githubusercontent\.com/nasaharvest/\w+/[0-9a-f]{40}/", item.url
            )


def test_normalisation_applies_the_closed_form():
    entry = WEIGHTS["satlas_swinb_s2"].inputs[0]
    cube = np.random.default_rng(1).uniform(0, 12000, (2, len(entry.bands), 3, 3))
    scale = np.array(entry.normalisation.scale)[:, None, None]
    expected = np.clip(cube / scale, 0, 1)
    out = entry.normalisation.apply(cube, entry.modality, entry.bands)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    dofa = WEIGHTS["dofa_base"].inputs[0]
    stats = MODALITIES["s2l1c"]
    out = dofa.normalisation.apply(cube[:, :1].repeat(13, axis=1), "s2l1c", dofa.bands)
    expected = (cube[:, :1] - np.array(stats.mean)[:, None, None]) / np.array(stats.std)[
        :, None, None
    ]
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_unknown_weights_name_lists_the_known_ones():
    with pytest.raises(EobenchError, match=r"known: .*presto"):
        get_weights("prestoo", key="encoders.x.weights")


@pytest.mark.parametrize("name", sorted(SHARED_FOLDERS))
def test_digests_equal_the_shared_files(name):
    folder = SHARED_WEIGHTS / SHARED_FOLDERS[name]
    if not folder.is_dir():
        pytest.skip(f"{folder} absent (../shared/real from the repository root)")
    for item in WEIGHTS[name].files:
        digest = hashlib.sha256((folder / item.filename).read_bytes()).hexdigest()
        assert digest == item.sha256, item.filename
