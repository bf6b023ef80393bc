"""Gaussian mixture kernels: the E-step fused with the M-step's sufficient statistics.

E-step.  For a row x and component c with weight pi_c, mean mu_c and the
upper-triangular Cholesky factor U_c of its precision (U_c U_c^T = Sigma_c^-1),

    log pi_c + log N(x; mu_c, Sigma_c)
        = log pi_c + log det U_c - d/2 log(2 pi) - 1/2 |x U_c - mu_c U_c|^2,

the parametrization of scikit-learn's GaussianMixture (the caller folds the
first three terms into ``log_const[c]``).  A block of BLOCK_ROWS rows is
multiplied by all factors at once, ``X_b @ [U_1 | ... | U_k]``, one gemm of
(BLOCK_ROWS x d) by (d x k d), and the squared distances come from that
(BLOCK_ROWS x k d) tile while it is in cache: O(n k d^2) flops in BLAS and no
n x d temporary per component.  Each row is then normalized by a log-sum-exp
(shifted by its maximum), giving the responsibilities r_ic and log p(x_i).
Tied covariance shares one U, so the gemm is (BLOCK_ROWS x d) by (d x d);
diagonal and spherical ones are a direct O(n k d) loop with the components
innermost (contiguous, so the compiler vectorizes it).

M-step statistics, in the same pass while the block is in cache: with weights
w_i (sample weights), n_c = sum_i w_i r_ic, s_c = sum_i w_i r_ic x_i and the
scatter around the *current* means m_c,

    S_c = sum_i w_i r_ic (x_i - m_c)(x_i - m_c)^T     (full: one gemm per block)
    S_c = sum_i w_i r_ic (x_i - m_c)^2                (diag/spherical: the diagonal)

The caller turns them into the new mean mu_c = s_c / n_c and covariance
(S_c - a_c delta^T - delta a_c^T + n_c delta delta^T) / n_c with
delta = mu_c - m_c and a_c = s_c - n_c m_c.  Centring on the current means
(which EM moves little) keeps the digits that the one-pass formula
E[x x^T] - mu mu^T loses when |mu| >> sd, without a second pass over X.
Tied covariance needs only n_c and s_c (its total scatter is constant).

Parallel layout and determinism.  Rows are cut into a fixed number of chunks
that depends only on the shape; each chunk's statistics go to its own partial
array, and the partials are summed in chunk order, so the result is
bit-identical on any number of threads (a call uses at most one thread per
chunk: an idle thread would only add start-up and barrier cost, which
dominates small calls, the more so when the cores are busy).  BLAS must be
held to one thread while these kernels run
(``gdcore._threads.single_threaded_blas``).

Every entry point returns a status code (0 = ok, 1 = a row whose
log-likelihood is not finite); the NumPy twin is
``gdcore/generative/mixture/_reference/mixture.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport isnan
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._cy._math cimport exp_or_zero, is_finite, logsumexp_row

cdef enum:
    OK = 0
    NOT_FINITE = 1       # a row's log-likelihood is inf or NaN (inf in X, bad parameters)
    NO_MEMORY = 3        # a thread's buffers could not be allocated (2: see _mixture_missing)

    # Rows per E-step tile: the (64 x k d) product tile is 128 KiB in float64
    # at k = d = 16, within L2 next to the (k d x d) factors (32 KiB); shorter
    # tiles mean more, smaller gemms.  Measured by ``gdcore bench mixture``.
    BLOCK_ROWS = 64
    # Statistics partition: at most 64 chunks of at least 1024 rows, and the
    # chunks' partial statistics together at most 2**23 doubles (64 MiB): more
    # chunks balance the threads better, each costs a partial to fill and merge.
    # Measured by ``gdcore bench mixture``.
    MAX_CHUNKS = 64
    MIN_CHUNK_ROWS = 1024
    MAX_PARTIAL_DOUBLES = 8388608

STATUS_OK = OK
STATUS_NOT_FINITE = NOT_FINITE
STATUS_NO_MEMORY = NO_MEMORY


def n_chunks(Py_ssize_t n_rows, Py_ssize_t state_size):
    """Number of row chunks: a function of the shape only, never of the threads."""
    cdef Py_ssize_t n = max(1, min(MAX_CHUNKS, n_rows // MIN_CHUNK_ROWS))
    return max(1, min(n, MAX_PARTIAL_DOUBLES // max(1, state_size)))


cdef inline double _sq_dist(const floating* a, const floating* b,
                            Py_ssize_t d) noexcept nogil:
    """|a - b|^2 in double with four accumulators (a serial sum does not vectorize)."""
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, t
    cdef Py_ssize_t j = 0
    while j + 4 <= d:
        t = <double> a[j] - b[j]
        s0 += t * t
        t = <double> a[j + 1] - b[j + 1]
        s1 += t * t
        t = <double> a[j + 2] - b[j + 2]
        s2 += t * t
        t = <double> a[j + 3] - b[j + 3]
        s3 += t * t
        j += 4
    while j < d:
        t = <double> a[j] - b[j]
        s0 += t * t
        j += 1
    return (s0 + s1) + (s2 + s3)


cdef inline int _normalize_rows(double* lp, Py_ssize_t rows, Py_ssize_t k,
                                floating* resp, double* log_norm) noexcept nogil:
    """Rows of lp (log pi_c p_c(x)) -> responsibilities (in lp and resp) and log p(x)."""
    cdef Py_ssize_t i, c
    cdef double lse, r
    cdef int status = OK
    for i in range(rows):
        lse = logsumexp_row(&lp[i * k], k)
        log_norm[i] = lse
        if not is_finite(lse):
            status = NOT_FINITE
        for c in range(k):
            r = exp_or_zero(lp[i * k + c] - lse)
            lp[i * k + c] = r
            resp[i * k + c] = <floating> r
    return status


cdef inline void _scatter_full(const floating* Xb, Py_ssize_t rows, Py_ssize_t d,
                               Py_ssize_t k, const double* r, const double* w,
                               const floating* means, floating* diff, floating* wdiff,
                               floating* tmp, double* nk, double* sx,
                               double* S) noexcept nogil:
    """Add one block's n_c, s_c and full scatter S_c (around means) to the partials."""
    cdef Py_ssize_t i, j, c
    cdef double ric, x
    cdef floating dv
    cdef const floating* mu
    for c in range(k):
        mu = &means[c * d]
        for i in range(rows):
            ric = r[i * k + c] * w[i]
            nk[c] += ric
            for j in range(d):
                x = Xb[i * d + j]
                dv = Xb[i * d + j] - mu[j]
                diff[i * d + j] = dv
                wdiff[i * d + j] = <floating> (ric * dv)
                sx[c * d + j] += ric * x
        gemm(True, False, <int> d, <int> d, <int> rows, <floating> 1.0, wdiff,
             <int> d, diff, <int> d, <floating> 0.0, tmp, <int> d)
        for j in range(d * d):
            S[c * d * d + j] += tmp[j]


cdef inline void _sums(const floating* Xb, Py_ssize_t rows, Py_ssize_t d,
                       Py_ssize_t k, const double* r, const double* w,
                       double* nk, double* sx) noexcept nogil:
    """Add one block's n_c and s_c (the tied model needs no more)."""
    cdef Py_ssize_t i, j, c
    cdef double ric
    for i in range(rows):
        for c in range(k):
            ric = r[i * k + c] * w[i]
            nk[c] += ric
            for j in range(d):
                sx[c * d + j] += ric * Xb[i * d + j]


def estep_full(
    const floating[:, ::1] X,              # IN (n, d)
    const double[::1] weight,              # IN (n,) sample weights (statistics only)
    const floating[:, ::1] prec_chol_cat,  # IN (d, k d) [U_1 | ... | U_k]
    const floating[:, ::1] means_prec,     # IN (k, d) mu_c @ U_c
    const floating[:, ::1] means,          # IN (k, d) centres of the scatter
    const double[::1] log_const,           # IN (k,) log pi_c + log det U_c - d/2 log 2pi
    floating[:, ::1] resp,                 # OUT (n, k) responsibilities
    double[::1] log_norm,                  # OUT (n,) log p(x_i)
    double[::1] nk,                        # OUT (k,) sum_i w_i r_ic
    double[:, ::1] sx,                     # OUT (k, d) sum_i w_i r_ic x_i
    double[:, :, ::1] scatter,             # OUT (k, d, d) S_c around means
    bint want_stats,
    int n_threads,
):
    """E-step for full covariances, with the M-step statistics when want_stats."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = log_const.shape[0]
    cdef Py_ssize_t n_ch = n_chunks(n, k * d * d + k * d + k)
    cdef Py_ssize_t n_part = n_ch if want_stats else 0
    cdef double[:, ::1] part_nk = np.zeros((n_part, k))
    cdef double[:, :, ::1] part_sx = np.zeros((n_part, k, d))
    cdef double[:, :, :, ::1] part_S = np.zeros((n_part, k, d, d))
    cdef int[::1] status = np.zeros(n_ch, dtype=np.intc)
    cdef Py_ssize_t ch, blk, b0, start, stop, rows, i, c
    cdef bint no_memory
    cdef floating* Y
    cdef floating* diff
    cdef floating* wdiff
    cdef floating* tmp
    cdef double* lp

    if n == 0:
        _merge(part_nk, part_sx, nk, sx)
        return OK
    with nogil, parallel(num_threads=min(n_threads, n_ch)):
        Y = <floating*> malloc(BLOCK_ROWS * k * d * sizeof(floating))
        diff = <floating*> malloc(BLOCK_ROWS * d * sizeof(floating))
        wdiff = <floating*> malloc(BLOCK_ROWS * d * sizeof(floating))
        tmp = <floating*> malloc(d * d * sizeof(floating))
        lp = <double*> malloc(BLOCK_ROWS * k * sizeof(double))
        no_memory = (Y == NULL or diff == NULL or wdiff == NULL or tmp == NULL
                     or lp == NULL)
        for ch in prange(n_ch, schedule="static"):
            if no_memory:
                status[ch] = NO_MEMORY
                continue
            start = (n * ch) // n_ch
            stop = (n * (ch + 1)) // n_ch
            for blk in range((stop - start + BLOCK_ROWS - 1) // BLOCK_ROWS):
                b0 = start + blk * BLOCK_ROWS
                rows = min(<Py_ssize_t> BLOCK_ROWS, stop - b0)
                gemm(False, False, <int> rows, <int> (k * d), <int> d, <floating> 1.0,
                     &X[b0, 0], <int> d, &prec_chol_cat[0, 0], <int> (k * d),
                     <floating> 0.0, Y, <int> (k * d))
                for i in range(rows):
                    for c in range(k):
                        lp[i * k + c] = log_const[c] - 0.5 * _sq_dist(
                            &Y[(i * k + c) * d], &means_prec[c, 0], d)
                if _normalize_rows(lp, rows, k, &resp[b0, 0], &log_norm[b0]) != OK:
                    status[ch] = NOT_FINITE
                if want_stats:
                    _scatter_full(&X[b0, 0], rows, d, k, lp, &weight[b0], &means[0, 0],
                                  diff, wdiff, tmp, &part_nk[ch, 0], &part_sx[ch, 0, 0],
                                  &part_S[ch, 0, 0, 0])
        free(Y)
        free(diff)
        free(wdiff)
        free(tmp)
        free(lp)
    if want_stats:
        _merge(part_nk, part_sx, nk, sx)
        np.sum(part_S, axis=0, out=np.asarray(scatter))
    return _first_error(status)


def estep_tied(
    const floating[:, ::1] X,              # IN (n, d)
    const double[::1] weight,              # IN (n,)
    const floating[:, ::1] prec_chol,      # IN (d, d) the shared U
    const floating[:, ::1] means_prec,     # IN (k, d) mu_c @ U
    const double[::1] log_const,           # IN (k,)
    floating[:, ::1] resp,                 # OUT (n, k)
    double[::1] log_norm,                  # OUT (n,)
    double[::1] nk,                        # OUT (k,)
    double[:, ::1] sx,                     # OUT (k, d)
    bint want_stats,
    int n_threads,
):
    """E-step for a tied covariance, with n_c and s_c when want_stats."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = log_const.shape[0]
    cdef Py_ssize_t n_ch = n_chunks(n, k * d + k)
    cdef Py_ssize_t n_part = n_ch if want_stats else 0
    cdef double[:, ::1] part_nk = np.zeros((n_part, k))
    cdef double[:, :, ::1] part_sx = np.zeros((n_part, k, d))
    cdef int[::1] status = np.zeros(n_ch, dtype=np.intc)
    cdef Py_ssize_t ch, blk, b0, start, stop, rows, i, c
    cdef bint no_memory
    cdef floating* Y
    cdef double* lp

    if n == 0:
        _merge(part_nk, part_sx, nk, sx)
        return OK
    with nogil, parallel(num_threads=min(n_threads, n_ch)):
        Y = <floating*> malloc(BLOCK_ROWS * d * sizeof(floating))
        lp = <double*> malloc(BLOCK_ROWS * k * sizeof(double))
        no_memory = Y == NULL or lp == NULL
        for ch in prange(n_ch, schedule="static"):
            if no_memory:
                status[ch] = NO_MEMORY
                continue
            start = (n * ch) // n_ch
            stop = (n * (ch + 1)) // n_ch
            for blk in range((stop - start + BLOCK_ROWS - 1) // BLOCK_ROWS):
                b0 = start + blk * BLOCK_ROWS
                rows = min(<Py_ssize_t> BLOCK_ROWS, stop - b0)
                gemm(False, False, <int> rows, <int> d, <int> d, <floating> 1.0,
                     &X[b0, 0], <int> d, &prec_chol[0, 0], <int> d,
                     <floating> 0.0, Y, <int> d)
                for i in range(rows):
                    for c in range(k):
                        lp[i * k + c] = log_const[c] - 0.5 * _sq_dist(
                            &Y[i * d], &means_prec[c, 0], d)
                if _normalize_rows(lp, rows, k, &resp[b0, 0], &log_norm[b0]) != OK:
                    status[ch] = NOT_FINITE
                if want_stats:
                    _sums(&X[b0, 0], rows, d, k, lp, &weight[b0],
                          &part_nk[ch, 0], &part_sx[ch, 0, 0])
        free(Y)
        free(lp)
    if want_stats:
        _merge(part_nk, part_sx, nk, sx)
    return _first_error(status)


def estep_diag(
    const floating[:, ::1] X,              # IN (n, d)
    const double[::1] weight,              # IN (n,)
    const double[:, ::1] means_t,          # IN (d, k) means, transposed
    const double[:, ::1] prec_t,           # IN (d, k) precisions (1 / variances), transposed
    const double[::1] log_const,           # IN (k,)
    floating[:, ::1] resp,                 # OUT (n, k)
    double[::1] log_norm,                  # OUT (n,)
    double[::1] nk,                        # OUT (k,)
    double[:, ::1] sx,                     # OUT (k, d)
    double[:, ::1] sq,                     # OUT (k, d) diagonal scatter around means
    bint want_stats,
    int n_threads,
):
    """E-step for diagonal (and, with repeated precisions, spherical) covariances.

    Parameters come transposed (d, k) so that the innermost loop runs over
    components with independent accumulators, which the compiler vectorizes.
    NaN in X is missing, and with a diagonal covariance the exact
    missing-data EM is local to the coordinate: the density skips it (with
    its -1/2 log(2 pi / prec) term, which the caller put into ``log_const``),
    and the statistics take E[x_j | c] = mean_jc and add Var[x_j | c] = 1/prec_jc.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = log_const.shape[0]
    cdef Py_ssize_t n_ch = n_chunks(n, 2 * k * d + k)
    cdef Py_ssize_t n_part = n_ch if want_stats else 0
    cdef double[:, ::1] part_nk = np.zeros((n_part, k))
    cdef double[:, :, ::1] part_sx = np.zeros((n_part, d, k))
    cdef double[:, :, ::1] part_sq = np.zeros((n_part, d, k))
    cdef int[::1] status = np.zeros(n_ch, dtype=np.intc)
    cdef Py_ssize_t ch, start, stop, i, j, c
    cdef double x, dv, rc
    cdef bint no_memory
    cdef double* lp
    cdef double* psx
    cdef double* psq
    # log_const[c] holds sum_j 1/2 log(prec_jc / 2 pi); a missing j takes its
    # term back out (lp accumulates -2 x the log-density, hence no 1/2 here).
    cdef double[:, ::1] log_prec_t = np.log(np.asarray(prec_t) / (2 * np.pi))

    if n == 0:
        _merge(part_nk, np.zeros((0, k, d)), nk, sx)
        sq[:, :] = 0.0
        return OK
    with nogil, parallel(num_threads=min(n_threads, n_ch)):
        lp = <double*> malloc(k * sizeof(double))
        no_memory = lp == NULL
        for ch in prange(n_ch, schedule="static"):
            if no_memory:
                status[ch] = NO_MEMORY
                continue
            start = (n * ch) // n_ch
            stop = (n * (ch + 1)) // n_ch
            for i in range(start, stop):
                for c in range(k):
                    lp[c] = 0.0
                for j in range(d):
                    x = X[i, j]
                    if isnan(x):        # missing: marginalized (log_const_j drops too)
                        for c in range(k):
                            lp[c] += log_prec_t[j, c]
                        continue
                    for c in range(k):
                        dv = x - means_t[j, c]
                        lp[c] += dv * dv * prec_t[j, c]
                for c in range(k):
                    lp[c] = log_const[c] - 0.5 * lp[c]
                if _normalize_rows(lp, 1, k, &resp[i, 0], &log_norm[i]) != OK:
                    status[ch] = NOT_FINITE
                if want_stats:
                    for c in range(k):
                        lp[c] = lp[c] * weight[i]
                        part_nk[ch, c] += lp[c]
                    for j in range(d):
                        x = X[i, j]
                        psx = &part_sx[ch, j, 0]
                        psq = &part_sq[ch, j, 0]
                        if isnan(x):    # E[x_j | c] = mean, Var[x_j | c] = 1 / prec
                            for c in range(k):
                                psx[c] += lp[c] * means_t[j, c]
                                psq[c] += lp[c] / prec_t[j, c]
                            continue
                        for c in range(k):
                            dv = x - means_t[j, c]
                            rc = lp[c]
                            psx[c] += rc * x
                            psq[c] += rc * dv * dv
        free(lp)
    if want_stats:
        _merge(part_nk, np.transpose(part_sx, (0, 2, 1)), nk, sx)
        np.sum(np.transpose(part_sq, (0, 2, 1)), axis=0, out=np.asarray(sq))
    return _first_error(status)


def stats_full(
    const floating[:, ::1] X,              # IN (n, d)
    const double[::1] weight,              # IN (n,)
    const floating[:, ::1] resp,           # IN (n, k) responsibilities
    const floating[:, ::1] means,          # IN (k, d) centres of the scatter
    double[::1] nk,                        # OUT (k,)
    double[:, ::1] sx,                     # OUT (k, d)
    double[:, :, ::1] scatter,             # OUT (k, d, d)
    int n_threads,
):
    """The full-covariance statistics for given responsibilities (initialization)."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = resp.shape[1]
    cdef Py_ssize_t n_ch = n_chunks(n, k * d * d + k * d + k)
    cdef double[:, ::1] part_nk = np.zeros((n_ch, k))
    cdef double[:, :, ::1] part_sx = np.zeros((n_ch, k, d))
    cdef double[:, :, :, ::1] part_S = np.zeros((n_ch, k, d, d))
    cdef Py_ssize_t ch, blk, b0, start, stop, rows, i, c
    cdef int[::1] status = np.zeros(n_ch, dtype=np.intc)
    cdef floating* diff
    cdef floating* wdiff
    cdef floating* tmp
    cdef double* r
    cdef bint no_memory

    with nogil, parallel(num_threads=min(n_threads, n_ch)):
        diff = <floating*> malloc(BLOCK_ROWS * d * sizeof(floating))
        wdiff = <floating*> malloc(BLOCK_ROWS * d * sizeof(floating))
        tmp = <floating*> malloc(d * d * sizeof(floating))
        r = <double*> malloc(BLOCK_ROWS * k * sizeof(double))
        no_memory = diff == NULL or wdiff == NULL or tmp == NULL or r == NULL
        for ch in prange(n_ch, schedule="static"):
            if no_memory:
                status[ch] = NO_MEMORY
                continue
            start = (n * ch) // n_ch
            stop = (n * (ch + 1)) // n_ch
            for blk in range((stop - start + BLOCK_ROWS - 1) // BLOCK_ROWS):
                b0 = start + blk * BLOCK_ROWS
                rows = min(<Py_ssize_t> BLOCK_ROWS, stop - b0)
                for i in range(rows):
                    for c in range(k):
                        r[i * k + c] = resp[b0 + i, c]
                _scatter_full(&X[b0, 0], rows, d, k, r, &weight[b0], &means[0, 0],
                              diff, wdiff, tmp, &part_nk[ch, 0], &part_sx[ch, 0, 0],
                              &part_S[ch, 0, 0, 0])
        free(diff)
        free(wdiff)
        free(tmp)
        free(r)
    if _first_error(status) != OK:
        return NO_MEMORY
    _merge(part_nk, part_sx, nk, sx)
    np.sum(part_S, axis=0, out=np.asarray(scatter))
    return OK


def _merge(part_nk, part_sx, double[::1] nk, double[:, ::1] sx):
    """Sum the per-chunk partials in chunk order (np.sum's fixed pairwise order)."""
    np.sum(part_nk, axis=0, out=np.asarray(nk))
    np.sum(part_sx, axis=0, out=np.asarray(sx))


cdef int _first_error(const int[::1] status):
    """NO_MEMORY if any chunk had it (whichever thread failed), else the first error."""
    cdef Py_ssize_t i
    for i in range(status.shape[0]):
        if status[i] == NO_MEMORY:
            return NO_MEMORY
    for i in range(status.shape[0]):
        if status[i] != OK:
            return status[i]
    return OK
