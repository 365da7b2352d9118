"""Benchmark: pretraining throughput per method, the share of each step spent waiting for
data, and peak memory, measured in this one run on this machine.

For every method of ``config/config.yaml``'s ``pretraining.methods`` (or ``--methods``) it
reads the pretraining data of ``--store``/``--splits`` (the store of ``pretraining.dataset``,
made by ``snakemake results/data/synth_geomeld/cubes.zarr
results/splits/synth_geomeld/mmearth.parquet``), then trains ``--steps`` steps of
``--batch-size`` and prints:

- samples per second of the training steps (forward, backward, optimiser, EMA);
- the data-wait fraction: the time spent building each batch (indexing the in-memory
  tensors and moving them to the device) over the whole step; the one-off read of the
  store (Zarr, one sample per chunk) is printed separately, as seconds and as a share of
  one default epoch count of steps;
- the peak memory: ``torch.cuda.max_memory_allocated`` on CUDA, else the peak resident set
  size of this process while reading and training that method (Linux ``VmHWM``, reset
  through ``/proc/self/clear_refs`` before each method; it includes Python and torch).

    python benchmarks/pretraining_throughput.py [--threads 2] [--steps 20] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eobench.data.store import CubeStore
from eobench.pretraining.captions import make_captions
from eobench.pretraining.config import uses
from eobench.pretraining.data import fit_standardiser, load_tensors
from eobench.pretraining.run import PretrainingJob, build_job_method, split_rows
from eobench.pretraining.text import build_vocabulary, encode


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Reset VmHWM to the current resident size (Linux), so each method's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--store", default="results/data/synth_geomeld/cubes.zarr")
    parser.add_argument("--splits", default="results/splits/synth_geomeld/mmearth.parquet")
    parser.add_argument("--methods", nargs="*")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    block = yaml.safe_load(Path(args.config).read_text())["pretraining"]
    store, splits = CubeStore(args.store), pd.read_parquet(args.splits)
    rows, continents = split_rows(splits, "train")
    rows_out = []
    for name in args.methods or list(block["methods"]):
        spec = block["methods"][name]
        needs, objective_blocks = uses(spec)
        if spec["method"] == "random_init":
            continue
        reconstruct = block["reconstruct"] if "reconstruct" in needs else []
        reset_peak_rss()
        started = time.perf_counter()
        standardiser = fit_standardiser(store, rows, reconstruct)
        data = load_tensors(store, rows, continents, reconstruct, standardiser,
                            "seasons" in needs)  # fmt: skip
        vocabulary = []
        if "captions" in needs:
            captions = make_captions(data.records, noise=block["captions"]["noise"],
                                     verified=block["captions"]["verify"], seed=0)  # fmt: skip
            vocabulary = build_vocabulary(captions)
            data.text = torch.from_numpy(
                encode(captions, vocabulary, block["objectives"]["text"]["max_tokens"])
            )
        read_s = time.perf_counter() - started
        objectives = {b: block["objectives"][b] for b in objective_blocks}
        job = PretrainingJob(name, spec, block["backbones"][spec["backbone"]], objectives, {},
                             block["captions"], reconstruct, 0)  # fmt: skip
        method, _ = build_job_method(job, store, len(vocabulary), int(data.s2.shape[-1]))
        method.to(device).train()
        optimizer = torch.optim.AdamW(method.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(0)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        wait = total = 0.0
        for step in range(args.steps + 2):  # two warm-up steps
            t0 = time.perf_counter()
            index = torch.randint(len(data), (args.batch_size,), generator=generator)
            batch = data.batch(index, device)
            if device.type == "cuda":
                torch.cuda.synchronize()
            t1 = time.perf_counter()
            with torch.autocast("cuda", torch.bfloat16, enabled=device.type == "cuda"):
                loss, _ = method(batch, generator)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            method.after_step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            t2 = time.perf_counter()
            if step >= 2:
                wait, total = wait + (t1 - t0), total + (t2 - t0)
        epoch_steps = -(-len(data) // args.batch_size) * block["training"]["epochs"]
        peak = (
            torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else peak_rss_mib()
        )
        rows_out.append({
            "method": name,
            "samples_per_s": args.steps * args.batch_size / total,
            "data_wait_fraction": wait / total,
            "store_read_s": read_s,
            "store_read_share_of_run": read_s / (read_s + total / args.steps * epoch_steps),
            "peak_memory_mib": peak,
        })  # fmt: skip
        print(rows_out[-1], flush=True)
    print(f"\ndevice {device}, {args.threads} threads, {len(rows)} training samples, "
          f"batch {args.batch_size}, {args.steps} timed steps")  # fmt: skip
    print(pd.DataFrame(rows_out).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
