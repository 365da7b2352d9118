"""GeoMeld's and MMEarth's findings on pretraining, checked on this run's evaluation.

Rows of the claims table (:data:`eobench.tables.claims.CLAIM_COLUMNS`). The methods each
claim compares are named by role in ``pretraining.claims``; a role left null or a
method without scores makes the claim NOT RUN. Scores are compared as the tables print
them (rounded to ``decimals``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from eobench.tables.claims import FAIL, NOT_RUN, PASS, _row, printed
from eobench.tables.pretraining import DIRECTIONS, mean_probe_score

SOURCE_GEOMELD = "GeoMeld ablation"
SOURCE_RETRIEVAL = "GeoMeld retrieval"
SOURCE_MMEARTH = "MMEarth (MP-MAE)"
#: Retrieval counts as far above chance at this multiple of chance R@5.
FAR_ABOVE_CHANCE = 3.0
DEFAULT_DECIMALS = 3


def _probe_claim(frame, claim, source, better, worse, decimals):
    if better is None or worse is None:
        return _row(claim, source, NOT_RUN, [], "pretraining.claims names no such method")
    a, b = (printed(mean_probe_score(frame, m), decimals) for m in (better, worse))
    if np.isnan(a) or np.isnan(b):
        return _row(claim, source, NOT_RUN, [better, worse], "no linear-probe scores")
    status = PASS if a > b else FAIL
    evidence = (
        f"mean linear-probe score over tasks, random test: {better} {a:.{decimals}f} "
        f"against {worse} {b:.{decimals}f}"
    )
    return _row(claim, source, status, [better, worse], evidence)


def _recall(frame: pd.DataFrame, method: str, direction: str | None = None, k=None) -> float:
    chosen = frame[(frame["method"] == method) & frame["evaluation"].isin(list(DIRECTIONS))]
    if direction is not None:
        chosen = chosen[chosen["evaluation"] == direction]
    if k is not None:
        chosen = chosen[chosen["k"] == k]
    return float(chosen["score"].mean()) if len(chosen) else float("nan")


def retrieval_above_chance(frame: pd.DataFrame, method: str | None, decimals: int):
    claim = f"Text-to-image retrieval far above chance (R@5 at least {FAR_ABOVE_CHANCE:g} x chance)"
    if method is None:
        return _row(claim, SOURCE_RETRIEVAL, NOT_RUN, [], "pretraining.claims.retrieval is null")
    direction = "retrieval_text_to_image"
    score = _recall(frame, method, direction, 5)
    rows = frame[(frame["evaluation"] == direction) & (frame["k"] == 5)]
    if np.isnan(score) or rows.empty:
        return _row(claim, SOURCE_RETRIEVAL, NOT_RUN, [method], "no retrieval scores")
    chance = float(rows["chance"].iloc[0])
    percent, chance_percent = printed(100 * score, 1), printed(100 * chance, 1)
    status = PASS if percent >= FAR_ABOVE_CHANCE * chance_percent else FAIL
    evidence = f"{method}: text-to-image R@5 {percent:.1f} % against chance {chance_percent:.1f} %"
    return _row(claim, SOURCE_RETRIEVAL, status, [method], evidence)


def grounded_above_noisy(frame: pd.DataFrame, grounded, noisy, decimals: int):
    claim = "Grounded (verified) captions give better retrieval than noisy (unverified) ones"
    if grounded is None or noisy is None:
        return _row(claim, SOURCE_RETRIEVAL, NOT_RUN, [], "pretraining.claims names no such method")
    a, b = (printed(100 * _recall(frame, m), 1) for m in (grounded, noisy))
    if np.isnan(a) or np.isnan(b):
        return _row(claim, SOURCE_RETRIEVAL, NOT_RUN, [grounded, noisy], "no retrieval scores")
    status = PASS if a > b else FAIL
    evidence = (
        f"mean recall over R@1/5/10 both ways: {grounded} {a:.1f} % against {noisy} {b:.1f} %"
    )
    return _row(claim, SOURCE_RETRIEVAL, status, [grounded, noisy], evidence)


def check_pretraining_claims(
    frame: pd.DataFrame, roles: Mapping[str, str | None], decimals: int = DEFAULT_DECIMALS
) -> pd.DataFrame:
    """The pretraining rows of the claims table."""
    from eobench.tables.claims import CLAIM_COLUMNS

    rows = [
        _probe_claim(frame, "Cross-modal reconstruction (MP-MAE) gives better features than "
                     "Sentinel-2-only MAE", SOURCE_MMEARTH, roles.get("mpmae"), roles.get("mae"),
                     decimals),
        _probe_claim(frame, "Adding JEPA to MP-MAE gives better features", SOURCE_GEOMELD,
                     roles.get("mpmae_jepa"), roles.get("mpmae"), decimals),
        retrieval_above_chance(frame, roles.get("retrieval"), decimals),
        grounded_above_noisy(frame, roles.get("grounded"), roles.get("noisy"), decimals),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)
