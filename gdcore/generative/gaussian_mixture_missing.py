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
with dense NumPy, batched over the components: one stacked Cholesky of
the k matrices S_oo and a few stacked solves per pattern.  The cost is
O(patterns * k * d^3 + rows * k * d^2): cheap when patterns repeat (a few
sensors down), slow when almost every row has its own pattern (one Python
iteration per pattern; a compiled kernel for that case does not exist yet).
"""

import numpy as np

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
    # Per pattern, for all k components at once (batched Cholesky and solves):
    # the conditional means (k, rows, |m|) and covariances (k, |m|, |m|).
    cond = {}
    for p, miss in enumerate(patterns):
        rows = np.flatnonzero(group == p)
        o, m = np.flatnonzero(~miss), np.flatnonzero(miss)
        if len(o) == 0:   # nothing observed: p(x_o) = 1, x_m | c ~ N(mu_c, S_c)
            lp[rows] = log_w
            cond[p] = (np.broadcast_to(means[:, None, :], (k, len(rows), d)), covs)
            continue
        S_oo = covs[:, o[:, None], o]
        try:
            L = np.linalg.cholesky(S_oo)                                  # (k, |o|, |o|)
        except np.linalg.LinAlgError:
            raise ValueError(ILL_DEFINED) from None
        diff = X[np.ix_(rows, o)][None] - means[:, None, o]               # (k, rows, |o|)
        z = np.linalg.solve(L, np.swapaxes(diff, 1, 2))                   # L^-1 (x_o - mu_o)
        log_det = np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        lp[rows] = (log_w - log_det - 0.5 * len(o) * np.log(2 * np.pi)
                    - 0.5 * (z * z).sum(axis=1).T)
        Bt = np.linalg.solve(S_oo, covs[:, o[:, None], m])               # S_oo^-1 S_om
        cond[p] = (means[:, None, m] + diff @ Bt,
                   covs[:, m[:, None], m] - covs[:, m[:, None], o] @ Bt)
    top = lp.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(lp - top).sum(axis=1))
    resp = np.exp(lp - log_norm[:, None])

    stats = MissingStats(k, d, covariance_type) if want_stats else None
    filled = X.copy() if want_fill else None
    w = np.ones(n) if weight is None else np.asarray(weight)
    for p, miss in enumerate(patterns):
        rows = np.flatnonzero(group == p)
        m = np.flatnonzero(miss)
        xm_hat, C = cond[p]
        if want_fill:   # E[x_m | x_o] = sum_c P(c | x_o) E[x_m | x_o, c]
            filled[np.ix_(rows, m)] = np.einsum("rk,krm->rm", resp[rows], xm_hat)
        if not want_stats:
            continue
        rw = (resp[rows] * w[rows, None]).T                               # (k, rows)
        total = rw.sum(axis=1)
        xt = np.repeat(X[rows][None], k, axis=0)                          # completed rows
        xt[:, :, m] = xm_hat
        stats.nk += total
        stats.sx += np.einsum("kr,krd->kd", rw, xt)
        mm = (slice(None), m[:, None], m)
        if covariance_type == "full":
            D = xt - centres[:, None, :]
            stats.scatter += np.swapaxes(D * rw[:, :, None], 1, 2) @ D
            stats.scatter[mm] += total[:, None, None] * C
        elif covariance_type == "tied":
            D = (xt - tied_centre).reshape(-1, d)
            stats.tied_extra += (D * rw.reshape(-1, 1)).T @ D
            stats.tied_extra[np.ix_(m, m)] += np.tensordot(total, C, axes=1)
        else:
            D = xt - centres[:, None, :]
            stats.scatter += np.einsum("kr,krd->kd", rw, D * D)
            stats.scatter[:, m] += total[:, None] * np.diagonal(C, axis1=1, axis2=2)
    return resp, log_norm, stats, filled
