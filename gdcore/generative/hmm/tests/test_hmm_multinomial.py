"""MultinomialHMM against hmmlearn 0.3's: scores, decoding, EM, initialization, checks."""

import logging
import pickle

import numpy as np
import pytest
from sklearn.base import clone

from gdcore.generative.hmm import CategoricalHMM, MultinomialHMM

hl = pytest.importorskip("hmmlearn.hmm")

PARAMS = {"startprob_": np.array([0.6, 0.4]),
          "transmat_": np.array([[0.8, 0.2], [0.2, 0.8]]),
          "emissionprob_": np.array([[0.5, 0.3, 0.1, 0.1], [0.1, 0.1, 0.4, 0.4]])}


@pytest.fixture(autouse=True)
def _quiet_hmmlearn():
    # hmmlearn's MultinomialHMM logs a notice about its 0.3 change at construction.
    logger = logging.getLogger("hmmlearn")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def _model(cls, **kw):
    m = cls(n_components=2, n_trials=5, **kw)
    for name, value in PARAMS.items():
        setattr(m, name, value.copy())
    return m


@pytest.fixture(scope="module")
def X():
    return _model(MultinomialHMM).sample(400, random_state=1)[0]


def test_scores_posteriors_and_paths_equal_hmmlearns(X):
    ours, theirs = _model(MultinomialHMM), _model(hl.MultinomialHMM)
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    (lp_a, path_a), (lp_b, path_b) = ours.decode(X), theirs.decode(X)
    np.testing.assert_allclose(lp_a, lp_b, rtol=1e-12)
    np.testing.assert_array_equal(path_a, path_b)


@pytest.mark.parametrize("params", ["ste", "e"])
def test_em_equals_hmmlearns(X, params):
    models = [_model(cls, init_params="", params=params, n_iter=5, tol=-np.inf).fit(
        X, [100] * 4) for cls in (MultinomialHMM, hl.MultinomialHMM)]
    for name in PARAMS:
        np.testing.assert_allclose(getattr(models[0], name), getattr(models[1], name),
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(models[0].monitor_.history, models[1].monitor_.history,
                               rtol=1e-12)


def test_initialization_draws_hmmlearns_parameters(X):
    ours = MultinomialHMM(3, n_iter=0, random_state=4).fit(X)
    theirs = hl.MultinomialHMM(3, n_iter=0, random_state=4)
    theirs._init(X)
    for name in PARAMS:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12)


def test_varying_trials_and_n_trials_left_unset_by_fit(X):
    X2 = X.copy()
    X2[::2] *= 2
    m = MultinomialHMM(2, random_state=0, n_iter=3).fit(X2)
    assert m.n_trials is None
    assert m.n_features == 4
    theirs = hl.MultinomialHMM(2, random_state=0, n_iter=3).fit(X2)
    np.testing.assert_allclose(m.emissionprob_, theirs.emissionprob_, rtol=1e-8)


def test_check_and_set_n_features_is_hmmlearns():
    m = MultinomialHMM(2)
    m._check_and_set_n_features(np.array([[0, 2, 3, 0], [1, 0, 2, 2]]))
    assert np.all(m.n_trials == 5) and m.n_features == 4
    for bad in ([[0, 0, 2, 1, 3, 1, 1]], [[0, 0, 1, 1], [3, 1, 1, 0]],
                [[0.0, 2.0, 0.0, 3.0], [0.0, 2.5, 2.5, 0.0]], [[0, -2, 1, 6], [5, 6, -6, 0]]):
        with pytest.raises(ValueError):
            m._check_and_set_n_features(np.array(bad))


def test_bad_counts_and_trials_are_refused(X):
    m = _model(MultinomialHMM)
    with pytest.raises(ValueError, match="add up to the number of trials"):
        m.score(X * 2)
    with pytest.raises(ValueError, match="nonnegative integers"):
        m.score(X - 1)
    with pytest.raises(ValueError, match="nonnegative integers"):
        m.score(X + 0.5)
    with pytest.raises(ValueError, match="emissionprob_"):
        m.emissionprob_ = np.zeros((1, 4))
        m.score(X)


def test_sampling_needs_one_n_trials():
    m = _model(MultinomialHMM)
    X, states = m.sample(300, random_state=0)
    assert X.shape == (300, 4) and np.all(X.sum(axis=1) == 5) and len(states) == 300
    for n_trials in (None, [1, 2, 3]):
        m.n_trials = n_trials
        with pytest.raises(ValueError, match="single n_trials"):
            m.sample(10)


def test_one_trial_is_the_categorical_hmm():
    m1, m2 = MultinomialHMM(2, n_trials=1), CategoricalHMM(2)
    for m in (m1, m2):
        m.startprob_ = np.array([0.6, 0.4])
        m.transmat_ = np.array([[0.7, 0.3], [0.4, 0.6]])
        m.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
    lp1, s1 = m1.decode(np.eye(3, dtype=int))
    lp2, s2 = m2.decode(np.array([[0], [1], [2]]))
    assert round(np.exp(lp1), 5) == round(np.exp(lp2), 5) == 0.01344
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_allclose(m1.predict_proba(np.eye(3, dtype=int)),
                               m2.predict_proba(np.array([[0], [1], [2]])), atol=1e-12)


def test_thread_count_changes_nothing_and_pickle_round_trips(X):
    fits = [MultinomialHMM(2, random_state=0, n_iter=4, n_jobs=n).fit(X) for n in (1, 2)]
    assert fits[0].emissionprob_.tobytes() == fits[1].emissionprob_.tobytes()
    again = pickle.loads(pickle.dumps(fits[0]))
    assert again.score(X) == fits[0].score(X)
    assert clone(fits[0]).get_params() == fits[0].get_params()
