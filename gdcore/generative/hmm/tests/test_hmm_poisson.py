"""PoissonHMM: agreement with hmmlearn 0.3.3 (1e-8 rel), rates recovered, bad input."""

import pickle

import numpy as np
import pytest
from hmmlearn import hmm as hl

from gdcore import PoissonHMM
from gdcore.generative.hmm.tests._peer import RTOL, assert_same_inference


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    X = rng.poisson([[2, 5, 1]] * 100 + [[8, 1, 3]] * 100)
    return X, np.array([120, 80])


@pytest.mark.parametrize("prior", [(0.0, 0.0), (2.0, 0.5)])
def test_equals_hmmlearn(counts, prior):
    X, lengths = counts
    kw = dict(random_state=0, n_iter=5, lambdas_prior=prior[0], lambdas_weight=prior[1])
    h = hl.PoissonHMM(2, **kw).fit(X, lengths)
    g = PoissonHMM(2, **kw).fit(X, lengths)
    np.testing.assert_allclose(g.lambdas_, h.lambdas_, rtol=RTOL)
    np.testing.assert_allclose(g.transmat_, h.transmat_, rtol=RTOL, atol=1e-14)
    assert_same_inference(g, h, X, lengths)


def test_recovers_rates_and_pickles():
    truth = PoissonHMM(2, init_params="")
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
    truth.lambdas_ = np.array([[1.0, 6.0], [7.0, 2.0]])
    X, _, lengths = truth.sample_sequences(20, 100, random_state=0)
    g = PoissonHMM(2, n_iter=50, random_state=0).fit(X, lengths)
    order = np.argsort(g.lambdas_[:, 0])
    np.testing.assert_allclose(g.lambdas_[order], truth.lambdas_, rtol=0.1)
    g2 = pickle.loads(pickle.dumps(g))
    assert g2.score(X, lengths) == g.score(X, lengths)


def test_zero_rate_and_bad_input():
    m = PoissonHMM(1, init_params="")
    m.startprob_, m.transmat_ = np.array([1.0]), np.array([[1.0]])
    m.lambdas_ = np.array([[0.0, 2.0]])
    assert np.isfinite(m.score(np.array([[0, 3]])))
    assert m.score(np.array([[1, 3]])) == -np.inf
    with pytest.raises(ValueError, match="counts"):
        m.score(np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="counts"):
        m.score(np.array([[-1, 1]]))
    with pytest.raises(ValueError):
        m.score(np.array([[np.nan, 1]]))
    with pytest.raises(ValueError, match="features"):
        m.score(np.array([[1, 1, 1]]))
    m.lambdas_ = np.array([[-1.0, 2.0]])
    with pytest.raises(ValueError, match="lambdas_"):
        m.score(np.array([[0, 1]]))
    with pytest.raises(ValueError, match="constant"):
        PoissonHMM(2).fit(np.zeros((10, 2)))
