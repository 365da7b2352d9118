"""Benchmark: vectorised TTT-MMR (torch.func) against the sequential reference.

On ``--batches`` test batches of ``--batch-size`` samples (32 px, the stand-in JT model of
tests/ttt_standin.py: a small conv or patch-ViT encoder, decoders for two continuous and
one categorical modality, a pooled linear head), each adapted ``--steps`` steps, it prints,
measured in this one run on this machine:

- the wall time of ``ttt_sequential`` (one batch at a time, the encoder reloaded before
  each) over that of ``ttt_vectorised`` (all batches in chunks of ``--chunk-size``), with
  their largest prediction difference, which must stay below ``--tolerance`` (target: at
  least 3x on 2 CPU cores);
- the cost of TTT per test batch against plain inference of the same batch;
- the peak memory of the vectorised TTT against the sequential one with a deep-copied
  encoder per batch (``copy.deepcopy`` before adapting each batch). On CUDA it is
  ``torch.cuda.max_memory_allocated`` above the memory held before the run; on CPU it is
  the peak resident set size (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``)
  above the resident size before the run, each variant in a fresh Python process.

    python benchmarks/ttt_vectorised.py [--threads 2] [--batches 30] [--steps 5]
        [--encoder conv] [--device cpu]

Each time is the fastest of ``--repeats`` runs, since the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ttt_standin import standin_data, standin_model

from eobench.adaptation.geo_batches import random_batches
from eobench.adaptation.ttt import adapt_batch, ttt_sequential, ttt_vectorised


def timed(repeats: int, function, *args, **kwargs):
    """The result of the last run and the fastest wall time of ``repeats`` runs."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return result, best


#: The workflow's own JT models (eobench.adaptation: backbone, the twelve decoders, a head).
WORKFLOW_BACKBONES = {
    "eobench-vit": {"type": "vit", "patch_size": 4, "width": 64, "depth": 2, "heads": 4},
    "eobench-galileo": {"type": "galileo", "pretrained": False, "patch_size": 8},
}


def workflow_job(args, mode="JT"):
    from eobench.adaptation.modalities import MODALITIES
    from eobench.adaptation.run import make_job

    spec = WORKFLOW_BACKBONES[args.encoder]
    return make_job(
        "bench",
        args.encoder,
        spec,
        "s2",
        {"sentinel2": None},
        mode,
        "train_100",
        0,
        ["biomass"],
        list(MODALITIES),
        {"epochs": 1},
    )


def workflow_data(args):
    """An MMEarth dataset (generated once into a cache folder) and the JobData of a JT job
    whose training part holds at least ``batches x batch_size`` samples."""
    import tempfile

    from eobench.adaptation.run import JobData
    from eobench.adaptation.splits import write_splits
    from eobench.data.store import CubeStore
    from eobench.data.synth import build_synthetic_dataset

    n = int(args.batches * args.batch_size / 0.5) + 20
    folder = Path(tempfile.gettempdir()) / f"eobench-ttt-bench-{n}-{args.size}"
    if not (folder / "splits.parquet").exists():
        build_synthetic_dataset(
            folder / "cubes.zarr",
            folder / "samples.parquet",
            folder / "labels",
            n_samples=n,
            size=args.size,
            seed=0,
            families=["mmearth"],
            progress=False,
        )
        write_splits(folder / "samples.parquet", folder / "splits.parquet")
    store = CubeStore(folder / "cubes.zarr")
    return store, JobData(store, pd.read_parquet(folder / "splits.parquet"), workflow_job(args))


def workflow_setup(args):
    from eobench.adaptation.modalities import MODALITIES
    from eobench.adaptation.run import build_model
    from eobench.adaptation.tasks import get_task
    from eobench.adaptation.ttt import JointModel, TTTData

    store, data = workflow_data(args)
    samples = data.samples(get_task("biomass"))[0]["train"]
    n = args.batches * args.batch_size
    samples = samples.subset(range(n))
    model = build_model(workflow_job(args), get_task("biomass"), store, samples)
    kinds = {m: MODALITIES[m].kind for m in model.decoders}
    joint = JointModel(model.backbone, model.decoders, model.head, kinds)
    tensors = TTTData(samples.inputs, samples.reconstruction, samples.valid, samples.target)
    return (
        joint.prepare(args.device),
        tensors,
        random_batches(n, seed=0, batch_size=args.batch_size),
    )


def setup(args):
    if args.encoder in WORKFLOW_BACKBONES:
        return workflow_setup(args)
    model = standin_model(seed=0, width=args.width, size=args.size, encoder=args.encoder)
    n = args.batches * args.batch_size
    data = standin_data(n, seed=1, size=args.size)
    return model.prepare(args.device), data, random_batches(n, seed=0, batch_size=args.batch_size)


def training_throughput(args) -> dict[str, float]:
    """Samples per second of one FT and one JT training epoch of the workflow's model
    (the training loop of eobench.adaptation.training, batches of 64)."""
    from eobench.adaptation.run import build_model
    from eobench.adaptation.tasks import get_task
    from eobench.adaptation.training import train

    store, data = workflow_data(args)
    task = get_task("biomass")
    samples = data.samples(task)[0]
    rates = {}
    for mode in ("FT", "JT"):
        job = workflow_job(args, mode)
        model = build_model(job, task, store, samples["train"]).to(args.device)
        parts = {k: v.to(args.device) for k, v in samples.items()}
        _, seconds = timed(
            1, train, model, job.mode, task, parts["train"], parts["val"], job.training, 0
        )
        rates[mode] = len(samples["train"]) / seconds
    return rates


def plain_inference(model, data, batches, device):
    with torch.no_grad():
        return [model.head(model.encoder(data.take(b, device).inputs)).cpu() for b in batches]


def deep_copy_per_batch(model, data, batches, steps, device):
    """The sequential TTT with a fresh ``copy.deepcopy`` of the JT model for every batch."""
    predictions = []
    for indices in batches:
        fresh = copy.deepcopy(model)
        predictions.append(adapt_batch(fresh, data.take(indices, device), steps).predictions)
    return predictions


def run_variant(args, variant: str):
    model, data, batches = setup(args)
    if variant == "vectorised":
        return ttt_vectorised(
            model, data, batches, args.steps, chunk_size=args.chunk_size, device=args.device
        )
    if variant == "vectorised-small-chunks":
        return ttt_vectorised(model, data, batches, args.steps, chunk_size=5, device=args.device)
    return deep_copy_per_batch(model, data, batches, args.steps, args.device)


def resident_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(args) -> None:
    """In a fresh process: the peak memory (MiB) of one variant above the memory before."""
    variant = args.memory_child
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        run_variant(args, variant)
        peak = (torch.cuda.max_memory_allocated() - before) / 2**20
    else:
        # Warm up the libraries (first-call allocations) on one batch, then measure.
        small = argparse.Namespace(**{**vars(args), "batches": 1})
        run_variant(small, variant)
        before = resident_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        run_variant(args, variant)
        peak = (resident_kib("VmHWM") - before) / 1024
    print(json.dumps({"peak_mib": peak}))


def peak_memory(args, variant: str) -> float:
    command = [sys.executable, __file__, "--memory-child", variant]
    for key in ("threads", "batches", "batch_size", "steps", "encoder", "width", "size"):
        command += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    command += ["--chunk-size", str(args.chunk_size), "--device", args.device]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])["peak_mib"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5, help="TTT steps per batch")
    parser.add_argument(
        "--encoder",
        choices=["conv", "vit", *WORKFLOW_BACKBONES],
        default="conv",
        help="a stand-in encoder, or the workflow's JT model with that backbone (12 decoders)",
    )
    parser.add_argument("--width", type=int, default=16, help="encoder feature width")
    parser.add_argument("--size", type=int, default=32, help="tile size in pixels")
    parser.add_argument("--chunk-size", type=int, default=30, help="batches per vmap chunk")
    parser.add_argument("--repeats", type=int, default=3, help="best of")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_child:
        memory_child(args)
        return

    model, data, batches = setup(args)
    print(
        f"TTT-MMR benchmark: {args.batches} batches of {args.batch_size}, {args.size} px, "
        f"{args.encoder} encoder (width {args.width}, "
        f"{sum(p.numel() for p in model.encoder.parameters()):,} parameters), "
        f"{args.steps} steps, chunks of {args.chunk_size} batches, threads={args.threads}, "
        f"device={args.device}, torch {torch.__version__}; best of {args.repeats} runs"
    )
    options = {"device": args.device}
    ttt_vectorised(model, data, batches[:2], 1, **options)  # warm-up
    ttt_sequential(model, data, batches[:2], 1, **options)
    plain, t_plain = timed(args.repeats, plain_inference, model, data, batches, args.device)
    sequential, t_sequential = timed(
        args.repeats, ttt_sequential, model, data, batches, args.steps, **options
    )
    vectorised, t_vectorised = timed(
        args.repeats,
        ttt_vectorised,
        model,
        data,
        batches,
        args.steps,
        chunk_size=args.chunk_size,
        **options,
    )
    difference = max(
        (s - v).abs().max().item() for s, v in zip(sequential, vectorised, strict=True)
    )
    at_jt = max((s[0] - p).abs().max().item() for s, p in zip(sequential, plain, strict=True))
    speedup = t_sequential / t_vectorised
    per_batch = {
        name: t / args.batches
        for name, t in (
            ("plain", t_plain),
            ("sequential", t_sequential),
            ("vectorised", t_vectorised),
        )
    }

    print(f"  sequential reference      : {t_sequential:8.3f} s")
    print(f"  vectorised (torch.func)   : {t_vectorised:8.3f} s  ({speedup:5.2f}x, target >= 3x)")
    print(f"  max |prediction difference| = {difference:.2e} (tolerance {args.tolerance:.0e});")
    print(f"  step 0 against plain inference: {at_jt:.2e}")
    print("  per test batch            :")
    for name in ("plain", "sequential", "vectorised"):
        ratio = per_batch[name] / per_batch["plain"]
        print(f"    {name:22s}: {1e3 * per_batch[name]:8.2f} ms  ({ratio:6.1f}x plain inference)")
    memory = {
        variant: peak_memory(args, variant)
        for variant in ("vectorised", "vectorised-small-chunks", "deep-copy")
    }
    what = "max_memory_allocated" if args.device.startswith("cuda") else "peak RSS (VmHWM)"
    print(f"  peak memory above start ({what}, fresh process each):")
    print(f"    vectorised, chunks of {args.chunk_size:<3d}: {memory['vectorised']:8.1f} MiB")
    print(f"    vectorised, chunks of 5  : {memory['vectorised-small-chunks']:8.1f} MiB")
    print(f"    deep-copied encoder/batch: {memory['deep-copy']:8.1f} MiB")
    if args.encoder in WORKFLOW_BACKBONES:
        rates = training_throughput(args)
        print("  training throughput (one epoch incl. validation, samples/s):")
        for mode, rate in rates.items():
            print(f"    {mode:22s}: {rate:8.1f}")
    ok = difference < args.tolerance
    print(f"  predictions check         : {'PASS' if ok else 'FAIL'}")
    print(f"  speed-up check (>= 3x)    : {'PASS' if speedup >= 3 else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
