"""NumPy twin of ``gdcore.generative.mixture._mixture_missing``: the spec it is tested against.

Same signature, same outputs, same status codes; ``n_threads`` is accepted
and ignored.  Rows are grouped by their pattern of missing values and each
group is done with dense NumPy, batched over the components (one stacked
Cholesky of the k blocks S_oo and a few stacked solves per pattern).
"""

import numpy as np

STATUS_OK = 0
STATUS_NOT_FINITE = 1
STATUS_ILL_DEFINED = 2


def estep_missing(X, weight, log_w, means, covs, centres, resp, log_norm, filled, nk, sx,
                  scatter, want_stats, want_fill, n_threads):
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    k = len(log_w)
    means, covs = np.asarray(means), np.asarray(covs)
    missing = np.isnan(X)
    patterns, group = np.unique(missing, axis=0, return_inverse=True)
    group = group.ravel()
    lp = np.empty((n, k))
    cond = {}   # pattern -> conditional means (k, rows, |m|), covariances (k, |m|, |m|)
    for p, miss in enumerate(patterns):
        rows = np.flatnonzero(group == p)
        o, m = np.flatnonzero(~miss), np.flatnonzero(miss)
        S_oo = covs[:, o[:, None], o]
        try:
            L = np.linalg.cholesky(S_oo)                                  # (k, |o|, |o|)
        except np.linalg.LinAlgError:
            return STATUS_ILL_DEFINED
        diff = X[np.ix_(rows, o)][None] - means[:, None, o]               # (k, rows, |o|)
        z = np.swapaxes(diff, 1, 2)                                       # (k, |o|, rows)
        if len(o):
            z = np.linalg.solve(L, z)                                     # L^-1 (x_o - mu_o)
        log_det = np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        lp[rows] = (np.asarray(log_w) - log_det - 0.5 * len(o) * np.log(2 * np.pi)
                    - 0.5 * (z * z).sum(axis=1).T)
        if len(o):
            Bt = np.linalg.solve(S_oo, covs[:, o[:, None], m])           # S_oo^-1 S_om
            cond[p] = (means[:, None, m] + diff @ Bt,
                       covs[:, m[:, None], m] - covs[:, m[:, None], o] @ Bt)
        else:
            cond[p] = (np.broadcast_to(means[:, None, :], (k, len(rows), d)), covs)
    top = lp.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        lse = top[:, 0] + np.log(np.exp(lp - top).sum(axis=1))
    log_norm[:] = lse
    resp[:] = np.exp(lp - lse[:, None])
    if not np.isfinite(lse).all():
        return STATUS_NOT_FINITE
    if want_fill:
        filled[:] = X
    S = np.zeros((k, d, d))
    nk[:], sx[:] = 0.0, 0.0
    for p, miss in enumerate(patterns):
        rows = np.flatnonzero(group == p)
        m = np.flatnonzero(miss)
        xm_hat, C = cond[p]
        r = np.asarray(resp)[rows]
        if want_fill:   # E[x_m | x_o] = sum_c P(c | x_o) E[x_m | x_o, c]
            filled[np.ix_(rows, m)] = np.einsum("rk,krm->rm", r, xm_hat)
        if not want_stats:
            continue
        rw = (r * np.asarray(weight)[rows, None]).T                       # (k, rows)
        xt = np.repeat(X[rows][None], k, axis=0)                          # completed rows
        xt[:, :, m] = xm_hat
        nk += rw.sum(axis=1)
        sx += np.einsum("kr,krd->kd", rw, xt)
        D = xt - np.asarray(centres)[:, None, :]
        S += np.swapaxes(D * rw[:, :, None], 1, 2) @ D
        S[:, m[:, None], m] += rw.sum(axis=1)[:, None, None] * C
    if want_stats:
        scatter[:] = S
    return STATUS_OK
