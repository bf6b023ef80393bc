"""The missing-data E-step kernel against its NumPy twin.

The twin is gdcore/generative/mixture/_reference/mixture_missing.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore.generative.mixture import _mixture_missing as kernel
from gdcore.generative.mixture._reference import mixture_missing as reference

# n = 3000 spans 2 statistics chunks; (1, 1, 1) is a row with nothing observed.
SHAPES = [(1, 1, 1), (1, 3, 2), (7, 2, 3), (5, 4, 1), (200, 5, 3), (3000, 6, 4)]


def _problem(n, d, k, dtype, seed=0, p_missing=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.random((n, d)) < p_missing] = np.nan
    if d > 1:                            # every shape has rows with one value observed
        X[: n // 3, 1:] = np.nan
    A = rng.normal(size=(k, d, d))
    covs = A @ np.swapaxes(A, 1, 2) / d + 0.5 * np.eye(d)
    return (X.astype(dtype), rng.uniform(0.5, 2.0, n),
            np.log(rng.dirichlet(np.ones(k))), rng.normal(size=(k, d)), covs,
            rng.normal(size=(k, d)))


def _run(module, problem, want_stats, want_fill, n_threads):
    X, weight, log_w, means, covs, centres = problem
    n, d = X.shape
    k = len(log_w)
    out = dict(resp=np.full((n, k), -1.0), log_norm=np.full(n, -1.0),
               filled=np.full((n, d), -1.0), nk=np.full(k, -1.0),
               sx=np.full((k, d), -1.0), scatter=np.full((k, d, d), -1.0))
    status = module.estep_missing(X, weight, log_w, means, covs, centres, *out.values(),
                                  want_stats, want_fill, n_threads)
    return status, out


@pytest.mark.parametrize("n, d, k", SHAPES)
def test_kernel_equals_reference(n, d, k, dtype, n_threads):
    problem = _problem(n, d, k, dtype)
    s1, got = _run(kernel, problem, True, True, n_threads)
    s2, want = _run(reference, problem, True, True, 1)
    assert s1 == s2 == kernel.STATUS_OK
    # float32 X is read as double by both, so they agree to double precision.
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-9,
                                   err_msg=name)
    assert not np.isnan(got["filled"]).any()


def test_statistics_and_fill_are_left_alone_when_not_wanted():
    problem = _problem(50, 4, 2, np.float64)
    _, got = _run(kernel, problem, False, False, 2)
    _, want = _run(reference, problem, False, False, 1)
    np.testing.assert_allclose(got["resp"], want["resp"], rtol=1e-10)
    for name in ("nk", "sx", "scatter", "filled"):
        assert (got[name] == -1.0).all(), name


def test_same_statistics_on_one_and_two_threads():
    problem = _problem(5000, 5, 3, np.float64, seed=3)
    a = _run(kernel, problem, True, False, 1)[1]
    b = _run(kernel, problem, True, False, 2)[1]
    for name in ("nk", "sx", "scatter"):
        np.testing.assert_array_equal(a[name], b[name])


def test_nothing_missing_is_the_ordinary_gaussian_likelihood():
    from scipy.stats import multivariate_normal

    X, w, log_w, means, covs, centres = _problem(20, 3, 2, np.float64, p_missing=0)
    X = np.random.default_rng(1).normal(size=(20, 3))
    _, got = _run(kernel, (X, w, log_w, means, covs, centres), False, False, 1)
    lp = np.column_stack([log_w[c] + multivariate_normal(means[c], covs[c]).logpdf(X)
                          for c in range(2)])
    np.testing.assert_allclose(got["log_norm"], np.logaddexp(lp[:, 0], lp[:, 1]),
                               rtol=1e-12)


def test_status_codes():
    X, w, log_w, means, covs, centres = _problem(10, 3, 2, np.float64)
    singular = covs.copy()
    singular[1] = np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])      # rank one
    X[:, 0] = 0.5                                                  # two observed values
    X[:, 1:2] = 0.1
    status, _ = _run(kernel, (X, w, log_w, means, singular, centres), True, False, 2)
    assert status == kernel.STATUS_ILL_DEFINED == reference.STATUS_ILL_DEFINED
    X[3, 0] = np.inf
    status, _ = _run(kernel, (X, w, log_w, means, covs, centres), True, False, 2)
    assert status == kernel.STATUS_NOT_FINITE == reference.STATUS_NOT_FINITE


def test_empty_input():
    problem = _problem(0, 3, 2, np.float64)
    status, got = _run(kernel, problem, True, True, 2)
    assert status == kernel.STATUS_OK
    assert (got["nk"] == 0).all() and (got["scatter"] == 0).all()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), d=st.integers(1, 5), k=st.integers(1, 4),
       seed=st.integers(0, 10_000), p=st.floats(0.0, 1.0))
def test_kernel_equals_reference_on_random_patterns(n, d, k, seed, p):
    problem = _problem(n, d, k, np.float64, seed, p_missing=p)
    s1, got = _run(kernel, problem, True, True, 2)
    s2, want = _run(reference, problem, True, True, 1)
    assert s1 == s2
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-8, atol=1e-9,
                                   err_msg=name)
