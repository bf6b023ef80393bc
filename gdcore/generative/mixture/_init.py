"""The starting point of EM: scikit-learn's initializations and the user's ``*_init``.

The same draws in the same order as scikit-learn's ``BaseMixture``, so that a
seeded fit starts where scikit-learn's does (and follows its iterations).
"""

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.utils.validation import check_array

from gdcore.generative.mixture import _em as em


def checked_user_init(est, d, dtype):
    """weights_init, means_init, precisions_init validated (None when not given)."""
    k, cov_type = est.n_components, est.covariance_type
    weights = means = precisions = None
    if est.weights_init is not None:
        weights = check_array(est.weights_init, dtype=[np.float64, np.float32],
                              ensure_2d=False)
        if weights.shape != (k,):
            raise ValueError(f"The parameter 'weights' should have the shape of "
                             f"({k},), but got {weights.shape}")
        if np.any(weights < 0) or np.any(weights > 1):
            # scikit-learn's text with its values in its order (the minimum
            # as "max value"), which its own tests match.
            raise ValueError("The parameter 'weights' should be in the range [0, 1], "
                             f"but got max value {np.min(weights):.5f}, "
                             f"min value {np.max(weights):.5f}")
        if abs(1.0 - weights.sum()) > (1e-6 if weights.dtype == np.float32 else 1e-8):
            raise ValueError("The parameter 'weights' should be normalized, but got "
                             f"sum(weights) = {weights.sum():.5f}")
    if est.means_init is not None:
        means = check_array(est.means_init, dtype=[np.float64, np.float32],
                            ensure_2d=False)
        if means.shape != (k, d):
            raise ValueError(f"The parameter 'means' should have the shape of "
                             f"({k}, {d}), but got {means.shape}")
    if est.precisions_init is not None:
        precisions = check_array(est.precisions_init, dtype=[np.float64, np.float32],
                                 ensure_2d=False, allow_nd=cov_type == "full")
        shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d),
                 "spherical": (k,)}[cov_type]
        if precisions.shape != shape:
            raise ValueError(f"The parameter '{cov_type} precision' should have the "
                             f"shape of {shape}, but got {precisions.shape}")
        mats = {"full": precisions, "tied": precisions[None]}.get(cov_type)
        if mats is None:
            if np.any(precisions <= 0):
                raise ValueError(f"'{cov_type} precision' should be positive")
        elif not all(np.allclose(m, m.T) and np.all(np.linalg.eigvalsh(m) > 0)
                     for m in mats):
            raise ValueError(f"'{cov_type} precision' should be symmetric, "
                             "positive-definite")
    return weights, means, precisions

def initial_responsibilities(est, X, w, rng):
    """scikit-learn's initializations, drawing from ``rng`` in the same order."""
    n, k = X.shape[0], est.n_components
    resp = np.zeros((n, k), dtype=X.dtype)
    if est.init_params == "kmeans":
        labels = KMeans(n_clusters=k, n_init=1, random_state=rng).fit(
            X, sample_weight=w).labels_
        resp[np.arange(n), labels] = 1
    elif est.init_params == "random":
        resp = rng.uniform(size=(n, k)).astype(X.dtype)
        resp /= resp.sum(axis=1)[:, None]
    elif est.init_params == "random_from_data":
        resp[rng.choice(n, size=k, replace=False), np.arange(k)] = 1
    else:
        _, indices = kmeans_plusplus(X, k, random_state=rng, sample_weight=w)
        resp[indices, np.arange(k)] = 1
    return resp

def initial_params(est, data, rng, user_init):
    """Return (weights, means, covariances, precisions_cholesky) to start EM from.

    The user's ``*_init`` where given, the rest from the initial
    responsibilities' M-step.
    """
    weights_init, means_init, precisions_init = user_init
    cov_type, dtype = est.covariance_type, data.dtype
    weights = means = cov = prec_chol = None
    if weights_init is None or means_init is None or precisions_init is None:
        start = data.filled_for_init()
        resp = initial_responsibilities(est, start.X, start.sample_weight, rng)
        stats = start.stats_from_resp(resp, cov_type)
        weights, means, cov = em.m_step(stats, cov_type, est.reg_covar, dtype,
                                        tied_scatter=start.tied_scatter(stats)
                                        if cov_type == "tied" else None,
                                        weight_total=start.weight_total)
    if weights_init is not None:
        weights = weights_init.astype(dtype)
    if means_init is not None:
        means = means_init.astype(dtype)
    if precisions_init is None:
        prec_chol = em.precision_cholesky(cov, cov_type)
    else:
        prec_chol = em.precision_cholesky_from_precisions(
            precisions_init.astype(dtype), cov_type)
        cov = em.covariances_from_cholesky(prec_chol, cov_type)
    return weights, means, cov, prec_chol
