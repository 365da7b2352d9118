"""Input contracts: wrong bands, units and offsets are caught before the first batch."""

import numpy as np
import pytest
import zarr
from test_encoders import make_store

from eobench.data.bands import MODALITIES, S2L1C_BANDS
from eobench.data.store import CubeStore
from eobench.encoders import ENCODERS, build_encoder, load_builtin_encoders
from eobench.encoders.contract import unit_kind
from eobench.encoders.extract import extract_embeddings
from eobench.errors import EobenchError


def extract(store, tmp_path, spec=None, aggregation="pre"):
    out = tmp_path / "e.parquet"
    spec = spec or {"type": "rcf"}
    try:
        extract_embeddings(store.path, out, spec, aggregation, 16, 0, None, progress=False)
    finally:
        assert not out.exists() or out.stat().st_size > 0
    return out


def set_attrs(store, name, **attrs):
    zarr.open_group(store.path, mode="r+")[name].attrs.update(attrs)
    return CubeStore(store.path)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("dB (backscatter coefficient sigma0, 10 log10)", "dB"),
        ("digital number (top-of-atmosphere reflectance x 10000)", "DN"),
        ("DN", "DN"),
        ("reflectance", "reflectance"),
        ("surface reflectance in [0, 1]", "reflectance"),
        ("linear power (sigma0)", "linear power"),
        ("furlongs", "furlongs"),
    ],
)
def test_unit_kinds_are_read_from_the_units_text(text, kind):
    assert unit_kind(text) == kind


def test_a_consistent_store_passes(tmp_path):
    store = make_store(tmp_path / "ok.zarr", n=4)
    for name in ("s2l1c", "s2l2a", "s1"):
        store = set_attrs(store, name, units=MODALITIES[name].units, offset=0.0)
    assert extract(store, tmp_path).exists()


def test_swapped_s2_bands_are_named(tmp_path):
    bands = list(S2L1C_BANDS)
    bands[2], bands[3] = bands[3], bands[2]  # B03 <-> B04
    store = make_store(tmp_path / "swapped.zarr", n=4, bands={"s2l1c": bands})
    with pytest.raises(EobenchError) as error:
        extract(store, tmp_path)
    message = str(error.value)
    assert "encoder 'rcf' (encoders.rcf) reads s2l1c band B03 at position 2" in message
    assert "the store has B04 there" in message
    assert "\n" not in message


def test_a_missing_band_is_named(tmp_path):
    bands = [b if b != "B8A" else "B8B" for b in S2L1C_BANDS]
    store = make_store(tmp_path / "missing.zarr", n=4, bands={"s2l1c": bands})
    with pytest.raises(EobenchError, match=r"reads s2l1c band B8A; the store's s2l1c has no"):
        extract(store, tmp_path)


def reflectance(cubes, latents):
    for name in ("s2l1c", "s2l2a"):
        cubes[name] = cubes[name].astype(np.float32) / 10000.0


def test_reflectance_labelled_as_digital_numbers_is_caught(tmp_path):
    store = make_store(tmp_path / "refl.zarr", n=4, edit=reflectance)
    with pytest.raises(EobenchError) as error:
        extract(store, tmp_path)
    message = str(error.value)
    assert "reads s2l1c band B01 in digital numbers" in message
    assert "look like reflectance in [0, 1]" in message


def test_reflectance_units_attribute_is_caught(tmp_path):
    store = make_store(tmp_path / "refl_attr.zarr", n=4, edit=reflectance)
    store = set_attrs(store, "s2l1c", units="reflectance")
    with pytest.raises(
        EobenchError,
        match=r"reads s2l1c in DN; the store's s2l1c is in "
        r"reflectance \(units: 'reflectance'\)",
    ):
        extract(store, tmp_path)


def linear_power(cubes, latents):
    cubes["s1"] = (10.0 ** (cubes["s1"] / 10.0)).astype(np.float32)


def test_s1_in_linear_power_labelled_as_db_is_caught(tmp_path):
    store = make_store(tmp_path / "linear.zarr", n=4, edit=linear_power)
    with pytest.raises(EobenchError) as error:
        extract(store, tmp_path)
    message = str(error.value)
    assert "reads s1 band VV in dB" in message
    assert "100 % of the store's values are >= 0" in message


def test_s1_linear_units_attribute_is_caught(tmp_path):
    store = make_store(tmp_path / "linear_attr.zarr", n=4, edit=linear_power)
    store = set_attrs(store, "s1", units="linear power (sigma0)")
    with pytest.raises(EobenchError, match=r"reads s1 in dB; the store's s1 is in linear power"):
        extract(store, tmp_path)


def baseline_offset(cubes, latents):
    cubes["s2l1c"] = np.where(cubes["s2l1c"] > 0, cubes["s2l1c"] + 1000, 0).astype(np.uint16)


def test_the_baseline_offset_in_the_values_is_caught(tmp_path):
    store = make_store(tmp_path / "offset.zarr", n=4, edit=baseline_offset)
    with pytest.raises(EobenchError, match=r"reads s2l1c without the \+1000 offset; its band B10"):
        extract(store, tmp_path)


def test_the_baseline_offset_attribute_is_caught(tmp_path):
    store = set_attrs(make_store(tmp_path / "offset_attr.zarr", n=4), "s2l1c", offset=1000)
    with pytest.raises(EobenchError, match=r"with offset 0; the store's s2l1c has offset 1000"):
        extract(store, tmp_path)


def test_an_encoder_reading_nothing_ignores_the_images(tmp_path):
    store = make_store(tmp_path / "refl_random.zarr", n=4, edit=reflectance)
    assert extract(store, tmp_path, {"type": "random"}).exists()


#: Parameters that build an encoder without its weights (its random-init twin).
WITHOUT_WEIGHTS = {"presto": {"pretrained": False}, "galileo": {"pretrained": False}}


def test_every_encoder_declares_bands_the_store_defines():
    load_builtin_encoders()
    for name, cls in ENCODERS.items():
        if name == "embeddings_file":
            continue
        spec = {"type": name, **WITHOUT_WEIGHTS.get(name, {})}
        if name == "pretrained":
            continue  # one contract per weights entry: see the next test
        if name == "pretrained_checkpoint":
            continue  # its bands are its checkpoint's: tests/test_pretrain_checkpoint.py
        if name == "compressor":  # needs a trained checkpoint; its contract is its class's
            contract = cls.__new__(cls).contract()
        else:
            contract = build_encoder(spec, 16, 0).contract()
        for wanted in contract.arrays:
            assert wanted.array in cls.inputs, (name, wanted.array)
            assert set(wanted.bands) <= set(MODALITIES[wanted.array].bands), name
            assert wanted.units in ("DN", "dB"), (name, wanted.units)
        described = contract.describe()
        assert described["temporal"] in ("image", "time series")


def test_every_published_weights_entry_declares_store_bands_and_units():
    from eobench.encoders.weights import WEIGHTS

    for name, weights in WEIGHTS.items():
        for entry in weights.inputs:
            assert set(entry.bands) <= set(MODALITIES[entry.modality].bands), name
            assert unit_kind(entry.units) in ("DN", "dB"), (name, entry.units)
