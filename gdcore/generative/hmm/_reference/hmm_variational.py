"""NumPy twin of the variational Gaussian E-step density (hmmlearn 0.3.3's formula).

``expected_log_density`` is E[log N(x_t; mu_k, Lambda_k)] under each state's
Normal-Wishart posterior, without the -d log(2 pi) / 2 constant, written as
hmmlearn writes it (inverse scale matrices, per-frame quadratic forms); the
compiled path (the Gaussian kernels with ``log_shift``, see
``gdcore.generative.hmm._variational_gaussian``) is tested against it.
"""

import numpy as np
from scipy.special import digamma


def _full(scale, covariance_type, n_components, d):
    scale = np.asarray(scale, dtype=np.float64)
    if covariance_type == "full":
        return scale
    if covariance_type == "tied":
        return np.broadcast_to(scale, (n_components, d, d))
    if covariance_type == "diag":
        return np.stack([np.diag(s) for s in scale])
    return scale.reshape(-1)[:, None, None] * np.eye(d)


def expected_log_density(X, means, beta, dof, scale, covariance_type):
    """(n, K) E[log N(x_t | state k)] + d log(2 pi) / 2 under the posteriors."""
    X = np.asarray(X, dtype=np.float64)
    K, d = means.shape
    dof = np.broadcast_to(np.asarray(dof, dtype=np.float64), (K,))
    W = np.linalg.inv(_full(scale, covariance_type, K, d))
    log_det_lambda = (digamma(0.5 * (dof[:, None] - np.arange(d))).sum(axis=1)
                      + d * np.log(2) + np.linalg.slogdet(W)[1])
    delta = X[None] - means[:, None]                        # (K, n, d)
    quad = np.einsum("kij,kjl,kil->ik", delta, W, delta) * dof
    return 0.5 * (log_det_lambda - quad - d / np.asarray(beta, dtype=np.float64))
