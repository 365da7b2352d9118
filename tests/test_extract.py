"""Streaming extraction: same table whatever the batch size, and one-line errors."""

import numpy as np
import pytest
from test_encoders import make_store

from eobench.aggregation import encode_batch
from eobench.embeddings import embedding_metadata, load_embeddings
from eobench.encoders import build_encoder
from eobench.encoders.extract import extract_embeddings
from eobench.errors import EobenchError

TRAIN_IDS = [f"s{i:03d}" for i in (0, 2, 3, 5, 7, 8, 9, 11)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("extract") / "cubes.zarr", n=12)


def extract(store, out, spec, aggregation="post", dim=32, **kwargs):
    options = {"train_ids": TRAIN_IDS, "batch_size": 32, "progress": False, **kwargs}
    extract_embeddings(store.path, out, spec, aggregation, dim, 42, **options)
    return load_embeddings(out, dim)


@pytest.mark.parametrize(
    ("spec", "aggregation"),
    [
        ({"type": "rcf", "kernel_size": 3}, "post"),
        ({"type": "pca", "size": 4}, "pre"),
        ({"type": "averaging"}, "none"),
        ({"type": "random"}, "post"),
        ({"type": "oracle"}, "pre"),
    ],
)
def test_small_batches_give_the_same_table(store, tmp_path, spec, aggregation):
    ids, streamed = extract(store, tmp_path / "a.parquet", spec, aggregation, batch_size=5)
    ids_whole, whole = extract(store, tmp_path / "b.parquet", spec, aggregation, batch_size=64)
    assert ids == ids_whole == store.sample_ids
    assert streamed.shape == (12, 32)
    np.testing.assert_array_equal(streamed, whole)

    # The same numbers as fitting on the training rows and encoding everything at once.
    encoder = build_encoder(spec, 32, 42)
    encoder.fit(store, np.array([int(i[1:]) for i in TRAIN_IDS]), aggregation)
    cubes = {name: store.read(name) for name in encoder.inputs}
    rows = np.arange(len(store))
    direct = encode_batch(encoder, cubes, rows, store.sample_ids, aggregation)
    np.testing.assert_allclose(streamed, direct, rtol=1e-5, atol=1e-6)


def test_metadata_records_what_produced_the_table(store, tmp_path):
    out = tmp_path / "rcf.parquet"
    extract(store, out, {"type": "rcf", "aggregations": ["pre"]}, "pre", device="cpu")
    meta = embedding_metadata(out)
    assert meta["encoder_spec"] == {"type": "rcf", "aggregations": ["pre"]}
    assert meta["encoder"]["encoder"] == "rcf"
    assert meta["encoder"]["device"] == "cpu"
    assert (meta["aggregation"], meta["embedding_dim"], meta["seed"]) == ("pre", 32, 42)
    assert meta["n_train"] == len(TRAIN_IDS)
    assert meta["code_version"].startswith("eobench ")
    assert "created" in meta


def test_writes_the_submission_csv(store, tmp_path):
    ids, values = extract(store, tmp_path / "oracle.csv", {"type": "oracle"}, "pre", dim=8)
    _, parquet = extract(store, tmp_path / "oracle.parquet", {"type": "oracle"}, "pre", dim=8)
    assert ids == store.sample_ids
    np.testing.assert_allclose(values, parquet, rtol=1e-6)


def test_pca_learns_from_training_ids_only(store, tmp_path):
    spec = {"type": "pca", "size": 4}
    _, some = extract(store, tmp_path / "a.parquet", spec, "post")
    _, other = extract(store, tmp_path / "b.parquet", spec, "post", train_ids=TRAIN_IDS[:6])
    assert not np.allclose(some, other)


@pytest.mark.parametrize(
    ("spec", "aggregation", "message"),
    [
        ({"type": "foo"}, "pre", r"config key encoders\.foo\.type: unknown encoder 'foo'"),
        ({"type": "rcf"}, "none", r"config key encoders\.rcf: encoder 'rcf' .*'none'"),
        ({"type": "rcf"}, "median", r"config key encoders\.rcf: unknown temporal aggregation"),
        ({"type": "rcf", "kernel_size": 0}, "pre", r"encoders\.rcf: rcf: kernel_size must be"),
        ({"type": "rcf", "width": 3}, "pre", r"encoders\.rcf: .*width"),
        ({"type": "rcf", "device": "tpu"}, "pre", r"encoders\.rcf: unknown device 'tpu'"),
        ({"type": "averaging", "band_groups": "x"}, "pre", r"encoders\.averaging: .*band_groups"),
    ],
)
def test_config_errors_name_the_key(store, tmp_path, spec, aggregation, message):
    out = tmp_path / "e.parquet"
    with pytest.raises(EobenchError, match=message):
        extract(store, out, spec, aggregation)
    assert list(tmp_path.iterdir()) == []


def test_store_errors(store, tmp_path):
    no_latents = make_store(tmp_path / "plain.zarr", n=4, latent_dim=0)
    out = tmp_path / "out" / "e.parquet"
    with pytest.raises(EobenchError, match=r"needs arrays \['latents'\]"):
        extract(no_latents, out, {"type": "oracle"}, "pre")
    with pytest.raises(EobenchError, match=r"1 training ids are not in the store .*'nope'"):
        extract(store, out, {"type": "pca"}, "pre", train_ids=["s000", "nope"])
    swapped = make_store(tmp_path / "swapped.zarr", n=4, bands={"s1": ["VH", "VV"]})
    message = r"encoder 'rcf' \(encoders\.rcf\) reads s1 band VV at position 0; the store has VH"
    with pytest.raises(EobenchError, match=message):
        extract(swapped, out, {"type": "rcf"}, "pre", train_ids=None)
    with pytest.raises(EobenchError, match="data store not found"):
        extract_embeddings(tmp_path / "missing.zarr", out, {"type": "random"}, "pre", 8, 0, None)
    assert not out.exists()


def test_non_finite_embeddings_are_rejected(tmp_path):
    def add_nan(cubes, latents):
        cubes["s1"][3, 1, 0, 0, 0] = np.nan

    store = make_store(tmp_path / "nan.zarr", n=6, edit=add_nan)
    out = tmp_path / "e.parquet"
    with pytest.raises(
        EobenchError, match=r"1 samples got non-finite embeddings \(first: 's003'\)"
    ):
        extract(store, out, {"type": "averaging"}, "pre", train_ids=None)
    assert not out.exists()


def test_a_teams_embeddings_file_is_scored_like_an_encoder(store, tmp_path):
    rng = np.random.default_rng(1)
    ids = [f"{i}.zarr.zip" for i in store.sample_ids[::-1]]  # any order, challenge suffix
    values = rng.normal(size=(len(ids), 5)).astype(np.float32)
    table = tmp_path / "team.csv"
    header = "id," + ",".join(str(j) for j in range(5))
    rows = [f"{i}," + ",".join(f"{v:.7g}" for v in row) for i, row in zip(ids, values, strict=True)]
    table.write_text("\n".join([header, *rows, "other_sample,1,2,3,4,5"]) + "\n")
    spec = {"type": "embeddings_file", "path": str(table)}
    out_ids, out = extract(store, tmp_path / "team.parquet", spec, "none", dim=8)
    expected = {i.removesuffix(".zarr.zip"): row for i, row in zip(ids, values, strict=True)}
    assert out_ids == list(store.sample_ids)  # the dataset's rows, not the file's extra one
    np.testing.assert_allclose(out[:, :5], [expected[i] for i in out_ids], rtol=1e-6)
    np.testing.assert_array_equal(out[:, 5:], 0)  # narrower tables are zero-padded


def test_a_teams_embeddings_file_must_cover_the_dataset(store, tmp_path):
    table = tmp_path / "short.csv"
    table.write_text("id,0\n" + "".join(f"{i},1.0\n" for i in store.sample_ids[1:]))
    with pytest.raises(EobenchError, match=r"short\.csv: 1 labelled ids have no embedding"):
        extract(store, tmp_path / "x.parquet", {"type": "embeddings_file", "path": str(table)})
    with pytest.raises(EobenchError, match=r"encoders\.embeddings_file: path"):
        extract(store, tmp_path / "x.parquet", {"type": "embeddings_file"})
