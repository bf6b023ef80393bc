"""GMMHMM: mixture kernels against their twins; equal to hmmlearn 0.3.3 (1e-8 rel); bad input."""

import pickle
import warnings

import numpy as np
import pytest
from hmmlearn import hmm as hl
from sklearn.datasets import load_iris

from gdcore import GMMHMM
from gdcore.generative.hmm import _hmm_mixture
from gdcore.generative.hmm._reference import hmm_mixture as ref
from gdcore.generative.hmm.tests._peer import RTOL, assert_same_inference

NAMES = ("startprob_", "transmat_", "weights_", "means_", "covars_")
COVARIANCE_TYPES = ("diag", "spherical", "full", "tied")


@pytest.mark.parametrize("n,K,nm", [(1, 1, 1), (7, 2, 3), (500, 4, 2)])
def test_mixture_kernels_match_reference(n, K, nm, n_threads):
    rng = np.random.default_rng(n + K + nm)
    comp = rng.normal(-20, 10, (n, K * nm))
    log_w = np.log(rng.dirichlet(np.ones(nm), K))
    if nm > 1:
        log_w[0, 0] = -np.inf               # a component of weight 0
    comp[0, :nm] = -np.inf                  # a state that cannot emit row 0
    got_c, want_c = comp.copy(), comp.copy()
    got, want = np.zeros((n, K)), np.zeros((n, K))
    _hmm_mixture.mixture_loglik(got_c, log_w, got, n_threads)
    ref.mixture_loglik(want_c, log_w, want, n_threads)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got_c, want_c, rtol=1e-12, atol=1e-300)
    post = rng.dirichlet(np.ones(K), n)
    _hmm_mixture.mixture_weights(got_c, post, n_threads)
    ref.mixture_weights(want_c, post, n_threads)
    np.testing.assert_allclose(got_c, want_c, rtol=1e-12, atol=1e-300)


@pytest.fixture(scope="module")
def iris():
    return load_iris().data, np.array([50, 50, 50])


@pytest.fixture(scope="module", params=COVARIANCE_TYPES)
def fitted_pair(request, iris):
    X, lengths = iris
    kw = dict(n_components=3, n_mix=2, covariance_type=request.param, random_state=0,
              n_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = hl.GMMHMM(**kw).fit(X, lengths)
    ours = GMMHMM(**kw).fit(X, lengths)
    return ours, peer, request.param


def _copy(cls, source, covariance_type, **kw):
    m = cls(n_components=3, n_mix=2, covariance_type=covariance_type, init_params="", **kw)
    for name in NAMES:
        setattr(m, name, np.array(getattr(source, name)))
    return m


def test_fit_from_same_seed_equals_hmmlearn(fitted_pair, iris):
    # Same k-means initialization, same EM: the same model.
    ours, peer, _ = fitted_pair
    X, lengths = iris
    assert ours.score(X, lengths) == pytest.approx(peer.score(X, lengths), rel=RTOL)
    for name in NAMES:
        np.testing.assert_allclose(getattr(ours, name), getattr(peer, name), rtol=1e-6,
                                   atol=1e-10)


def test_same_parameters_same_answers(fitted_pair, iris):
    _, peer, ct = fitted_pair
    X, lengths = iris
    ours = _copy(GMMHMM, peer, ct)
    assert_same_inference(ours, peer, X, lengths, atol=1e-12)


def test_one_baum_welch_step_equals_hmmlearn(fitted_pair, iris):
    _, peer, ct = fitted_pair
    X, lengths = iris
    ours = _copy(GMMHMM, peer, ct, n_iter=1).fit(X, lengths)
    theirs = _copy(hl.GMMHMM, peer, ct, n_iter=1).fit(X, lengths)
    for name in NAMES:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=RTOL,
                                   atol=1e-12)
    assert ours.monitor_.history[-1] == pytest.approx(theirs.monitor_.history[-1], rel=RTOL)


def test_priors_equal_hmmlearn(iris):
    X, lengths = iris
    kw = dict(n_components=2, n_mix=2, covariance_type="diag", init_params="", n_iter=1,
              weights_prior=2.0, means_prior=1.0, means_weight=0.5, covars_prior=0.1,
              covars_weight=2.0)
    rng = np.random.default_rng(0)
    params = {"startprob_": np.array([0.6, 0.4]), "transmat_": np.array([[0.9, 0.1], [0.2, 0.8]]),
              "weights_": np.array([[0.3, 0.7], [0.5, 0.5]]),
              "means_": rng.normal(3, 1, (2, 2, 4)), "covars_": rng.uniform(0.5, 2, (2, 2, 4))}
    models = []
    for cls in (GMMHMM, hl.GMMHMM):
        m = cls(**kw)
        for name, value in params.items():
            setattr(m, name, value.copy())
        models.append(m.fit(X, lengths))
    for name in NAMES:
        np.testing.assert_allclose(getattr(models[0], name), getattr(models[1], name), rtol=RTOL)


def test_em_monotone_threads_sampling_pickle():
    truth = GMMHMM(2, n_mix=2, init_params="")
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    truth.weights_ = np.array([[0.5, 0.5], [0.3, 0.7]])
    truth.means_ = np.array([[[0.0, 0.0], [3.0, 3.0]], [[-4.0, 4.0], [4.0, -4.0]]])
    truth.covars_ = np.full((2, 2, 2), 0.5)
    X, states, lengths = truth.sample_sequences(10, 60, random_state=0)
    assert X.shape == (600, 2) and set(np.unique(states)) <= {0, 1}
    one = GMMHMM(2, n_mix=2, n_iter=15, tol=-np.inf, random_state=1, n_jobs=1).fit(X, lengths)
    two = GMMHMM(2, n_mix=2, n_iter=15, tol=-np.inf, random_state=1, n_jobs=2).fit(X, lengths)
    assert np.all(np.diff(one.monitor_.history) >= -1e-8 * abs(one.monitor_.history[-1]))
    np.testing.assert_allclose(one.means_, two.means_, rtol=1e-12)
    # k-means starts land in a local optimum here (as hmmlearn's do); from the
    # true parameters EM can only climb.
    from_truth = pickle.loads(pickle.dumps(truth)).set_params(n_iter=5).fit(X, lengths)
    assert from_truth.score(X, lengths) >= truth.score(X, lengths)
    np.testing.assert_allclose(from_truth.means_, truth.means_, atol=0.3)
    again = pickle.loads(pickle.dumps(one))
    assert again.score(X, lengths) == one.score(X, lengths)
    assert one.aic(X, lengths) < one.bic(X, lengths)


def test_component_without_mass_keeps_its_parameters(iris):
    X, lengths = iris
    m = GMMHMM(2, n_mix=2, init_params="", n_iter=1)
    m.startprob_, m.transmat_ = np.array([0.5, 0.5]), np.array([[0.5, 0.5], [0.5, 0.5]])
    m.weights_ = np.array([[1.0, 0.0], [0.5, 0.5]])
    m.means_ = np.array([[X.mean(0), X.mean(0) + 100], [X.mean(0), X.mean(0) - 1]])
    m.covars_ = np.ones((2, 2, 4))
    with pytest.warns(RuntimeWarning, match="kept"):
        m.fit(X, lengths)
    assert all(np.isfinite(getattr(m, n)).all() for n in NAMES)


def test_bad_input(iris):
    X, lengths = iris
    with pytest.raises(ValueError, match="n_mix"):
        GMMHMM(2, n_mix=0).fit(X)
    with pytest.raises(ValueError, match="covariance_type"):
        GMMHMM(2, covariance_type="banana").fit(X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GMMHMM(2).fit(bad)
    with pytest.raises(ValueError, match="lengths"):
        GMMHMM(2).fit(X, [100, 10])
    m = GMMHMM(2, n_mix=2, random_state=0, n_iter=2).fit(X, lengths)
    with pytest.raises(ValueError, match="features"):
        m.score(X[:, :3])
    m.weights_ = np.array([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ValueError, match="weights_"):
        m.score(X)
    m.weights_ = np.full((2, 2), 0.5)
    m.covars_ = -np.abs(m.covars_)
    with pytest.raises(ValueError, match="positive"):
        m.score(X)
