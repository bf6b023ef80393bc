"""Naive Bayes against scikit-learn: fit and predict_proba on the same data.

Full sizes are the ones the project's claim is made at: GaussianNB on
1,000,000 x 100 (10 classes) and MultinomialNB on 500,000 x 1,000 counts
(10 classes), float64.  Quick runs tile the bundled digits data.
"""

import numpy as np
import sklearn.naive_bayes as sk
from sklearn.datasets import load_digits

import gdcore
from gdcore.bench import Case, cached

N_CLASSES = 10


def _gaussian_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    centers = rng.normal(0.0, 0.3, (N_CLASSES, d))
    X = rng.standard_normal((n, d))
    X += centers[y]
    return X, y


def _count_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    # Class rates close enough that classes overlap (accuracy well below 1).
    base = rng.gamma(0.5, 0.2, d)
    rates = base * rng.uniform(0.8, 1.25, (N_CLASSES, d))
    return rng.poisson(rates[y]).astype(np.float64), y


def _digits_tiled(times):
    X, y = load_digits(return_X_y=True)
    return np.tile(X, (times, 1)), np.tile(y, times)


def _fit_agreement(ours, theirs, data):
    X = data["X"][:2000]
    return f"max |dP| {np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max():.1e}"


def _proba_agreement(ours, theirs, data):
    acc_a = (ours.argmax(1) == data["y"]).mean()
    acc_b = (theirs.argmax(1) == data["y"]).mean()
    return f"acc {acc_a:.4f} = {acc_b:.4f}, max |dP| {np.abs(ours - theirs).max():.1e}"


def _pair(name, make_Xy, shape):
    """Fit and predict_proba cases for one estimator on one dataset."""
    ours_cls, peer_cls = getattr(gdcore, name), getattr(sk, name)

    def make():
        X, y = make_Xy()
        return {"X": X, "y": y, "ours": ours_cls().fit(X, y), "peer": peer_cls().fit(X, y)}

    data = lambda: cached((name, shape), make)  # noqa: E731
    return [
        Case("naive_bayes", f"{name} fit", shape, "scikit-learn", data,
             lambda d: ours_cls().fit(d["X"], d["y"]),
             lambda d: peer_cls().fit(d["X"], d["y"]), _fit_agreement),
        Case("naive_bayes", f"{name} predict_proba", shape, "scikit-learn", data,
             lambda d: d["ours"].predict_proba(d["X"]),
             lambda d: d["peer"].predict_proba(d["X"]), _proba_agreement),
    ]


def cases(size):
    """Return this family's cases at ``size``, "full" or "quick"."""
    if size == "quick":
        shape = "35940x64 digits"  # digits tiled 20 times
        return (_pair("GaussianNB", lambda: _digits_tiled(20), shape)
                + _pair("MultinomialNB", lambda: _digits_tiled(20), shape))
    return (_pair("GaussianNB", lambda: _gaussian_data(1_000_000, 100), "1000000x100")
            + _pair("MultinomialNB", lambda: _count_data(500_000, 1_000), "500000x1000"))
