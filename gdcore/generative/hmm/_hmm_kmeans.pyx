"""k-means kernels for the HMMs' initialization: Lloyd's assignment step, distances.

hmmlearn initializes Gaussian means with scikit-learn's ``KMeans``
(k-means++ seeding, Arthur & Vassilvitskii 2007, then Lloyd's iterations,
Lloyd 1982).  The driver, ``gdcore.generative.hmm._kmeans``, follows that
algorithm step for step (same draws from ``random_state``); these kernels do
its O(n K d) passes:

- ``lloyd_assign``: each row's nearest centre, and per centre the count and
  sum of its rows (the next centres) and the inertia, in one pass over X.
- ``sq_distances``: squared distances from a few rows (k-means++ candidates)
  to every row.

Distances are expanded as |x|^2 + |c|^2 - 2 x.c, as scikit-learn's, so
that blocks of 256 rows cost one gemm against the centres (several times
faster than the direct sum of (x_j - c_j)^2, measured by the
"initialization" case of ``gdcore bench hmm``); a distance that rounds
below 0 is 0.  Time O(n K d) per pass; scratch per thread: a block of rows
and its block of dot products, O(256 (d + K)) doubles.  The caller holds
BLAS to one thread.

Determinism: counts, sums and inertia are accumulated per chunk of rows (a
partition that depends on n only) and merged in chunk order, so results are
bit-identical on any number of threads; labels and distances are per row.
Ties go to the lowest centre index.  The NumPy twin is
``gdcore/generative/hmm/_reference/hmm_kmeans.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore.generative.hmm._hmm_core cimport NO_MEMORY

cdef enum:
    # Rows per gemm block: 256 x d float64 rows and 256 x K dot products stay
    # in L2 at the d and K of HMMs.
    BLOCK_ROWS = 256
    # At most 64 row chunks of at least 4096 rows: enough to balance the
    # threads, few enough that filling and merging the partials stays
    # negligible next to the chunk's distances.
    MAX_CHUNKS = 64
    MIN_CHUNK_ROWS = 4096


def n_row_chunks(Py_ssize_t n):
    """Number of row chunks of ``lloyd_assign``: a function of n only."""
    return max(1, min(MAX_CHUNKS, n // MIN_CHUNK_ROWS))


cdef enum:
    OK = 0

STATUS_OK = OK
STATUS_NO_MEMORY = NO_MEMORY


cdef inline void block_sq_distances(const floating* x, Py_ssize_t rows, Py_ssize_t d,
                                    const double* Y, const double* y_norms, Py_ssize_t m,
                                    double* xb, double* out) noexcept nogil:
    """out[i, k] = |x_i - y_k|^2 (>= 0) for ``rows`` rows of x and the m rows of Y."""
    cdef Py_ssize_t i, j, k
    cdef double norm, v
    for i in range(rows * d):
        xb[i] = x[i]
    gemm(False, True, <int> rows, <int> m, <int> d, -2.0, xb, <int> d, Y, <int> d,
         0.0, out, <int> m)
    for i in range(rows):
        norm = 0.0
        for j in range(d):
            norm = norm + xb[i * d + j] * xb[i * d + j]
        for k in range(m):
            v = out[i * m + k] + norm + y_norms[k]
            out[i * m + k] = v if v > 0.0 else 0.0


def lloyd_assign(
    const floating[:, ::1] X,         # IN (n, d), finite
    const double[:, ::1] centers,     # IN (K, d)
    Py_ssize_t[::1] labels,           # OUT (n,) index of the nearest centre
    double[:, ::1] sums,              # OUT (K, d) sum of the rows of each centre
    double[::1] counts,               # OUT (K,) number of rows of each centre
    int n_threads,
):
    """Assign every row to its nearest centre; return the inertia (sum of squared distances).

    Returns -1.0 when a thread's scratch could not be allocated.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = centers.shape[0]
    cdef Py_ssize_t n_chunks = n_row_chunks(n)
    cdef double[:, :, ::1] part = np.zeros((n_chunks, K, d + 2))
    cdef double[::1] c_norms = np.einsum("ij,ij->i", centers, centers)
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef Py_ssize_t ch, t, t0, rows, i, j, k, best
    cdef double inertia = 0.0
    cdef double* xb
    cdef double* dist
    cdef double* dr
    cdef double* p
    with nogil, parallel(num_threads=n_threads):
        xb = <double*> malloc(BLOCK_ROWS * d * sizeof(double))
        dist = <double*> malloc(BLOCK_ROWS * K * sizeof(double))
        for ch in prange(n_chunks, schedule="static"):
            if xb == NULL or dist == NULL:
                status[ch] = NO_MEMORY
                continue
            t0 = (n * ch) // n_chunks
            while t0 < (n * (ch + 1)) // n_chunks:
                rows = min(BLOCK_ROWS, (n * (ch + 1)) // n_chunks - t0)
                block_sq_distances(&X[t0, 0], rows, d, &centers[0, 0], &c_norms[0], K,
                                   xb, dist)
                for i in range(rows):
                    t = t0 + i
                    dr = dist + i * K
                    best = 0
                    for k in range(1, K):
                        if dr[k] < dr[best]:
                            best = k
                    labels[t] = best
                    p = &part[ch, best, 0]
                    for j in range(d):
                        p[j] += xb[i * d + j]
                    p[d] += 1.0
                    p[d + 1] += dr[best]
                t0 = t0 + rows
        free(xb)
        free(dist)
    for ch in range(n_chunks):
        if status[ch] != OK:
            return -1.0
    with nogil:
        for k in range(K):
            counts[k] = 0.0
            for j in range(d):
                sums[k, j] = 0.0
        for ch in range(n_chunks):
            for k in range(K):
                for j in range(d):
                    sums[k, j] += part[ch, k, j]
                counts[k] += part[ch, k, d]
                inertia += part[ch, k, d + 1]
    return inertia


def sq_distances(
    const floating[:, ::1] X,         # IN (n, d)
    const double[:, ::1] Y,           # IN (m, d), a few rows
    double[:, ::1] out,               # OUT (n, m) squared distance of X[t] to Y[i]
    int n_threads,
):
    """Squared Euclidean distances from every row of X to each row of Y; a status code."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], m = Y.shape[0]
    cdef Py_ssize_t n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS, b, t0
    cdef double[::1] y_norms = np.einsum("ij,ij->i", Y, Y)
    cdef int[::1] status = np.zeros(max(n_blocks, 1), dtype=np.intc)
    cdef double* xb
    with nogil, parallel(num_threads=n_threads):
        xb = <double*> malloc(BLOCK_ROWS * d * sizeof(double))
        for b in prange(n_blocks, schedule="static"):
            if xb == NULL:
                status[b] = NO_MEMORY
                continue
            t0 = b * BLOCK_ROWS
            block_sq_distances(&X[t0, 0], min(BLOCK_ROWS, n - t0), d, &Y[0, 0], &y_norms[0],
                               m, xb, &out[t0, 0])
        free(xb)
    for b in range(n_blocks):
        if status[b] != OK:
            return status[b]
    return OK
