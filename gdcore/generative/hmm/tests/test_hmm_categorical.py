"""CategoricalHMM: known answers, agreement with hmmlearn 0.3.3 (1e-8 rel), bad input."""

import pickle

import numpy as np
import pytest
from hmmlearn import hmm as hl
from sklearn.base import clone
from sklearn.datasets import load_digits

from gdcore import CategoricalHMM
from gdcore.generative.hmm.tests._peer import RTOL, assert_same_inference


def _umbrella():
    # Wikipedia, "Forward-backward algorithm": states (rain, no rain),
    # symbols (umbrella, no umbrella).
    m = CategoricalHMM(2)
    m.startprob_ = np.array([0.5, 0.5])
    m.transmat_ = np.array([[0.7, 0.3], [0.3, 0.7]])
    m.emissionprob_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    return m, np.array([[0], [0], [1], [0], [0]])


def test_umbrella_known_answer():
    m, X = _umbrella()
    assert m.score(X) == pytest.approx(-3.3725, abs=5e-5)
    # Smoothed P(rain) from the article, to its 4 digits.
    np.testing.assert_allclose(m.predict_proba(X)[:, 0],
                               [0.8673, 0.8204, 0.3075, 0.8204, 0.8673], atol=5e-5)


def test_casino_viterbi_segments_as_published():
    # Durbin, Eddy, Krogh, Mitchison, "Biological sequence analysis" (1998),
    # fig. 3.5, first line: the fair die for 48 rolls, then the loaded one.
    rolls = "315116246446644245311321631164152133625144543631656626566666"
    m = CategoricalHMM(2)
    m.startprob_ = np.array([0.5, 0.5])
    m.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
    m.emissionprob_ = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])
    X = np.array([int(c) - 1 for c in rolls])[:, None]
    np.testing.assert_array_equal(m.predict(X), [0] * 48 + [1] * 12)


@pytest.fixture(scope="module")
def digits():
    # Pixel intensities 0..16 of 40 digits, one 64-pixel sequence per digit.
    X = load_digits().data[:40].astype(np.int64).reshape(-1, 1)
    return X, np.full(40, 64)


@pytest.mark.parametrize("implementation", ["log", "scaling"])
def test_fit_and_answers_equal_hmmlearn(digits, implementation):
    X, lengths = digits
    kw = dict(random_state=0, n_iter=5, implementation=implementation)
    h = hl.CategoricalHMM(4, **kw).fit(X, lengths)
    g = CategoricalHMM(4, **kw).fit(X, lengths)
    np.testing.assert_allclose(g.emissionprob_, h.emissionprob_, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(g.transmat_, h.transmat_, rtol=RTOL, atol=1e-14)
    assert_same_inference(g, h, X, lengths)
    assert g.bic(X, lengths) == pytest.approx(h.bic(X, lengths), rel=RTOL)


def test_one_baum_welch_step_equals_hmmlearn(digits):
    X, lengths = digits
    rng = np.random.default_rng(0)
    start = dict(startprob_=rng.dirichlet(np.ones(3)), transmat_=rng.dirichlet(np.ones(3), 3),
                 emissionprob_=rng.dirichlet(np.ones(17), 3))
    fitted = []
    for cls in (hl.CategoricalHMM, CategoricalHMM):
        m = cls(3, n_iter=1, init_params="", emissionprob_prior=1.5, transmat_prior=2.0)
        for k, v in start.items():
            setattr(m, k, v.copy())
        fitted.append(m.fit(X, lengths))
    h, g = fitted
    for name in start:
        np.testing.assert_allclose(getattr(g, name), getattr(h, name), rtol=RTOL, atol=1e-14)


def test_em_never_decreases_and_sampling():
    m, _ = _umbrella()
    X, states, lengths = m.sample_sequences(30, 40, random_state=0)
    assert X.dtype == np.int64 and set(np.unique(X)) <= {0, 1}
    g = CategoricalHMM(2, n_iter=25, tol=-np.inf, random_state=1).fit(X, lengths)
    h = np.array(g.monitor_.history)
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))
    X1, s1 = m.sample(20, random_state=3)
    X2, s2 = m.sample(20, random_state=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(s1, s2)


def test_impossible_sequence_is_an_error_not_nan():
    m, _ = _umbrella()
    m.emissionprob_ = np.array([[1.0, 0.0], [1.0, 0.0]])   # symbol 1 can never appear
    X = np.array([[0], [1], [0]])
    assert m.score(X) == -np.inf
    with pytest.raises(ValueError, match="probability zero"):
        m.predict_proba(X)
    with pytest.raises(ValueError, match="probability zero"):
        m.predict(X)
    with pytest.raises(ValueError, match="probability zero"):
        m.set_params(init_params="", n_iter=1).fit(X)


def test_params_clone_pickle(digits):
    X, lengths = digits
    m = CategoricalHMM(3, n_iter=2, random_state=0, n_jobs=2)
    assert clone(m).get_params() == m.get_params()
    m.fit(X, lengths)
    m2 = pickle.loads(pickle.dumps(m))
    assert m2.score(X, lengths) == m.score(X, lengths)
    # As hmmlearn, fit sets the alphabet size it learned (clone keeps the parameter).
    assert m.n_features == m.n_features_ == 17
    assert clone(m).n_features == 17 and clone(CategoricalHMM()).n_features is None


def test_bad_input():
    m, X = _umbrella()
    with pytest.raises(ValueError, match="largest symbol is 2"):
        m.score(np.array([[0], [2]]))
    with pytest.raises(ValueError, match="non-negative"):
        m.score(np.array([[0], [-1]]))
    with pytest.raises(ValueError, match="integers"):
        m.score(np.array([[0.0], [1.0]]))
    with pytest.raises(ValueError, match="one column"):
        m.score(np.array([[0, 1]]))
    with pytest.raises(ValueError):
        m.score(np.array([[0.0], [np.nan]]))
    with pytest.raises(ValueError, match="sum to 5 but X has 4"):
        m.score(np.array([[0], [1], [0], [0]]), lengths=[2, 3])
    m.emissionprob_ = np.array([[0.9, 0.2], [0.2, 0.8]])
    with pytest.raises(ValueError, match="emissionprob_"):
        m.score(X)
    m, _ = _umbrella()
    m.transmat_ = np.array([[0.7, 0.2], [0.3, 0.7]])
    with pytest.raises(ValueError, match="transmat_"):
        m.predict(X)
    with pytest.raises(ValueError, match="largest symbol"):
        CategoricalHMM(2, n_features=2).fit(np.array([[0], [1], [2]]))
