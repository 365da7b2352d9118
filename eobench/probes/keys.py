"""Which keys of the workflow config's ``probe`` section a probe run reads.

A rule receives exactly these keys through ``params``, so that changing a key reruns the
jobs that read it and no others (a kNN probe has no epochs; a neuco run of the linear
probe has no validation part). Free of torch: the Snakefile imports it when it plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The workflow config's ``probe`` keys that set a probe run, in
#: :class:`~eobench.probes.linear.ProbeSettings` terms (config/README.md).
WORKFLOW_PROBE_KEYS = (
    "k_splits",
    "test_size",
    "validation_size",
    "epochs",
    "batch_size",
    "learning_rate",
    "weight_decay",
    "minibatches",
    "split_seed",
    "device",
)
#: Keys of gradient-trained heads (the linear probe and MLPs) only.
TRAINING_KEYS = ("epochs", "batch_size", "learning_rate", "weight_decay", "minibatches")
#: Heads whose splits always carry a validation part (the penalty is chosen on it).
VALIDATING_HEADS = ("converged",)


def probe_keys(head_spec: Mapping[str, Any], protocol: str) -> tuple[str, ...]:
    """The ``probe`` keys a run of the head ``head_spec`` (a ``probe_heads`` entry) reads."""
    head_type = head_spec.get("type", "linear")
    used = set(WORKFLOW_PROBE_KEYS)
    if head_type not in ("linear", "mlp"):
        used -= set(TRAINING_KEYS)
    if protocol != "strict" and head_type not in VALIDATING_HEADS:
        used.discard("validation_size")
    if "k_splits" in head_spec:  # the head's own K replaces the section's
        used.discard("k_splits")
    return tuple(key for key in WORKFLOW_PROBE_KEYS if key in used)


def probe_values(probe: Mapping[str, Any], head_spec: Mapping[str, Any], protocol: str):
    """``probe`` restricted to the keys :func:`probe_keys` names."""
    return {key: probe[key] for key in probe_keys(head_spec, protocol)}
