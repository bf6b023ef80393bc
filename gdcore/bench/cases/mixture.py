"""Gaussian mixtures against scikit-learn: EM iterations from the same start.

Both sides start from the same parameters (``weights_init``, ``means_init``,
``precisions_init`` taken from a k-means start computed once) and run a
fixed number of EM iterations (tol=0), 2 threads each, so the timed work is
EM itself, not the initialization; the agreement column compares the
lower bounds reached, which must be equal.  Full sizes: the README's
200,000 x 16 with 16 components (full and diag, float64 and float32), then
the growth of time in n, d and k (full covariance, float64).  Quick runs
use the bundled digits data.  ``growth_cases`` gives the full-covariance fit
of the README's shape (16 features, 16 components) at 25,000 -> 1,600,000
rows for ``gdcore bench --growth``.
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from threadpoolctl import threadpool_limits

import gdcore
from gdcore.bench import Case

ITERS = 5
THREADS = 2


def _mixture_data(n, d, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 2.0, (k, d))
    scales = rng.uniform(0.5, 1.5, (k, d, d)) / np.sqrt(d)
    z = rng.integers(0, k, n)
    X = centres[z] + np.einsum("nd,nde->ne", rng.standard_normal((n, d)), scales[z])
    return X.astype(dtype)


def _start(X, k, covariance_type):
    """Return the initial parameters both sides start from (one k-means initialization)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        g = SkGaussianMixture(k, covariance_type=covariance_type, max_iter=0,
                              init_params="kmeans", random_state=0).fit(X)
    return {"weights_init": g.weights_ / g.weights_.sum(), "means_init": g.means_,
            "precisions_init": g.precisions_}


def _fit(cls, data, **extra):
    with warnings.catch_warnings(), threadpool_limits(THREADS):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(data["k"], covariance_type=data["cov"], max_iter=ITERS, tol=0.0,
                   **data["start"], **extra).fit(data["X"])


def _agreement(ours, theirs, data):
    a, b = ours.lower_bound_, theirs.lower_bound_
    return f"LB {a:.6f} vs {b:.6f} (rel {abs(a - b) / abs(b):.0e})"


def _case(n, d, k, cov, dtype, make_X=None):
    shape = f"{n}x{d} k={k} {cov} {np.dtype(dtype).name}"

    def make():
        X = make_X() if make_X else _mixture_data(n, d, k, dtype)
        return {"X": X, "k": k, "cov": cov, "start": _start(X, k, cov)}

    return Case("mixture", f"{ITERS} EM iterations", shape, "scikit-learn", make,
                lambda data: _fit(gdcore.GaussianMixture, data, n_jobs=THREADS),
                lambda data: _fit(SkGaussianMixture, data), _agreement)


def growth_cases():
    """Full-covariance EM on 25,000 -> 1,600,000 rows x 16, k = 16, against scikit-learn.

    One Case per size (``Case.size`` = rows), growing 4x; ``gdcore bench
    --growth`` runs each once per side in a fresh process and fits the
    time exponent.  Both sides start from the same k-means start, made with
    the data (untimed).
    """
    cases = []
    for n in (25_000, 100_000, 400_000, 1_600_000):
        case = _case(n, 16, 16, "full", np.float64)
        case.repeat, case.min_seconds, case.size = 1, 0, n
        cases.append(case)
    return cases


def _digits():
    return load_digits().data.astype(np.float64)


def cases(size):
    """Return this family's cases at ``size``, "full" or "quick"."""
    if size == "quick":
        return [_case(1797, 64, 10, cov, np.float64, _digits) for cov in ("full", "diag")]
    claim = [_case(200_000, 16, 16, cov, dtype)
             for cov in ("full", "diag") for dtype in (np.float64, np.float32)]
    growth = [_case(n, d, k, "full", np.float64)
              for n, d, k in [(25_000, 8, 4), (100_000, 8, 4),      # n x4
                              (25_000, 32, 4),                      # d x4
                              (25_000, 8, 16)]]                     # k x4
    return claim + growth
