"""HMM emission kernels: per-frame log-likelihoods under every state, and counts.

Gaussian, diagonal covariance (spherical is the diagonal with equal entries):

    log N(x; mu_k, s_k) = c_k + x . (mu_k / s_k) - 0.5 x^2 . (1 / s_k),
    c_k = -0.5 (d log 2 pi + sum log s_k + sum mu_k^2 / s_k),

two gemms per block of 128 rows, (128 x d) @ (d x K), with no n x K x d
temporary; hmmlearn expands the square the same way.  A row with a NaN
(missing value) is instead computed directly over its observed features,
which is the marginal density of those features.

Both Gaussian kernels take an optional ``log_shift`` (K,), a constant added
to every frame's log-density under state k: the variational HMM's E-step
density E[log N(x; mu_k, Lambda_k)] under a Normal-Wishart posterior is the
Gaussian density with precision E[Lambda_k] plus such a per-state constant
(its E[log |Lambda_k|] and d / beta_k terms), so it runs on these kernels.

Gaussian, full covariance (tied is the same precision for every state):
with U_k upper triangular and U_k U_k^T the precision matrix,

    log N = -0.5 (d log 2 pi + |x U_k - mu_k U_k|^2) + sum log diag U_k,

one (128 x d) @ (d x d) gemm per block and state, O(n K d^2).  Rows with NaN
get NaN here; the caller marginalizes them per missing pattern.

float32 X is converted block by block to float64 before the gemms, so
likelihoods are accumulated in double whatever the input dtype.

Categorical: a table look-up, out[t] = log B^T[x_t] (for posteriors; fitting,
scoring and Viterbi read the table inside the recursions, _hmm_categorical.pyx).

Poisson: x . log(lambda_k) - sum lambda_k - log x!, one gemm per block of
rows as for the diagonal Gaussian.  ``weighted_sums`` gives the E-step
moments sum_t gamma_tk, sum_t gamma_tk x_t and optionally sum_t gamma_tk
x_t^2 (Poisson; diagonal and spherical Gaussians) by one gemm per block.

Status codes (0 = ok) go back to the caller, which raises (NO_MEMORY, from
_hmm_core.pxd, when a thread's block scratch cannot be allocated: that
thread skips its blocks and the caller raises MemoryError).  The NumPy twin is
``gdcore/generative/hmm/_reference/hmm_emissions.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, M_PI, isinf, isnan, log
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._cy._math cimport all_finite
from gdcore.generative.hmm._hmm_core cimport NO_MEMORY

cdef enum:
    OK = 0
    FOUND_INF = 1       # an infinite value in X
    BAD_SYMBOL = 2      # a categorical symbol outside [0, n_features)
    # A 128 x d float64 block stays in L2 for d up to ~1000 (1 MiB); shorter
    # blocks mean more, smaller gemms.  Measured by ``gdcore bench hmm``.
    BLOCK_ROWS = 128
    # Row chunks of weighted_sums: at most 64, of at least 4096 rows each, so
    # that a chunk's gemms outweigh filling and merging its partial.
    MAX_CHUNKS = 64
    MIN_CHUNK_ROWS = 4096

STATUS_OK = OK
STATUS_INF = FOUND_INF
STATUS_BAD_SYMBOL = BAD_SYMBOL
STATUS_NO_MEMORY = NO_MEMORY


cdef inline bint copy_block(const floating* X, Py_ssize_t rows, Py_ssize_t d,
                            double* xb) noexcept nogil:
    """xb = X[:rows] as float64; False when the block holds a NaN or inf."""
    cdef Py_ssize_t i
    for i in range(rows * d):
        xb[i] = X[i]
    return all_finite(X, rows * d)


def gaussian_diag_loglik(
    const floating[:, ::1] X,         # IN (n, d), NaN = missing
    const double[:, ::1] means,       # IN (K, d)
    const double[:, ::1] covars,      # IN (K, d), positive
    double[:, ::1] out,               # OUT (n, K) log N(x_t; mu_k, diag s_k) + log_shift_k
    int n_threads,
    const double[::1] log_shift=None,  # IN (K,) per-state constant, None = 0
):
    """Diagonal-Gaussian log-density of every row under every state."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = means.shape[0]
    cdef Py_ssize_t n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    cdef double[:, ::1] lin = np.empty((K, d))      # mu / s
    cdef double[:, ::1] quad = np.empty((K, d))     # -0.5 / s
    cdef double[:, ::1] logs = np.empty((K, d))     # log s
    cdef double[::1] const = np.empty(K)
    cdef int[::1] status = np.zeros(max(n_blocks, 1), dtype=np.intc)
    cdef Py_ssize_t b, r0, rows, i, j, k
    cdef double acc, x, dev
    cdef double* xb
    cdef double* x2
    cdef bint scratch_ok
    cdef double log2pi = log(2.0 * M_PI)
    for k in range(K):
        const[k] = d * log2pi
        for j in range(d):
            lin[k, j] = means[k, j] / covars[k, j]
            quad[k, j] = -0.5 / covars[k, j]
            logs[k, j] = log(covars[k, j])
            const[k] += logs[k, j] + means[k, j] * lin[k, j]
        const[k] *= -0.5
    cdef const double[::1] shift = np.zeros(K) if log_shift is None else log_shift
    for k in range(K):
        const[k] += shift[k]

    with nogil, parallel(num_threads=n_threads):
        xb = <double*> malloc(BLOCK_ROWS * d * sizeof(double))
        x2 = <double*> malloc(BLOCK_ROWS * d * sizeof(double))
        scratch_ok = xb != NULL and x2 != NULL
        for b in prange(n_blocks, schedule="static"):
            if not scratch_ok:
                status[b] = NO_MEMORY
                continue
            r0 = b * BLOCK_ROWS
            rows = min(BLOCK_ROWS, n - r0)
            if copy_block(&X[r0, 0], rows, d, xb):
                for i in range(rows * d):
                    x2[i] = xb[i] * xb[i]
                for i in range(rows):
                    for k in range(K):
                        out[r0 + i, k] = const[k]
                gemm(False, True, <int> rows, <int> K, <int> d, 1.0, xb, <int> d,
                     &lin[0, 0], <int> d, 1.0, &out[r0, 0], <int> K)
                gemm(False, True, <int> rows, <int> K, <int> d, 1.0, x2, <int> d,
                     &quad[0, 0], <int> d, 1.0, &out[r0, 0], <int> K)
                continue
            # A block with a NaN or inf: row by row, missing features skipped.
            for i in range(rows):
                for k in range(K):
                    acc = 0.0
                    for j in range(d):
                        x = X[r0 + i, j]
                        if isnan(x):
                            continue
                        if isinf(x):
                            status[b] = FOUND_INF
                        dev = x - means[k, j]
                        acc = acc + log2pi + logs[k, j] + dev * dev / covars[k, j]
                    out[r0 + i, k] = shift[k] - 0.5 * acc
        free(xb)
        free(x2)
    for b in range(n_blocks):
        if status[b] != OK:
            return status[b]
    return OK


def gaussian_full_loglik(
    const floating[:, ::1] X,         # IN (n, d), finite rows
    const double[:, ::1] means,       # IN (K, d)
    const double[:, :, ::1] prec_chol,  # IN (K, d, d) upper U_k, U_k U_k^T = inv(cov_k)
    double[:, ::1] out,               # OUT (n, K); NaN on rows holding a NaN
    int n_threads,
    const double[::1] log_shift=None,  # IN (K,) per-state constant, None = 0
):
    """Full-covariance Gaussian log-density of every row under every state."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = means.shape[0]
    cdef Py_ssize_t n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    cdef double[:, ::1] mu_u = np.empty((K, d))     # mu_k U_k
    cdef double[::1] const = np.empty(K)
    cdef int[::1] status = np.zeros(max(n_blocks, 1), dtype=np.intc)
    cdef Py_ssize_t b, r0, rows, i, j, k, jj
    cdef double acc, y
    cdef double* xb
    cdef double* yb
    cdef bint scratch_ok
    cdef double log2pi = log(2.0 * M_PI)
    for k in range(K):
        const[k] = -0.5 * d * log2pi + (0.0 if log_shift is None else log_shift[k])
        for j in range(d):
            const[k] += log(prec_chol[k, j, j])
            acc = 0.0
            for jj in range(d):
                acc += means[k, jj] * prec_chol[k, jj, j]
            mu_u[k, j] = acc

    with nogil, parallel(num_threads=n_threads):
        xb = <double*> malloc(BLOCK_ROWS * d * sizeof(double))
        yb = <double*> malloc(BLOCK_ROWS * d * sizeof(double))
        scratch_ok = xb != NULL and yb != NULL
        for b in prange(n_blocks, schedule="static"):
            if not scratch_ok:
                status[b] = NO_MEMORY
                continue
            r0 = b * BLOCK_ROWS
            rows = min(BLOCK_ROWS, n - r0)
            copy_block(&X[r0, 0], rows, d, xb)
            for k in range(K):
                gemm(False, False, <int> rows, <int> d, <int> d, 1.0, xb, <int> d,
                     &prec_chol[k, 0, 0], <int> d, 0.0, yb, <int> d)
                for i in range(rows):
                    acc = 0.0
                    for j in range(d):
                        y = yb[i * d + j] - mu_u[k, j]
                        acc = acc + y * y
                    out[r0 + i, k] = const[k] - 0.5 * acc
            for i in range(rows * d):
                if isinf(xb[i]):
                    status[b] = FOUND_INF
        free(xb)
        free(yb)
    for b in range(n_blocks):
        if status[b] != OK:
            return status[b]
    return OK


def categorical_loglik(
    const int64_t[::1] X,             # IN (n,) symbols
    const double[:, ::1] log_emission_t,  # IN (M, K) log P(symbol | state), transposed
    double[:, ::1] out,               # OUT (n, K)
    int n_threads,
):
    """out[t] = log_emission_t[X[t]]: one contiguous row copy per frame."""
    cdef Py_ssize_t n = X.shape[0], M = log_emission_t.shape[0], K = log_emission_t.shape[1]
    cdef Py_ssize_t t, k
    cdef int64_t x
    cdef int bad = 0
    with nogil:
        for t in prange(n, schedule="static", num_threads=n_threads):
            x = X[t]
            if x < 0 or x >= M:
                bad += 1
                continue
            for k in range(K):
                out[t, k] = log_emission_t[x, k]
    return BAD_SYMBOL if bad > 0 else OK


def poisson_loglik(
    const floating[:, ::1] X,         # IN (n, d) non-negative integer counts
    const double[:, ::1] log_rates,   # IN (K, d) log lambda, 0 where lambda = 0
    const double[::1] rate_sums,      # IN (K,) sum_j lambda_kj
    const unsigned char[:, ::1] zero_rate,  # IN (K, d) 1 where lambda_kj = 0
    const double[::1] row_const,      # IN (n,) sum_j log(x_tj!)
    double[:, ::1] out,               # OUT (n, K) log P(x_t | k)
    int n_threads,
):
    """Independent-Poisson log-likelihoods: x . log(lambda_k) - sum lambda_k - log x!.

    One (128 x d) @ (d x K) gemm per block of rows; a count above 0 where a
    rate is 0 makes the frame impossible (-inf) under that state.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = log_rates.shape[0]
    cdef Py_ssize_t n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    cdef Py_ssize_t b, r0, rows, i, j, k
    cdef bint any_zero = False
    cdef double* xb
    cdef int[::1] status = np.zeros(max(n_blocks, 1), dtype=np.intc)
    for k in range(K):
        for j in range(d):
            any_zero = any_zero or zero_rate[k, j]
    with nogil, parallel(num_threads=n_threads):
        xb = <double*> malloc(BLOCK_ROWS * d * sizeof(double))
        for b in prange(n_blocks, schedule="static"):
            if xb == NULL:
                status[b] = NO_MEMORY
                continue
            r0 = b * BLOCK_ROWS
            rows = min(BLOCK_ROWS, n - r0)
            copy_block(&X[r0, 0], rows, d, xb)
            for i in range(rows):
                for k in range(K):
                    out[r0 + i, k] = -rate_sums[k] - row_const[r0 + i]
            gemm(False, True, <int> rows, <int> K, <int> d, 1.0, xb, <int> d,
                 &log_rates[0, 0], <int> d, 1.0, &out[r0, 0], <int> K)
            if any_zero:
                for i in range(rows):
                    for k in range(K):
                        for j in range(d):
                            if zero_rate[k, j] and xb[i * d + j] > 0:
                                out[r0 + i, k] = -INFINITY
                                break
        free(xb)
    for b in range(n_blocks):
        if status[b] != OK:
            return status[b]
    return OK


def weighted_sums(
    const double[:, ::1] weights,     # IN (n, K) posteriors (or any weights)
    const floating[:, ::1] X,         # IN (n, d), finite
    double[::1] weight_sums,          # OUT (K,) sum_t w_tk
    double[:, ::1] sums,              # OUT (K, d) sum_t w_tk x_t
    int n_threads,
    double[:, ::1] square_sums=None,  # OUT (K, d) sum_t w_tk x_t^2, if given
):
    """E-step moments W^T 1, W^T X (and W^T X^2) over a fixed row partition.

    Rows are copied as [x_t, (x_t^2), 1] blocks so that one gemm per block
    gives every moment with no n x d temporary; each chunk of rows has its
    own partial, merged in chunk order, so the result is the same on any
    number of threads (the chunks are a function of n only).  Fusing the
    squares into the same gemm replaces three NumPy passes and an X^2 copy
    with one pass over X (GaussianHMM's EM iteration in ``gdcore bench hmm``).
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = weights.shape[1]
    cdef bint squares = square_sums is not None
    cdef Py_ssize_t w = 2 * d + 1 if squares else d + 1
    cdef Py_ssize_t n_chunks = max(1, min(MAX_CHUNKS, n // MIN_CHUNK_ROWS))
    cdef double[:, :, ::1] part = np.zeros((n_chunks, K, w))
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef Py_ssize_t ch, lo, hi, r0, rows, i, j, k
    cdef double x
    cdef double* xb
    with nogil, parallel(num_threads=n_threads):
        xb = <double*> malloc(BLOCK_ROWS * w * sizeof(double))
        for ch in prange(n_chunks, schedule="static"):
            if xb == NULL:
                status[ch] = NO_MEMORY
                continue
            lo = (n * ch) // n_chunks
            hi = (n * (ch + 1)) // n_chunks
            r0 = lo
            while r0 < hi:
                rows = min(BLOCK_ROWS, hi - r0)
                for i in range(rows):
                    for j in range(d):
                        x = X[r0 + i, j]
                        xb[i * w + j] = x
                        if squares:
                            xb[i * w + d + j] = x * x
                    xb[i * w + w - 1] = 1.0
                gemm(True, False, <int> K, <int> w, <int> rows, 1.0,
                     &weights[r0, 0], <int> K, xb, <int> w, 1.0, &part[ch, 0, 0], <int> w)
                r0 = r0 + rows
        free(xb)
    for ch in range(n_chunks):
        if status[ch] != OK:
            return status[ch]
    with nogil:
        for k in range(K):
            weight_sums[k] = 0.0
            for j in range(d):
                sums[k, j] = 0.0
                if squares:
                    square_sums[k, j] = 0.0
        for ch in range(n_chunks):
            for k in range(K):
                weight_sums[k] += part[ch, k, w - 1]
                for j in range(d):
                    sums[k, j] += part[ch, k, j]
                    if squares:
                        square_sums[k, j] += part[ch, k, d + j]
    return OK
