"""The one fallback mechanism: fit through the peer, adopt its fitted model, log why."""

import logging

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import gdcore
from gdcore._fallback import FALLBACKS, PeerFallbackMixin, delegate_to_peer


class _NearestMean(PeerFallbackMixin, ClassifierMixin, BaseEstimator):
    """A native model that serves dense X only; sparse X goes to the peer."""

    _peer_class = "sklearn.linear_model.LogisticRegression"

    def __init__(self, C=1.0, max_iter=500):
        self.C = C
        self.max_iter = max_iter

    def _fallback_reason(self, X, y=None, **fit_params):
        return "sparse X" if sp.issparse(X) else None

    def fit(self, X, y, sample_weight=None):
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.means_ = np.stack([X[codes == k].mean(0) for k in range(len(self.classes_))])
        return self

    @delegate_to_peer
    def predict(self, X):
        d = ((np.asarray(X)[:, None, :] - self.means_) ** 2).sum(-1)
        return self.classes_[d.argmin(1)]


def test_unserved_input_fits_through_the_peer_with_the_same_parameters(caplog):
    X, y = load_iris(return_X_y=True)
    before = sum(FALLBACKS.values())
    with caplog.at_level(logging.DEBUG, logger="gdcore"):
        est = _NearestMean(C=0.5).fit(sp.csr_matrix(X), y)
    assert "fitting through sklearn.linear_model.LogisticRegression: sparse X" in caplog.text
    assert sum(FALLBACKS.values()) == before + 1
    peer = SkLogisticRegression(C=0.5, max_iter=500).fit(X, y)
    np.testing.assert_allclose(est.coef_, peer.coef_, rtol=1e-6)
    np.testing.assert_array_equal(est.predict(sp.csr_matrix(X)), peer.predict(X))
    # What the native model lacks is answered by the peer.
    np.testing.assert_allclose(est.predict_proba(X), peer.predict_proba(X), rtol=1e-6)
    text = []
    gdcore.show_config(file=type("F", (), {"write": lambda s, t: text.append(t)})())
    assert "fallback _NearestMean -> sklearn.linear_model.LogisticRegression" in "".join(text)


def test_a_native_refit_forgets_the_peer():
    X, y = load_iris(return_X_y=True)
    est = _NearestMean().fit(sp.csr_matrix(X), y)
    est.fit(X, y)
    assert not hasattr(est, "coef_") and "_peer" not in vars(est)
    assert est.means_.shape == (3, 4)
    with pytest.raises(AttributeError):
        est.predict_proba(X)
