"""The NeuCo-Bench SVM probe: a polynomial-kernel SVM tuned by Bayesian optimisation.

The reference evaluator runs ``skopt.BayesSearchCV`` over the task's K splits: every trial
(C, degree, gamma, coef0, epsilon) fits one ``SVR``/``SVC(kernel="poly")`` per split on
the raw embeddings, and the optimiser maximises the mean over splits of the trial's
test-part MSE (regression, negated) or accuracy (classification). A split's score is the
best R^2 / F1 of any trial on its test part.

Here every kernel value comes from ONE Gram matrix ``X X^T`` per task: a trial turns it
into the polynomial kernel ``(gamma X X^T + coef0)^degree`` once and each split fits
``kernel="precomputed"`` on its own block, so no split evaluates an ``N``-dimensional dot
product. libsvm solves the same dual problem from the same kernel values (it caches them
in single precision either way), so the fits equal the per-split ``kernel="poly"`` fits
to rounding, and the trials come from the same ``skopt.Optimizer`` asked and told as
``BayesSearchCV`` does: the same sequence for the same ``random_state`` (both tested).

Protocols: ``neuco`` optimises and selects on the test parts, as the reference does;
``strict`` fits on each split's fit part, optimises and selects on its validation part and
scores the test part once at the chosen trial.
"""

from __future__ import annotations

import inspect
import numbers
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.svm import SVC, SVR

from eobench.errors import EobenchError
from eobench.metrics import METRICS
from eobench.probes.linear import ProbeResult
from eobench.probes.splits import Splits, shuffle_split

#: Keys of upstream's ``probe_params`` for ``probe_type: svm``.
REQUIRED_KEYS = ("C_start_end", "kernel_degree_list")
OPTIONAL_KEYS = ("epsilon_list", "kernel_gamma_start_end", "kernel_coef0_start_end", "opt_params")
#: ``BayesSearchCV`` arguments upstream passes through ``opt_params``. ``n_jobs`` and
#: ``verbose`` change neither the trials nor the scores and are accepted and ignored.
OPT_PARAMS_KEYS = ("n_iter", "n_jobs", "n_points", "optimizer_kwargs", "verbose", "random_state")
#: ``skopt.Optimizer`` arguments the search sets itself.
OWN_OPTIMIZER_ARGUMENTS = ("self", "dimensions", "random_state")
#: scikit-learn's ``SVR`` default, used when the search has no epsilon dimension.
DEFAULT_EPSILON = 0.1


@dataclass(frozen=True)
class SVMSearch:
    """Search space and optimiser settings of the SVM probe (upstream's ``probe_params``)."""

    c_range: tuple[float, float]
    degrees: tuple[int, ...]
    #: SVR epsilons searched (regression only); ``None``: scikit-learn's 0.1.
    epsilons: tuple[float, ...] | None = None
    #: Log-uniform gamma range; ``None``: scikit-learn's ``gamma="scale"`` per split.
    gamma_range: tuple[float, float] | None = None
    #: Uniform coef0 range; ``None``: 0.
    coef0_range: tuple[float, float] | None = None
    n_iter: int = 50
    n_points: int = 1
    #: Keyword arguments of ``skopt.Optimizer`` (``base_estimator``, ``n_initial_points``...).
    optimizer_kwargs: dict[str, Any] = field(default_factory=dict)
    #: Seed of the optimiser; ``None``: the run seed (upstream: the evaluator's 42).
    random_state: int | None = None

    @classmethod
    def from_probe_params(
        cls, params: Mapping[str, Any], key_prefix: str = "probe_params"
    ) -> SVMSearch:
        """Build from upstream's ``probe_params``; a bad entry raises naming its key."""
        if not isinstance(params, Mapping):
            raise EobenchError(f"config key {key_prefix}: must be a mapping")
        _reject_unknown(params, (*REQUIRED_KEYS, *OPTIONAL_KEYS), key_prefix)
        for name in REQUIRED_KEYS:
            if name not in params:
                raise EobenchError(f"config key {key_prefix}.{name}: required for an svm probe")

        def key(name: str) -> str:
            return f"{key_prefix}.{name}"

        degrees = _degrees(params["kernel_degree_list"], key("kernel_degree_list"))
        c_range = _range(params["C_start_end"], key("C_start_end"), positive=True)
        gamma_range = coef0_range = epsilons = None
        if params.get("kernel_gamma_start_end") is not None:
            gamma_range = _range(
                params["kernel_gamma_start_end"], key("kernel_gamma_start_end"), positive=True
            )
        if params.get("kernel_coef0_start_end") is not None:
            coef0_range = _range(params["kernel_coef0_start_end"], key("kernel_coef0_start_end"))
        ranges = {"kernel_gamma_start_end": gamma_range, "kernel_coef0_start_end": coef0_range}
        for name, given in ranges.items():
            # With degree 1, gamma and coef0 only rescale C and shift the intercept.
            if given is not None and 1 in degrees:
                raise EobenchError(
                    f"config key {key('kernel_degree_list')}: degree 1 cannot be searched "
                    f"together with {name}"
                )
        if params.get("epsilon_list") is not None:
            epsilons = _epsilons(params["epsilon_list"], key("epsilon_list"))
        options = _opt_params(params.get("opt_params") or {}, key("opt_params"))
        return cls(c_range, degrees, epsilons, gamma_range, coef0_range, **options)

    def dimensions(self, task_type: str) -> dict:
        """The ``skopt`` search space by parameter name, as upstream builds it."""
        from skopt.space import Categorical, Real

        space = {
            "C": Real(*self.c_range, prior="log-uniform"),
            "degree": Categorical(list(self.degrees)),
            "kernel": Categorical(["poly"]),
        }
        if self.gamma_range is not None:
            space["gamma"] = Real(*self.gamma_range, prior="log-uniform")
        if self.coef0_range is not None:
            space["coef0"] = Real(*self.coef0_range, prior="uniform")
        if self.epsilons is not None and task_type == "regr":
            space["epsilon"] = Categorical(list(self.epsilons))
        return space


def _reject_unknown(params: Mapping, known: Sequence[str], key_prefix: str) -> None:
    unknown = sorted(set(params) - set(known), key=str)
    if unknown:
        raise EobenchError(f"config key {key_prefix}.{unknown[0]}: unknown key")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _degrees(value: Any, key: str) -> tuple[int, ...]:
    """An int or a non-empty list of distinct positive ints."""
    degrees = [value] if _is_integer(value) else value
    if not isinstance(degrees, list | tuple) or not degrees:
        raise EobenchError(f"config key {key}: must be an integer or a list of integers")
    if not all(_is_integer(d) and d >= 1 for d in degrees):
        raise EobenchError(f"config key {key}: degrees must be positive integers, got {value}")
    if len(set(degrees)) != len(degrees):
        raise EobenchError(f"config key {key}: degrees must be distinct, got {value}")
    return tuple(int(d) for d in degrees)


def _range(value: Any, key: str, positive: bool = False) -> tuple[float, float]:
    """A ``[low, high]`` pair of numbers with ``low < high`` (and ``low > 0`` if asked)."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise EobenchError(f"config key {key}: must be a list [low, high] of two numbers")
    if not all(_is_number(v) for v in value):
        raise EobenchError(f"config key {key}: must be a list [low, high] of two numbers")
    low, high = float(value[0]), float(value[1])
    if not low < high:
        raise EobenchError(f"config key {key}: must be [low, high] with low < high, got {value}")
    if positive and low <= 0:
        # A log-uniform prior has no mass at or below zero.
        raise EobenchError(f"config key {key}: a log-uniform range must be positive, got {value}")
    return low, high


def _epsilons(value: Any, key: str) -> tuple[float, ...]:
    """A positive number or a non-empty list of positive numbers."""
    epsilons = [value] if _is_number(value) else value
    if not isinstance(epsilons, list | tuple) or not epsilons:
        raise EobenchError(f"config key {key}: must be a number or a list of numbers")
    if not all(_is_number(e) for e in epsilons):
        raise EobenchError(f"config key {key}: must be a number or a list of numbers")
    if not all(e > 0 for e in epsilons):
        raise EobenchError(f"config key {key}: epsilons must be positive, got {value}")
    return tuple(float(e) for e in epsilons)


def _opt_params(options: Any, key: str) -> dict[str, Any]:
    """``SVMSearch`` fields from upstream's ``opt_params`` (``BayesSearchCV`` arguments)."""
    if not isinstance(options, Mapping):
        raise EobenchError(f"config key {key}: must be a mapping")
    if "cv" in options:
        raise EobenchError(f"config key {key}.cv: the splits are the task's, cv must not be set")
    _reject_unknown(options, OPT_PARAMS_KEYS, key)
    for name in ("n_iter", "n_points", "n_jobs"):
        value = options.get(name, 1)
        if not _is_integer(value) or (name != "n_jobs" and value < 1):
            raise EobenchError(f"config key {key}.{name}: must be a positive integer")
    random_state = options.get("random_state")
    if random_state is not None and not (_is_integer(random_state) and random_state >= 0):
        raise EobenchError(f"config key {key}.random_state: must be a non-negative integer")
    return {
        "n_iter": int(options.get("n_iter", 50)),
        "n_points": int(options.get("n_points", 1)),
        "optimizer_kwargs": _optimizer_kwargs(options.get("optimizer_kwargs") or {}, key),
        "random_state": None if random_state is None else int(random_state),
    }


def _optimizer_kwargs(kwargs: Any, key: str) -> dict[str, Any]:
    """Keyword arguments of ``skopt.Optimizer``, minus those the search sets itself."""
    from skopt import Optimizer

    key = f"{key}.optimizer_kwargs"
    if not isinstance(kwargs, Mapping):
        raise EobenchError(f"config key {key}: must be a mapping")
    accepted = set(inspect.signature(Optimizer).parameters) - set(OWN_OPTIMIZER_ARGUMENTS)
    _reject_unknown(kwargs, sorted(accepted), key)
    initial = kwargs.get("n_initial_points", 10)
    if not _is_integer(initial) or initial < 0:
        raise EobenchError(f"config key {key}.n_initial_points: must be a non-negative integer")
    return dict(kwargs)


# -- the probe ---------------------------------------------------------------------------


def svm_probe(
    embeddings: np.ndarray,
    labels: np.ndarray,
    task_type: str,
    splits: Splits,
    search: SVMSearch,
    protocol: str = "neuco",
    seed: int = 42,
    *,
    split_seed: int = 42,
) -> ProbeResult:
    """Tune and score the SVM probe on every split of one task.

    Parameters
    ----------
    embeddings : array [n, N]
        Already standardised embeddings.
    labels : array [n]
        Regression labels (min-max normalised) or 0/1 classes.
    task_type : {"regr", "cls"}
    splits : Splits
        Fit and test parts; ``protocol="strict"`` needs validation parts.
    search : SVMSearch
    protocol : {"neuco", "strict"}
        What the optimiser and each split's choice of trial see: the test part
        (``neuco``, as upstream) or the validation part (``strict``).
    seed : int
        Seed of the optimiser when ``search.random_state`` is ``None``.
    split_seed : int
        ``random_state`` of the ``ShuffleSplit`` the splits come from, which fixes the
        order of each split's rows as upstream hands them to libsvm (see
        :func:`shuffle_split_fit_order`).

    Returns
    -------
    ProbeResult
        ``test_history`` [trials, K]: each trial's R^2 / F1 on every test part;
        ``best_epoch``: the selected trial of every split; ``best_outputs`` [n, K]: its
        predictions (regression) or decision values (classification, positive: class 1)
        on the test and validation rows, 0 elsewhere; ``extra["trials"]``: every trial's
        parameters, ``extra["hyperparameters"]``: each split's selected ones,
        ``extra["objective"]``: the mean score the optimiser maximised for each trial,
        ``extra["support_vectors"]``: the selected fits' support-vector counts,
        ``extra["optimizer_seconds"]``: the time spent asking and telling the optimiser.
    """
    if protocol == "strict" and splits.validation is None:
        raise ValueError("the strict protocol needs splits with validation parts")
    space = search.dimensions(task_type)
    optimizer = _make_optimizer(space, search, seed)
    fit_order = shuffle_split_fit_order(splits, split_seed)
    task = _SplitFits(embeddings, labels, task_type, splits, fit_order, protocol)
    trials, objective = [], []
    optimizer_seconds = 0.0
    remaining = search.n_iter
    while remaining > 0:
        # BayesSearchCV's _step: ask a batch, evaluate it, tell minus the mean score.
        start = time.perf_counter()
        points = optimizer.ask(n_points=min(remaining, search.n_points))
        points = [[np.array(v).item() for v in point] for point in points]
        optimizer_seconds += time.perf_counter() - start
        scores = [task.evaluate(_point_as_dict(space, point)) for point in points]
        start = time.perf_counter()
        optimizer.tell(points, [-score for score in scores])
        optimizer_seconds += time.perf_counter() - start
        trials.extend(_point_as_dict(space, point) for point in points)
        objective.extend(scores)
        remaining -= search.n_points
    result = task.result(trials, objective)
    # The optimiser's own cost (surrogate fits, acquisition) is the same as upstream's.
    result.extra["optimizer_seconds"] = optimizer_seconds
    return result


def _make_optimizer(space: dict, search: SVMSearch, seed: int):
    """The ``skopt.Optimizer`` that ``BayesSearchCV`` would build for ``space``."""
    from sklearn.utils import check_random_state
    from skopt import Optimizer

    random_state = seed if search.random_state is None else search.random_state
    # BayesSearchCV hands the optimiser a RandomState instance, not the integer.
    return Optimizer(
        dimensions=[space[name] for name in sorted(space)],
        random_state=check_random_state(random_state),
        **search.optimizer_kwargs,
    )


def _point_as_dict(space: dict, point: Sequence) -> dict[str, Any]:
    return dict(zip(sorted(space), point, strict=True))


def shuffle_split_fit_order(splits: Splits, split_seed: int) -> list[np.ndarray]:
    """Each split's fit rows in the order upstream's ``ShuffleSplit`` lists them.

    libsvm's solution depends on the order of its rows wherever its working-set choice has
    ties (an SVC's first step: every gradient is -1), within its stopping tolerance, so
    matching upstream's fits needs its order. Splits that are not those of
    ``ShuffleSplit(K, test_size, random_state=split_seed)`` keep their rows ascending.
    """
    n_test, n = int(splits.test[0].sum()), splits.test.shape[1]
    orders = []
    for k, (train, test) in enumerate(shuffle_split(n, splits.k, n_test, split_seed)):
        if splits.test[k].sum() != n_test or not splits.test[k, test].all():
            return [np.flatnonzero(fit) for fit in splits.fit]
        orders.append(train[splits.fit[k, train]])
    return orders


def svm_targets(labels: np.ndarray, task_type: str) -> np.ndarray:
    """Targets as upstream fits them: classes 0/1 become -1/+1, regression unchanged."""
    target = np.asarray(labels, dtype=np.float64)
    if task_type == "cls":
        return np.where(target == 0, -1.0, target)
    return target


def polynomial_kernel(gram: np.ndarray, gamma: float, coef0: float, degree: int) -> np.ndarray:
    """libsvm's polynomial kernel ``(gamma <x, y> + coef0) ** degree`` from dot products."""
    kernel = gram * gamma
    if coef0 != 0:
        kernel += coef0
    return kernel**degree


def scale_gamma(x_fit: np.ndarray) -> float:
    """scikit-learn's ``gamma="scale"``, ``1 / (N * Var(X_fit))``, of a split's fit data."""
    variance = x_fit.var()
    return 1.0 / (x_fit.shape[1] * variance) if variance != 0 else 1.0


class _SplitFits:
    """Fits of one task's K splits from one Gram matrix; collects every trial's scores."""

    def __init__(self, embeddings, labels, task_type, splits: Splits, fit_order, protocol: str):
        # libsvm works in float64; scikit-learn converts the same way before fitting.
        x = np.asarray(embeddings, dtype=np.float64)
        self.gram = x @ x.T
        self.labels = np.asarray(labels, dtype=np.float64)
        self.target = svm_targets(labels, task_type)
        self.task_type = task_type
        self.splits = splits
        self.fit_rows = fit_order
        evaluated = splits.test if splits.validation is None else splits.test | splits.validation
        self.eval_rows = [np.flatnonzero(evaluated[k]) for k in range(splits.k)]
        selection = splits.validation if protocol == "strict" else splits.test
        # Positions of the selection part inside each split's evaluated rows.
        self.selection_in_eval = [selection[k][self.eval_rows[k]] for k in range(splits.k)]
        self.protocol = protocol
        self.scale_gammas = [scale_gamma(x[rows]) for rows in self.fit_rows]
        self.outputs: list[np.ndarray] = []  # [n, K] per trial
        self.support_counts: list[np.ndarray] = []

    def _model(self, params: Mapping[str, Any]):
        if self.task_type == "cls":
            return SVC(kernel="precomputed", C=params["C"])
        return SVR(
            kernel="precomputed", C=params["C"], epsilon=params.get("epsilon", DEFAULT_EPSILON)
        )

    def _blocks(self, params: Mapping[str, Any], kernel: np.ndarray | None, k: int):
        """Split ``k``'s kernel blocks: fit x fit, and evaluated rows x fit."""
        fit, rows = self.fit_rows[k], self.eval_rows[k]
        source = self.gram if kernel is None else kernel
        # Rows, then columns, with take(): about twice as fast as indexing with np.ix_. Both
        # blocks are C-contiguous slices of one array, so libsvm gets them without a copy.
        block = source.take(np.concatenate([fit, rows]), axis=0).take(fit, axis=1)
        fit_block, eval_block = block[: len(fit)], block[len(fit) :]
        if kernel is not None:
            return fit_block, eval_block
        # gamma="scale" depends on the split's fit data: the kernel is built per split.
        degree, coef0 = params["degree"], params.get("coef0", 0.0)
        gamma = self.scale_gammas[k]
        return (
            polynomial_kernel(fit_block, gamma, coef0, degree),
            polynomial_kernel(eval_block, gamma, coef0, degree),
        )

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """Fit every split for one trial; return the mean selection-part score (neg MSE or
        accuracy), the quantity BayesSearchCV's optimiser maximises."""
        kernel = None
        if "gamma" in params:  # one kernel for all splits
            kernel = polynomial_kernel(
                self.gram, params["gamma"], params.get("coef0", 0.0), params["degree"]
            )
        outputs = np.zeros((len(self.labels), self.splits.k))
        supports = np.zeros(self.splits.k, dtype=np.int64)
        split_scores = np.empty(self.splits.k)
        for k in range(self.splits.k):
            fit_block, eval_block = self._blocks(params, kernel, k)
            model = self._model(params).fit(fit_block, self.target[self.fit_rows[k]])
            if self.task_type == "cls":
                values = model.decision_function(eval_block)
            else:
                values = model.predict(eval_block)
            outputs[self.eval_rows[k], k] = values
            supports[k] = len(model.support_)
            split_scores[k] = self._scoring(values, k)
        self.outputs.append(outputs)
        self.support_counts.append(supports)
        # scikit-learn's mean over splits (np.average of the splits' scores).
        return float(np.average(split_scores[None, :], axis=1)[0])

    def _scoring(self, values: np.ndarray, k: int) -> float:
        """The refit scoring of upstream's search on split ``k``'s selection part."""
        chosen = self.selection_in_eval[k]
        truth = self.target[self.eval_rows[k]][chosen]
        if self.task_type == "cls":
            # SVC predicts class +1 exactly where its decision value is positive.
            return float(accuracy_score(truth, np.where(values[chosen] > 0, 1.0, -1.0)))
        return -float(mean_squared_error(truth, values[chosen]))

    def _metric_history(self, part: np.ndarray) -> np.ndarray:
        """R^2 / F1 ``[trials, K]`` of every trial on ``part`` (boolean ``[K, n]``)."""
        metric = METRICS[self.task_type]
        labels = torch.as_tensor(self.labels)
        mask = torch.as_tensor(part.T)
        return np.stack([metric(torch.as_tensor(o), labels, mask).numpy() for o in self.outputs])

    def result(self, trials: list[dict], objective: list[float]) -> ProbeResult:
        """Every split's selected trial (best on its test or validation part) and scores."""
        k = self.splits.k
        test_history = self._metric_history(self.splits.test)
        validation_history = None
        selector = test_history
        if self.protocol == "strict":
            validation_history = self._metric_history(self.splits.validation)
            selector = validation_history
        # First trial with the best selection metric; NaN never wins.
        chosen = np.argmax(np.nan_to_num(selector, nan=-np.inf), axis=0)
        columns = np.arange(k)
        best_outputs = np.stack([self.outputs[t][:, j] for j, t in enumerate(chosen)], axis=1)
        return ProbeResult(
            scores=test_history[chosen, columns],
            best_epoch=chosen,
            test_history=test_history,
            train_loss=np.full((1, k), np.nan),
            validation_history=validation_history,
            n_fit=int(self.splits.fit[0].sum()),
            n_test=int(self.splits.test[0].sum()),
            best_outputs=best_outputs,
            extra={
                "trials": trials,
                "objective": objective,
                "hyperparameters": [trials[t] for t in chosen],
                "support_vectors": np.stack(self.support_counts)[chosen, columns],
            },
        )
