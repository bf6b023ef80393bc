"""Exact EM for incomplete data: the E-step of rows with missing (NaN) values.

A row with observed coordinates o and missing m has, under component c,

    p(x_o | c)         = N(x_o; mu_o, S_oo)                 (marginal: S_mm drops out)
    E[x_m | x_o, c]    = mu_m + B (x_o - mu_o),   B = S_mo S_oo^-1
    Cov[x_m | x_o, c]  = S_mm - B S_om

(Ghahramani & Jordan 1994, "Supervised learning from incomplete data via an
EM approach").  The M-step's statistics take the completed row
x~ = (x_o, E[x_m | x_o, c]) and add the conditional covariance to the
scatter, so EM still increases the observed-data likelihood.

Full and tied covariances come here; diagonal ones need no conditioning
(B = 0) and are marginalized inside the compiled kernel.  Rows are grouped
by their pattern of missing values and each group is done
with dense NumPy: one Cholesky of S_oo and a few triangular solves per
(pattern, component).  The cost is O(patterns * k * d^3 + rows * k * d^2):
cheap when patterns repeat (a few sensors down), slow when almost every row
has its own pattern, which has no compiled kernel yet.
"""

import numpy as np
from scipy import linalg

from gdcore.generative.gaussian_mixture_em import ILL_DEFINED


def full_covariances(covariances, covariance_type, k, d):
    """(k, d, d) covariance matrices for any covariance type."""
    cov = np.asarray(covariances, dtype=np.float64)
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if covariance_type == "diag":
        return np.stack([np.diag(v) for v in cov])
    return cov[:, None, None] * np.eye(d)


class MissingStats:
    """What the rows with NaN add to the kernel's statistics (float64)."""

    def __init__(self, k, d, covariance_type):
        self.nk = np.zeros(k)
        self.sx = np.zeros((k, d))
        self.scatter = (np.zeros((k, d, d)) if covariance_type == "full"
                        else np.zeros((k, d)) if covariance_type != "tied" else None)
        self.tied_extra = np.zeros((d, d)) if covariance_type == "tied" else None


def e_step(X, weight, params, covariance_type, centres=None, tied_centre=None,
           want_stats=False, want_fill=False):
    """Responsibilities, log p(x_o), optional statistics and imputed rows.

    X: (n, d) rows that each hold at least one NaN and one observed value.
    ``centres`` (k, d) centre the per-component scatter, ``tied_centre``
    (d,) the tied model's total scatter.  Returns (resp, log_norm, stats or
    None, filled X or None); resp and the statistics are float64.
    """
    weights, means, covariances, _ = params
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    means = np.asarray(means, dtype=np.float64)
    k = means.shape[0]
    covs = full_covariances(covariances, covariance_type, k, d)
    with np.errstate(divide="ignore"):
        log_w = np.log(np.asarray(weights, dtype=np.float64))
    missing = np.isnan(X)
    patterns, group = np.unique(missing, axis=0, return_inverse=True)
    group = group.ravel()
    lp = np.empty((n, k))
    # Per (pattern, component): conditional means of the missing part, and
    # the conditional covariance, kept for the statistics pass.
    cond = {}
    for p, miss in enumerate(patterns):
        rows = np.flatnonzero(group == p)
        o, m = np.flatnonzero(~miss), np.flatnonzero(miss)
        xo = X[np.ix_(rows, o)]
        for c in range(k):
            S = covs[c]
            if len(o) == 0:   # nothing observed: p(x_o) = 1, x_m | c ~ N(mu_m, S)
                lp[rows, c] = log_w[c]
                cond[p, c] = (np.broadcast_to(means[c], (len(rows), d)), S)
                continue
            try:
                L = linalg.cholesky(S[np.ix_(o, o)], lower=True, check_finite=False)
            except linalg.LinAlgError:
                raise ValueError(ILL_DEFINED) from None
            diff = xo - means[c, o]
            # z = L^-1 (x_o - mu_o)^T, (|o|, rows)
            z = linalg.solve_triangular(L, diff.T, lower=True, check_finite=False)
            lp[rows, c] = (log_w[c] - 0.5 * (len(o) * np.log(2 * np.pi)
                           + (z * z).sum(axis=0)) - np.log(np.diag(L)).sum())
            # B^T = S_oo^-1 S_om through the same factor, (|o|, |m|)
            Bt = linalg.cho_solve((L, True), S[np.ix_(o, m)], check_finite=False)
            cond[p, c] = (means[c, m] + diff @ Bt, S[np.ix_(m, m)] - S[np.ix_(m, o)] @ Bt)
    top = lp.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(lp - top).sum(axis=1))
    resp = np.exp(lp - log_norm[:, None])

    stats = MissingStats(k, d, covariance_type) if want_stats else None
    filled = X.copy() if want_fill else None
    w = np.ones(n) if weight is None else np.asarray(weight)
    for p, miss in enumerate(patterns):
        rows = np.flatnonzero(group == p)
        m = np.flatnonzero(miss)
        if want_fill:   # E[x_m | x_o] = sum_c P(c | x_o) E[x_m | x_o, c]
            filled[np.ix_(rows, m)] = sum(resp[rows, c, None] * cond[p, c][0]
                                          for c in range(k))
        for c in range(k):
            xm_hat, C = cond[p, c]
            if not want_stats:
                continue
            rw = resp[rows, c] * w[rows]
            total = rw.sum()
            xt = X[rows].copy()
            xt[:, m] = xm_hat
            stats.nk[c] += total
            stats.sx[c] += rw @ xt
            if covariance_type == "full":
                D = xt - centres[c]
                stats.scatter[c] += (D * rw[:, None]).T @ D
                stats.scatter[c][np.ix_(m, m)] += total * C
            elif covariance_type == "tied":
                D = xt - tied_centre
                stats.tied_extra += (D * rw[:, None]).T @ D
                stats.tied_extra[np.ix_(m, m)] += total * C
            else:
                D = xt - centres[c]
                stats.scatter[c] += rw @ (D * D)
                stats.scatter[c][m] += total * np.diag(C)
    return resp, log_norm, stats, filled

