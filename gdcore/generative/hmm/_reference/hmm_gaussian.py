"""NumPy twin of ``gdcore.generative.hmm._hmm_gaussian``: the spec it is tested against.

The fused E-step written as its three unfused steps, each the twin of its
own kernel: per-frame log-densities, forward-backward in log space, moments.
Same signature, outputs and status codes; ``n_threads`` is accepted and ignored.
"""

import numpy as np

from gdcore.generative.hmm._reference import hmm, hmm_emissions

STATUS_OK = 0
STATUS_BAD_LOGLIK = 1


def forward_backward_gaussian_diag(X, offsets, means, covars, startprob, transmat, logprob,
                                   start_counts, trans_counts, moments, n_threads,
                                   forward_only=False, log_shift=None):
    X = np.asarray(X, dtype=np.float64)
    flp = np.empty((len(X), len(means)))
    hmm_emissions.gaussian_diag_loglik(X, means, covars, flp, n_threads, log_shift)
    posteriors = np.empty_like(flp)
    status = hmm.forward_backward(flp, offsets, startprob, transmat, posteriors, logprob,
                                  trans_counts, n_threads, forward_only)
    if status != STATUS_OK:
        return status
    if forward_only:
        start_counts[:] = 0.0
        trans_counts[:] = 0.0
        moments[:] = 0.0
        return STATUS_OK
    posteriors[np.repeat(logprob == -np.inf, np.diff(offsets))] = 0.0
    start_counts[:] = posteriors[offsets[:-1]].sum(axis=0)
    moments[:] = posteriors.T @ np.hstack([X, X * X, np.ones((len(X), 1))])
    return STATUS_OK
