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
(B = 0) and are marginalized inside the complete-data kernels.  The work is
per row (values missing at random give nearly every row its own pattern),
in the compiled kernel ``gdcore.generative.mixture._mixture_missing``.
"""

import numpy as np

from gdcore._threads import single_threaded_blas
from gdcore.generative.mixture import _mixture_missing as kernel
from gdcore.generative.mixture._em import ILL_DEFINED, NOT_FINITE, raise_kernel_status

_STATUS = {kernel.STATUS_ILL_DEFINED: ILL_DEFINED, kernel.STATUS_NOT_FINITE: NOT_FINITE}


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
    """What the rows with NaN add to the complete rows' statistics (float64).

    These are nk (k,), sx (k, d), and the scatter of the completed rows as the
    covariance type needs it: (k, d, d) for full, the (k, d) diagonal for
    diag/spherical, or for tied ``tied_extra`` (d, d) around the tied centre.
    """

    def __init__(self, nk, sx, scatter, covariance_type):
        self.nk, self.sx = nk, sx
        self.scatter = self.tied_extra = None
        if covariance_type == "full":
            self.scatter = scatter
        elif covariance_type == "tied":
            self.tied_extra = scatter.sum(axis=0)
        else:
            self.scatter = np.diagonal(scatter, axis1=1, axis2=2).copy()


def e_step(X, weight, params, covariance_type, centres=None, tied_centre=None,
           want_stats=False, want_fill=False, n_threads=1):
    """Responsibilities, log p(x_o), optional statistics and imputed rows.

    X: (n, d) rows with NaN (missing) values.  ``centres`` (k, d) centre the
    per-component scatter, ``tied_centre`` (d,) the tied model's total
    scatter.  Returns (resp, log_norm, MissingStats or None, filled X or
    None); resp and the statistics are float64.
    """
    weights, means, covariances, _ = params
    X = np.ascontiguousarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    n, d = X.shape
    means = np.ascontiguousarray(means, dtype=np.float64)
    k = means.shape[0]
    covs = np.ascontiguousarray(full_covariances(covariances, covariance_type, k, d))
    with np.errstate(divide="ignore"):
        log_w = np.log(np.asarray(weights, dtype=np.float64))
    if covariance_type == "tied":
        centres = np.broadcast_to(tied_centre if want_stats else np.zeros(d), (k, d))
    elif centres is None:
        centres = means
    resp, log_norm = np.empty((n, k)), np.empty(n)
    filled = np.empty((n, d) if want_fill else (0, d))
    nk, sx, scatter = np.zeros(k), np.zeros((k, d)), np.zeros((k, d, d))
    weight = np.ones(n) if weight is None else np.ascontiguousarray(weight, np.float64)
    centres = np.ascontiguousarray(centres, dtype=np.float64)
    with single_threaded_blas():
        status = kernel.estep_missing(X, weight, log_w, means, covs, centres, resp,
                                      log_norm, filled, nk, sx, scatter, want_stats,
                                      want_fill, n_threads)
    raise_kernel_status(status, kernel.STATUS_NO_MEMORY, _STATUS)
    stats = MissingStats(nk, sx, scatter, covariance_type) if want_stats else None
    return resp, log_norm, stats, filled if want_fill else None
