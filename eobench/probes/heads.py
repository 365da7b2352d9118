"""Probe heads: what is trained on the embeddings over the K splits of a task.

A head is named in config (``probe_heads``) and has a type:

- ``linear``: the paper's probe, ``Linear(N, 1)`` trained with AdamW (batched engine);
- ``mlp``: ``hidden_layers`` ReLU layers before the output, same training;
- ``knn``: mean label (regression) or majority vote (classification) of the
  ``n_neighbors`` nearest training samples by cosine similarity;
- ``converged``: closed-form ridge regression / L-BFGS logistic regression, the penalty
  chosen on a validation part of every training split. Its splits always carry a
  validation part; their test parts are the same as the other heads' (the NeuCo-Bench
  ``ShuffleSplit``), so scores are paired split by split.
- ``svm``: NeuCo-Bench's polynomial-kernel SVM tuned by Bayesian optimisation
  (``probe_params`` as upstream's; see :mod:`eobench.probes.svm`). Under ``strict`` it
  tunes on the validation parts that protocol gives every split.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from eobench.errors import EobenchError
from eobench.probes.linear import ProbeResult, ProbeSettings, probe_task
from eobench.probes.splits import Splits

HEAD_TYPES = ("linear", "mlp", "knn", "converged", "svm")


@dataclass(frozen=True)
class ProbeHead:
    """One probe head of the config's ``probe_heads`` section."""

    name: str = "linear"
    type: str = "linear"
    hidden_layers: tuple[int, ...] = ()
    n_neighbors: int = 20
    #: L-BFGS iterations of the converged logistic regression.
    max_iter: int = 500
    #: Search space and optimiser of an svm head (upstream's ``probe_params``).
    svm_search: Any = None  # an eobench.probes.svm.SVMSearch
    #: Settings of this head that override the ``probe`` section (e.g. ``k_splits``).
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, name: str, spec: Mapping[str, Any]) -> ProbeHead:
        """Build from ``probe_heads.<name>``; a bad entry raises naming the key."""
        key = f"probe_heads.{name}"
        head_type = spec.get("type")
        if head_type not in HEAD_TYPES:
            raise EobenchError(f"config key {key}.type: must be one of {HEAD_TYPES}")
        hidden = tuple(spec.get("hidden_layers", ()))
        if head_type == "mlp" and not hidden:
            raise EobenchError(f"config key {key}.hidden_layers: an mlp head needs widths")
        if head_type != "mlp" and hidden:
            raise EobenchError(f"config key {key}.hidden_layers: only mlp heads have them")
        if head_type == "svm" and "probe_params" not in spec:
            raise EobenchError(f"config key {key}.probe_params: an svm head needs its search")
        if head_type != "svm" and "probe_params" in spec:
            raise EobenchError(f"config key {key}.probe_params: only svm heads have them")
        known = {"type", "hidden_layers", "n_neighbors", "k_splits", "max_iter", "probe_params"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise EobenchError(f"config key {key}.{unknown[0]}: unknown key")
        overrides = {"k_splits": spec["k_splits"]} if "k_splits" in spec else {}
        svm_search = None
        if head_type == "svm":
            # imported here: scikit-learn and scikit-optimize cost seconds to import
            from eobench.probes.svm import SVMSearch

            svm_search = SVMSearch.from_probe_params(spec["probe_params"], f"{key}.probe_params")
        return cls(
            name=name,
            type=head_type,
            hidden_layers=hidden,
            n_neighbors=int(spec.get("n_neighbors", 20)),
            max_iter=int(spec.get("max_iter", 500)),
            svm_search=svm_search,
            overrides=overrides,
        )

    def spec(self) -> dict[str, Any]:
        """The head as plain JSON values (cache keys, provenance)."""
        return json.loads(json.dumps(asdict(self), default=str))

    @property
    def needs_validation(self) -> bool:
        return self.type == "converged"

    def settings(self, base: ProbeSettings) -> ProbeSettings:
        """The probe settings this head trains with."""
        values = {**base.as_dict(), **self.overrides, "hidden_layers": self.hidden_layers}
        return ProbeSettings(**values)

    def parameter_count(self, dim: int) -> int:
        """Trainable parameters of one probe (0 for kNN and SVM, ``N + 1`` for linear ones)."""
        from eobench.probes.mlp import parameter_count

        # An SVM keeps support vectors, not trained weights; their count is per split
        # (``ProbeResult.extra["support_vectors"]``).
        if self.type in ("knn", "svm"):
            return 0
        return parameter_count(dim, self.hidden_layers)


LINEAR = ProbeHead()


def fit_head(
    head: ProbeHead,
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    settings: ProbeSettings,
    task_name: str,
    splits: Splits,
) -> ProbeResult:
    """Train and score ``head`` on every split of one task.

    ``settings`` are the head's own (:meth:`ProbeHead.settings`); ``splits`` must carry a
    validation part when the protocol is ``strict`` or the head is ``converged``.
    """
    if head.type == "svm":
        from eobench.probes.svm import svm_probe

        # Upstream seeds every task's optimiser with the run seed itself, not a per-task one.
        return svm_probe(
            embeddings,
            labels,
            task_type,
            splits,
            head.svm_search,
            settings.protocol,
            settings.seed,
            split_seed=settings.split_seed,
        )
    if head.type in ("linear", "mlp"):
        return probe_task(embeddings, labels, task_type, settings, task_name, splits=splits)
    if head.type == "knn":
        from eobench.probes.knn import knn_probe

        return knn_probe(embeddings, labels, task_type, splits, head.n_neighbors, settings.device)
    from eobench.probes.converged import logistic_probe, ridge_probe

    if task_type == "cls":
        return logistic_probe(
            embeddings, labels, splits, max_iter=head.max_iter, device=settings.device
        )
    return ridge_probe(embeddings, labels, splits, device=settings.device)
