"""GaussianHMM and the HMM base class: agreement with hmmlearn 0.3.3, properties, bad input.

Tolerance against hmmlearn: 1e-8 relative in float64 (the project's bar), for
score, posteriors, Viterbi path and log-probability, and one Baum-Welch step
from the same parameters.
"""

import pickle

import numpy as np
import pytest
from hmmlearn import hmm as hl
from sklearn.base import clone
from sklearn.datasets import load_iris, load_wine

from gdcore import GMMHMM, GaussianHMM, PoissonHMM
from gdcore.generative.hmm.tests._peer import RTOL, assert_same_inference

COVARIANCE_TYPES = ["spherical", "diag", "full", "tied"]


@pytest.fixture(scope="module")
def iris():
    X = load_iris().data
    return X, np.array([50, 50, 50])


def _hl_covars(h, covariance_type):
    # hmmlearn stores spherical covariances tiled to (K, d) after an M-step.
    c = np.asarray(h._covars_)
    return c[:, 0] if covariance_type == "spherical" and c.ndim == 2 else c


def _copy_params(src, dst, covariance_type):
    dst.startprob_ = src.startprob_.copy()
    dst.transmat_ = src.transmat_.copy()
    dst.means_ = src.means_.copy()
    dst.covars_ = _hl_covars(src, covariance_type).copy()
    return dst


@pytest.fixture(scope="module", params=COVARIANCE_TYPES)
def fitted_pair(request, iris):
    X, lengths = iris
    ct = request.param
    h = hl.GaussianHMM(3, covariance_type=ct, random_state=0, n_iter=5).fit(X, lengths)
    g = GaussianHMM(3, covariance_type=ct, random_state=0, n_iter=5).fit(X, lengths)
    return ct, h, g


def test_fit_from_same_seed_equals_hmmlearn(fitted_pair, iris):
    X, lengths = iris
    ct, h, g = fitted_pair
    np.testing.assert_allclose(g.startprob_, h.startprob_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(g.transmat_, h.transmat_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(g.means_, h.means_, rtol=RTOL)
    np.testing.assert_allclose(g._covars_, _hl_covars(h, ct), rtol=RTOL)
    assert g.score(X, lengths) == pytest.approx(h.score(X, lengths), rel=RTOL)


def test_same_parameters_same_answers(fitted_pair, iris):
    X, lengths = iris
    ct, h, _ = fitted_pair
    g = _copy_params(h, GaussianHMM(3, covariance_type=ct), ct)
    assert_same_inference(g, h, X, lengths)
    np.testing.assert_array_equal(g.decode(X, lengths, algorithm="map")[1],
                                  h.decode(X, lengths, algorithm="map")[1])
    assert g.aic(X, lengths) == pytest.approx(h.aic(X, lengths), rel=RTOL)
    assert g.bic(X, lengths) == pytest.approx(h.bic(X, lengths), rel=RTOL)
    np.testing.assert_allclose(g.get_stationary_distribution(),
                               h.get_stationary_distribution(), rtol=1e-10)


@pytest.mark.parametrize("implementation", ["log", "scaling"])
def test_one_baum_welch_step_equals_hmmlearn(fitted_pair, iris, implementation):
    X, lengths = iris
    ct, start, _ = fitted_pair
    kw = dict(covariance_type=ct, n_iter=1, init_params="", implementation=implementation)
    h = _copy_params(start, hl.GaussianHMM(3, **kw), ct).fit(X, lengths)
    g = _copy_params(start, GaussianHMM(3, **kw), ct).fit(X, lengths)
    np.testing.assert_allclose(g.transmat_, h.transmat_, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(g.startprob_, h.startprob_, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(g.means_, h.means_, rtol=RTOL)
    np.testing.assert_allclose(g._covars_, _hl_covars(h, ct), rtol=RTOL)
    assert g.monitor_.history[-1] == pytest.approx(h.monitor_.history[-1], rel=RTOL)


def test_wine_diag_equals_hmmlearn():
    X = load_wine().data
    X = (X - X.mean(0)) / X.std(0)
    lengths = [59, 71, 48]
    h = hl.GaussianHMM(3, random_state=1, n_iter=3).fit(X, lengths)
    g = GaussianHMM(3, random_state=1, n_iter=3).fit(X, lengths)
    assert g.score(X, lengths) == pytest.approx(h.score(X, lengths), rel=RTOL)
    np.testing.assert_allclose(g.means_, h.means_, rtol=RTOL, atol=1e-12)


def _known_model(covariance_type="diag"):
    m = GaussianHMM(2, covariance_type=covariance_type, init_params="")
    m.startprob_ = np.array([0.6, 0.4])
    m.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    m.means_ = np.array([[0.0, 0.0], [4.0, -3.0]])
    m.covars_ = {"diag": np.array([[1.0, 0.5], [0.7, 1.5]]),
                 "full": np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.7, -0.2], [-0.2, 1.5]]])
                 }[covariance_type]
    return m


def test_em_never_decreases_and_recovers_the_model():
    truth = _known_model()
    X, _, lengths = truth.sample_sequences(20, 100, random_state=0)
    g = GaussianHMM(2, n_iter=30, tol=-np.inf, random_state=3).fit(X, lengths)
    h = np.array(g.monitor_.history)
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))
    order = np.argsort(g.means_[:, 0])
    np.testing.assert_allclose(g.means_[order], truth.means_, atol=0.15)
    np.testing.assert_allclose(g.transmat_[np.ix_(order, order)], truth.transmat_, atol=0.05)


def test_threads_and_sequence_order_do_not_change_the_result():
    X, _, lengths = _known_model().sample_sequences(12, 40, random_state=1)
    fits = [GaussianHMM(2, n_iter=3, random_state=0, n_jobs=j).fit(X, lengths) for j in (1, 2)]
    np.testing.assert_allclose(fits[0].transmat_, fits[1].transmat_, rtol=1e-12)
    np.testing.assert_allclose(fits[0].means_, fits[1].means_, rtol=1e-12)
    # Reverse the order of the sequences: same statistics, same step.
    seqs = np.split(X, np.cumsum(lengths)[:-1])[::-1]
    m = _known_model()
    a = clone(m)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        setattr(a, name, getattr(m, name) if name != "covars_" else m._covars_)
    b = clone(a)
    for name in ("startprob_", "transmat_", "means_", "_covars_"):
        setattr(b, name, getattr(a, name).copy())
    a.set_params(n_iter=1).fit(X, lengths)
    b.set_params(n_iter=1).fit(np.concatenate(seqs), lengths[::-1])
    np.testing.assert_allclose(a.transmat_, b.transmat_, rtol=1e-12)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-12)


def test_per_sequence_scores_and_n_init():
    m = _known_model()
    X, _, lengths = m.sample_sequences(4, 30, random_state=2)
    per = m.score(X, lengths, per_sequence=True)
    assert per.shape == (4,) and per.sum() == pytest.approx(m.score(X, lengths), rel=1e-12)
    assert per[2] == pytest.approx(m.score(X[60:90]), rel=1e-12)
    best = GaussianHMM(2, n_iter=5, n_init=3, random_state=0).fit(X, lengths)
    seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=3)
    singles = [GaussianHMM(2, n_iter=5, random_state=s).fit(X, lengths).monitor_.history[-1]
               for s in seeds]
    assert best.monitor_.history[-1] == pytest.approx(max(singles), rel=1e-12)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_nan_is_marginalized(covariance_type):
    m = _known_model(covariance_type)
    X = np.array([[0.2, np.nan], [3.0, -2.0], [np.nan, -2.5]])
    # A one-feature model on the observed coordinates gives the same frame densities.
    flp = m._log_likelihood(m._validate_X(X, fitting=False), 1)
    for row, keep in ((0, 0), (2, 1)):
        cov = m.covars_[:, keep, keep]
        want = -0.5 * (np.log(2 * np.pi * cov) + (X[row, keep] - m.means_[:, keep]) ** 2 / cov)
        np.testing.assert_allclose(flp[row], want, rtol=1e-12)
    assert np.isfinite(m.score(X)) and np.isfinite(m.predict_proba(X)).all()


def test_fit_with_missing_values_diag():
    X, _, lengths = _known_model().sample_sequences(10, 50, random_state=4)
    X[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.0
    g = GaussianHMM(2, n_iter=10, tol=-np.inf, random_state=0).fit(X, lengths)
    h = np.array(g.monitor_.history)
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))
    assert np.isfinite(g.means_).all() and np.isfinite(g._covars_).all()


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_fit_with_missing_values_full_and_tied(covariance_type):
    # Exact EM on the observed-data likelihood: it never decreases, and a
    # tenth of the values missing leaves the fit close to the complete one.
    X, _, lengths = _known_model("full").sample_sequences(10, 60, random_state=4)
    Xm = X.copy()
    Xm[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    Xm[np.isnan(Xm).all(axis=1), 0] = X[np.isnan(Xm).all(axis=1), 0]
    kw = dict(covariance_type=covariance_type, n_iter=15, tol=-np.inf, random_state=0)
    g = GaussianHMM(2, **kw).fit(Xm, lengths)
    h = np.array(g.monitor_.history)
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))
    full = GaussianHMM(2, **kw).fit(X, lengths)
    order = np.argsort(g.means_[:, 0]), np.argsort(full.means_[:, 0])
    np.testing.assert_allclose(g.means_[order[0]], full.means_[order[1]], atol=0.3)
    # Without NaN the missing-data path is not taken: same answer as before.
    assert full.score(X, lengths) == pytest.approx(
        GaussianHMM(2, **kw).fit(X, lengths).score(X, lengths), rel=1e-12)


def test_state_without_mass_keeps_its_parameters():
    m = _known_model()
    m.means_[1] = [1e6, 1e6]          # no frame can come from state 1
    X = np.random.default_rng(0).normal(size=(50, 2))
    old_means, old_covars, old_row = m.means_.copy(), m._covars_.copy(), m.transmat_[1].copy()
    with pytest.warns(RuntimeWarning, match="no"):
        m.set_params(n_iter=1).fit(X)
    assert np.isfinite(m.means_).all() and np.isfinite(m._covars_).all()
    np.testing.assert_array_equal(m.means_[1], old_means[1])
    np.testing.assert_array_equal(m._covars_[1], old_covars[1])
    np.testing.assert_array_equal(m.transmat_[1], old_row)


def test_zeros_in_transmat_stay_zero():
    X, _, lengths = _known_model().sample_sequences(5, 40, random_state=5)
    m = GaussianHMM(3, init_params="mc", n_iter=5, random_state=0)
    m.startprob_ = np.array([1.0, 0.0, 0.0])
    m.transmat_ = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    m.fit(X, lengths)
    assert m.startprob_[1] == m.startprob_[2] == 0.0
    assert m.transmat_[0, 2] == m.transmat_[1, 0] == m.transmat_[2, 0] == m.transmat_[2, 1] == 0.0


def test_float32_input():
    m = _known_model()
    X, _, lengths = m.sample_sequences(3, 20, random_state=6)
    a = m.score(X, lengths)
    b = m.score(X.astype(np.float32), lengths)
    assert b == pytest.approx(a, rel=1e-5)
    assert m.predict_proba(X.astype(np.float32), lengths).dtype == np.float64


def test_sampling():
    m = _known_model("full")
    X, states = m.sample(50, random_state=0)
    assert X.shape == (50, 2) and states.shape == (50,)
    X2, _ = m.sample(50, random_state=0)
    np.testing.assert_array_equal(X, X2)
    X, states, lengths = m.sample_sequences(7, 11, random_state=1, currstate=1)
    assert X.shape == (77, 2) and lengths.tolist() == [11] * 7
    assert np.all(states.reshape(7, 11)[:, 0] == 1)


def test_params_clone_pickle():
    m = GaussianHMM(2, covariance_type="tied", n_iter=3, random_state=0, n_jobs=1)
    assert clone(m).get_params() == m.get_params()
    m.set_params(n_iter=4)
    assert m.n_iter == 4
    X, _, lengths = _known_model().sample_sequences(3, 30, random_state=7)
    m.fit(X, lengths)
    m2 = pickle.loads(pickle.dumps(m))
    assert m2.score(X, lengths) == m.score(X, lengths)
    np.testing.assert_array_equal(m2.predict(X, lengths), m.predict(X, lengths))


def test_known_answer_univariate():
    # Two well-separated states, one frame each: the posteriors are the
    # normalized prior x likelihood, computed by hand.
    m = GaussianHMM(2, covariance_type="spherical", init_params="")
    m.startprob_ = np.array([0.5, 0.5])
    m.transmat_ = np.array([[0.5, 0.5], [0.5, 0.5]])
    m.means_ = np.array([[0.0], [1.0]])
    m.covars_ = np.array([1.0, 1.0])
    x = np.array([[0.25]])
    dens = np.exp(-0.5 * (x[0, 0] - np.array([0.0, 1.0])) ** 2) / np.sqrt(2 * np.pi)
    assert m.score(x) == pytest.approx(np.log(0.5 * dens.sum()), rel=1e-12)
    np.testing.assert_allclose(m.predict_proba(x)[0], dens / dens.sum(), rtol=1e-12)


# ---- bad input -------------------------------------------------------------

@pytest.mark.parametrize("lengths,match", [
    ([10, 10], "sum to 20"), ([30, 0], "positive"), ([31, -1], "positive"),
    ([15.5, 14.5], "integers"), ([[30]], "1-D"), ([], "non-empty")])
def test_bad_lengths(lengths, match):
    X = np.random.default_rng(0).normal(size=(30, 2))
    m = _known_model()
    with pytest.raises(ValueError, match=match):
        m.score(X, lengths)
    with pytest.raises(ValueError, match=match):
        clone(m).fit(X, lengths)


def test_bad_parameters():
    X = np.random.default_rng(0).normal(size=(30, 2))
    m = _known_model()
    m.transmat_ = np.array([[0.9, 0.2], [0.2, 0.8]])
    with pytest.raises(ValueError, match="transmat_ rows must sum to 1"):
        m.score(X)
    m = _known_model()
    m.startprob_ = np.array([0.5, 0.6])
    with pytest.raises(ValueError, match="startprob_"):
        m.predict(X)
    m = _known_model()
    m._covars_ = np.array([[1.0, -1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="positive"):
        m.score(X)
    with pytest.raises(ValueError, match="positive"):
        _known_model().covars_ = np.zeros((2, 2))
    for params, match in [({"n_components": 0}, "n_components"),
                          ({"covariance_type": "banana"}, "covariance_type"),
                          ({"algorithm": "beam"}, "algorithm"),
                          ({"implementation": "fast"}, "implementation"),
                          ({"n_iter": -1}, "n_iter"), ({"n_init": 0}, "n_init"),
                          ({"n_jobs": 0}, "n_jobs")]:
        with pytest.raises(ValueError, match=match):
            GaussianHMM(2).set_params(**params).fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        _known_model().decode(X, algorithm="beam")


def test_bad_X():
    m = _known_model()
    with pytest.raises(ValueError, match="infinit"):
        m.score(np.array([[0.0, np.inf]]))
    with pytest.raises(ValueError, match="features"):
        m.score(np.zeros((3, 3)))
    with pytest.raises(ValueError):
        m.score(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="every feature is NaN"):
        GaussianHMM(2).fit(np.array([[0.0, 1.0], [np.nan, np.nan], [1.0, 2.0], [2.0, 2.0]]))
    with pytest.raises(ValueError, match="rows without NaN"):
        GaussianHMM(3).fit(np.array([[0.0, np.nan], [1.0, 2.0], [np.nan, 1.0]]))


@pytest.mark.parametrize("model, missing", [
    (GaussianHMM(2, covariance_type="full"), False),
    (GaussianHMM(2, covariance_type="full"), True),
    (GMMHMM(2), False),
    (PoissonHMM(2), False),
])
def test_width_of_kept_parameters_is_checked(model, missing):
    rng = np.random.default_rng(0)
    if isinstance(model, PoissonHMM):
        X3 = rng.poisson(3.0, (30, 3))
    else:
        X3 = rng.normal(size=(30, 3))
    X2 = X3[:, :2].copy()
    m = clone(model).set_params(n_iter=2, random_state=0).fit(X3)
    m.init_params = ""                       # a fit that keeps 3-feature parameters
    if missing:
        X2[::7, 1] = np.nan
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        m.fit(X2)
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        m.score(X2)
    m.init_params = model.init_params        # re-initialized: a new width is fine
    assert m.fit(X2).n_features == 2


def test_verbose_reports_each_iteration(capsys):
    X, _, lengths = _known_model().sample_sequences(3, 20, random_state=8)
    GaussianHMM(2, n_iter=3, tol=-np.inf, verbose=True, random_state=0).fit(X, lengths)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and lines[-1].split()[0] == "3"
