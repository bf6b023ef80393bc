"""Fit and query any public estimator the same way, for the tests over all of ``__all__``.

The estimators differ in what ``fit`` takes (``y``, hmmlearn's ``lengths``,
one label per sequence) and what data they model (real values, counts,
category codes).  ``problem`` builds a small valid problem for one estimator,
``fit`` fits it, and ``outputs`` collects every deterministic answer the
fitted model gives, so a test can compare two fits or check every number.
"""

import numpy as np
from sklearn.base import clone

from gdcore.tests.test_common import INSTANCES

COUNTS = {"MultinomialNB", "ComplementNB", "PoissonHMM", "MultinomialHMM"}
CODES = {"CategoricalNB", "CategoricalHMM", "VariationalCategoricalHMM"}
HMMS = {"GaussianHMM", "GMMHMM", "PoissonHMM", "CategoricalHMM", "MultinomialHMM",
        "VariationalGaussianHMM", "VariationalCategoricalHMM"}
REGRESSORS = {"KNeighborsRegressor", "SVR", "DecisionTreeRegressor", "RandomForestRegressor",
              "ExtraTreesRegressor", "MLPRegressor", "HistGradientBoostingRegressor"}
UNSUPERVISED = {"GaussianMixture", "NearestNeighbors", "VAE", "GAN", "TabularDiffusion"}
METHODS = ("predict_proba", "predict_log_proba", "predict", "decision_function",
           "score_samples", "kneighbors", "transform")
# The HMM problems are 6 sequences of equal length; HMMClassifier takes one
# label per sequence.
N_SEQUENCES = 6
SEQUENCE_LABELS = np.array([0, 1, 0, 1, 0, 1])


def default_estimator(name):
    """Return a fresh copy of the first instance test_common checks for ``name``."""
    return clone(INSTANCES[name][0])


def problem(name, seed=0, n=60, d=4):
    """Return a small valid problem for estimator ``name``: dict of X, y, lengths."""
    rng = np.random.default_rng(seed)
    if name in COUNTS:
        X = rng.poisson(3.0, (n, d)).astype(np.float64)
    elif name in CODES:
        X = rng.integers(0, 3, (n, 1 if name.endswith("CategoricalHMM") else d))
    else:
        X = rng.standard_normal((n, d))
    y = np.arange(n) % 3
    if name in REGRESSORS:
        y = X[:, 0] + 0.1 * rng.standard_normal(n)
    elif name == "OrdinalLogisticRegression":
        y = np.digitize(X[:, 0] + 0.5 * rng.standard_normal(n), [-0.5, 0.5])
    else:
        X = X + (y[:, None] if name not in CODES and name not in COUNTS else y[:, None] * 2)
    lengths = [n // N_SEQUENCES] * N_SEQUENCES if n % N_SEQUENCES == 0 and n else None
    return {"X": X, "y": y, "lengths": lengths}


def fit(est, X, y=None, lengths=None, sample_weight=None):
    """Fit ``est`` on one problem, however its ``fit`` takes it; return it."""
    name = type(est).__name__
    params = est.get_params()
    if "random_state" in params and params["random_state"] is None:
        est.set_params(random_state=0)
    if name in HMMS:
        return est.fit(X, lengths)
    if name == "HMMClassifier":
        return est.fit(X, SEQUENCE_LABELS if lengths else y, lengths)
    if name in UNSUPERVISED:
        return est.fit(X) if sample_weight is None else est.fit(X, sample_weight=sample_weight)
    if sample_weight is not None:
        return est.fit(X, y, sample_weight=sample_weight)
    return est.fit(X, y)


def outputs(est, X, lengths=None):
    """Return every deterministic answer of a fitted estimator on X, by method name."""
    name = type(est).__name__
    out = {}
    for method in METHODS:
        if not hasattr(est, method):
            continue
        if name in HMMS or name == "HMMClassifier":
            value = getattr(est, method)(X, lengths)
        else:
            value = getattr(est, method)(X)
        if isinstance(value, tuple):
            for i, v in enumerate(value):
                out[f"{method}[{i}]"] = np.asarray(v)
        else:
            out[method] = np.asarray(value)
    return out


def fit_problem(name, seed=0, n=60, **params):
    """Fit the default estimator ``name`` (with ``params``) on its problem of ``n`` rows."""
    p = problem(name, seed, n=n)
    est = default_estimator(name).set_params(**params)
    return fit(est, p["X"], p["y"], p["lengths"]), p
