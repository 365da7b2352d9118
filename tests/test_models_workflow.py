"""Pretrained and trained encoders in the DAG: weights found or left out, the retrieval
rule, the compressor's training, rate-distortion and extraction rules."""

from __future__ import annotations

import hashlib
import re
import threading

import pandas as pd
import pytest
from conftest import TINY, copy_workflow, shared_real_dir, snakemake

from eobench.embeddings import embedding_metadata

WEIGHTS = shared_real_dir() / "weights"
NEEDS_WEIGHTS = pytest.mark.skipif(
    not (WEIGHTS / "presto" / "default_model.pt").exists(),
    reason=f"the shipped Presto and Galileo weights are not at {WEIGHTS} (a user's clone)",
)


@pytest.fixture
def workdir(tmp_path):
    return copy_workflow(tmp_path / "workflow")


def overlay(workdir, text: str, name: str = "overlay"):
    path = workdir / f"{name}.yaml"
    path.write_text(text)
    return str(path)


def test_encoders_without_weights_are_left_out_with_one_line(workdir):
    config = overlay(workdir, "weights: {local_dirs: [nowhere], download: false}\n")
    result = snakemake(workdir, "all_tables", "--dry-run", "--configfile", config)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if "left out" in line]
    adaptation = [line for line in lines if "adaptation.encoders" in line]
    lines = [line for line in lines if line not in adaptation]
    assert len(lines) == 2, lines
    # the adaptation suite's pretrained backbone too, in the same words
    assert len(adaptation) == 1, adaptation
    assert adaptation[0].startswith(
        "eobench: adaptation.encoders.galileo left out: weights 'galileo_nano' are in none"
    )
    assert lines[0].startswith("eobench: encoders.presto left out: weights 'presto' are in none")
    assert "set weights.download: true" in lines[0]
    assert "encoders.galileo left out: weights 'galileo_nano'" in lines[1]
    # (the adaptation suite's random-init twin galileo_random needs no weights and stays)
    assert not re.search(r"encoder=(presto|galileo)\b(?!_)", result.stdout)
    assert "encoder=rcf" in result.stdout


@pytest.mark.slow
@NEEDS_WEIGHTS
def test_local_weights_reach_the_cache_and_the_encoders(workdir):
    selected = "[averaging, presto, galileo]"
    config = overlay(workdir, f"weights: {{local_dirs: ['{WEIGHTS}']}}\n")
    targets = [
        "results/embeddings/synth_tiny/presto/none.parquet",
        "results/embeddings/synth_tiny/galileo/pre.parquet",
    ]
    result = snakemake(
        workdir, *targets, "--cores", "2", "--configfile", TINY, config,
        "--config", f"selected_encoders={selected}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    presto = (WEIGHTS / "presto" / "default_model.pt").read_bytes()
    sums = (workdir / "resources/weights/presto/SHA256SUMS").read_text()
    assert sums == f"{hashlib.sha256(presto).hexdigest()}  default_model.pt\n"
    cached = workdir / "resources/weights/presto/default_model.pt"
    assert cached.read_bytes() == presto
    for target, sha in [(targets[0], hashlib.sha256(presto).hexdigest()), (targets[1], None)]:
        metadata = embedding_metadata(workdir / target)
        contract = metadata["input_contract"]
        assert contract["arrays"]["s1"]["units"] == "dB"
        assert contract["arrays"]["s2l1c"]["offset"] == 0.0
        assert "B01" not in contract["arrays"]["s2l1c"]["bands"]  # neither model reads it
        if sha:
            assert sha in str(metadata["encoder"])
    # With the cache filled, no local folder is needed any more.
    elsewhere = overlay(workdir, "weights: {local_dirs: [nowhere]}\n", "elsewhere")
    result = snakemake(workdir, "all_tables", "--dry-run", "--configfile", TINY, elsewhere,
                       "--config", f"selected_encoders={selected}")  # fmt: skip
    assert result.returncode == 0 and "left out" not in result.stderr


@pytest.mark.slow
def test_the_compressor_trains_embeds_and_meets_jpeg2000(workdir):
    config = overlay(
        workdir,
        "selected_encoders: [averaging, random, compressor_l0025, compressor_l01, "
        "compressor_l05]\n"
        "compression:\n  training: {epochs: 1, intermediate_channels: 16, latent_channels: 8}\n"
        "  rate_distortion: {jpeg2000_levels: [40, 0]}\n",
    )
    targets = [
        "results/figures/synth_tiny/rate_distortion.png",
        "results/embeddings/synth_tiny/compressor_l01/post.parquet",
    ]
    result = snakemake(workdir, *targets, "--cores", "2", "--configfile", TINY, config)
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(workdir / "results/ablations/synth_tiny/rate_distortion.csv")
    assert sorted(table["codec"].unique()) == ["JPEG2000", "compressor"]
    assert len(table) == 3 + 2
    lossless = table[(table["codec"] == "JPEG2000") & (table["parameter"] == 0)]
    assert lossless["mse"].item() == 0
    metadata = embedding_metadata(workdir / targets[1])
    assert metadata["encoder"]["lambda"] == pytest.approx(0.1)
    assert (workdir / "results/compressor/synth_tiny/lambda0.1_curve.csv").exists()
    # The lambdas reach the claims; a changed training setting retrains every lambda.
    changed = overlay(workdir, "compression:\n  training: {epochs: 2}\n", "changed")
    result = snakemake(workdir, *targets, "--dry-run", "--configfile", TINY, config, changed)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("rule train_compressor:") == 3


@pytest.mark.slow
@NEEDS_WEIGHTS
def test_the_retrieval_rule_downloads_from_a_loopback_mirror_and_resumes(workdir):
    from test_retrieval import FileServer

    server = FileServer()
    from eobench.encoders.weights import WEIGHTS as REGISTRY

    names = [entry.filename for entry in REGISTRY["galileo_nano"].files]
    files = {f"galileo_nano/{n}": (WEIGHTS / "galileo-nano" / n).read_bytes() for n in names}
    server.files.update(files)
    server.drop_after = 1_000_000  # the first file breaks off: the rule retries with a Range
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        config = overlay(
            workdir,
            f"weights: {{local_dirs: [], download: true, mirror: '{server.url('')}'}}\n",
        )
        target = "resources/weights/galileo_nano/SHA256SUMS"
        result = snakemake(workdir, target, "--cores", "1", "--configfile", TINY, config)
        assert result.returncode == 0, result.stderr[-3000:]
        assert any(r and r.startswith("bytes=1000000-") for r in server.ranges), server.ranges
        for name, body in files.items():
            assert (workdir / "resources/weights" / name).read_bytes() == body
        sums = (workdir / target).read_text()
        assert len(sums.splitlines()) == 3
        # A mirror serving a wrong file: one line naming the file and both digests.
        server.files["galileo_nano/config.json"] = b"{}"
        (workdir / target).unlink()
        (workdir / "resources/weights/galileo_nano/config.json").unlink()
        result = snakemake(workdir, target, "--cores", "1", "--configfile", TINY, config)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "sha256" in output and "config.json" in output, output[-3000:]
        assert "Traceback" not in output
    finally:
        server.shutdown()
        server.server_close()
