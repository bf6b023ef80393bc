"""NumPy twin of ``gdcore.generative.hmm._hmm_missing``: the specification it is tested against.

Same signatures, same outputs, same status codes; ``n_threads`` is accepted
and ignored.  Frames are grouped by their pattern of missing values and
each group is done with dense NumPy, one solve per pattern and state (the
GaussianHMM's own code before the kernel).
"""

import numpy as np
from scipy import linalg

STATUS_OK = 0
STATUS_ILL_DEFINED = 1

LOG_2PI = np.log(2 * np.pi)


def _patterns(missing, rows):
    """(pattern, its rows) for each distinct pattern of missing values in ``rows``."""
    patterns, inverse = np.unique(missing[rows], axis=0, return_inverse=True)
    return [(pattern, rows[inverse.ravel() == p]) for p, pattern in enumerate(patterns)]


def gaussian_missing_loglik(X, means, covs, out, n_threads):
    X = np.asarray(X, dtype=np.float64)
    missing = np.isnan(X)
    rows = np.flatnonzero(missing.any(axis=1))
    for pattern, r in _patterns(missing, rows):
        obs = ~pattern
        x = X[np.ix_(r, obs)]
        for k in range(len(means)):
            try:
                L = linalg.cholesky(covs[k][np.ix_(obs, obs)], lower=True)
            except linalg.LinAlgError:
                return STATUS_ILL_DEFINED
            z = linalg.solve_triangular(L, (x - means[k, obs]).T, lower=True)
            out[r, k] = -0.5 * (obs.sum() * LOG_2PI + (z ** 2).sum(axis=0)) \
                - np.log(np.diag(L)).sum()
    return STATUS_OK


def gaussian_missing_stats(X, posteriors, means, covs, obs_sum, outer, want_outer,
                           n_threads):
    X = np.asarray(X, dtype=np.float64)
    posteriors = np.asarray(posteriors)
    K, d = len(means), X.shape[1]
    missing = np.isnan(X)
    incomplete = missing.any(axis=1)
    Xc, Pc = X[~incomplete], posteriors[~incomplete]
    sx = Pc.T @ Xc
    S = np.stack([(Xc * Pc[:, k:k + 1]).T @ Xc for k in range(K)])
    for pattern, r in _patterns(missing, np.flatnonzero(incomplete)):
        o, m = ~pattern, pattern
        x_o = X[np.ix_(r, o)]
        for k in range(K):
            C, mu, g = covs[k], means[k], posteriors[r, k]
            try:
                A = linalg.solve(C[np.ix_(o, o)], C[np.ix_(o, m)], assume_a="pos").T
            except linalg.LinAlgError:
                return STATUS_ILL_DEFINED
            x_hat = np.empty((len(r), d))
            x_hat[:, o] = x_o
            x_hat[:, m] = mu[m] + (x_o - mu[o]) @ A.T
            sx[k] += g @ x_hat
            S[k] += (x_hat * g[:, None]).T @ x_hat
            S[k][np.ix_(m, m)] += g.sum() * (C[np.ix_(m, m)] - A @ C[np.ix_(o, m)])
    obs_sum[:] = sx
    if want_outer:
        outer[:] = S
    return STATUS_OK
