"""NumPy twins of ``gdcore.discriminative.linear._linear``: their specification in tests.

Same signatures and outputs; ``n_threads`` is accepted and ignored.  Written
for clarity in float64, never used on a hot path.
"""

import numpy as np
from scipy.special import expit, log_softmax


def _raw(X, coef, intercept):
    return np.asarray(X, dtype=np.float64) @ np.asarray(coef, dtype=np.float64).T + intercept


def _pointwise(raw, y, sw):
    """(loss sum, sw * (p - onehot), p) for raw scores (n, n_out)."""
    y = np.asarray(y)
    sw = np.asarray(sw, dtype=np.float64)
    if raw.shape[1] == 1:
        r = raw[:, 0]
        loss = np.logaddexp(0.0, r) - (y == 1) * r
        p = expit(r)[:, None]
        g = p - (y == 1)[:, None]
    else:
        logp = log_softmax(raw, axis=1)
        loss = -logp[np.arange(len(y)), y]
        p = np.exp(logp)
        g = p.copy()
        g[np.arange(len(y)), y] -= 1.0
    return float(np.sum(sw * loss)), sw[:, None] * g, p


def _hess_raw(r, sw, proba):
    """Sw * H_i r_i per row, H_i the Hessian of the row's loss in raw space."""
    p = np.asarray(proba)
    if p.shape[1] == 1:
        return np.asarray(sw)[:, None] * p * (1.0 - p) * r
    return np.asarray(sw)[:, None] * p * (r - np.sum(p * r, axis=1, keepdims=True))


def loss_grad(X, y, sw, coef, intercept, grad_coef, grad_intercept, proba, n_threads):
    loss, g, p = _pointwise(_raw(X, coef, intercept), y, sw)
    grad_coef[:] = g.T @ np.asarray(X, dtype=np.float64)
    grad_intercept[:] = g.sum(axis=0)
    if proba.shape[0] == len(g):
        proba[:] = p
    return loss


def hessp(X, sw, proba, vec_coef, vec_intercept, hv_coef, hv_intercept, n_threads):
    h = _hess_raw(_raw(X, vec_coef, vec_intercept), sw, proba)
    hv_coef[:] = h.T @ np.asarray(X, dtype=np.float64)
    hv_intercept[:] = h.sum(axis=0)


def pointwise_loss_grad(raw, y, sw, proba, n_threads):
    loss, g, p = _pointwise(np.array(raw), y, sw)
    raw[:] = g
    if proba.shape[0] == len(g):
        proba[:] = p
    return loss


def pointwise_hessp(raw, sw, proba, n_threads):
    raw[:] = _hess_raw(np.array(raw), sw, proba)


def ordinal_loss_grad(X, y, sw, coef, thresholds, grad_coef, grad_thresholds, n_threads):
    """Compute proportional odds by the textbook formula.

    P(y=k) = F(theta_k - eta) - F(theta_{k-1} - eta).
    """
    X = np.asarray(X, dtype=np.float64)
    sw = np.asarray(sw, dtype=np.float64)
    y = np.asarray(y)
    eta = X @ np.asarray(coef, dtype=np.float64)[0]
    theta = np.concatenate([[-np.inf], thresholds, [np.inf]])
    u = theta[y + 1] - eta
    lo = theta[y] - eta
    prob = expit(u) - expit(lo)
    # d/dz F(z) = F(z) (1 - F(z)) = 0 at +-inf
    fu = expit(u) * expit(-u)
    fl = expit(lo) * expit(-lo)
    d_hi = -sw * fu / prob
    d_lo = sw * fl / prob
    grad_coef[0] = -(d_hi + d_lo) @ X
    n_thr = len(thresholds)
    grad_thresholds[:] = (np.bincount(y, d_hi, minlength=n_thr + 1)[:n_thr]
                          + np.bincount(y, d_lo, minlength=n_thr + 1)[1:])
    return float(-np.sum(sw * np.log(prob)))
