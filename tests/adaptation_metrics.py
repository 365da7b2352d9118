"""A plausible tidy adaptation metrics table, made here, for the table, claim and figure tests.

Scores are a sum of known effects (task, pretraining, input, subset, mode, geographic
shift) plus seeded noise, so tests can check numbers against their own computation.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

ENCODERS = {"galileo": "pretrained", "galileo_random": "random_init"}
INPUTS = ["rgb", "s2", "multimodal"]
SUBSETS = ["train_100", "train_50", "train_5"]
SEEDS = [41, 42, 43]
MODES = ["LP", "FT", "JT", "JT-TTT", "JT-TTT-Geo"]
TASKS = {"biomass": ("pixel_regression", "r2"), "species": ("multilabel", "map")}
TEST_SPLITS = ["random", "geographic"]

BASE = {"biomass": 0.55, "species": 0.40}
PRETRAINED = 0.10
INPUT_GAIN = {"rgb": 0.0, "s2": 0.04, "multimodal": 0.08}
SUBSET_DROP = {"train_100": 0.0, "train_50": 0.05, "train_5": 0.20}
MODE_GAIN = {"LP": -0.10, "FT": 0.0, "JT": 0.01, "JT-TTT": 0.02, "JT-TTT-Geo": 0.025}
GEOGRAPHIC_DROP = 0.08


def adaptation_metrics(seed: int = 0, noise: float = 0.005, **overrides) -> pd.DataFrame:
    """The full grid of 2 encoders x 3 inputs x 3 subsets x 3 seeds x 5 modes x 2 tasks
    x 2 test splits. ``overrides`` replace the module's effect tables by name (lower
    case), e.g. ``pretrained=-0.1`` or ``subset_drop={...}``."""
    effects = {
        "base": BASE,
        "pretrained": PRETRAINED,
        "input_gain": INPUT_GAIN,
        "subset_drop": SUBSET_DROP,
        "mode_gain": MODE_GAIN,
        "geographic_drop": GEOGRAPHIC_DROP,
        **overrides,
    }
    rng = np.random.default_rng(seed)
    rows = []
    grid = itertools.product(ENCODERS, INPUTS, SUBSETS, SEEDS, MODES, TASKS, TEST_SPLITS)
    for encoder, inputs, subset, run_seed, mode, task, test_split in grid:
        weights = ENCODERS[encoder]
        score = (
            effects["base"][task]
            + (effects["pretrained"] if weights == "pretrained" else 0.0)
            + effects["input_gain"][inputs]
            - effects["subset_drop"][subset]
            + effects["mode_gain"][mode]
            - (effects["geographic_drop"] if test_split == "geographic" else 0.0)
            + noise * rng.standard_normal()
        )
        kind, metric = TASKS[task]
        rows.append(
            {
                "dataset": "synth_mmearth",
                "encoder": encoder,
                "weights": weights,
                "mode": mode,
                "inputs": inputs,
                "subset": subset,
                "seed": run_seed,
                "task": task,
                "task_kind": kind,
                "metric": metric,
                "test_split": test_split,
                "score": score,
                "n_test": 90 if test_split == "random" else 60,
                "best_epoch": float(rng.integers(1, 20)),
                "ttt_steps": int(rng.integers(1, 6)) if "TTT" in mode else 0,
            }
        )
    return pd.DataFrame(rows)
