"""Categorical-HMM kernels that read emissions from the table, symbol by symbol.

The generic kernels of _hmm.pyx take an (n, K) array of per-frame
log-likelihoods; for categorical emissions that array is only a look-up,
B^T[x_t], yet at the size of ``gdcore bench hmm`` (10^6 frames, K = 32)
writing and reading it (256 MB), with an exp per entry and a posteriors array
of the same size, costs more than the recursions themselves.  Here each thread
copies the rows it needs from the (M, K) table into its sequence's scratch:

- ``forward_backward_symbols``: Baum-Welch statistics of all sequences
  (log-likelihoods, expected start, transition and emission counts) with
  no (n, K) array at all.  The table is scaled per symbol once, B[:, m] /
  max_k B[k, m], with log max_k B[k, m] as the frame's shift: the shifted
  emissions of _hmm.pyx without an exp per frame.  Emission counts are
  summed per symbol, counts[x_t] += gamma_t.
- ``viterbi_symbols``: Viterbi on log B^T[x_t] rows read in place.

The recursions are those of _hmm.pyx (``_hmm_core.pxd``): same algorithm,
same complexity O(T K^2) per sequence, same tie rules.  Sequences are split
into a fixed number of chunks (a function of shapes only) whose partial
counts are merged in chunk order: bit-identical results on any number of
threads.  The NumPy twin is
``gdcore/generative/hmm/_reference/hmm_categorical.py``.
"""

import numpy as np

from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, log
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

from gdcore.generative.hmm._hmm_core cimport (BACKWARD_BLOCK, NO_MEMORY, backward_posteriors,
                                              forward_scaled, maxplus_step, viterbi_backtrack)

cdef enum:
    OK = 0
    BAD_SYMBOL = 2      # a symbol outside [0, M), as in _hmm_emissions
    # At most 64 chunks, their partial counts together at most 2**24 doubles:
    # the same trade-off as in _hmm.pyx, measured by ``gdcore bench hmm``.
    MAX_CHUNKS = 64
    MAX_PARTIAL_DOUBLES = 16777216

STATUS_OK = OK
STATUS_BAD_SYMBOL = BAD_SYMBOL
STATUS_NO_MEMORY = NO_MEMORY


def n_seq_chunks(Py_ssize_t n_seq, Py_ssize_t per_chunk):
    """Number of sequence chunks, each holding ``per_chunk`` partial doubles."""
    cdef Py_ssize_t n = max(1, min(MAX_CHUNKS, n_seq))
    return max(1, min(n, MAX_PARTIAL_DOUBLES // max(1, per_chunk)))


cdef inline bint symbols_ok(const int64_t* x, Py_ssize_t T, Py_ssize_t M) noexcept nogil:
    cdef Py_ssize_t t
    cdef bint ok = True
    for t in range(T):
        ok = ok & (x[t] >= 0) & (x[t] < M)
    return ok


def forward_backward_symbols(
    const int64_t[::1] symbols,            # IN (n,) in [0, M)
    const Py_ssize_t[::1] offsets,         # IN (n_seq + 1,) sequence bounds
    const double[:, ::1] emissionprob_t,   # IN (M, K) P(symbol | state), transposed
    const double[::1] startprob,           # IN (K,)
    const double[:, ::1] transmat,         # IN (K, K), rows sum to 1
    double[::1] logprob,                   # OUT (n_seq,) log P(X_s)
    double[::1] start_counts,              # OUT (K,) sum_s gamma_0
    double[:, ::1] trans_counts,           # OUT (K, K) sum_s sum_t xi_t
    double[:, ::1] emission_counts_t,      # OUT (M, K) sum of gamma_t over x_t = m
    int n_threads,
    bint forward_only=False,               # IN only logprob is wanted
):
    """Per-sequence log-likelihoods and the expected counts of one E-step.

    Sequences of probability zero get logprob -inf and add no counts.  With
    ``forward_only`` the counts are zeros (half the work).  The caller holds
    BLAS to one thread.
    """
    cdef Py_ssize_t n_seq = offsets.shape[0] - 1, K = transmat.shape[0]
    cdef Py_ssize_t M = emissionprob_t.shape[0]
    cdef Py_ssize_t per_chunk = K * K + M * K + K
    cdef Py_ssize_t n_chunks = n_seq_chunks(n_seq, per_chunk)
    cdef Py_ssize_t t_max = 1, s, ch, t, j, i, m, T, o
    for s in range(n_seq):
        t_max = max(t_max, offsets[s + 1] - offsets[s])
    cdef double[:, ::1] part = np.zeros((n_chunks, per_chunk))
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef double[:, ::1] transmat_t = np.ascontiguousarray(np.asarray(transmat).T)
    # The table scaled by each symbol's largest probability, and its log.
    cdef double[:, ::1] table = np.empty((M, K))
    cdef double[::1] table_shift = np.empty(M)
    cdef double mx
    for m in range(M):
        mx = 0.0
        for j in range(K):
            mx = max(mx, emissionprob_t[m, j])
        table_shift[m] = log(mx) if mx > 0 else -INFINITY
        for j in range(K):
            table[m, j] = emissionprob_t[m, j] / mx if mx > 0 else 0.0
    cdef const int64_t* x
    cdef double* e
    cdef double* alpha
    cdef double* beta
    cdef double* scale
    cdef double* shift
    cdef double* cp
    cdef bint scratch_ok

    with nogil, parallel(num_threads=n_threads):
        e = <double*> malloc(t_max * K * sizeof(double))
        alpha = <double*> malloc(t_max * K * sizeof(double))
        beta = <double*> malloc(BACKWARD_BLOCK * K * sizeof(double))
        scale = <double*> malloc(t_max * sizeof(double))
        shift = <double*> malloc(t_max * sizeof(double))
        scratch_ok = (e != NULL and alpha != NULL and beta != NULL and scale != NULL
                      and shift != NULL)
        for ch in prange(n_chunks, schedule="dynamic"):
            if not scratch_ok:
                status[ch] = NO_MEMORY
                continue
            cp = &part[ch, 0]       # [trans (K*K) | emission (M*K) | start (K)]
            for s in range((n_seq * ch) // n_chunks, (n_seq * (ch + 1)) // n_chunks):
                o = offsets[s]
                T = offsets[s + 1] - o
                if T == 0:
                    logprob[s] = 0.0
                    continue
                x = &symbols[o]
                if not symbols_ok(x, T, M):
                    status[ch] = BAD_SYMBOL
                    break
                for t in range(T):
                    shift[t] = table_shift[x[t]]
                    for j in range(K):
                        e[t * K + j] = table[x[t], j]
                logprob[s] = forward_scaled(T, K, &startprob[0], &transmat[0, 0],
                                            e, shift, alpha, scale)
                if forward_only or logprob[s] == -INFINITY:
                    continue
                backward_posteriors(T, K, &transmat_t[0, 0], e, alpha, scale, beta, cp)
                for t in range(T):
                    i = K * K + x[t] * K
                    for j in range(K):
                        cp[i + j] += alpha[t * K + j]
                for j in range(K):
                    cp[K * K + M * K + j] += alpha[j]
        free(e)
        free(alpha)
        free(beta)
        free(scale)
        free(shift)

    for ch in range(n_chunks):
        if status[ch] != OK:
            return status[ch]
    cdef double[::1] total = np.zeros(per_chunk)
    with nogil:
        for ch in range(n_chunks):
            for i in range(per_chunk):
                total[i] += part[ch, i]
        for i in range(K):
            for j in range(K):
                trans_counts[i, j] = total[i * K + j] * transmat[i, j]
        for m in range(M):
            for j in range(K):
                emission_counts_t[m, j] = total[K * K + m * K + j]
        for j in range(K):
            start_counts[j] = total[K * K + M * K + j]
    return OK


def viterbi_symbols(
    const int64_t[::1] symbols,            # IN (n,) in [0, M)
    const Py_ssize_t[::1] offsets,         # IN (n_seq + 1,)
    const double[:, ::1] log_emission_t,   # IN (M, K) log P(symbol | state), -inf allowed
    const double[::1] log_startprob,       # IN (K,), -inf allowed
    const double[:, ::1] log_transmat,     # IN (K, K), -inf allowed
    Py_ssize_t[::1] states,                # OUT (n,) most likely state path
    double[::1] logprob,                   # OUT (n_seq,) its log-probability
    int n_threads,
):
    """Most likely state path of every sequence, and its log joint probability.

    A sequence of probability zero gets logprob -inf (and an arbitrary path).
    """
    cdef Py_ssize_t n_seq = offsets.shape[0] - 1, K = log_transmat.shape[0]
    cdef Py_ssize_t M = log_emission_t.shape[0]
    cdef Py_ssize_t t_max = 1, s, t, j, T, o
    for s in range(n_seq):
        t_max = max(t_max, offsets[s + 1] - offsets[s])
    cdef int[::1] status = np.zeros(max(n_seq, 1), dtype=np.intc)
    cdef double[::1] row_max = np.max(log_transmat, axis=1)
    cdef double* delta
    cdef Py_ssize_t* keep
    cdef const int64_t* x
    cdef const double* f
    cdef bint scratch_ok

    with nogil, parallel(num_threads=n_threads):
        delta = <double*> malloc(t_max * K * sizeof(double))
        keep = <Py_ssize_t*> malloc(K * sizeof(Py_ssize_t))
        scratch_ok = delta != NULL and keep != NULL
        for s in prange(n_seq, schedule="dynamic"):
            if not scratch_ok:
                status[s] = NO_MEMORY
                continue
            o = offsets[s]
            T = offsets[s + 1] - o
            if T == 0:
                logprob[s] = 0.0
                continue
            x = &symbols[o]
            if not symbols_ok(x, T, M):
                status[s] = BAD_SYMBOL
                continue
            f = &log_emission_t[x[0], 0]
            for j in range(K):
                delta[j] = log_startprob[j] + f[j]
            for t in range(1, T):
                maxplus_step(delta + (t - 1) * K, &log_transmat[0, 0], &row_max[0],
                             K, keep, delta + t * K)
                f = &log_emission_t[x[t], 0]
                for j in range(K):
                    delta[t * K + j] += f[j]
            viterbi_backtrack(delta, T, K, &log_transmat[0, 0], &states[o], &logprob[s])
        free(delta)
        free(keep)

    for s in range(n_seq):
        if status[s] != OK:
            return status[s]
    return OK
