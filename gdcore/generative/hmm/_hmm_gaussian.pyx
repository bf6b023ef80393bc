"""Fused E-step of the diagonal (and spherical) Gaussian HMM: no (n, K) array.

The generic path computes the (n, K) per-frame log-likelihoods, then the
(n, K) posteriors, then the moments W^T [X, X^2, 1]: two arrays of n K
doubles written and read back, which on long data cost more memory than the
input and, once out of cache, more time than the recursions
(``gdcore bench hmm``, "growth" cases).  Here each thread handles whole
sequences in its own scratch, O(T K) for a sequence of T frames:

1. frames in blocks of 128 rows are copied as [x, x^2, 1] (w = 2 d + 1
   columns), and one gemm with P = [mu / s | -1 / (2 s) | c] (K x w) gives
   their log-densities, log N(x; mu_k, diag s_k) = c_k + x . mu_k / s_k
   - x^2 . 1 / (2 s_k), c_k = -(d log 2 pi + sum log s_k + sum mu_k^2 / s_k) / 2
   (the expansion of _hmm_emissions.gaussian_diag_loglik), plus the optional
   per-state ``log_shift`` (the variational HMM's E-step, see there);
2. the scaled forward-backward of ``_hmm_core.pxd`` turns them into
   posteriors and transition counts;
3. the same [x, x^2, 1] blocks, rebuilt, give the moments by one gemm,
   gamma_block^T @ [x, x^2, 1]: sum gamma, sum gamma x, sum gamma x^2.

Time O(T K (K + d)) per sequence as before; memory O(threads T K) instead
of O(n K).  Sequences are split into a fixed number of chunks (a function of
shapes only) whose partial statistics are merged in chunk order:
bit-identical results on any number of threads.  The NumPy twin is
``gdcore/generative/hmm/_reference/hmm_gaussian.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, M_PI, isnan, log
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._cy._math cimport exp_or_zero
from gdcore.generative.hmm._hmm_core cimport (BACKWARD_BLOCK, NO_MEMORY, backward_posteriors,
                                              forward_scaled)

cdef enum:
    OK = 0
    BAD_LOGLIK = 1      # a NaN or +inf log-density (X or parameters not finite)
    # Rows per block of [x, x^2, 1]: as BLOCK_ROWS of _hmm_emissions.
    BLOCK_ROWS = 128
    # At most 64 chunks, their partials together at most 2**24 doubles: the
    # trade-off of _hmm.pyx, measured by ``gdcore bench hmm``.
    MAX_CHUNKS = 64
    MAX_PARTIAL_DOUBLES = 16777216

STATUS_OK = OK
STATUS_BAD_LOGLIK = BAD_LOGLIK
STATUS_NO_MEMORY = NO_MEMORY


def n_seq_chunks(Py_ssize_t n_seq, Py_ssize_t per_chunk):
    """Number of sequence chunks, each holding ``per_chunk`` partial doubles."""
    cdef Py_ssize_t n = max(1, min(MAX_CHUNKS, n_seq))
    return max(1, min(n, MAX_PARTIAL_DOUBLES // max(1, per_chunk)))


cdef inline void fill_block(const floating* x, Py_ssize_t rows, Py_ssize_t d,
                            double* xb) noexcept nogil:
    """xb = [x, x^2, 1] for ``rows`` rows of x (row-major, 2 d + 1 columns)."""
    cdef Py_ssize_t i, j, w = 2 * d + 1
    cdef double v
    for i in range(rows):
        for j in range(d):
            v = x[i * d + j]
            xb[i * w + j] = v
            xb[i * w + d + j] = v * v
        xb[i * w + 2 * d] = 1.0


cdef inline int shifted_densities(const floating* x, Py_ssize_t T, Py_ssize_t d,
                                  Py_ssize_t K, const double* P, double* xb,
                                  double* e, double* shift) noexcept nogil:
    """e[t] = exp(log N(x_t) - shift[t]), shift[t] = max_k log N(x_t; k); BAD_LOGLIK if NaN."""
    cdef Py_ssize_t t0, rows, t, j, w = 2 * d + 1
    cdef double m, v
    t0 = 0
    while t0 < T:
        rows = BLOCK_ROWS if T - t0 > BLOCK_ROWS else T - t0
        fill_block(x + t0 * d, rows, d, xb)
        gemm(False, True, <int> rows, <int> K, <int> w, 1.0, xb, <int> w, P, <int> w,
             0.0, e + t0 * K, <int> K)
        t0 = t0 + rows
    for t in range(T):
        m = -INFINITY
        for j in range(K):
            v = e[t * K + j]
            if isnan(v) or v == INFINITY:
                return BAD_LOGLIK
            m = v if v > m else m
        shift[t] = m
        if m == -INFINITY:      # no state can emit the frame: forward_scaled stops
            continue
        for j in range(K):
            e[t * K + j] = exp_or_zero(e[t * K + j] - m)
    return OK


def forward_backward_gaussian_diag(
    const floating[:, ::1] X,              # IN (n, d), finite
    const Py_ssize_t[::1] offsets,         # IN (n_seq + 1,) sequence bounds
    const double[:, ::1] means,            # IN (K, d)
    const double[:, ::1] covars,           # IN (K, d), positive
    const double[::1] startprob,           # IN (K,)
    const double[:, ::1] transmat,         # IN (K, K), rows sum to 1 (at most 1: VB)
    double[::1] logprob,                   # OUT (n_seq,) log P(X_s)
    double[::1] start_counts,              # OUT (K,) sum_s gamma_0
    double[:, ::1] trans_counts,           # OUT (K, K) sum_s sum_t xi_t
    double[:, ::1] moments,                # OUT (K, 2 d + 1) sum_t gamma_t [x, x^2, 1]
    int n_threads,
    bint forward_only=False,               # IN only logprob is wanted
    const double[::1] log_shift=None,      # IN (K,) per-state constant, None = 0
):
    """Per-sequence log-likelihoods and the statistics of one E-step, fused.

    Sequences of probability zero get logprob -inf and add nothing.  With
    ``forward_only`` (scoring) the counts and moments are zeros, half the
    work.  The caller holds BLAS to one thread.
    """
    cdef Py_ssize_t n_seq = offsets.shape[0] - 1, K = transmat.shape[0], d = X.shape[1]
    cdef Py_ssize_t w = 2 * d + 1
    cdef Py_ssize_t per_chunk = K * K + K * w + K
    cdef Py_ssize_t n_chunks = n_seq_chunks(n_seq, per_chunk)
    cdef Py_ssize_t t_max = 1, s, ch, j, i, k, T, o, t0, rows
    for s in range(n_seq):
        t_max = max(t_max, offsets[s + 1] - offsets[s])
    cdef double[:, ::1] part = np.zeros((n_chunks, per_chunk))
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef double[:, ::1] transmat_t = np.ascontiguousarray(np.asarray(transmat).T)
    # P = [mu / s | -1 / (2 s) | c], one row per state.
    cdef double[:, ::1] P = np.empty((K, w))
    cdef double log2pi = log(2.0 * M_PI), c
    for k in range(K):
        c = d * log2pi
        for j in range(d):
            P[k, j] = means[k, j] / covars[k, j]
            P[k, d + j] = -0.5 / covars[k, j]
            c += log(covars[k, j]) + means[k, j] * P[k, j]
        P[k, 2 * d] = -0.5 * c + (0.0 if log_shift is None else log_shift[k])
    cdef const floating* x
    cdef double* e
    cdef double* alpha
    cdef double* beta
    cdef double* scale
    cdef double* shift
    cdef double* xb
    cdef double* cp
    cdef int err
    cdef bint scratch_ok

    with nogil, parallel(num_threads=n_threads):
        e = <double*> malloc(t_max * K * sizeof(double))
        alpha = <double*> malloc(t_max * K * sizeof(double))
        beta = <double*> malloc(BACKWARD_BLOCK * K * sizeof(double))
        scale = <double*> malloc(t_max * sizeof(double))
        shift = <double*> malloc(t_max * sizeof(double))
        xb = <double*> malloc(BLOCK_ROWS * w * sizeof(double))
        scratch_ok = (e != NULL and alpha != NULL and beta != NULL and scale != NULL
                      and shift != NULL and xb != NULL)
        for ch in prange(n_chunks, schedule="dynamic"):
            if not scratch_ok:
                status[ch] = NO_MEMORY
                continue
            cp = &part[ch, 0]       # [trans (K*K) | moments (K*w) | start (K)]
            for s in range((n_seq * ch) // n_chunks, (n_seq * (ch + 1)) // n_chunks):
                o = offsets[s]
                T = offsets[s + 1] - o
                if T == 0:
                    logprob[s] = 0.0
                    continue
                x = &X[o, 0]
                err = shifted_densities(x, T, d, K, &P[0, 0], xb, e, shift)
                if err != OK:
                    status[ch] = err
                    break
                logprob[s] = forward_scaled(T, K, &startprob[0], &transmat[0, 0],
                                            e, shift, alpha, scale)
                if forward_only or logprob[s] == -INFINITY:
                    continue
                backward_posteriors(T, K, &transmat_t[0, 0], e, alpha, scale, beta, cp)
                t0 = 0
                while t0 < T:
                    rows = BLOCK_ROWS if T - t0 > BLOCK_ROWS else T - t0
                    fill_block(x + t0 * d, rows, d, xb)
                    gemm(True, False, <int> K, <int> w, <int> rows, 1.0, alpha + t0 * K,
                         <int> K, xb, <int> w, 1.0, cp + K * K, <int> w)
                    t0 = t0 + rows
                for j in range(K):
                    cp[K * K + K * w + j] += alpha[j]
        free(e)
        free(alpha)
        free(beta)
        free(scale)
        free(shift)
        free(xb)

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
            for j in range(w):
                moments[i, j] = total[K * K + i * w + j]
            start_counts[i] = total[K * K + K * w + i]
    return OK
