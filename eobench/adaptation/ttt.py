"""Test-time training with multimodal reconstruction: TTT-MMR and TTT-MMR-Geo (MMEarth-Bench).

From a jointly trained (JT) model, every test batch adapts its own copy of the encoder to
the batch's modality reconstructions, then predicts the task with the adapted encoder:

- all encoder parameters adapt; decoders and task head stay frozen; every module is in eval
  mode; the encoder starts from the JT weights for every batch;
- per step, for each modality with at least one valid value in the batch, the gradient of its
  reconstruction loss with respect to the encoder parameters is divided by its L2 norm over
  all parameters (+1e-6); those normalised gradients are averaged over the modalities present
  and the encoder takes one SGD step of ``lr`` (1e-2). A batch with no valid value in any
  modality keeps the JT weights;
- a modality's reconstruction loss is MSE (continuous) or cross-entropy (categorical),
  averaged over the valid elements of each sample and then over the samples that have any;
- the number of steps is chosen on validation batches (:func:`choose_steps`): each runs
  ``max_steps`` (5) steps, votes for the step with the lowest task loss, and the test uses
  the rounded mean of the votes. As in the official MMEarth-Bench code, step 0 (no
  adaptation) is not a candidate: the votes are 1 to ``max_steps``; Python's ``round``
  (half to even) rounds the mean, as there.

Batches come from :mod:`eobench.adaptation.geo_batches`: ``random_batches`` (TTT-MMR) or
``geographic_batches`` (TTT-MMR-Geo), lists of sample indices of 8 to 15 samples.

Two implementations give the same predictions: :func:`ttt_sequential`, the reference (one
batch at a time, plain autograd, the encoder reloaded from the saved JT state dict before
each batch), and :func:`ttt_vectorised` (``torch.func``: per-batch parameter copies, ``vmap``
over the batches of a chunk, ``jacrev`` for the per-modality gradients; batches padded to the
chunk's largest, the padded samples masked out of every loss).

What the caller hands over
--------------------------
- a :class:`JointModel`: ``encoder(inputs [B, C, H, W]) -> features``, ``decoders`` (a
  ``ModuleDict``, modality -> ``decoder(features) -> reconstruction``), ``head(features) ->
  prediction`` and ``kinds`` (modality -> ``"continuous"`` or ``"categorical"``). The
  encoder must treat samples independently (eval mode: no batch statistics), as the padding
  relies on it;
- a :class:`TTTData` per split: ``inputs`` [N, C, H, W]; per modality ``targets`` and
  ``valid`` (bool) masks: continuous targets have the reconstruction's shape [N, ...] (NaN
  allowed where not valid), categorical targets are class indices [N, ...] (any value where
  not valid) for logits [N, K, ...]; ``valid`` has the target's shape; and ``task_target``
  (validation only);
- the batches (lists of indices into the split) and, on validation, ``task_loss(prediction,
  target) -> scalar tensor`` (the training loss, masking unlabelled targets itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, vjp, vmap

from eobench.errors import EobenchError

INNER_LR = 1e-2
MAX_STEPS = 5
NORM_EPS = 1e-6
KINDS = ("continuous", "categorical")


@dataclass
class JointModel:
    """The three parts of a jointly trained model that TTT uses.

    Attributes
    ----------
    encoder : nn.Module
        ``encoder(inputs) -> features``; TTT adapts all its parameters.
    decoders : nn.ModuleDict
        Modality name -> ``decoder(features) -> reconstruction`` (frozen).
    head : nn.Module
        ``head(features) -> task prediction`` (frozen).
    kinds : dict of str to str
        Modality name -> ``"continuous"`` (MSE) or ``"categorical"`` (cross-entropy).
    """

    encoder: nn.Module
    decoders: nn.ModuleDict
    head: nn.Module
    kinds: dict[str, str]

    def __post_init__(self):
        for name in self.decoders:
            if self.kinds.get(name) not in KINDS:
                raise EobenchError(
                    f"ttt: decoder modality {name!r} needs a kind in {KINDS}, "
                    f"got {self.kinds.get(name)!r}"
                )

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(self.decoders)

    def prepare(self, device) -> JointModel:
        """Move every part to ``device`` and put it in eval mode (in place)."""
        for part in (self.encoder, self.decoders, self.head):
            part.to(device).eval()
        return self


@dataclass
class TTTData:
    """The samples of one split (or batch) that TTT reads; see the module docstring.

    Attributes
    ----------
    inputs : Tensor
        [N, C, H, W] encoder input.
    targets : dict of str to Tensor
        Modality -> reconstruction target [N, ...].
    valid : dict of str to Tensor
        Modality -> bool mask of the target's shape, True where the target is valid.
    task_target : Tensor or None
        [N, ...] task labels (validation only).
    """

    inputs: Tensor
    targets: dict[str, Tensor]
    valid: dict[str, Tensor]
    task_target: Tensor | None = None

    def __len__(self) -> int:
        return len(self.inputs)

    def take(self, indices, device=None) -> TTTData:
        """The samples at ``indices``, moved to ``device``."""
        index = torch.as_tensor(np.asarray(indices), dtype=torch.long)

        def pick(tensor):
            return tensor[index].to(device) if device is not None else tensor[index]

        return TTTData(
            inputs=pick(self.inputs),
            targets={name: pick(t) for name, t in self.targets.items()},
            valid={name: pick(v) for name, v in self.valid.items()},
            task_target=None if self.task_target is None else pick(self.task_target),
        )

    def check(self, modalities: Sequence[str]) -> None:
        """Raise when a decoder's modality has no target or mask."""
        for name in modalities:
            if name not in self.targets or name not in self.valid:
                raise EobenchError(f"ttt: the data have no target or valid mask for {name!r}")


@dataclass
class StepChoice:
    """The number of TTT steps chosen on validation.

    Attributes
    ----------
    steps : int
        Steps used on test: the rounded mean of ``votes``.
    votes : ndarray of int
        Per voting validation batch, the step (1 to max_steps) of lowest task loss.
    losses : ndarray of float
        [n_batches, max_steps + 1] task loss of every validation batch after 0..max_steps
        steps (column 0, no adaptation, is shown but is not a candidate).
    """

    steps: int
    votes: np.ndarray
    losses: np.ndarray


def per_sample_losses(kind: str, reconstruction: Tensor, target: Tensor, valid: Tensor):
    """Each sample's reconstruction loss: MSE (continuous) or cross-entropy over dim 1
    (categorical), averaged over the sample's valid elements (0 when it has none).

    Returns
    -------
    losses : Tensor
        [B] per-sample losses.
    has_values : Tensor
        [B] bool, True where the sample has any valid element.
    """
    if kind == "categorical":
        # Invalid targets (e.g. 255) are replaced by a class index so that gather stays in range.
        safe = torch.where(valid, target, torch.zeros_like(target)).long()
        picked = reconstruction.gather(1, safe.unsqueeze(1)).squeeze(1)
        error = torch.logsumexp(reconstruction, dim=1) - picked
    else:
        # NaN targets would turn the masked-out gradient into NaN (0 * NaN): zero them first.
        error = (reconstruction - torch.nan_to_num(target, nan=0.0)) ** 2
    error = torch.where(valid, error, torch.zeros_like(error))
    if error.ndim == 1:  # one value per sample (a tile-level class): nothing to average
        return error, valid
    dims = tuple(range(1, error.ndim))
    count = valid.sum(dim=dims)
    return error.sum(dim=dims) / count.clamp_min(1), count > 0


def batch_losses(losses: Tensor, has_values: Tensor):
    """Mean of the per-sample ``losses`` over the samples with values, along the last dim.

    Returns
    -------
    loss : Tensor
        The batch loss (0 where no sample has values).
    present : Tensor
        bool, True where any sample has values.
    """
    n_samples = has_values.sum(dim=-1)
    return (losses * has_values).sum(dim=-1) / n_samples.clamp_min(1), n_samples > 0


def modality_loss(kind: str, reconstruction: Tensor, target: Tensor, valid: Tensor):
    """A modality's reconstruction loss on one batch and whether any value of it is valid:
    :func:`per_sample_losses` averaged over the samples that have values."""
    return batch_losses(*per_sample_losses(kind, reconstruction, target, valid))


def _reconstruction_losses(model: JointModel, features: Tensor, targets: dict, valid: dict):
    """Per-modality losses [M] and presence flags [M], in ``model.modalities`` order."""
    results = [
        modality_loss(model.kinds[name], model.decoders[name](features), targets[name], valid[name])
        for name in model.modalities
    ]
    return torch.stack([loss for loss, _ in results]), torch.stack([p for _, p in results])


# ---------------------------------------------------------------- the sequential reference


@dataclass
class BatchAdaptation:
    """One batch adapted by the reference: predictions after 0..steps steps
    ([steps + 1, B, ...]) and the encoder parameters after the last step."""

    predictions: Tensor
    parameters: dict[str, Tensor]


def adapt_batch(model: JointModel, batch: TTTData, steps: int, lr: float = INNER_LR):
    """Adapt the encoder on one batch with plain autograd, in place (the reference step).

    The caller resets the encoder afterwards; :func:`ttt_sequential` does.

    Returns
    -------
    BatchAdaptation
    """
    parameters = [p for p in model.encoder.parameters() if p.requires_grad]
    predictions = []
    with torch.enable_grad():
        for step in range(steps + 1):
            features = model.encoder(batch.inputs)
            with torch.no_grad():
                predictions.append(model.head(features))
            if step == steps:
                break
            losses, present = _reconstruction_losses(model, features, batch.targets, batch.valid)
            gradients = [
                torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True)
                for loss, is_present in zip(losses, present, strict=True)
                if is_present
            ]
            _sgd_on_mean_normalised(parameters, gradients, lr)
    adapted = {name: p.detach().clone() for name, p in model.encoder.named_parameters()}
    return BatchAdaptation(torch.stack(predictions), adapted)


def _sgd_on_mean_normalised(parameters: list[Tensor], gradients: list[tuple], lr: float) -> None:
    """One SGD step on the mean over modalities of the L2-normalised gradients."""
    if not gradients:
        return
    normalised = []
    for per_parameter in gradients:
        filled = [
            torch.zeros_like(p) if g is None else g
            for p, g in zip(parameters, per_parameter, strict=True)
        ]
        norm = torch.linalg.vector_norm(torch.cat([g.flatten() for g in filled]))
        normalised.append([g / (norm + NORM_EPS) for g in filled])
    with torch.no_grad():
        for i, parameter in enumerate(parameters):
            parameter -= lr * torch.stack([grads[i] for grads in normalised]).mean(dim=0)


def ttt_sequential(
    model: JointModel,
    data: TTTData,
    batches: Sequence[np.ndarray],
    steps: int,
    *,
    lr: float = INNER_LR,
    device="cpu",
) -> list[Tensor]:
    """TTT-MMR one batch at a time, the encoder reloaded from its JT state before each.

    Parameters
    ----------
    model : JointModel
        The JT model; moved to ``device`` and put in eval mode. Its encoder ends at the JT
        weights.
    data : TTTData
        The split's samples.
    batches : sequence of index arrays
        The TTT batches (indices into ``data``).
    steps : int
        Adaptation steps per batch.
    lr : float, default 1e-2
        Inner SGD learning rate.
    device : str or torch.device
        Where to compute.

    Returns
    -------
    list of Tensor
        Per batch, the predictions after 0..steps steps, [steps + 1, len(batch), ...] (CPU).
    """
    model.prepare(device)
    data.check(model.modalities)
    jt_state = {k: v.detach().clone() for k, v in model.encoder.state_dict().items()}
    predictions = []
    try:
        for indices in batches:
            model.encoder.load_state_dict(jt_state)
            adapted = adapt_batch(model, data.take(indices, device), steps, lr)
            predictions.append(adapted.predictions.cpu())
    finally:
        model.encoder.load_state_dict(jt_state)
    return predictions


# ---------------------------------------------------------------- the vectorised version


def ttt_vectorised(
    model: JointModel,
    data: TTTData,
    batches: Sequence[np.ndarray],
    steps: int,
    *,
    lr: float = INNER_LR,
    chunk_size: int = 32,
    device="cpu",
) -> list[Tensor]:
    """TTT-MMR on all batches at once with ``torch.func``, ``chunk_size`` batches per chunk.

    Same parameters and result as :func:`ttt_sequential`, plus ``chunk_size``: the number of
    batches adapted together, which bounds the memory (one encoder copy and one batch's
    activations per batch of the chunk). The encoder's own parameters are not modified.
    """
    if chunk_size < 1:
        raise EobenchError(f"ttt chunk_size: must be at least 1, got {chunk_size}")
    model.prepare(device)
    data.check(model.modalities)
    adapt = _vectorised_adaptation(model, lr)
    predictions = []
    for start in range(0, len(batches), chunk_size):
        chunk = batches[start : start + chunk_size]
        stacked, sizes = _pad_and_stack([data.take(indices, device) for indices in chunk])
        per_step = adapt(stacked, steps)  # [K, steps + 1, P, ...]
        predictions.extend(per_step[k, :, :size].cpu() for k, size in enumerate(sizes))
    return predictions


def _vectorised_adaptation(model: JointModel, lr: float):
    """``adapt(stacked, steps) -> predictions [K, steps + 1, P, ...]`` for a padded chunk.

    Only the encoder, whose parameters differ between batches, runs under ``vmap``; the
    frozen decoders and head run once on the chunk's K * P samples, and each modality's
    gradient with respect to the features of all batches comes from one backward pass (a
    batch's loss depends on its own features only). Those gradients then go back through
    the encoder together: ``vmap`` over modalities of the encoder's ``vjp``.
    """
    encoder = model.encoder
    # Parameters that do not require gradients (fixed tables) stay constants, as buffers.
    jt_parameters = {k: v.detach() for k, v in encoder.named_parameters() if v.requires_grad}
    buffers = {k: v.detach() for k, v in encoder.named_buffers()}
    buffers.update({k: v.detach() for k, v in encoder.named_parameters() if not v.requires_grad})

    def encode(parameters, inputs):
        return functional_call(encoder, (parameters, buffers), (inputs,))

    encode_batches = vmap(encode)  # parameters [K, ...], inputs [K, P, ...]

    def feature_gradients(features: Tensor, stacked: TTTData):
        """Per modality: d(batch loss)/d(features) [K, P, ...] and presence [K]."""
        k, p = features.shape[:2]
        flat = features.detach().flatten(0, 1).requires_grad_()
        gradients, present = [], []
        for name in model.modalities:
            per_sample, has_values = per_sample_losses(
                model.kinds[name],
                model.decoders[name](flat),
                stacked.targets[name].flatten(0, 1),
                stacked.valid[name].flatten(0, 1),
            )
            losses, is_present = batch_losses(per_sample.view(k, p), has_values.view(k, p))
            (gradient,) = torch.autograd.grad(losses.sum(), flat)
            gradients.append(gradient.view_as(features))
            present.append(is_present)
        return torch.stack(gradients), torch.stack(present), flat.detach()

    def step(parameters, stacked: TTTData):
        with torch.enable_grad():
            features, encoder_vjp = vjp(lambda q: encode_batches(q, stacked.inputs), parameters)
            gradients, present, flat = feature_gradients(features, stacked)
            (jacobian,) = vmap(encoder_vjp)(gradients)  # name -> [M, K, ...]
        squared_norms = sum(j.flatten(2).pow(2).sum(dim=2) for j in jacobian.values())
        # The mean over the present modalities of g_m / (|g_m| + eps), as weights on g_m.
        weights = present / (squared_norms.sqrt() + NORM_EPS) / present.sum(dim=0).clamp_min(1)
        updated = {
            name: q - lr * torch.einsum("mk,mk...->k...", weights, jacobian[name])
            for name, q in parameters.items()
        }
        return updated, _head_on_batches(model, flat, features.shape[:2])

    def adapt(stacked: TTTData, steps: int) -> Tensor:
        k = len(stacked.inputs)
        parameters = {name: q.expand(k, *q.shape) for name, q in jt_parameters.items()}
        predictions = []
        for _ in range(steps):
            parameters, prediction = step(parameters, stacked)
            predictions.append(prediction)
        with torch.no_grad():
            features = encode_batches(parameters, stacked.inputs)
            predictions.append(_head_on_batches(model, features.flatten(0, 1), features.shape[:2]))
        return torch.stack(predictions, dim=1)

    return adapt


def _head_on_batches(model: JointModel, flat_features: Tensor, batch_shape) -> Tensor:
    with torch.no_grad():
        prediction = model.head(flat_features)
    return prediction.view(*batch_shape, *prediction.shape[1:])


def _pad_and_stack(batches: list[TTTData]):
    """Stack batches into [K, P, ...] tensors, padding each to the largest P with zeros
    (False in the valid masks, so the padded samples are out of every loss)."""
    sizes = [len(b) for b in batches]
    largest = max(sizes)

    def stack(tensors):
        return torch.stack([_pad_rows(t, largest) for t in tensors])

    stacked = TTTData(
        inputs=stack([b.inputs for b in batches]),
        targets={name: stack([b.targets[name] for b in batches]) for name in batches[0].targets},
        valid={name: stack([b.valid[name] for b in batches]) for name in batches[0].valid},
    )
    return stacked, sizes


def _pad_rows(tensor: Tensor, rows: int) -> Tensor:
    padding = tensor.new_zeros((rows - len(tensor), *tensor.shape[1:]))
    return torch.cat([tensor, padding])


# ---------------------------------------------------------------- steps, predictions, report


def validation_losses(
    predictions: Sequence[Tensor],
    data: TTTData,
    batches: Sequence[np.ndarray],
    task_loss: Callable[[Tensor, Tensor], Tensor],
) -> np.ndarray:
    """Task loss of every batch after every step: [n_batches, steps + 1] (NaN when the
    batch has no labelled target)."""
    if data.task_target is None:
        raise EobenchError("ttt: the validation data have no task_target")
    rows = []
    for per_step, indices in zip(predictions, batches, strict=True):
        target = data.task_target[torch.as_tensor(np.asarray(indices), dtype=torch.long)]
        rows.append([float(task_loss(p, target.to(p.device))) for p in per_step])
    return np.asarray(rows, dtype=float)


def choose_steps(losses: np.ndarray) -> StepChoice:
    """The test's number of steps from validation losses [n_batches, max_steps + 1].

    Each batch votes for its step of lowest loss among 1..max_steps (step 0 is no
    adaptation and not a candidate; the first such step on ties); batches whose losses
    are all NaN do not vote. The result is the mean vote rounded half to even.
    """
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 2 or losses.shape[1] < 2:
        raise ValueError(f"losses must be [n_batches, max_steps + 1], got {losses.shape}")
    candidates = losses[:, 1:]
    voting = ~np.isnan(candidates).all(axis=1)
    if not voting.any():
        raise EobenchError("ttt: no validation batch has a labelled target to choose the steps")
    votes = np.nanargmin(candidates[voting], axis=1) + 1
    return StepChoice(steps=round(float(votes.mean())), votes=votes, losses=losses)


def choose_steps_on_validation(
    model: JointModel,
    data: TTTData,
    batches: Sequence[np.ndarray],
    task_loss: Callable[[Tensor, Tensor], Tensor],
    *,
    max_steps: int = MAX_STEPS,
    vectorised: bool = True,
    **options,
) -> StepChoice:
    """Run ``max_steps`` steps on every validation batch and choose the test's steps.

    ``options`` (``lr``, ``device``, ``chunk_size`` when vectorised) go to the TTT function.
    """
    run = ttt_vectorised if vectorised else ttt_sequential
    predictions = run(model, data, batches, max_steps, **options)
    return choose_steps(validation_losses(predictions, data, batches, task_loss))


def in_sample_order(predictions: Sequence[Tensor], batches: Sequence[np.ndarray], step: int = -1):
    """The predictions after ``step`` steps (default: the last) as one [N, ...] tensor in the
    split's sample order."""
    order = np.concatenate([np.asarray(b) for b in batches])
    chosen = torch.cat([p[step] for p in predictions])
    result = torch.empty_like(chosen)
    result[torch.as_tensor(order, dtype=torch.long)] = chosen
    return result


def ttt_predict(
    model: JointModel,
    data: TTTData,
    batches: Sequence[np.ndarray],
    steps: int,
    *,
    vectorised: bool = True,
    **options,
) -> Tensor:
    """Predictions [N, ...] of a test split after ``steps`` TTT steps on each batch, in the
    split's sample order (``options`` as in :func:`choose_steps_on_validation`)."""
    run = ttt_vectorised if vectorised else ttt_sequential
    return in_sample_order(run(model, data, batches, steps, **options), batches)


def change_against_jt(score_ttt, score_jt):
    """TTT's score minus JT's (element-wise)."""
    return np.asarray(score_ttt, dtype=float) - np.asarray(score_jt, dtype=float)


def normalised_improvement(r2_ttt, r2_jt):
    """``(r2_ttt - r2_jt) / (1 - r2_jt)``: the share of JT's remaining error that TTT
    removes (element-wise; NaN where ``r2_jt`` is 1)."""
    new, old = np.asarray(r2_ttt, dtype=float), np.asarray(r2_jt, dtype=float)
    headroom = 1.0 - old
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(headroom == 0, np.nan, (new - old) / headroom)
