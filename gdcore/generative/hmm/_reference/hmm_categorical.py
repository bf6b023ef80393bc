"""NumPy twins of ``gdcore.generative.hmm._hmm_categorical``: the spec they are tested against.

Same signatures, outputs and status codes; ``n_threads`` is accepted and
ignored.  Each is the generic log-space reference of ``hmm.py`` on the
looked-up log-likelihoods log B^T[x_t], plus the counts by symbol.
"""

import numpy as np

from gdcore.generative.hmm._reference import hmm as ref

STATUS_OK = 0
STATUS_BAD_SYMBOL = 2


def _bad(symbols, M):
    symbols = np.asarray(symbols)
    return bool((symbols < 0).any() or (symbols >= M).any())


def forward_backward_symbols(symbols, offsets, emissionprob_t, startprob, transmat, logprob,
                             start_counts, trans_counts, emission_counts_t, n_threads,
                             forward_only=False):
    # forward_only leaves the counts unspecified in the kernel; here they are
    # always computed.
    symbols, emissionprob_t = np.asarray(symbols), np.asarray(emissionprob_t)
    if _bad(symbols, emissionprob_t.shape[0]):
        return STATUS_BAD_SYMBOL
    with np.errstate(divide="ignore"):
        flp = np.log(emissionprob_t)[symbols]
    post = np.empty_like(flp)
    ref.forward_backward(flp, offsets, startprob, transmat, post, logprob, trans_counts,
                         n_threads)
    ok = np.repeat(np.asarray(logprob) > -np.inf, np.diff(offsets))
    emission_counts_t[:] = 0.0
    np.add.at(emission_counts_t, symbols[ok], post[ok])
    starts = np.asarray(offsets[:-1])[np.asarray(logprob) > -np.inf]
    start_counts[:] = post[starts].sum(axis=0)
    return STATUS_OK


def viterbi_symbols(symbols, offsets, log_emission_t, log_startprob, log_transmat, states,
                    logprob, n_threads):
    symbols, log_emission_t = np.asarray(symbols), np.asarray(log_emission_t)
    if _bad(symbols, log_emission_t.shape[0]):
        return STATUS_BAD_SYMBOL
    return ref.viterbi(log_emission_t[symbols], offsets, log_startprob, log_transmat, states,
                       logprob, n_threads)
