"""Benchmark: embedding extraction, samples per second and peak memory per encoder.

For every encoder and aggregation, extraction runs in a fresh Python process (so each
peak resident memory is its own) over two synthetic stores, ``--samples`` and
``--factor`` times as many. It prints a table of samples per second and peak memory,
the post/pre cost ratio of every encoder (the paper reports about 4x: post encodes each
of the four seasons) and, per encoder, the peak memory at the larger size over the
smaller (target: at most 1.2 for 8x the samples; memory must stay flat in the number of
samples, as extraction streams the store one batch at a time).

    python benchmarks/extraction.py [--samples 250] [--factor 8] [--size 32]
        [--encoders averaging rcf patch_transformer presto galileo compressor] [--threads 2]
        [--compressor results/compressor/synth/lambda0.1.pt]

Pretrained encoders read their weights from ``--weights`` (default ``../shared/real/
weights`` beside the checkout) and are skipped, with a line saying so, where absent.
Times are wall-clock on a shared machine: read the ratios, which one run measures
side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Encoder specs by name; ``{weights}`` is replaced by the weights folder.
SPECS = {
    "averaging": {"type": "averaging"},
    "rcf": {"type": "rcf", "kernel_size": 3},
    "pca": {"type": "pca"},
    "patch_transformer": {
        "type": "patch_transformer",
        "patch_size": 8,
        "width": 192,
        "depth": 4,
        "heads": 3,
    },
    "presto": {"type": "presto", "checkpoint": "{weights}/presto/default_model.pt"},
    "galileo": {
        "type": "galileo",
        "checkpoint": "{weights}/galileo-nano",
        "normalization": "{weights}/galileo-nano/normalization.json",
    },
    "compressor": {"type": "compressor", "checkpoint": "{compressor}"},
}
DEFAULT_ENCODERS = ["averaging", "rcf", "patch_transformer", "presto", "galileo", "compressor"]

#: Run in a fresh interpreter: extract once, print seconds and peak memory as JSON.
CHILD = """
import json, resource, sys, time
import pandas as pd, torch
torch.set_num_threads(int(sys.argv[5]))
from eobench.encoders.extract import extract_embeddings
store, samples, spec, aggregation = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
table = pd.read_parquet(samples).sort_values("row")
started = time.perf_counter()
extract_embeddings(store, sys.argv[6], spec, aggregation, 1024, 0, None, batch_size=32,
                   device="cpu", progress=False,
                   latlon=table[["lat", "lon"]].to_numpy(dtype="float64"))
seconds = time.perf_counter() - started
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))
"""


def build_store(folder: Path, n_samples: int, size: int) -> tuple[Path, Path]:
    """A synthetic store of ``n_samples`` tiles of ``size`` pixels (cached in ``folder``)."""
    from eobench.data.synth import build_synthetic_dataset

    cubes, samples = folder / f"n{n_samples}.zarr", folder / f"n{n_samples}.parquet"
    if not cubes.exists():
        build_synthetic_dataset(
            cubes, samples, folder / f"labels{n_samples}", n_samples=n_samples, size=size,
            seed=0, progress=False,
        )  # fmt: skip
    return cubes, samples


def measure(store, samples, spec, aggregation, threads, out) -> dict[str, float]:
    """Seconds and peak MiB of one extraction in a fresh process."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(threads)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), str(samples), json.dumps(spec), aggregation,
         str(threads), str(out)],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"{spec['type']}/{aggregation}: {result.stderr.strip().splitlines()[-1]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def aggregations_of(name: str) -> list[str]:
    from eobench.encoders import ENCODERS, load_builtin_encoders

    load_builtin_encoders()
    time_series = ENCODERS[SPECS[name]["type"]].supports_time_series
    return ["pre", "post", "none"] if time_series else ["pre", "post"]


def resolve_spec(name: str, weights: Path, compressor: Path | None) -> dict | None:
    text = json.dumps(SPECS[name]).replace("{weights}", str(weights))
    spec = json.loads(text.replace("{compressor}", str(compressor)))
    paths = [v for k, v in spec.items() if k in ("checkpoint", "normalization")]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"{name}: weights not found at {missing[0]}; skipped")
        return None
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=250)
    parser.add_argument("--factor", type=int, default=8)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encoders", nargs="+", default=DEFAULT_ENCODERS, choices=list(SPECS))
    parser.add_argument("--weights", type=Path, default=REPO.parent / "shared" / "real" / "weights")
    parser.add_argument(
        "--compressor", type=Path, default=None,
        help="a trained compressor checkpoint (results/compressor/<dataset>/lambda<l>.pt)",
    )  # fmt: skip
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{args.threads} threads; tiles {args.size} x {args.size} px")  # fmt: skip

    sizes = (args.samples, args.samples * args.factor)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stores = {n: build_store(folder, n, args.size) for n in sizes}
        rows = []
        for name in args.encoders:
            spec = resolve_spec(name, args.weights, args.compressor)
            if spec is None:
                continue
            for aggregation in aggregations_of(name):
                for n in sizes:
                    out = folder / f"{name}_{aggregation}_{n}.parquet"
                    result = measure(*stores[n], spec, aggregation, args.threads, out)
                    rows.append((name, aggregation, n, result))
        report(rows, sizes)


def report(rows, sizes) -> None:
    print("\n| encoder | aggregation | samples | samples/s | peak MiB |")
    print("|---|---|---:|---:|---:|")
    for name, aggregation, n, result in rows:
        rate = n / result["seconds"]
        print(f"| {name} | {aggregation} | {n} | {rate:.1f} | {result['peak_mib']:.0f} |")
    large = {(r[0], r[1]): r[3] for r in rows if r[2] == sizes[1]}
    small = {(r[0], r[1]): r[3] for r in rows if r[2] == sizes[0]}
    print(f"\n| encoder | post/pre time ({sizes[1]} samples) | peak memory {sizes[1]} / {sizes[0]}"
          " samples (worst aggregation) |")  # fmt: skip
    print("|---|---:|---:|")
    for name in dict.fromkeys(r[0] for r in rows):
        ratio = large[(name, "post")]["seconds"] / large[(name, "pre")]["seconds"]
        memory = max(
            large[key]["peak_mib"] / small[key]["peak_mib"] for key in large if key[0] == name
        )
        verdict = "PASS" if memory <= 1.2 else "FAIL"
        print(f"| {name} | {ratio:.2f}x | {memory:.3f} ({verdict}: at most 1.2) |")


if __name__ == "__main__":
    main()
