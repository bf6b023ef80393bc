"""Variational HMMs: equal to hmmlearn 0.3.3's VB-EM (1e-8 rel), kernels vs twins, bad input."""

import logging
import pickle

import numpy as np
import pytest
from hmmlearn import vhmm
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore._threads import single_threaded_blas
from gdcore.generative.hmm import (
    VariationalCategoricalHMM,
    VariationalGaussianHMM,
    _hmm_emissions,
    _hmm_gaussian,
)
from gdcore.generative.hmm._base import BaseHMM
from gdcore.generative.hmm._reference import hmm_emissions as ref_em
from gdcore.generative.hmm._reference import hmm_gaussian as ref_fused
from gdcore.generative.hmm._reference.hmm_variational import expected_log_density
from gdcore.generative.hmm.tests._peer import RTOL, assert_same_inference
from gdcore.tests.test_common import _HMM, _HMM_DISCRETE

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
GAUSSIAN_POSTERIORS = ("startprob_posterior_", "transmat_posterior_", "means_posterior_",
                       "beta_posterior_", "dof_posterior_", "scale_posterior_")
GAUSSIAN_STATE = GAUSSIAN_POSTERIORS + ("startprob_prior_", "transmat_prior_", "means_prior_",
                                        "beta_prior_", "dof_prior_", "scale_prior_")


@pytest.fixture(scope="module")
def iris():
    # Iris measurements as three sequences of 50 flowers (one species each).
    return load_iris().data, np.array([50, 50, 50])


@pytest.fixture(scope="module")
def digits():
    # Pixel intensities 0..16 of 30 digits, one 64-pixel sequence per digit.
    return load_digits().data[:30].astype(np.int64).reshape(-1, 1), np.full(30, 64)


def _assert_close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=RTOL, atol=1e-12)


def _copy_state(src, dst, names):
    for name in names:
        v = getattr(src, name)
        setattr(dst, name, np.copy(v) if np.ndim(v) else float(v))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_equals_hmmlearn_from_the_same_posterior(iris, covariance_type):
    X, lengths = iris
    # hmmlearn's own initialization and one VB iteration give the start.
    start = vhmm.VariationalGaussianHMM(3, covariance_type=covariance_type, n_iter=1,
                                        random_state=0).fit(X, lengths)
    kw = dict(covariance_type=covariance_type, n_iter=12, tol=-np.inf, init_params="")
    h, g = vhmm.VariationalGaussianHMM(3, **kw), VariationalGaussianHMM(3, **kw)
    for m in (h, g):
        _copy_state(start, m, GAUSSIAN_STATE)
        m.fit(X, lengths)
    _assert_close(g.monitor_.history, h.monitor_.history)
    for name in GAUSSIAN_POSTERIORS + ("startprob_", "transmat_", "means_", "_covars_"):
        _assert_close(getattr(g, name), getattr(h, name))
    assert_same_inference(g, h, X, lengths)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_initialization_equals_hmmlearn(iris, covariance_type):
    X, lengths = iris
    kw = dict(covariance_type=covariance_type, n_iter=5, tol=-np.inf, random_state=3)
    h = vhmm.VariationalGaussianHMM(3, **kw).fit(X, lengths)
    g = VariationalGaussianHMM(3, **kw).fit(X, lengths)
    _assert_close(g.monitor_.history, h.monitor_.history)
    for name in GAUSSIAN_STATE:
        _assert_close(getattr(g, name), getattr(h, name))


@pytest.mark.parametrize("implementation", ["log", "scaling"])
def test_categorical_equals_hmmlearn(digits, implementation):
    X, lengths = digits
    kw = dict(n_iter=15, tol=-np.inf, random_state=0, implementation=implementation)
    h = vhmm.VariationalCategoricalHMM(4, **kw).fit(X, lengths)
    g = VariationalCategoricalHMM(4, **kw).fit(X, lengths)
    _assert_close(g.monitor_.history, h.monitor_.history)
    for name in ("startprob_posterior_", "transmat_posterior_", "emissionprob_posterior_",
                 "emissionprob_prior_", "emissionprob_"):
        _assert_close(getattr(g, name), getattr(h, name))
    assert_same_inference(g, h, X, lengths)
    assert g.n_features == h.n_features == 17


def test_lower_bound_increases(iris):
    X, lengths = iris
    g = VariationalGaussianHMM(4, n_iter=30, tol=-np.inf, random_state=0).fit(X, lengths)
    history = np.array(g.monitor_.history)
    assert np.all(np.diff(history) > -1e-8 * np.abs(history[1:]))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_seq", [1, 3])      # one sequence: generic path; several: fused
def test_estep_density_equals_twin(iris, covariance_type, n_seq):
    X, _ = iris
    g = VariationalGaussianHMM(3, covariance_type=covariance_type, n_iter=3,
                               random_state=0).fit(X)
    view = g._estep_view()
    got = view._log_likelihood(X, 2)
    want = expected_log_density(X, g.means_posterior_, g.beta_posterior_, g.dof_posterior_,
                                g.scale_posterior_, covariance_type)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    # The fused E-step (several sequences) equals the generic one.
    offsets = np.linspace(0, len(X), n_seq + 1).astype(np.intp)
    s_fused, lp_fused = view._do_estep(X, offsets, 2)
    s_plain, lp_plain = BaseHMM._do_estep(view, X, offsets, 2)
    assert lp_fused == pytest.approx(lp_plain, rel=1e-12)
    for key in ("start", "trans", "post", "obs"):
        np.testing.assert_allclose(s_fused[key], s_plain[key], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["diag", "full"])
def test_log_shift_kernels_match_reference(kind, dtype, n_threads):
    rng = np.random.default_rng(1)
    n, d, K = 300, 3, 4
    X = rng.normal(size=(n, d)).astype(dtype)
    means, shift = rng.normal(size=(K, d)), rng.normal(size=K)
    if kind == "diag":
        params = rng.uniform(0.5, 2.0, (K, d))
        kernel, twin = _hmm_emissions.gaussian_diag_loglik, ref_em.gaussian_diag_loglik
    else:
        params = np.stack([np.triu(rng.normal(size=(d, d))) + 3 * np.eye(d) for _ in range(K)])
        kernel, twin = _hmm_emissions.gaussian_full_loglik, ref_em.gaussian_full_loglik
    got, want, plain = np.empty((n, K)), np.empty((n, K)), np.empty((n, K))
    with single_threaded_blas():
        assert kernel(X, means, params, got, n_threads, shift) == 0
        assert kernel(X, means, params, plain, n_threads) == 0
    twin(X, means, params, want, 1, shift)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(got - plain, np.broadcast_to(shift, (n, K)), atol=1e-12)


def test_fused_log_shift_matches_reference(dtype, n_threads):
    rng = np.random.default_rng(2)
    K, d, lengths = 3, 2, [40, 1, 25, 60]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
    X = rng.normal(size=(offsets[-1], d)).astype(dtype)
    means, covars = rng.normal(size=(K, d)), rng.uniform(0.5, 2, (K, d))
    # Sub-normalized start and transitions, as the variational E-step passes.
    start, trans = 0.8 * rng.dirichlet(np.ones(K)), 0.9 * rng.dirichlet(np.ones(K), K)
    shift = rng.normal(size=K)

    def run(mod, threads):
        out = (np.empty(len(lengths)), np.empty(K), np.empty((K, K)), np.empty((K, 2 * d + 1)))
        with single_threaded_blas():
            assert mod.forward_backward_gaussian_diag(X, offsets, means, covars, start, trans,
                                                      *out, threads, False, shift) == 0
        return out

    got, want = run(_hmm_gaussian, n_threads), run(ref_fused, 1)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5 if dtype == np.float32 else 1e-10)
    for a, b in zip(got, run(_hmm_gaussian, 1)):
        np.testing.assert_array_equal(a, b)      # thread count changes no bit


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_thread_count_changes_no_answer(iris, covariance_type):
    X, lengths = iris
    fits = [VariationalGaussianHMM(3, covariance_type=covariance_type, n_iter=8,
                                   random_state=0, n_jobs=j).fit(X, lengths) for j in (1, 2)]
    for name in GAUSSIAN_POSTERIORS:
        np.testing.assert_array_equal(getattr(fits[0], name), getattr(fits[1], name))
    np.testing.assert_array_equal(fits[0].monitor_.history, fits[1].monitor_.history)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_input_fits_as_float64(iris, covariance_type):
    X, lengths = iris
    fits = [VariationalGaussianHMM(3, covariance_type=covariance_type, n_iter=10,
                                   random_state=0).fit(X.astype(dtype), lengths)
            for dtype in (np.float64, np.float32)]
    # float32 X rounds the data at 6e-8 relative; the fit follows it.
    np.testing.assert_allclose(fits[1].means_posterior_, fits[0].means_posterior_, rtol=1e-5)
    assert fits[1].monitor_.history[-1] == pytest.approx(fits[0].monitor_.history[-1],
                                                         rel=1e-5)


def test_init_only_n_init_pickle_clone(iris, digits):
    X, lengths = iris
    g = VariationalGaussianHMM(3, n_iter=0, random_state=0).fit(X, lengths)
    assert not g.monitor_.history
    np.testing.assert_allclose(g.startprob_, g.startprob_posterior_ / g.startprob_posterior_.sum())
    best = VariationalGaussianHMM(3, n_iter=10, n_init=3, random_state=0).fit(X, lengths)
    assert np.isfinite(best.score(X, lengths))
    again = pickle.loads(pickle.dumps(best))
    np.testing.assert_array_equal(again.predict(X, lengths), best.predict(X, lengths))
    assert clone(best).get_params() == best.get_params()
    c = VariationalCategoricalHMM(3, n_iter=5, random_state=0).fit(*digits)
    samples, states = c.sample(20, random_state=0)
    assert samples.shape == (20, 1) and samples.max() < c.n_features


def test_monitor_records_the_lower_bound_and_logs_overwrite(iris, caplog):
    X, lengths = iris
    g = VariationalGaussianHMM(2, n_iter=3, tol=-np.inf, random_state=0).fit(X, lengths)
    assert len(g.monitor_.history) == 3
    with caplog.at_level(logging.WARNING, logger="hmmlearn.base"):
        g.fit(X, lengths)
    assert "will be overwritten" in caplog.text


@pytest.mark.parametrize("name,value,match", [
    ("means_prior_", np.zeros((2, 4)), "means_prior_ must have shape"),
    ("beta_posterior_", np.zeros(3), "beta_prior_ and beta_posterior_ must be positive"),
    ("dof_posterior_", np.full(3, 2.0), "must exceed n_features - 1"),
    ("scale_posterior_", -np.ones((3, 4, 4)), "positive"),
    ("startprob_posterior_", np.array([1.0, -1.0, 1.0]), "Dirichlet"),
    ("transmat_prior_", np.ones((2, 2)), "transmat_prior_ must have shape"),
])
def test_gaussian_bad_posteriors_raise(iris, name, value, match):
    X, lengths = iris
    g = VariationalGaussianHMM(3, n_iter=1, random_state=0).fit(X, lengths)
    setattr(g, name, value)
    g.init_params = ""
    with pytest.raises(ValueError, match=match):
        g.fit(X, lengths)


def test_hostile_inputs(iris, digits):
    X, lengths = iris
    for bad in (np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X),
                np.where(np.arange(X.size).reshape(X.shape) == 7, np.inf, X)):
        with pytest.raises(ValueError):
            VariationalGaussianHMM(2).fit(bad, lengths)
    with pytest.raises(ValueError, match="covariance_type"):
        VariationalGaussianHMM(2, covariance_type="bogus").fit(X, lengths)
    with pytest.raises(ValueError, match="lengths sum"):
        VariationalGaussianHMM(2).fit(X, [10, 10])
    with pytest.raises(ValueError, match="samples cannot initialize"):
        VariationalGaussianHMM(5).fit(X[:3])
    with pytest.raises(ValueError, match="fewer distinct rows"):
        VariationalGaussianHMM(3).fit(np.repeat(X[:2], 10, axis=0))
    unfitted = VariationalGaussianHMM(2)
    unfitted.startprob_ = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="is not set"):
        unfitted.score(X)
    Xc, lc = digits
    with pytest.raises(ValueError, match="integers"):
        VariationalCategoricalHMM(2).fit(Xc + 0.5, lc)
    with pytest.raises(ValueError, match="non-negative"):
        VariationalCategoricalHMM(2).fit(-Xc - 1, lc)
    m = VariationalCategoricalHMM(2, n_features=3)
    with pytest.raises(ValueError, match="largest symbol"):
        m.fit(Xc, lc)
    m = VariationalCategoricalHMM(2, init_params="")
    m.emissionprob_prior_ = np.full((2, 20), 0.5)
    m.emissionprob_posterior_ = np.full((2, 20), 2.0)
    with pytest.raises(ValueError, match="emissionprob"):
        m.fit(Xc, lc)          # the data's 17 symbols set n_features, as hmmlearn


@parametrize_with_checks([VariationalGaussianHMM(2, n_iter=3),
                          VariationalCategoricalHMM(2, n_iter=3)],
                         # The maximum-likelihood models' known failures (fit(X, lengths)).
                         expected_failed_checks=lambda est: (
                             _HMM if isinstance(est, VariationalGaussianHMM) else _HMM_DISCRETE))
def test_sklearn_compatible(estimator, check):
    check(estimator)
