"""NumPy twins of ``gdcore.generative.hmm._hmm``: the specification they are tested against.

Same signatures, same outputs, same status codes; ``n_threads`` is accepted
and ignored.  The forward-backward here works in log space (logsumexp at each
step), the textbook form the compiled scaled version must reproduce; it is
also what ``implementation="log"`` means mathematically.  Written for
clarity, never used on a hot path.
"""

import numpy as np
from scipy.special import logsumexp

STATUS_OK = 0
STATUS_BAD_LOGLIK = 1


def _bad(flp):
    return bool(np.isnan(flp).any() or np.isposinf(flp).any())


def _forward_backward_one(flp, startprob, transmat):
    """Log P(X), posteriors (T, K) and expected transition counts (K, K)."""
    T, K = flp.shape
    with np.errstate(divide="ignore"):
        log_a = np.log(transmat)
        log_pi = np.log(startprob)
    fwd = np.empty((T, K))
    fwd[0] = log_pi + flp[0]
    for t in range(1, T):
        fwd[t] = logsumexp(fwd[t - 1][:, None] + log_a, axis=0) + flp[t]
    bwd = np.zeros((T, K))
    for t in range(T - 2, -1, -1):
        bwd[t] = logsumexp(log_a + (flp[t + 1] + bwd[t + 1])[None, :], axis=1)
    logprob = logsumexp(fwd[-1])
    if logprob == -np.inf:
        return logprob, np.full((T, K), np.nan), np.zeros((K, K))
    log_gamma = fwd + bwd
    post = np.exp(log_gamma - logsumexp(log_gamma, axis=1, keepdims=True))
    xi = np.zeros((K, K))
    for t in range(T - 1):
        xi += np.exp(fwd[t][:, None] + log_a + (flp[t + 1] + bwd[t + 1])[None, :]
                     - logprob)
    return logprob, post, xi


def forward_backward(framelogprob, offsets, startprob, transmat, posteriors,
                     logprob, trans_counts, n_threads, forward_only=False):
    # forward_only leaves posteriors/trans_counts unspecified in the kernel;
    # here they are always computed.
    flp = np.asarray(framelogprob, dtype=np.float64)
    if _bad(flp):
        return STATUS_BAD_LOGLIK
    trans_counts[:] = 0.0
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        if hi == lo:
            logprob[s] = 0.0
            continue
        logprob[s], posteriors[lo:hi], xi = _forward_backward_one(
            flp[lo:hi], np.asarray(startprob), np.asarray(transmat))
        trans_counts += xi
    return STATUS_OK


def viterbi(framelogprob, offsets, log_startprob, log_transmat, states, logprob,
            n_threads):
    flp = np.asarray(framelogprob, dtype=np.float64)
    if _bad(flp):
        return STATUS_BAD_LOGLIK
    log_a = np.asarray(log_transmat)
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        if hi == lo:
            logprob[s] = 0.0
            continue
        delta = np.asarray(log_startprob) + flp[lo]
        back = np.zeros((hi - lo, log_a.shape[0]), dtype=np.intp)
        for t in range(1, hi - lo):
            cand = delta[:, None] + log_a          # (from i, to j)
            # last maximum (highest i), hmmlearn's tie rule for back-pointers
            back[t] = log_a.shape[0] - 1 - np.argmax(cand[::-1], axis=0)
            delta = cand[back[t], np.arange(log_a.shape[0])] + flp[lo + t]
        state = int(np.argmax(delta))
        logprob[s] = delta[state]
        for t in range(hi - lo - 1, -1, -1):
            states[lo + t] = state
            state = back[t, state]
    return STATUS_OK


def sample_states(uniform, start_cdf, trans_cdf, currstate, states, n_threads):
    n_seq, T = uniform.shape
    K = len(start_cdf)
    for s in range(n_seq):
        for t in range(T):
            if t == 0 and currstate >= 0:
                states[s, 0] = currstate
                continue
            cdf = start_cdf if t == 0 else trans_cdf[states[s, t - 1]]
            above = np.flatnonzero(cdf > uniform[s, t])
            k = above[0] if len(above) else K - 1
            while k > 0 and cdf[k] == cdf[k - 1]:
                k -= 1
            states[s, t] = k
    return STATUS_OK
