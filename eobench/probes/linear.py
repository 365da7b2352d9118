"""The batched linear-probe engine: all K splits of a task train together.

The NeuCo-Bench evaluator trains one ``Linear(N, 1)`` per split with AdamW (lr 1e-3,
batch 64, 20 epochs), scores it on the split's held-out 10 % after every epoch and keeps
the best epoch. Here the K probes are one ``[K, N]`` weight matrix: a step computes the
predictions of every split with one matrix product, the gradients in closed form (no
autograd graph) and one AdamW update of the whole matrix. AdamW acts element-wise, so K
independent optimisers and one optimiser over the stacked weights are the same thing.

Two minibatch schedules:

``per_split``
    Each split draws its own permutation of its own training samples, like the reference
    loop; a step gathers a ``[K, B, N]`` block. Equal to the per-split reference to float
    tolerance for the same splits, initial weights and permutations.
``shared`` (default)
    One permutation of all n samples per epoch; a step takes ``B * n / n_fit`` rows and each
    split learns from the rows in its own training part (about ``B`` of them, the count
    varies a little from step to step). No per-split gather, so the arithmetic dominates.
    Scores are statistically indistinguishable from the reference (tested over seeds),
    not equal.

Protocols: ``neuco`` reports each split's best epoch on its test part (test-set epoch
selection, as the paper's evaluator does); ``strict`` holds out ``validation_size`` of each
training split, picks the epoch on it and scores the test part once at that epoch.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from eobench.metrics import METRICS
from eobench.probes.keys import WORKFLOW_PROBE_KEYS
from eobench.probes.splits import Splits, make_splits, split_rng, task_seed

PROTOCOLS = ("neuco", "strict")
MINIBATCH_SCHEDULES = ("shared", "per_split")
# torch.optim.AdamW defaults, which the reference evaluator uses.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


@dataclass(frozen=True)
class ProbeSettings:
    """Settings of one probe run (the config's ``probe`` section)."""

    protocol: str = "neuco"
    k_splits: int = 40
    test_size: float = 0.1
    validation_size: float = 0.1
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    minibatches: str = "shared"
    split_seed: int = 42
    seed: int = 42
    device: str = "auto"
    #: Widths of the hidden layers of an MLP probe; empty for the linear probe.
    hidden_layers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_layers", tuple(int(h) for h in self.hidden_layers))
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, got {self.protocol!r}")
        if self.minibatches not in MINIBATCH_SCHEDULES:
            raise ValueError(
                f"minibatches must be one of {MINIBATCH_SCHEDULES}, got {self.minibatches!r}"
            )

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_workflow(
        cls, probe: Mapping[str, Any], protocol: str, seed: int, **overrides: Any
    ) -> ProbeSettings:
        """From the workflow config's ``probe`` keys (:mod:`eobench.probes.keys`).

        Every rule that probes (probe runs, challenge, run-time scaling) builds its
        settings here from the keys it receives; a key it does not receive (a kNN probe
        gets no epochs) keeps its default, and ``overrides`` set single values (a
        challenge phase's K).
        """
        unknown = sorted(set(probe) - set(WORKFLOW_PROBE_KEYS))
        if unknown:
            raise ValueError(f"not probe settings: {unknown}")
        return cls(protocol=protocol, seed=seed, **{**probe, **overrides})


@dataclass
class ProbeResult:
    """Scores of the K splits of one task and the training history behind them."""

    scores: np.ndarray  # [K] score of each split (R^2 or F1)
    best_epoch: np.ndarray  # [K] epoch (0-based) the score comes from
    test_history: np.ndarray  # [E, K] test metric after every epoch
    train_loss: np.ndarray  # [E, K] mean training loss of every epoch
    validation_history: np.ndarray | None = None  # [E, K], strict protocol
    n_fit: int = 0
    n_test: int = 0
    #: [n, K] outputs (predictions or logits) of every split's selected epoch on the rows
    #: it evaluates (test and validation parts); heads may leave other rows at 0
    best_outputs: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def initial_weights(seed: int, k_splits: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial ``[K, N]`` weights and ``[K]`` biases, uniform in +-1/sqrt(N) like ``nn.Linear``.

    Split k draws from its own generator, so its start does not depend on K.
    """
    bound = 1 / math.sqrt(dim)
    weights = np.empty((k_splits, dim), dtype=np.float32)
    biases = np.empty(k_splits, dtype=np.float32)
    for k in range(k_splits):
        rng = split_rng(seed, k, "init")
        weights[k] = rng.uniform(-bound, bound, dim)
        biases[k] = rng.uniform(-bound, bound)
    return weights, biases


def epoch_permutations(seed: int, splits: Splits, epochs: int) -> np.ndarray:
    """Per-split minibatch order: ``[K, epochs, n_fit]`` permutations of the fit indices.

    Each split draws from its own generator, independent of :func:`initial_weights`.
    """
    n_fit = int(splits.fit[0].sum())
    order = np.empty((splits.k, epochs, n_fit), dtype=np.int64)
    for k in range(splits.k):
        rng = split_rng(seed, k, "minibatches")
        indices = splits.fit_indices(k)
        for epoch in range(epochs):
            order[k, epoch] = rng.permutation(indices)
    return order


def task_splits(settings: ProbeSettings, n_samples: int, task_name: str) -> Splits:
    """The K splits of a task under ``settings`` (validation parts for ``strict``)."""
    return make_splits(
        n_samples,
        settings.k_splits,
        settings.test_size,
        settings.split_seed,
        settings.validation_size if settings.protocol == "strict" else None,
        task_seed(settings.seed, task_name),
    )


def probe_task(
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    settings: ProbeSettings,
    task_name: str,
    *,
    splits: Splits | None = None,
) -> ProbeResult:
    """Train and score K linear probes on one task.

    Parameters
    ----------
    embeddings : array [n, N]
        Already standardised embeddings of the task's samples.
    labels : array [n]
        Targets; regression labels already min-max normalised, classification 0/1.
    task_type : {"regr", "cls"}
    settings : ProbeSettings
    task_name : str
        Seeds the task's randomness together with ``settings.seed``.
    splits : Splits, optional
        Precomputed splits (default: :func:`make_splits` from the settings).
    """
    seed = task_seed(settings.seed, task_name)
    if splits is None:
        splits = task_splits(settings, len(labels), task_name)
    device = resolve_device(settings.device)
    x = torch.as_tensor(np.ascontiguousarray(embeddings, dtype=np.float32), device=device)
    y = torch.as_tensor(np.asarray(labels, dtype=np.float32), device=device)
    if settings.hidden_layers:
        from eobench.probes.mlp import MLPHead

        head = MLPHead.initial(seed, splits.k, x.shape[1], settings.hidden_layers, device)
    else:
        w0, b0 = initial_weights(seed, splits.k, x.shape[1])
        head = LinearHead(torch.as_tensor(w0, device=device), torch.as_tensor(b0, device=device))
    engine = _BatchedProbes(x, y, task_type, splits, settings, head)
    if settings.minibatches == "per_split":
        schedule = engine.per_split_schedule(epoch_permutations(seed, splits, settings.epochs))
    else:
        schedule = engine.shared_schedule(split_rng(seed, -1, "minibatches"))
    return engine.run(schedule)


class LinearHead:
    """K linear probes as one ``[K, N]`` matrix, with closed-form gradients (no autograd)."""

    def __init__(self, weights: torch.Tensor, bias: torch.Tensor) -> None:
        self.weights = weights  # [K, N]
        self.bias = bias  # [K]

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [self.weights, self.bias]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``[n, K]`` of every split's probe for the same rows ``x`` ``[n, N]``."""
        return x @ self.weights.T + self.bias

    def loss_and_gradients(self, xb, member, target, dloss_fn):
        """Per-split mean loss and gradients; ``xb`` is ``[B, N]`` (shared) or ``[K, B, N]``."""
        if xb.ndim == 2:
            logits = self.logits(xb)  # [B, K]
        else:
            logits = torch.bmm(xb, self.weights[:, :, None])[..., 0].T + self.bias
        loss, dloss = dloss_fn(logits, target)
        upstream = dloss * member  # member already holds 1 / count
        if xb.ndim == 2:
            grad_w = upstream.T @ xb  # [K, N]
        else:
            grad_w = torch.bmm(upstream.T[:, None, :], xb)[:, 0, :]
        return (loss * member).sum(0), [grad_w, upstream.sum(0)]


def loss_with_derivative(task_type: str):
    """Element-wise loss and its derivative in the logits: MSE, or BCE with logits."""
    if task_type == "cls":

        def bce(logits, target):
            return (
                torch.nn.functional.softplus(logits) - target * logits,
                torch.sigmoid(logits) - target,
            )

        return bce

    def squared(logits, target):
        residual = logits - target
        return residual**2, 2 * residual

    return squared


class AdamW:
    """AdamW over the stacked parameters of the K probes, equal to ``torch.optim.AdamW``.

    It calls the kernel behind ``torch.optim.AdamW(fused=True)`` (every element read and
    written once per step) directly, and falls back to the same update in plain tensor
    operations where a torch build lacks it. Why not ``torch.optim.AdamW`` itself: its
    constructor imports ``torch._dynamo``, 2-3 s of start-up in every probe job and every
    ``eobench score``, longer than the linear probes of a whole task train.
    """

    def __init__(self, parameters: list[torch.Tensor], lr: float, weight_decay: float) -> None:
        self.parameters = parameters
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.exp_avg = [torch.zeros_like(p) for p in parameters]
        self.exp_avg_sq = [torch.zeros_like(p) for p in parameters]
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in parameters]
        self.fused = hasattr(torch, "_fused_adamw_")

    @torch.no_grad()
    def step(self, gradients: list[torch.Tensor]) -> None:
        """One update of every parameter in place from its gradient."""
        for count in self.steps:
            count.add_(1)
        beta1, beta2 = ADAM_BETAS
        if self.fused:
            torch._fused_adamw_(
                self.parameters,
                gradients,
                self.exp_avg,
                self.exp_avg_sq,
                [],
                self.steps,
                lr=self.lr,
                beta1=beta1,
                beta2=beta2,
                weight_decay=self.weight_decay,
                eps=ADAM_EPS,
                amsgrad=False,
                maximize=False,
            )
            return
        for param, grad, m, v, count in zip(
            self.parameters, gradients, self.exp_avg, self.exp_avg_sq, self.steps, strict=True
        ):
            step = float(count)
            param.mul_(1 - self.lr * self.weight_decay)
            m.lerp_(grad, 1 - beta1)
            v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denominator = (v.sqrt() / math.sqrt(1 - beta2**step)).add_(ADAM_EPS)
            param.addcdiv_(m, denominator, value=-self.lr / (1 - beta1**step))


class _BatchedProbes:
    """K probes (a head) trained together over one minibatch schedule with AdamW."""

    def __init__(self, x, y, task_type, splits: Splits, settings: ProbeSettings, head):
        self.x, self.y = x, y
        self.task_type = task_type
        self.settings = settings
        self.splits = splits
        device = x.device
        self.fit_mask = torch.as_tensor(splits.fit.T, device=device)  # [n, K]
        self.test_mask = torch.as_tensor(splits.test.T, device=device)
        self.validation_mask = (
            None
            if splits.validation is None
            else torch.as_tensor(splits.validation.T, device=device)
        )
        self.head = head
        self.evaluation_rows = self._evaluation_rows()
        self.loss_fn = loss_with_derivative(task_type)
        self.metric = METRICS[task_type]

    def _evaluation_rows(self) -> torch.Tensor | None:
        """Rows ``[K, m]`` each split scores after an epoch (test and validation parts).

        ``None`` where the head scores all rows at once (a linear head: one matrix product
        is cheaper than gathering rows per split) or the parts differ in size.
        """
        if not hasattr(self.head, "logits_of_rows"):
            return None
        evaluated = self.splits.test.copy()
        if self.splits.validation is not None:
            evaluated |= self.splits.validation
        counts = evaluated.sum(1)
        if (counts != counts[0]).any():
            return None
        rows = np.nonzero(evaluated)[1].reshape(self.splits.k, counts[0])
        return torch.as_tensor(rows, device=self.x.device)

    def _logits(self) -> torch.Tensor:
        """Outputs ``[n, K]``; with :attr:`evaluation_rows`, 0 on rows a split does not
        evaluate (every metric masks them out)."""
        if self.evaluation_rows is None:
            return self.head.logits(self.x)
        values = self.head.logits_of_rows(self.x, self.evaluation_rows)  # [K, m]
        logits = torch.zeros(
            self.splits.k, self.x.shape[0], dtype=values.dtype, device=values.device
        )
        return logits.scatter_(1, self.evaluation_rows, values).T

    # -- minibatch schedules: each yields (epoch, rows) with rows [B] or [K, B] -------------

    def shared_schedule(self, rng: np.random.Generator):
        # As many steps per epoch as a split's own loop would take, over all n rows in
        # nearly equal chunks (no tiny last step, whose single-row Adam update is as large
        # as a full one).
        n = self.x.shape[0]
        n_fit = int(self.splits.fit[0].sum())
        steps = math.ceil(n_fit / self.settings.batch_size)
        bounds = np.linspace(0, n, steps + 1).round().astype(int)
        for epoch in range(self.settings.epochs):
            order = torch.as_tensor(rng.permutation(n), device=self.x.device)
            for start, stop in itertools.pairwise(bounds):
                yield epoch, order[start:stop]

    def per_split_schedule(self, permutations: np.ndarray):
        order = torch.as_tensor(permutations, device=self.x.device)  # [K, E, n_fit]
        n_fit = order.shape[2]
        for epoch in range(self.settings.epochs):
            for start in range(0, n_fit, self.settings.batch_size):
                yield epoch, order[:, epoch, start : start + self.settings.batch_size]

    # -- training ------------------------------------------------------------------------

    def _loss_gradients(self, rows: torch.Tensor):
        """Per-split mean loss and the gradients of the head's parameters for one step."""
        # index_select copies whole rows, several times faster than advanced indexing.
        xb = self.x.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)
        if rows.ndim == 1:  # shared rows [B, N], each split keeps its own training rows
            member = self.fit_mask[rows].to(xb.dtype)  # [B, K]
            target = self.y[rows][:, None]
        else:  # one block of rows per split, [K, B, N]
            member = torch.ones(rows.shape[1], rows.shape[0], dtype=xb.dtype, device=xb.device)
            target = self.y[rows].T  # [B, K]
        # Mean over each split's rows. A split with no row in this step gets a zero
        # gradient (shared schedule only, when B is tiny relative to the test part).
        member = member / member.sum(0).clamp_min(1)
        return self.head.loss_and_gradients(xb, member, target, self.loss_fn)

    def run(self, schedule) -> ProbeResult:
        s = self.settings
        epochs, k = s.epochs, self.splits.k
        optimiser = AdamW(self.head.parameters, s.learning_rate, s.weight_decay)
        test_history = np.full((epochs, k), np.nan)
        validation_history = None if self.validation_mask is None else test_history.copy()
        train_loss = np.zeros((epochs, k))
        steps_in_epoch = np.zeros(epochs)
        epoch_loss = torch.zeros(k, device=self.x.device)
        current_epoch = 0
        for epoch, rows in schedule:
            if epoch != current_epoch:
                train_loss[current_epoch] = (epoch_loss / steps_in_epoch[current_epoch]).cpu()
                self._evaluate(current_epoch, test_history, validation_history)
                epoch_loss.zero_()
                current_epoch = epoch
            loss, gradients = self._loss_gradients(rows)
            epoch_loss += loss
            steps_in_epoch[epoch] += 1
            optimiser.step(gradients)
        train_loss[current_epoch] = (epoch_loss / max(steps_in_epoch[current_epoch], 1)).cpu()
        self._evaluate(current_epoch, test_history, validation_history)

        selector = test_history if validation_history is None else validation_history
        # First epoch with the best selection metric (ties keep the earlier one, like the
        # reference's strict ">" comparison); NaN epochs never win.
        best_epoch = np.argmax(np.nan_to_num(selector, nan=-np.inf), axis=0)
        assert np.array_equal(best_epoch, self._best_epoch)
        scores = test_history[best_epoch, np.arange(k)]
        return ProbeResult(
            best_outputs=self._best_outputs.cpu().numpy(),
            scores=scores,
            best_epoch=best_epoch,
            test_history=test_history,
            train_loss=train_loss,
            validation_history=validation_history,
            n_fit=int(self.splits.fit[0].sum()),
            n_test=int(self.splits.test[0].sum()),
        )

    @torch.no_grad()
    def _evaluate(self, epoch, test_history, validation_history) -> None:
        """Score every split after ``epoch``; keep the outputs of each split's best epoch."""
        logits = self._logits()  # [n, K]
        test_history[epoch] = self.metric(logits, self.y, self.test_mask).cpu().numpy()
        selection = test_history
        if validation_history is not None:
            validation_history[epoch] = (
                self.metric(logits, self.y, self.validation_mask).cpu().numpy()
            )
            selection = validation_history
        current = np.nan_to_num(selection[epoch], nan=-np.inf)
        if epoch == 0:
            self._best_selection = current
            self._best_epoch = np.zeros(len(current), dtype=np.int64)
            self._best_outputs = logits.clone()
            return
        improved = current > self._best_selection
        self._best_selection = np.where(improved, current, self._best_selection)
        self._best_epoch = np.where(improved, epoch, self._best_epoch)
        mask = torch.as_tensor(improved, device=logits.device)
        self._best_outputs = torch.where(mask, logits, self._best_outputs)
