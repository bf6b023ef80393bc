"""NumPy twins of ``gdcore.generative.hmm._hmm_mixture``: the specification they are tested against.

Same signatures and outputs; ``n_threads`` is accepted and ignored.
"""

import numpy as np
from scipy.special import logsumexp


def mixture_loglik(comp, log_weights, out, n_threads):
    K, nm = log_weights.shape
    weighted = np.asarray(comp).reshape(len(comp), K, nm) + log_weights[None]
    lse = logsumexp(weighted, axis=2)
    out[:] = lse
    with np.errstate(invalid="ignore"):
        resp = np.exp(weighted - lse[:, :, None])
    comp[:] = np.where(np.isfinite(lse)[:, :, None], resp, 0.0).reshape(len(comp), K * nm)
    return 0


def mixture_weights(resp, posteriors, n_threads):
    K = posteriors.shape[1]
    nm = resp.shape[1] // K
    resp[:] = (np.asarray(resp).reshape(len(resp), K, nm)
               * np.asarray(posteriors)[:, :, None]).reshape(len(resp), K * nm)
    return 0
