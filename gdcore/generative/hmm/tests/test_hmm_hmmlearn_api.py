"""hmmlearn's API beyond fit and score: what its users and tutorials touch.

``n_features`` assigned before fitting, the ``_init(X, lengths)`` hook,
``n_iter=0``, the ``monitor_`` that is there from construction and can be
replaced, the log records hmmlearn emits, the shapes its setters take, and
the sizes that are refused before anything is allocated.
"""

import logging

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hmmlearn import hmm as hl
from hmmlearn.base import ConvergenceMonitor as HLMonitor

from gdcore import GMMHMM, CategoricalHMM, GaussianHMM, HMMClassifier, PoissonHMM
from gdcore.generative.hmm._base import ConvergenceMonitor


def _data(n=200, d=2, seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(0, 1, (n // 2, d)), rng.normal(4, 1, (n // 2, d))])


def _hand_set(model_cls=GaussianHMM):
    m = model_cls(2, init_params="")
    m.startprob_ = np.array([0.6, 0.4])
    m.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    m.means_ = np.array([[0.0], [3.0]])
    m.covars_ = np.array([[1.0], [0.5]])
    return m


def test_n_features_is_assignable_and_checked_by_fit():
    m = GaussianHMM(2, random_state=0)
    assert not hasattr(m, "n_features")
    m.n_features = 3
    assert m.n_features == 3
    with pytest.raises(ValueError, match="Unexpected number of dimensions, got 2 but expected 3"):
        m.fit(_data(d=2))
    m.n_features = 2
    assert m.fit(_data(d=2)).n_features == 2
    # hmmlearn's tutorials set n_features on a hand-set model, then sample.
    h = _hand_set()
    h.n_features = 1
    X, states = h.sample(50, random_state=0)
    assert X.shape == (50, 1) and states.shape == (50,)
    p = PoissonHMM(2)
    p.n_features = 4
    assert p.n_features == 4


def test_init_takes_hmmlearns_signature_and_equals_fits_initialization():
    X = _data()
    for cls in (GaussianHMM, GMMHMM):
        hooked = cls(2, random_state=3)
        hooked._init(X, [len(X)])
        zero = cls(2, random_state=3, n_iter=0).fit(X)
        for name in ("startprob_", "transmat_", "means_"):
            np.testing.assert_array_equal(getattr(hooked, name), getattr(zero, name))
    c = CategoricalHMM(2, random_state=0)
    c._init(np.array([[0], [2], [1], [1]]), 4)
    assert c.n_features == 3 and c.emissionprob_.shape == (2, 3)


def test_n_iter_zero_only_initializes():
    X = _data()
    m = GaussianHMM(2, random_state=0, n_iter=0).fit(X)
    assert len(m.monitor_.history) == 0
    one = GaussianHMM(2, random_state=0, n_iter=1).fit(X)
    assert not np.array_equal(m.means_, one.means_)
    assert np.isfinite(m.score(X))


def test_monitor_exists_before_fit_follows_params_and_can_be_replaced():
    X = _data()
    m = GaussianHMM(2, random_state=0, n_iter=5, tol=-np.inf)
    assert (m.monitor_.tol, m.monitor_.n_iter, m.monitor_.verbose) == (-np.inf, 5, False)
    assert "_monitor" not in vars(GaussianHMM(2))      # scikit-learn: __init__ stores params only
    m.fit(X)
    assert len(m.monitor_.history) == 5 and m.monitor_.iter == 5   # every iteration kept
    m.set_params(n_iter=3).fit(X)
    assert m.monitor_.n_iter == 3 and len(m.monitor_.history) == 3

    class StopAtOnce(ConvergenceMonitor):
        @property
        def converged(self):
            return True

    m.monitor_ = StopAtOnce(m.monitor_.tol, m.monitor_.n_iter, m.monitor_.verbose)
    m.set_params(n_iter=10).fit(X)
    assert isinstance(m.monitor_, StopAtOnce) and len(m.monitor_.history) == 1
    # hmmlearn's own monitor class works too, with n_init restarts.
    m = GaussianHMM(2, random_state=0, n_iter=4, tol=-np.inf, n_init=2)
    m.monitor_ = HLMonitor(m.monitor_.tol, 4, False)
    m.fit(X)
    assert isinstance(m.monitor_, HLMonitor) and len(m.monitor_.history) == 4


def test_hmmlearns_log_records(caplog):
    X = _data()
    with caplog.at_level(logging.WARNING, logger="hmmlearn.base"):
        m = GaussianHMM(2, random_state=0, n_iter=2)
        m.startprob_ = np.array([0.5, 0.5])
        m.fit(X)
    assert any("will be overwritten" in r.getMessage() and r.name == "hmmlearn.base"
               for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hmmlearn.base"):
        _hand_set()._init(np.zeros((3, 1)), 3)
    assert [r.getMessage() for r in caplog.records] == [
        "Fitting a model with 7 free scalar parameters with only 3 data points will "
        "result in a degenerate solution."]


def test_gmmhmm_check_refuses_a_bad_covariance_type():
    m = GMMHMM(2, n_mix=2, random_state=0, n_iter=1).fit(_data())
    m.covariance_type = "bad_covariance_type"
    with pytest.raises(ValueError, match="covariance_type"):
        m._check()


@pytest.mark.parametrize("shape", [(2,), (2, 1), (2, 1, 1, 1)])
def test_spherical_covars_take_one_value_per_state_in_any_shape(shape):
    m = GaussianHMM(2, covariance_type="spherical", init_params="")
    m.startprob_, m.transmat_ = np.array([0.6, 0.4]), np.array([[0.4, 0.6], [0.9, 0.1]])
    m.means_ = np.array([[3.0], [5.0]])
    m.covars_ = np.array([4.0, 3.0]).reshape(shape)
    np.testing.assert_array_equal(m._covars_, [4.0, 3.0])
    assert m.sample(20, random_state=0)[0].shape == (20, 1)
    with pytest.raises(ValueError, match="spherical"):
        m.covars_ = np.ones((2, 2))


def test_map_decoding_returns_hmmlearns_quantity():
    g = _hand_set()
    h = hl.GaussianHMM(2, init_params="")
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        setattr(h, name, np.asarray(getattr(g, name if name != "covars_" else "_covars_")))
    X, _ = g.sample(300, random_state=1)
    got, want = g.decode(X, [100] * 3, algorithm="map"), h.decode(X, [100] * 3, algorithm="map")
    assert got[0] == pytest.approx(want[0], rel=1e-10)
    assert got[0] == pytest.approx(g.predict_proba(X, [100] * 3).max(axis=1).sum(), rel=1e-12)
    np.testing.assert_array_equal(got[1], want[1])


def test_absurd_sizes_and_values_are_refused_before_allocating():
    X = _data()
    for params in ({"n_components": 2**40}, {"min_covar": -1}, {"min_covar": np.nan}):
        with pytest.raises(ValueError, match="GiB|min_covar"):
            GaussianHMM(**{"n_components": 2, **params}).fit(X)
    with pytest.raises(ValueError, match="GiB"):
        GMMHMM(2, n_mix=2**40).fit(X)
    with pytest.raises(ValueError, match="min_covar"):
        GMMHMM(2, min_covar=-1).fit(X)
    for symbol in (10**12, 2**31):
        m = CategoricalHMM(2)
        with pytest.raises(ValueError, match="GiB"):
            m.fit(np.array([[0], [1], [symbol]]))
        assert m.n_features is None           # a refused fit leaves the parameter alone
    with pytest.raises(ValueError, match="GiB"):
        CategoricalHMM(2, n_features=10**12).fit(np.array([[0], [1]]))


def test_classifier_checks_names_refuses_sparse_and_needs_y():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    y, lengths = np.array([0, 1] * 3), [10] * 6
    clf = HMMClassifier(GaussianHMM(2, n_iter=2), random_state=0).fit(X, y, lengths)
    assert list(clf.feature_names_in_) == ["a", "b"]
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X[["b", "a"]], lengths)
    with pytest.raises(TypeError, match="[Ss]parse"):
        HMMClassifier().fit(sp.csr_matrix(X.to_numpy()), y, lengths)
    with pytest.raises(ValueError, match="requires y to be passed"):
        HMMClassifier().fit(X, None)


def test_classifier_refuses_a_sequence_impossible_under_every_class():
    # Symbol 2 has probability zero under both classes' models: no posterior.
    models = []
    for p in (0.8, 0.3):
        m = CategoricalHMM(1, n_features=3, init_params="", params="")
        m.startprob_, m.transmat_ = np.array([1.0]), np.array([[1.0]])
        m.emissionprob_ = np.array([[p, 1 - p, 0.0]])
        models.append(m)
    X = np.array([[0], [1], [0], [1], [0], [0], [1], [1]])
    clf = HMMClassifier(models[0]).fit(X, [0, 1], [4, 4])
    clf.hmms_ = models
    bad = np.array([[0], [1], [2], [0]])
    for method in ("predict", "predict_proba", "predict_log_proba"):
        with pytest.raises(ValueError, match="probability zero under every class"):
            getattr(clf, method)(bad, [2, 2])
    assert clf.score_samples(bad, [2, 2])[1] == -np.inf
