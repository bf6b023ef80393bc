"""NumPy twins of ``gdcore.generative.mixture._mixture``: the specification they are tested against.

Same signatures, same outputs, same status codes; ``n_threads`` is accepted
and ignored.  Written for clarity, never used on a hot path.
"""

import numpy as np

STATUS_OK = 0
STATUS_NOT_FINITE = 1


def _normalize(lp, resp, log_norm):
    """Fill resp and log_norm from the (n, k) log pi_c p_c(x); return r in double."""
    top = lp.max(axis=1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lse = (top + np.log(np.exp(lp - top).sum(axis=1, keepdims=True)))[:, 0]
        r = np.exp(lp - lse[:, None])
    log_norm[:] = lse
    resp[:] = r
    return r, (STATUS_OK if np.isfinite(lse).all() else STATUS_NOT_FINITE)


def _scatter_full(X, weight, r, means):
    rw = r * np.asarray(weight)[:, None]
    nk = rw.sum(axis=0)
    sx = rw.T @ X
    S = np.empty((means.shape[0], X.shape[1], X.shape[1]))
    for c in range(means.shape[0]):
        diff = X - means[c]
        S[c] = (rw[:, c, None] * diff).T @ diff
    return nk, sx, S


def estep_full(X, weight, prec_chol_cat, means_prec, means, log_const, resp, log_norm,
               nk, sx, scatter, want_stats, n_threads):
    X = np.asarray(X, dtype=np.float64)
    d, k = X.shape[1], len(log_const)
    U = np.asarray(prec_chol_cat, dtype=np.float64).reshape(d, k, d).transpose(1, 0, 2)
    mp = np.asarray(means_prec, dtype=np.float64)
    lp = np.empty((X.shape[0], k))
    for c in range(k):
        lp[:, c] = log_const[c] - 0.5 * ((X @ U[c] - mp[c]) ** 2).sum(axis=1)
    r, status = _normalize(lp, resp, log_norm)
    if want_stats:
        nk[:], sx[:], scatter[:] = _scatter_full(X, weight, r, np.asarray(means, np.float64))
    return status


def estep_tied(X, weight, prec_chol, means_prec, log_const, resp, log_norm, nk, sx,
               want_stats, n_threads):
    X = np.asarray(X, dtype=np.float64)
    Y = X @ np.asarray(prec_chol, dtype=np.float64)
    mp = np.asarray(means_prec, dtype=np.float64)
    lp = np.asarray(log_const) - 0.5 * ((Y[:, None, :] - mp[None]) ** 2).sum(axis=2)
    r, status = _normalize(lp, resp, log_norm)
    if want_stats:
        rw = r * np.asarray(weight)[:, None]
        nk[:] = rw.sum(axis=0)
        sx[:] = rw.T @ X
    return status


def estep_diag(X, weight, means_t, prec_t, log_const, resp, log_norm, nk, sx, sq,
               want_stats, n_threads):
    # NaN = missing: its density term (with log_const's share) drops out;
    # the statistics take the conditional mean and variance (mean, 1/prec).
    X = np.asarray(X, dtype=np.float64)
    means, prec = np.asarray(means_t).T, np.asarray(prec_t).T
    observed = ~np.isnan(X)[:, None, :]                  # (n, 1, d)
    dev2 = (X[:, None, :] - means[None]) ** 2            # (n, k, d)
    terms = np.where(observed, dev2 * prec[None], np.log(prec / (2 * np.pi))[None])
    lp = np.asarray(log_const) - 0.5 * terms.sum(axis=2)
    r, status = _normalize(lp, resp, log_norm)
    if want_stats:
        rw = r * np.asarray(weight)[:, None]
        nk[:] = rw.sum(axis=0)
        filled = np.where(observed, X[:, None, :], means[None])
        sx[:] = (rw[:, :, None] * filled).sum(axis=0)
        sq[:] = (rw[:, :, None] * np.where(observed, dev2, 1.0 / prec[None])).sum(axis=0)
    return status


def stats_full(X, weight, resp, means, nk, sx, scatter, n_threads):
    nk[:], sx[:], scatter[:] = _scatter_full(
        np.asarray(X, dtype=np.float64), weight, np.asarray(resp, dtype=np.float64),
        np.asarray(means, dtype=np.float64))
    return STATUS_OK
