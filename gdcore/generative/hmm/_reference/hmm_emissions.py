"""NumPy twins of ``gdcore.generative.hmm._hmm_emissions``: the spec they are tested against.

Same signatures, same outputs, same status codes; ``n_threads`` is accepted
and ignored.  Densities are written in their direct form, (x - mu)^2 / s,
not the expanded one the kernels use for BLAS.
"""

import numpy as np

STATUS_OK = 0
STATUS_INF = 1
STATUS_BAD_SYMBOL = 2

LOG_2PI = np.log(2 * np.pi)


def _shift(log_shift, K):
    return np.zeros(K) if log_shift is None else np.asarray(log_shift, dtype=np.float64)


def gaussian_diag_loglik(X, means, covars, out, n_threads, log_shift=None):
    X = np.asarray(X, dtype=np.float64)
    if np.isinf(X).any():
        return STATUS_INF
    dev2 = (X[:, None, :] - means[None]) ** 2 / covars[None]       # (n, K, d)
    terms = LOG_2PI + np.log(covars)[None] + dev2
    out[:] = (-0.5 * np.where(np.isnan(X)[:, None, :], 0.0, terms).sum(axis=2)
              + _shift(log_shift, len(means))[None])
    return STATUS_OK


def gaussian_full_loglik(X, means, prec_chol, out, n_threads, log_shift=None):
    X = np.asarray(X, dtype=np.float64)
    if np.isinf(X).any():
        return STATUS_INF
    d = X.shape[1]
    shift = _shift(log_shift, len(means))
    for k in range(means.shape[0]):
        y = (X - means[k]) @ prec_chol[k]
        out[:, k] = (-0.5 * (d * LOG_2PI + (y ** 2).sum(axis=1))
                     + np.log(np.diag(prec_chol[k])).sum() + shift[k])
    return STATUS_OK


def categorical_loglik(X, log_emission_t, out, n_threads):
    X = np.asarray(X)
    if (X < 0).any() or (X >= log_emission_t.shape[0]).any():
        return STATUS_BAD_SYMBOL
    out[:] = log_emission_t[X]
    return STATUS_OK


def poisson_loglik(X, log_rates, rate_sums, zero_rate, row_const, out, n_threads):
    X = np.asarray(X, dtype=np.float64)
    out[:] = X @ np.asarray(log_rates).T - np.asarray(rate_sums)[None, :] \
        - np.asarray(row_const)[:, None]
    impossible = ((X > 0)[:, None, :] & np.asarray(zero_rate, dtype=bool)[None]).any(axis=2)
    out[impossible] = -np.inf
    return STATUS_OK


def weighted_sums(weights, X, weight_sums, sums, n_threads, square_sums=None):
    weights, X = np.asarray(weights), np.asarray(X, dtype=np.float64)
    weight_sums[:] = weights.sum(axis=0)
    sums[:] = weights.T @ X
    if square_sums is not None:
        square_sums[:] = weights.T @ X ** 2
    return STATUS_OK
