"""The SVM probe against NeuCo-Bench's search: skopt.BayesSearchCV over per-split SVMs."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.metrics import f1_score, r2_score
from sklearn.model_selection import ShuffleSplit
from sklearn.svm import SVC, SVR

from eobench.errors import EobenchError
from eobench.probes.heads import ProbeHead, fit_head
from eobench.probes.linear import ProbeSettings
from eobench.probes.runtime import planted_regression
from eobench.probes.splits import Splits, make_splits
from eobench.probes.svm import SVMSearch, svm_probe, svm_targets

skopt = pytest.importorskip("skopt")

#: NeuCo-Bench's configs/sample_config_svm.yaml, probe_params.
SAMPLE_PROBE_PARAMS = {
    "C_start_end": [0.001, 1000],
    "epsilon_list": [0.01, 0.05, 0.1, 0.5],
    "kernel_degree_list": [2, 3],
    "kernel_gamma_start_end": [0.0001, 10],
    "kernel_coef0_start_end": [-1, 2],
    "opt_params": {
        "n_iter": 50,
        "n_jobs": 1,
        "n_points": 1,
        "optimizer_kwargs": {"base_estimator": "RF", "n_initial_points": 5},
        "verbose": 1,
    },
}
N_SAMPLES, DIM, K_SPLITS = 150, 16, 3


def small_search(n_iter: int = 6, n_initial_points: int = 3, **changes) -> SVMSearch:
    """The sample config's space with a short search (a few trials past the random ones)."""
    params = copy.deepcopy(SAMPLE_PROBE_PARAMS)
    params["opt_params"]["n_iter"] = n_iter
    params["opt_params"]["optimizer_kwargs"]["n_initial_points"] = n_initial_points
    for name, value in changes.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = value
    return SVMSearch.from_probe_params(params)


def task_data(task_type: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = planted_regression(N_SAMPLES, DIM, seed=1)
    if task_type == "cls":
        y = (y > np.median(y)).astype(np.float64)
    return x, y


def shuffle_split() -> ShuffleSplit:
    """Upstream's splitter for K splits."""
    return ShuffleSplit(n_splits=K_SPLITS, test_size=0.1, random_state=42)


def bayes_search(task_type: str, search: SVMSearch, x, y, cv) -> skopt.BayesSearchCV:
    """Upstream's search (evaluation/probes/svm.py), fitted on ``x``, ``y``."""
    estimator, metric, scoring = (
        (SVC(), "f1", "accuracy") if task_type == "cls" else (SVR(), "r2", "neg_mean_squared_error")
    )
    opt = skopt.BayesSearchCV(
        estimator,
        search.dimensions(task_type),
        scoring={"metric": metric, "scoring": scoring},
        cv=cv,
        refit="scoring",
        n_iter=search.n_iter,
        n_points=search.n_points,
        optimizer_kwargs=search.optimizer_kwargs,
        random_state=search.random_state if search.random_state is not None else 42,
    )
    return opt.fit(x, svm_targets(y, task_type))


def split_metric(opt, part: str = "test") -> np.ndarray:
    """``[trials, K]`` metric of every trial on every split's ``part`` from cv_results_."""
    return np.stack([opt.cv_results_[f"split{k}_{part}_metric"] for k in range(K_SPLITS)], 1)


# -- configuration ----------------------------------------------------------------------


def test_sample_config_is_accepted():
    search = SVMSearch.from_probe_params(SAMPLE_PROBE_PARAMS)
    assert search.c_range == (0.001, 1000.0)
    assert search.degrees == (2, 3)
    assert search.epsilons == (0.01, 0.05, 0.1, 0.5)
    assert search.gamma_range == (0.0001, 10.0)
    assert search.coef0_range == (-1.0, 2.0)
    assert (search.n_iter, search.n_points, search.random_state) == (50, 1, None)
    assert search.optimizer_kwargs == {"base_estimator": "RF", "n_initial_points": 5}
    assert sorted(search.dimensions("regr")) == [
        "C",
        "coef0",
        "degree",
        "epsilon",
        "gamma",
        "kernel",
    ]
    assert "epsilon" not in search.dimensions("cls")  # epsilon is SVR's alone


def test_single_values_are_accepted():
    search = SVMSearch.from_probe_params(
        {"C_start_end": [1, 10], "kernel_degree_list": 1, "epsilon_list": 0.2}
    )
    assert (search.degrees, search.epsilons, search.gamma_range) == ((1,), (0.2,), None)


def with_change(key: str, value):
    params = copy.deepcopy(SAMPLE_PROBE_PARAMS)
    *parents, last = key.split(".")
    target = params
    for parent in parents:
        target = target[parent]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return params


BAD_PARAMS = [
    ("C_start_end", KeyError, "probe_params.C_start_end: required"),
    ("kernel_degree_list", KeyError, "probe_params.kernel_degree_list: required"),
    ("kernel", "rbf", "probe_params.kernel: unknown key"),
    ("C_start_end", [1, 2, 3], "probe_params.C_start_end: must be a list"),
    ("C_start_end", 1.0, "probe_params.C_start_end: must be a list"),
    ("C_start_end", [10, 1], "probe_params.C_start_end: must be [low, high] with low < high"),
    ("C_start_end", [0, 1], "probe_params.C_start_end: a log-uniform range must be positive"),
    ("kernel_degree_list", [2, 2.5], "probe_params.kernel_degree_list: degrees must be positive"),
    ("kernel_degree_list", "3", "probe_params.kernel_degree_list: must be an integer"),
    ("kernel_degree_list", [], "probe_params.kernel_degree_list: must be an integer"),
    ("kernel_degree_list", [1, 2], "degree 1 cannot be searched together with kernel_gamma"),
    ("epsilon_list", [0.1, 0.0], "probe_params.epsilon_list: epsilons must be positive"),
    ("epsilon_list", -0.1, "probe_params.epsilon_list: epsilons must be positive"),
    ("epsilon_list", ["a"], "probe_params.epsilon_list: must be a number"),
    ("kernel_gamma_start_end", [1, 1], "kernel_gamma_start_end: must be [low, high] with low"),
    ("kernel_gamma_start_end", [-1, 1], "kernel_gamma_start_end: a log-uniform range must be"),
    ("kernel_coef0_start_end", [2, -1], "kernel_coef0_start_end: must be [low, high] with low"),
    ("kernel_coef0_start_end", [0], "kernel_coef0_start_end: must be a list"),
    ("opt_params.cv", 5, "probe_params.opt_params.cv: the splits are the task's"),
    ("opt_params.refit", True, "probe_params.opt_params.refit: unknown key"),
    ("opt_params.n_iter", 0, "probe_params.opt_params.n_iter: must be a positive integer"),
    ("opt_params.random_state", "x", "probe_params.opt_params.random_state: must be"),
    ("opt_params.optimizer_kwargs.kind", 1, "opt_params.optimizer_kwargs.kind: unknown key"),
    ("opt_params.optimizer_kwargs.random_state", 1, "optimizer_kwargs.random_state: unknown"),
]


@pytest.mark.parametrize(("key", "value", "message"), BAD_PARAMS)
def test_bad_params_are_rejected_naming_the_key(key, value, message):
    with pytest.raises(EobenchError, match=r"^config key ") as error:
        SVMSearch.from_probe_params(with_change(key, value))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_degree_one_is_rejected_with_coef0_alone():
    params = with_change("kernel_degree_list", [1, 3])
    del params["kernel_gamma_start_end"]
    with pytest.raises(
        EobenchError, match="degree 1 cannot be searched together with kernel_coef0"
    ):
        SVMSearch.from_probe_params(params)


def test_svm_head_from_config():
    head = ProbeHead.from_config("svm", {"type": "svm", "probe_params": SAMPLE_PROBE_PARAMS})
    assert head.svm_search == SVMSearch.from_probe_params(SAMPLE_PROBE_PARAMS)
    assert head.parameter_count(64) == 0 and not head.needs_validation
    bad = with_change("C_start_end", [5, 1])
    with pytest.raises(EobenchError, match=r"probe_heads\.s\.probe_params\.C_start_end: must"):
        ProbeHead.from_config("s", {"type": "svm", "probe_params": bad})
    with pytest.raises(EobenchError, match=r"probe_heads\.s\.probe_params: an svm head needs"):
        ProbeHead.from_config("s", {"type": "svm"})
    with pytest.raises(EobenchError, match=r"probe_heads\.s\.probe_params: only svm heads"):
        ProbeHead.from_config("s", {"type": "linear", "probe_params": SAMPLE_PROBE_PARAMS})


# -- the fits ----------------------------------------------------------------------------


def test_classification_targets_are_minus_one_and_one():
    assert svm_targets(np.array([0.0, 1.0, 0.0]), "cls").tolist() == [-1.0, 1.0, -1.0]
    assert svm_targets(np.array([0.0, 0.5]), "regr").tolist() == [0.0, 0.5]


SPACES = {
    "gamma and coef0": {},
    "gamma scale, coef0": {"kernel_gamma_start_end": None},
    "gamma scale, no coef0": {"kernel_gamma_start_end": None, "kernel_coef0_start_end": None},
}


@pytest.mark.parametrize("task_type", ["regr", "cls"])
@pytest.mark.parametrize("space", SPACES)
def test_precomputed_kernel_equals_poly_kernel_fits(task_type, space):
    """Every trial's test metric and the selected trial's outputs equal one
    ``kernel="poly"`` SVR/SVC per split on the raw embeddings, as upstream fits them."""
    x, y = task_data(task_type)
    search = small_search(n_iter=4, n_initial_points=4, **SPACES[space])
    result = svm_probe(x, y, task_type, make_splits(N_SAMPLES, K_SPLITS), search)
    target = svm_targets(y, task_type)
    for k, (train, test) in enumerate(shuffle_split().split(x)):
        for trial, params in enumerate(result.extra["trials"]):
            model = (SVC if task_type == "cls" else SVR)(**params).fit(x[train], target[train])
            predicted = model.predict(x[test])
            if task_type == "cls":
                metric = f1_score(target[test], predicted)
                outputs = model.decision_function(x[test])
                assert np.array_equal(np.where(outputs > 0, 1.0, -1.0), predicted)
            else:
                metric = r2_score(target[test], predicted)
                outputs = predicted
            assert result.test_history[trial, k] == pytest.approx(metric, abs=1e-9)
            if trial == result.best_epoch[k]:
                np.testing.assert_allclose(result.best_outputs[test, k], outputs, atol=1e-9)
                assert result.extra["support_vectors"][k] == len(model.support_)


# -- the search against BayesSearchCV ----------------------------------------------------


@pytest.fixture(scope="module", params=["regr", "cls"])
def neuco_pair(request):
    """Our probe and upstream's BayesSearchCV on the same task, search and splits."""
    task_type = request.param
    x, y = task_data(task_type)
    search = small_search()
    result = svm_probe(x, y, task_type, make_splits(N_SAMPLES, K_SPLITS), search, seed=42)
    return result, bayes_search(task_type, search, x, y, shuffle_split())


def test_trials_equal_bayes_search(neuco_pair):
    result, opt = neuco_pair
    assert result.extra["trials"] == [dict(p) for p in opt.cv_results_["params"]]
    np.testing.assert_allclose(result.test_history, split_metric(opt), rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        result.extra["objective"], opt.cv_results_["mean_test_scoring"], rtol=0, atol=1e-12
    )


def test_split_score_is_the_best_trial_on_its_test_part(neuco_pair):
    result, opt = neuco_pair
    per_trial = split_metric(opt)
    for k in range(K_SPLITS):
        assert result.scores[k] == pytest.approx(per_trial[:, k].max(), abs=1e-10)
        assert per_trial[result.best_epoch[k], k] == per_trial[:, k].max()
        assert result.extra["hyperparameters"][k] == dict(
            opt.cv_results_["params"][result.best_epoch[k]]
        )


def test_batches_of_points_equal_bayes_search():
    """``n_points > 1``: the optimiser proposes several trials at once, as upstream's does."""
    x, y = task_data("regr")
    params = with_change("opt_params.n_points", 2)
    params["opt_params"].update(
        n_iter=5, optimizer_kwargs={"base_estimator": "RF", "n_initial_points": 2}
    )
    search = SVMSearch.from_probe_params(params)
    result = svm_probe(x, y, "regr", make_splits(N_SAMPLES, K_SPLITS), search)
    opt = bayes_search("regr", search, x, y, shuffle_split())
    assert len(result.extra["trials"]) == 5  # batches of 2, 2 and the 1 left
    assert result.extra["trials"] == [dict(p) for p in opt.cv_results_["params"]]
    np.testing.assert_allclose(result.test_history, split_metric(opt), rtol=0, atol=1e-10)


# -- strict protocol ---------------------------------------------------------------------


def strict_splits() -> Splits:
    """Strict splits with ONE test part for every split, so its labels feed no fit."""
    rng = np.random.default_rng(3)
    test = np.zeros((K_SPLITS, N_SAMPLES), dtype=bool)
    test[:, rng.permutation(N_SAMPLES)[:15]] = True
    validation = np.zeros_like(test)
    for k in range(K_SPLITS):
        validation[k, rng.permutation(np.flatnonzero(~test[k]))[:15]] = True
    return Splits(fit=~(test | validation), test=test, validation=validation)


def test_strict_search_equals_bayes_search_on_validation_parts():
    x, y = task_data("regr")
    splits = strict_splits()
    search = small_search()
    result = svm_probe(x, y, "regr", splits, search, protocol="strict")
    cv = [(splits.fit_indices(k), np.flatnonzero(splits.validation[k])) for k in range(K_SPLITS)]
    opt = bayes_search("regr", search, x, y, cv)
    assert result.extra["trials"] == [dict(p) for p in opt.cv_results_["params"]]
    np.testing.assert_allclose(result.validation_history, split_metric(opt), rtol=0, atol=1e-10)
    chosen = np.argmax(result.validation_history, axis=0)
    assert np.array_equal(result.best_epoch, chosen)
    assert np.array_equal(result.scores, result.test_history[chosen, np.arange(K_SPLITS)])


def test_strict_never_looks_at_the_test_part():
    x, y = task_data("regr")
    splits = strict_splits()
    search = small_search(n_iter=5)
    result = svm_probe(x, y, "regr", splits, search, protocol="strict")
    shuffled = y.copy()
    test_rows = np.flatnonzero(splits.test[0])
    shuffled[test_rows] = y[np.random.default_rng(0).permutation(test_rows)]
    again = svm_probe(x, shuffled, "regr", splits, search, protocol="strict")
    assert again.extra["trials"] == result.extra["trials"]
    assert np.array_equal(again.best_epoch, result.best_epoch)
    np.testing.assert_array_equal(again.validation_history, result.validation_history)
    assert not np.allclose(again.test_history, result.test_history)  # the test labels did move


def test_fit_head_seeds_the_search_with_the_run_seed():
    x, y = task_data("regr")
    params = with_change("opt_params.n_iter", 3)
    head = ProbeHead.from_config("svm", {"type": "svm", "probe_params": params})
    settings = ProbeSettings(k_splits=K_SPLITS, seed=7)
    splits = make_splits(N_SAMPLES, K_SPLITS)
    result = fit_head(head, x, y, "regr", settings, "task", splits)
    direct = svm_probe(x, y, "regr", splits, head.svm_search, "neuco", seed=7)
    assert result.extra["trials"] == direct.extra["trials"]
    np.testing.assert_array_equal(result.scores, direct.scores)
    default_seed = svm_probe(x, y, "regr", splits, head.svm_search, "neuco", seed=42)
    assert default_seed.extra["trials"] != direct.extra["trials"]
