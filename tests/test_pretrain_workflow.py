"""The pretraining stage end to end on the tiny configuration (the shared ``tiny_run``):
checkpoints with metadata, curves, the ablation and retrieval tables, the curves figure,
the claims, and a checkpoint as an encoder of the NeuCo leaderboard."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

STEM = "results/pretraining/synth_tiny_mmearth"
METHODS = ["mae", "mpmae", "geomeld", "random_convnextv2"]


def test_every_selected_method_writes_a_checkpoint_with_its_metadata(tiny_run):
    workdir, _ = tiny_run
    for method in METHODS:
        state = torch.load(workdir / STEM / method / "seed42" / "checkpoint.pt", weights_only=True)
        assert state["method"]["name"] == method
        assert state["inputs"]["bands"][0] == "B01" and len(state["inputs"]["bands"]) == 12
        assert len(state["normalisation"]["mean"]) == 12
        assert state["seed"] == 42
        assert state["epochs"] == (0 if method.startswith("random") else 2)
    # the twin of an architecture is not pretrained further: no other method's folder
    assert not (workdir / STEM / "itc").exists()


def test_curves_and_the_curves_figure(tiny_run):
    workdir, _ = tiny_run
    curves = pd.read_csv(workdir / STEM / "curves.csv")
    assert set(curves["method"]) == set(METHODS)
    geomeld = curves[curves["method"] == "geomeld"]
    assert geomeld["epoch"].tolist() == [1, 2]
    # GeoMeld-FM's loss is the sum of its parts (weights 1): the terms are all there
    for term in ("train_sentinel2", "train_sentinel1", "train_jepa", "train_itc"):
        assert geomeld[term].notna().all()
    figure = workdir / "results/figures/synth_tiny_mmearth/pretraining/curves.png"
    assert figure.stat().st_size > 10_000


def test_ablation_and_retrieval_tables(tiny_run):
    workdir, _ = tiny_run
    tables = workdir / "results/tables/synth_tiny_mmearth/pretraining"
    ablation = pd.read_csv(tables / "ablation.csv")
    # ablation rows in order (those selected), then the references
    assert ablation["method"].tolist() == ["mpmae", "geomeld", "mae", "random_convnextv2"]
    assert ablation["row"].tolist()[:2] == ["MP-MAE", "MP-MAE + JEPA + ITC (full)"]
    assert {"biomass", "species", "mean (random)", "mean (geographic)"} <= set(ablation.columns)
    assert ablation["species"].between(0, 1).all()
    retrieval = pd.read_csv(tables / "retrieval.csv")
    assert retrieval["method"].tolist() == ["geomeld", "chance"]
    splits = pd.read_parquet(workdir / "results/splits/synth_tiny_mmearth/mmearth.parquet")
    n_test = int((splits["split"] == "test").sum())
    chance = retrieval.set_index("method").loc["chance"]
    assert chance["text-to-image R@1"] == pytest.approx(100 / n_test)
    assert chance["image-to-text R@5"] == pytest.approx(100 * min(1, 5 / n_test))
    for ext in ("md", "tex", "html"):
        assert (tables / f"ablation.{ext}").stat().st_size > 0


def test_a_checkpoint_embeds_the_neuco_cubes_through_extraction(tiny_run, tmp_path):
    """The tiny run's NeuCo tables keep their four encoders (the rerun counts depend on
    them); the default config's pt_* entries run this same path per checkpoint."""
    from eobench.encoders.extract import extract_embeddings

    workdir, _ = tiny_run
    out = tmp_path / "post.parquet"
    spec = {"type": "pretrained_checkpoint", "method": "geomeld",
            "checkpoint": str(workdir / STEM / "geomeld/seed42/checkpoint.pt")}  # fmt: skip
    extract_embeddings(
        workdir / "results/data/synth_tiny/cubes.zarr", out, spec, "post", 64, 42, None,
        device="cpu", progress=False, key="encoders.pt_geomeld",
    )  # fmt: skip
    table = pd.read_parquet(out)
    features = table.drop(columns="id").to_numpy()
    width = 16  # the tiny convnextv2
    assert features.shape == (240, 64)
    assert (features[:, width:] == 0).all() and features[:, :width].std() > 0


def test_the_pretraining_claims_join_the_claims_table(tiny_run):
    workdir, _ = tiny_run
    claims = pd.read_csv(workdir / "results/tables/synth_tiny/claims.csv")
    rows = claims[claims["source"].str.startswith(("GeoMeld", "MMEarth (MP-MAE)"))]
    assert len(rows) == 4
    status = dict(zip(rows["claim"], rows["status"], strict=True))
    mpmae = next(s for c, s in status.items() if c.startswith("Cross-modal"))
    assert mpmae in ("PASS", "FAIL")
    # the tiny run pretrains neither mpmae_jepa nor the unverified ITC
    assert next(s for c, s in status.items() if c.startswith("Adding JEPA")) == "NOT RUN"
    assert next(s for c, s in status.items() if c.startswith("Grounded")) == "NOT RUN"
