"""Converged probes against scikit-learn's Ridge and LogisticRegression per split."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, r2_score

from eobench.probes.converged import logistic_probe, ridge_probe
from eobench.probes.linear import ProbeSettings, task_splits


def planted(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim))  # float64: scikit-learn keeps float32 inputs in float32
    y = x @ rng.normal(size=dim) / np.sqrt(dim) + 0.3 * rng.normal(size=n)
    return x, y


@pytest.mark.parametrize("n, dim", [(200, 12), (60, 80)])  # primal and dual forms
def test_ridge_equals_sklearn_per_split(n, dim):
    x, y = planted(n, dim)
    splits = task_splits(ProbeSettings(protocol="strict", k_splits=4), n, "t")
    alphas = (1e-3, 1e-1, 10.0)
    result = ridge_probe(x, y, splits, alphas=alphas, device="cpu")
    for k in range(splits.k):
        fit, val, test = splits.fit[k], splits.validation[k], splits.test[k]
        n_fit = fit.sum()
        models = [Ridge(alpha=a * n_fit).fit(x[fit], y[fit]) for a in alphas]
        val_r2 = [r2_score(y[val], m.predict(x[val])) for m in models]
        best = int(np.argmax(val_r2))
        assert result.best_epoch[k] == best
        np.testing.assert_allclose(result.test_history[:, k], val_r2, atol=1e-8)
        expected = r2_score(y[test], models[best].predict(x[test]))
        assert result.scores[k] == pytest.approx(expected, abs=1e-8)


def test_logistic_equals_sklearn_per_split():
    x, y = planted(240, 8, seed=2)
    y = (y > 0).astype(float)
    splits = task_splits(ProbeSettings(protocol="strict", k_splits=3), len(y), "t")
    cs = (0.01, 1.0)
    result = logistic_probe(x, y, splits, cs=cs, device="cpu")
    for k in range(splits.k):
        fit, val, test = splits.fit[k], splits.validation[k], splits.test[k]
        models = [
            LogisticRegression(C=c, tol=1e-10, max_iter=10000).fit(x[fit], y[fit]) for c in cs
        ]
        val_f1 = [f1_score(y[val], m.predict(x[val])) for m in models]
        best = int(np.argmax(val_f1))
        assert result.best_epoch[k] == best
        expected_logits = models[best].decision_function(x)
        np.testing.assert_allclose(result.best_outputs[:, k], expected_logits, atol=1e-3)
        assert result.scores[k] == pytest.approx(f1_score(y[test], models[best].predict(x[test])))


def test_converged_probe_needs_validation_parts():
    x, y = planted(50, 3)
    splits = task_splits(ProbeSettings(protocol="neuco", k_splits=2), 50, "t")
    with pytest.raises(ValueError, match="validation"):
        ridge_probe(x, y, splits)
