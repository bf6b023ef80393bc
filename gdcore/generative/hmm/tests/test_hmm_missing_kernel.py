"""The GaussianHMM missing-value kernels against their NumPy twin.

The twin is gdcore/generative/hmm/_reference/hmm_missing.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore.generative.hmm import _hmm_missing as kernel
from gdcore.generative.hmm._reference import hmm_missing as reference

# (n, d, K): (1, 1, 1) is a frame with nothing observed; n = 3000 spans two
# statistics chunks.
SHAPES = [(1, 1, 1), (1, 3, 2), (7, 2, 3), (5, 4, 1), (200, 5, 3), (3000, 6, 4)]


def _problem(n, d, K, dtype, seed=0, p_missing=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.random((n, d)) < p_missing] = np.nan
    if d > 1:                       # every shape has frames with one value observed
        X[: n // 3, 1:] = np.nan
    if n > 4:                       # ... and a frame with nothing observed
        X[4] = np.nan
    A = rng.normal(size=(K, d, d))
    covs = A @ np.swapaxes(A, 1, 2) / d + 0.5 * np.eye(d)
    posteriors = rng.dirichlet(np.ones(K), size=n)
    return X.astype(dtype), posteriors, rng.normal(size=(K, d)), covs


def _loglik(module, problem, n_threads):
    X, _, means, covs = problem
    out = np.full((len(X), len(means)), 7.0)        # complete frames keep this
    return module.gaussian_missing_loglik(X, means, covs, out, n_threads), out


def _stats(module, problem, want_outer, n_threads):
    X, posteriors, means, covs = problem
    K, d = means.shape
    obs, outer = np.full((K, d), -1.0), np.full((K, d, d), -1.0)
    status = module.gaussian_missing_stats(X, posteriors, means, covs, obs, outer,
                                           want_outer, n_threads)
    return status, obs, outer


@pytest.mark.parametrize("n, d, K", SHAPES)
def test_loglik_equals_reference(n, d, K, dtype, n_threads):
    problem = _problem(n, d, K, dtype)
    s1, got = _loglik(kernel, problem, n_threads)
    s2, want = _loglik(reference, problem, 1)
    assert s1 == s2 == kernel.STATUS_OK
    # float32 X is read as double by both, so they agree to double precision.
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    complete = ~np.isnan(problem[0]).any(axis=1)
    assert (got[complete] == 7.0).all()
    if n > 4:
        assert (got[4] == 0.0).all()                # nothing observed: density 1


@pytest.mark.parametrize("n, d, K", SHAPES)
def test_stats_equal_reference(n, d, K, dtype, n_threads):
    problem = _problem(n, d, K, dtype)
    s1, obs1, outer1 = _stats(kernel, problem, True, n_threads)
    s2, obs2, outer2 = _stats(reference, problem, True, 1)
    assert s1 == s2 == kernel.STATUS_OK
    np.testing.assert_allclose(obs1, obs2, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(outer1, outer2, rtol=1e-9, atol=1e-9)


def test_second_moments_left_alone_when_not_wanted():
    problem = _problem(300, 4, 3, np.float64)
    _, obs1, outer = _stats(kernel, problem, False, 2)
    _, obs2, _ = _stats(reference, problem, False, 1)
    np.testing.assert_allclose(obs1, obs2, rtol=1e-10)
    assert (outer == -1.0).all()


def test_same_statistics_on_one_and_two_threads():
    problem = _problem(5000, 5, 3, np.float64, seed=3)
    a = _stats(kernel, problem, True, 1)
    b = _stats(kernel, problem, True, 2)
    for x, y in zip(a[1:], b[1:]):
        np.testing.assert_array_equal(x, y)


def test_complete_frames_are_plain_moments():
    problem = _problem(50, 3, 2, np.float64, p_missing=0.0)
    X = np.random.default_rng(1).normal(size=(50, 3))
    _, P, means, covs = problem
    _, obs, outer = _stats(kernel, (X, P, means, covs), True, 1)
    np.testing.assert_allclose(obs, P.T @ X, rtol=1e-12)
    np.testing.assert_allclose(outer, np.einsum("nk,ni,nj->kij", P, X, X), rtol=1e-12)


def test_ill_defined_block():
    X, P, means, covs = _problem(10, 3, 2, np.float64)
    covs[1] = np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])        # rank one
    X[:, :2] = 0.5                                              # two observed values
    X[:, 2] = np.nan
    for module in (kernel, reference):
        assert _loglik(module, (X, P, means, covs), 2)[0] == kernel.STATUS_ILL_DEFINED
        assert _stats(module, (X, P, means, covs), True, 2)[0] == kernel.STATUS_ILL_DEFINED


def test_empty_input():
    problem = _problem(0, 3, 2, np.float64)
    assert _loglik(kernel, problem, 2)[0] == kernel.STATUS_OK
    status, obs, outer = _stats(kernel, problem, True, 2)
    assert status == kernel.STATUS_OK and (obs == 0).all() and (outer == 0).all()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), d=st.integers(1, 5), K=st.integers(1, 4),
       seed=st.integers(0, 10_000), p=st.floats(0.0, 1.0))
def test_kernels_equal_reference_on_random_patterns(n, d, K, seed, p):
    problem = _problem(n, d, K, np.float64, seed, p_missing=p)
    np.testing.assert_allclose(_loglik(kernel, problem, 2)[1],
                               _loglik(reference, problem, 1)[1], rtol=1e-9, atol=1e-12)
    got, want = _stats(kernel, problem, True, 2), _stats(reference, problem, True, 1)
    for x, y in zip(got, want):
        np.testing.assert_allclose(x, y, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_estimator_on_kernels_equals_estimator_on_twin(covariance_type, n_threads):
    from unittest import mock

    from gdcore import GaussianHMM
    from gdcore.generative.hmm import _gaussian

    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 4)) + np.repeat(rng.normal(0, 3, (3, 4)), 100, axis=0)
    X[rng.random(X.shape) < 0.25] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.0

    def fit():
        return GaussianHMM(3, covariance_type=covariance_type, n_iter=4, tol=-np.inf,
                           random_state=0, n_jobs=n_threads).fit(X, [150, 150])

    got = fit()
    with mock.patch.object(_gaussian, "_miss", reference):
        want = fit()
    np.testing.assert_allclose(got.monitor_.history, want.monitor_.history, rtol=1e-10)
    for name in ("startprob_", "transmat_", "means_", "_covars_"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-8,
                                   atol=1e-10, err_msg=name)
