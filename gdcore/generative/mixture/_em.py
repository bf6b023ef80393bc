"""One EM step of a Gaussian mixture: the compiled E-step and the M-step's formulas.

Parameters follow scikit-learn's parametrization (weights, means, and the
Cholesky factors of the precisions, ``precisions_cholesky_``) so that the
same initial parameters give the same iterations.  ``e_step`` calls one
kernel of ``gdcore.generative.mixture._mixture`` per covariance type (a dispatch dict,
not branches in the kernel); ``m_step`` turns the kernel's sufficient
statistics into new parameters.
"""

import numpy as np
from scipy import linalg

from gdcore._threads import single_threaded_blas
from gdcore._validation import raise_for_status
from gdcore.generative.mixture import _mixture as kernels

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

ILL_DEFINED = (
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed samples). "
    "Try to decrease the number of components, increase reg_covar, or scale the "
    "input data."
)
NOT_FINITE = ("A sample's log-likelihood is not finite: X must not hold inf, and the "
              "mixture's parameters must be finite.")
_STATUS = {kernels.STATUS_NOT_FINITE: NOT_FINITE}
NO_MEMORY = ("GaussianMixture: out of memory for the kernels' per-thread buffers; use "
             "fewer threads (n_jobs), fewer components or fewer features.")


def raise_kernel_status(status, no_memory, messages):
    """MemoryError for the kernel's ``no_memory`` status, else its ValueError (if any)."""
    if status == no_memory:
        raise MemoryError(NO_MEMORY)
    raise_for_status(status, messages)


class Stats:
    """Sufficient statistics of one E-step (all float64).

    nk (k,), sx (k, d) = sum_i w_i r_ic x_i, ``scatter`` around ``centres``:
    (k, d, d) for full, the (k, d) diagonal for diag/spherical, None for
    tied (whose scatter is the constant ``total_scatter`` of the data).
    """

    def __init__(self, nk, sx, scatter, centres):
        self.nk, self.sx, self.scatter, self.centres = nk, sx, scatter, centres
        # tied only: the completed rows' scatter around the tied centre (rows with NaN)
        self.tied_extra = None


def precision_cholesky(covariances, covariance_type):
    """Upper Cholesky factors U of the precisions (U U^T = Sigma^-1), as scikit-learn."""
    message = ILL_DEFINED
    if covariances.dtype == np.float32:
        message += (" The numerical accuracy can also be improved by passing "
                    "float64 data instead of float32.")
    if covariance_type in ("full", "tied"):
        covs = covariances[None] if covariance_type == "tied" else covariances
        d = covs.shape[-1]
        out = np.empty_like(covs)
        for c, cov in enumerate(covs):   # k Cholesky factorizations of d x d
            if not np.all(np.isfinite(cov)):
                raise ValueError(message)
            try:
                chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                raise ValueError(message) from None
            out[c] = linalg.solve_triangular(chol, np.eye(d, dtype=cov.dtype), lower=True).T
        return out[0] if covariance_type == "tied" else out
    if np.any(~(covariances > 0.0)) or not np.all(np.isfinite(covariances)):
        raise ValueError(message)
    return 1.0 / np.sqrt(covariances)


def precision_cholesky_from_precisions(precisions, covariance_type):
    """U from the precisions themselves (Cholesky of the flipped matrix, as scikit-learn)."""
    if covariance_type in ("full", "tied"):
        precs = precisions[None] if covariance_type == "tied" else precisions
        flip = lambda a: a[::-1, ::-1]  # noqa: E731
        out = np.stack([flip(linalg.cholesky(flip(p), lower=True)) for p in precs])
        return out[0] if covariance_type == "tied" else out
    return np.sqrt(precisions)


def precisions_from_cholesky(prec_chol, covariance_type):
    if covariance_type == "full":
        return np.matmul(prec_chol, np.swapaxes(prec_chol, 1, 2))
    if covariance_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol ** 2


def covariances_from_cholesky(prec_chol, covariance_type):
    """Sigma = (U U^T)^-1, for parameters given as precisions (warm starts, sampling)."""
    if covariance_type in ("full", "tied"):
        precs = precisions_from_cholesky(prec_chol, covariance_type)
        if covariance_type == "tied":
            return np.linalg.inv(precs)
        return np.stack([np.linalg.inv(p) for p in precs])
    return 1.0 / prec_chol ** 2


def log_det_cholesky(prec_chol, covariance_type, n_features):
    """Log det U per component (k,), or a scalar for tied."""
    if covariance_type == "full":
        return np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return np.log(np.diag(prec_chol)).sum()
    if covariance_type == "diag":
        return np.log(prec_chol).sum(axis=1)
    return n_features * np.log(prec_chol)


def e_step(X, sample_weight, weights, means, prec_chol, covariance_type, n_threads,
           want_stats=True):
    """Responsibilities (n, k) in X's dtype, log p(x_i) (n,), and Stats if wanted.

    X must be C-contiguous float32/float64 without NaN; the kernel runs in
    X's dtype with float64 accumulators.
    """
    n, d = X.shape
    k = means.shape[0]
    dtype = X.dtype.type
    with np.errstate(divide="ignore"):
        log_const = (np.log(np.asarray(weights, dtype=np.float64))
                     + log_det_cholesky(np.asarray(prec_chol, np.float64), covariance_type, d)
                     - 0.5 * d * np.log(2 * np.pi))
    log_const = np.ascontiguousarray(np.broadcast_to(log_const, (k,)), dtype=np.float64)
    resp = np.empty((n, k), dtype=dtype)
    log_norm = np.empty(n)
    nk, sx = np.zeros(k), np.zeros((k, d))
    weight = np.ones(n) if sample_weight is None else sample_weight
    means_x = np.ascontiguousarray(means, dtype=dtype)
    scatter = None
    with single_threaded_blas():
        if covariance_type == "full":
            U = np.asarray(prec_chol, dtype=dtype)
            cat = np.ascontiguousarray(U.transpose(1, 0, 2).reshape(d, k * d))
            means_prec = np.ascontiguousarray(np.einsum("kd,kde->ke", means_x, U))
            scatter = np.zeros((k, d, d))
            status = kernels.estep_full(X, weight, cat, means_prec, means_x, log_const,
                                        resp, log_norm, nk, sx, scatter, want_stats,
                                        n_threads)
        elif covariance_type == "tied":
            U = np.ascontiguousarray(prec_chol, dtype=dtype)
            means_prec = np.ascontiguousarray(means_x @ U)
            status = kernels.estep_tied(X, weight, U, means_prec, log_const, resp,
                                        log_norm, nk, sx, want_stats, n_threads)
        else:
            prec = np.asarray(prec_chol, dtype=np.float64) ** 2
            if covariance_type == "spherical":
                prec = np.repeat(prec[:, None], d, axis=1)
            scatter = np.zeros((k, d))
            status = kernels.estep_diag(
                X, weight, np.ascontiguousarray(means_x.T, dtype=np.float64),
                np.ascontiguousarray(prec.T), log_const, resp, log_norm, nk, sx,
                scatter, want_stats, n_threads)
    raise_kernel_status(status, kernels.STATUS_NO_MEMORY, _STATUS)
    stats = Stats(nk, sx, scatter, means_x.astype(np.float64)) if want_stats else None
    return resp, log_norm, stats


def stats_from_resp(X, sample_weight, resp, covariance_type, n_threads):
    """Statistics for given responsibilities (initialization), centred on their means."""
    n, d = X.shape
    w = np.ones(n) if sample_weight is None else sample_weight
    rw = np.asarray(resp, dtype=np.float64) * w[:, None]
    nk = rw.sum(axis=0)
    X64 = np.asarray(X, dtype=np.float64)
    sx = rw.T @ X64
    with np.errstate(divide="ignore", invalid="ignore"):
        centres = np.where(nk[:, None] > 0, sx / nk[:, None], 0.0)
    centres = centres.astype(X.dtype).astype(np.float64)
    if covariance_type == "full":
        scatter = np.zeros((len(nk), d, d))
        with single_threaded_blas():
            status = kernels.stats_full(X, w, np.ascontiguousarray(resp, dtype=X.dtype),
                                        np.ascontiguousarray(centres, dtype=X.dtype),
                                        nk, sx, scatter, n_threads)
        raise_kernel_status(status, kernels.STATUS_NO_MEMORY, {})
    elif covariance_type == "tied":
        scatter = None
    else:
        # sum_i r_ic (x_i - m_c)^2 by two gemms, after shifting X to its column
        # means so that the expanded square loses few digits.
        shift = X64.mean(axis=0)
        Xs, cs = X64 - shift, centres - shift
        scatter = rw.T @ (Xs * Xs) - 2 * cs * (rw.T @ Xs) + nk[:, None] * cs * cs
    return Stats(nk, sx, scatter, centres)


def total_scatter(X, sample_weight):
    """(centre, sum_i w_i (x_i - centre)(x_i - centre)^T) around the weighted mean.

    The tied model's scatter does not depend on the responsibilities, so it
    is computed once per fit and the M-step subtracts the between-component
    part; centring keeps the digits that X^T X - N mu mu^T would lose.
    """
    X64 = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X64)) if sample_weight is None else sample_weight
    centre = (w @ X64) / w.sum()
    D = X64 - centre
    return centre, (D * w[:, None]).T @ D


def m_step(stats, covariance_type, reg_covar, dtype, tied_scatter=None, weight_total=None):
    """Compute new (weights, means, covariances) from the statistics, as scikit-learn's M-step.

    ``nk`` gets scikit-learn's 10 * eps so an empty component stays finite;
    ``weight_total`` (initialization only) divides the weights by the total
    sample weight instead of normalizing them, as scikit-learn does there.
    """
    nk = stats.nk + 10 * np.finfo(dtype).eps
    means = stats.sx / nk[:, None]
    delta = means - stats.centres
    a = stats.sx - stats.nk[:, None] * stats.centres
    d = means.shape[1]
    if covariance_type == "full":
        outer = np.einsum("ki,kj->kij", a, delta)
        cov = (stats.scatter - outer - np.swapaxes(outer, 1, 2)
               + stats.nk[:, None, None] * np.einsum("ki,kj->kij", delta, delta))
        cov /= nk[:, None, None]
        cov[:, np.arange(d), np.arange(d)] += reg_covar
    elif covariance_type == "tied":
        # sum_c sum_i r_ic (x_i - mu_c)(x_i - mu_c)^T from the total scatter T
        # around ``centre``: T - sum_c (dm_c b_c^T + b_c dm_c^T - n_c dm_c dm_c^T),
        # dm_c = mu_c - centre, b_c = s_c - n_c centre (b_c = n_c dm_c up to eps).
        centre, scatter = tied_scatter
        dm = means - centre
        b = stats.sx - stats.nk[:, None] * centre
        cross = dm.T @ b
        cov = (scatter - cross - cross.T + (stats.nk[:, None] * dm).T @ dm) / nk.sum()
        cov.flat[:: d + 1] += reg_covar
    else:
        cov = (stats.scatter - 2 * a * delta + stats.nk[:, None] * delta ** 2) / nk[:, None]
        cov += reg_covar
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    weights = nk / (nk.sum() if weight_total is None else weight_total)
    return weights.astype(dtype), means.astype(dtype), cov.astype(dtype)
