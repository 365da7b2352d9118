"""What a checkpoint is worth: linear probes of its frozen features and image-text retrieval.

Linear probing (the GeoMeld ablation's first protocol): the frozen backbone's mean token of
each acquisition-season Sentinel-2 tile, standardised with the training split's moments,
goes to a ridge regression per task (:class:`sklearn.linear_model.Ridge`), its penalty
chosen on the validation split from ``alphas``; scored on the random and the geographic
test by the adaptation suite's metrics (R^2; mAP for the multi-label species task, the
ridge outputs as scores). A pixel-level task (biomass) is probed on its tile mean.

Retrieval: the held-out random test tiles and their grounded captions (derived, verified,
never noisy, a seed no training caption used), embedded by the checkpoint's two towers;
text-to-image recall@k is the share of captions whose own tile is among the k most
similar tiles, image-to-text the converse; chance is k / n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from eobench.adaptation.data import Standardiser, read_target
from eobench.adaptation.tasks import get_task, task_score
from eobench.pretraining.captions import check_templates, make_captions
from eobench.pretraining.data import S2, load_tensors
from eobench.pretraining.methods.geomeld import has_text
from eobench.pretraining.run import (
    EVALUATION_CAPTION_SEED,
    PretrainingJob,
    build_job_method,
    split_rows,
)
from eobench.pretraining.text import encode

TEST_SPLITS = {"random": "test", "geographic": "geographic_test"}


@torch.no_grad()
def pooled_features(backbone, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """The mean token ``[n, D]`` of every tile (evaluation mode)."""
    backbone.eval()
    parts = [
        backbone.tokens(images[s : s + batch_size]).mean(dim=1)
        for s in range(0, len(images), batch_size)
    ]
    return torch.cat(parts).numpy().astype(np.float64)


def probe_target(store, task, rows: np.ndarray) -> np.ndarray:
    """A task's target for the probe: ``[n, k]`` (a dense map's tile mean)."""
    target = read_target(store, task, rows)
    if task.dense:
        flat = target.reshape(len(rows), -1)
        known = (~np.isnan(flat)).sum(axis=1, keepdims=True)
        total = np.nansum(flat, axis=1, keepdims=True)
        target = np.where(known > 0, total / np.maximum(known, 1), np.nan)
    return target


def ridge_probe(features: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray], task,
                alphas: Sequence[float]) -> tuple[float, dict[str, float]]:  # fmt: skip
    """The penalty chosen on ``val`` and the test scores of a ridge probe."""
    from sklearn.linear_model import Ridge

    mean, std = features["train"].mean(0), features["train"].std(0)
    std = np.where(std > 0, std, 1.0)
    z = {k: (v - mean) / std for k, v in features.items()}

    def predict(model, x):
        return model.predict(x).reshape(len(x), -1)

    def fit(alpha):
        x, y = z["train"], targets["train"]
        keep = ~np.isnan(y).any(axis=1)
        return Ridge(alpha=alpha).fit(x[keep], y[keep])

    best_alpha, best = None, -np.inf
    for alpha in alphas:
        score = task_score(task, predict(fit(alpha), z["val"]), targets["val"])
        if np.isfinite(score) and score > best:
            best_alpha, best = alpha, score
    best_alpha = alphas[0] if best_alpha is None else best_alpha
    model = fit(best_alpha)
    scores = {
        name: task_score(task, predict(model, z[split]), targets[split])
        for name, split in TEST_SPLITS.items()
    }
    return float(best_alpha), scores


def recall_at_k(similarity: np.ndarray, ks: Sequence[int]) -> dict[int, float]:
    """Share of rows whose own column (the diagonal) ranks among their ``k`` largest
    (ties count against: a rank is 1 + the number of strictly larger entries)."""
    own = np.diag(similarity)[:, None]
    rank = 1 + (similarity > own).sum(axis=1)
    return {k: float((rank <= k).mean()) for k in ks}


def evaluate_checkpoint(state, store, splits: pd.DataFrame, probe: Mapping, retrieval: Mapping,
                        captions: Mapping) -> pd.DataFrame:  # fmt: skip
    """Tidy rows ``evaluation, task, test_split, metric, k, score, chance`` of a checkpoint."""
    from eobench.pretraining.checkpoint import backbone_from_checkpoint

    backbone = backbone_from_checkpoint(state)
    rows = {split: split_rows(splits, split) for split in ("train", "val", *TEST_SPLITS.values())}
    # the checkpoint's own normalisation: the moments it was trained with
    standardiser = Standardiser(
        {S2: tuple(np.asarray(state["normalisation"][k], np.float32) for k in ("mean", "std"))}
    )
    data = {
        split: load_tensors(store, r, c, [], standardiser, seasons=False)
        for split, (r, c) in rows.items()
    }
    features = {split: pooled_features(backbone, d.s2) for split, d in data.items()}
    out = []
    for name in probe["tasks"]:
        task = get_task(name, "pretraining.probe.tasks")
        targets = {split: probe_target(store, task, r) for split, (r, _) in rows.items()}
        alpha, scores = ridge_probe(features, targets, task, probe["alphas"])
        for test_split, score in scores.items():
            out.append(
                {"evaluation": "linear_probe", "task": name, "test_split": test_split,
                 "metric": task.metric, "k": 0, "score": score, "alpha": alpha}
            )  # fmt: skip
    out += retrieval_rows(state, store, data["test"], retrieval, captions)
    return pd.DataFrame(out)


@torch.no_grad()
def retrieval_rows(state, store, test, retrieval: Mapping, captions: Mapping) -> list[dict]:
    """Recall@k both ways on the held-out random test, when the checkpoint has a text tower."""
    method_spec = {k: v for k, v in state["method"].items() if k != "name"}
    job = PretrainingJob(
        state["method"]["name"], method_spec, state["architecture"], state["objectives"],
        {}, captions, state["reconstruct"], int(state["seed"]),
    )  # fmt: skip
    if not state["vocabulary"]:
        return []
    method, _ = build_job_method(job, store, len(state["vocabulary"]), int(state["image_size"]))
    if not has_text(method):
        return []
    method.load_state_dict(state["method_state"])
    method.eval()
    templates = check_templates(captions.get("templates"), "pretraining.captions.templates")
    texts = make_captions(
        test.records, noise=0.0, verified=True,
        seed=int(state["seed"]) + 2 * EVALUATION_CAPTION_SEED, templates=templates,
    )  # fmt: skip
    ids = torch.from_numpy(
        encode(texts, state["vocabulary"], int(state["objectives"]["text"]["max_tokens"]))
    )
    image = torch.nn.functional.normalize(
        method.itc.image_embedding(method.backbone, test.s2), dim=-1
    )
    text = torch.nn.functional.normalize(method.itc.text_embedding(ids), dim=-1)
    similarity = (text @ image.T).numpy()  # captions x tiles
    n = len(similarity)
    rows = []
    for direction, matrix in (("text_to_image", similarity), ("image_to_text", similarity.T)):
        for k, value in recall_at_k(matrix, retrieval["ks"]).items():
            rows.append(
                {"evaluation": f"retrieval_{direction}", "task": "captions", "test_split": "random",
                 "metric": f"R@{k}", "k": k, "score": value, "chance": min(1.0, k / n)}
            )  # fmt: skip
    return rows
