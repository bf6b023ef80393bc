"""Exact E-step of a full-covariance Gaussian mixture for rows with NaN.

A row with observed coordinates o and missing ones m has, under component c
(mean mu, covariance S; Ghahramani & Jordan 1994):

    log p(x_o | c)    = -1/2 |L^-1 (x_o - mu_o)|^2 - log det L - |o|/2 log 2pi,
                        with L L^T = S_oo (the marginal: S_mm drops out)
    E[x_m | x_o, c]   = mu_m + S_mo S_oo^-1 (x_o - mu_o)
    Cov[x_m | x_o, c] = S_mm - W^T W,          W = L^-1 S_om

and the M-step's statistics take the completed row x~ = (x_o, E[x_m | x_o, c])
plus the conditional covariance on the (m, m) block of the scatter, so EM
still climbs the observed-data likelihood.

Every row has its own pattern in the worst case (values missing at random),
so the work is per row: a Cholesky of the |o| x |o| block per component,
O(k (|o|^3 / 3 + |o|^2 |m| + |o| |m|^2)) per row, plus O(k d^2) for the
scatter.  The NumPy twin groups rows by pattern and batches over
components, one Python iteration per pattern, which with values missing at
random is nearly one per row; this kernel does the per-row work compiled and
parallel over rows.  The per-row routines are shared with the GaussianHMM's
kernel, whose NaN case in ``gdcore bench hmm`` times them against the twin.
Tied models pass their single covariance k times and the tied centre as
every component's centre.

The factorization and solves go to LAPACK/BLAS (dpotrf, dtrsv, and dgemm
for W^T W); the scatter of the completed rows, sum_i r_ic w_i D_ic D_ic^T,
is one gemm per block of BLOCK_ROWS rows and component (these per-row and
per-block routines live in _gaussian_missing.pxd, shared with the
GaussianHMM's kernel _hmm_missing.pyx).  Rows are cut into
chunks that depend on the shape only (``_mixture.n_chunks``); each chunk
accumulates its own partial statistics, merged in chunk order, so the result
does not depend on the number of threads.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange

from gdcore.generative.mixture._gaussian_missing cimport (
    RowScratch, add_block_scatter, add_completed_row, conditional_row, scratch_alloc,
    scratch_failed, scratch_free, split_row)
from gdcore._cy._math cimport exp_or_zero, is_finite, logsumexp_row

from gdcore.generative.mixture._mixture import n_chunks

cdef enum:
    OK = 0
    NOT_FINITE = 1       # a row's log-likelihood is inf or NaN (inf in X, bad parameters)
    ILL_DEFINED = 2      # a component's observed block S_oo is not positive definite
    NO_MEMORY = 3        # a thread's scratch buffers could not be allocated

    # Rows per scatter gemm: k completed (64 x d) tiles stay in L2 for k d <= 512;
    # shorter blocks mean more, smaller gemms.  No ``gdcore bench`` case runs
    # this kernel; the same block size in _hmm_missing.pyx is measured by
    # ``gdcore bench hmm``.
    BLOCK_ROWS = 64

STATUS_OK = OK
STATUS_NOT_FINITE = NOT_FINITE
STATUS_ILL_DEFINED = ILL_DEFINED
STATUS_NO_MEMORY = NO_MEMORY


def estep_missing(
    const floating[:, ::1] X,          # IN (n, d); NaN = missing
    const double[::1] weight,          # IN (n,) sample weights (statistics only)
    const double[::1] log_w,           # IN (k,) log mixing weights
    const double[:, ::1] means,        # IN (k, d)
    const double[:, :, ::1] covs,      # IN (k, d, d) covariance matrices
    const double[:, ::1] centres,      # IN (k, d) centres of the scatter
    double[:, ::1] resp,               # OUT (n, k) P(c | x_o)
    double[::1] log_norm,              # OUT (n,) log p(x_o)
    double[:, ::1] filled,             # OUT (n, d) x_m <- E[x_m | x_o] (if want_fill)
    double[::1] nk,                    # OUT (k,) sum_i w_i r_ic
    double[:, ::1] sx,                 # OUT (k, d) sum_i w_i r_ic x~_ic
    double[:, :, ::1] scatter,         # OUT (k, d, d) completed scatter around centres
    bint want_stats,
    bint want_fill,
    int n_threads,
):
    """E-step, statistics and imputation for rows with missing values.

    Call with BLAS held to one thread.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = log_w.shape[0]
    cdef Py_ssize_t n_ch = n_chunks(n, k * d * d + k * d + k)
    cdef Py_ssize_t n_part = n_ch if want_stats else 0
    cdef double[:, ::1] part_nk = np.zeros((n_part, k))
    cdef double[:, :, ::1] part_sx = np.zeros((n_part, k, d))
    cdef double[:, :, :, ::1] part_S = np.zeros((n_part, k, d, d))
    cdef int[::1] status = np.zeros(max(n_ch, 1), dtype=np.intc)
    cdef Py_ssize_t ch, blk, b0, rows, i, t, j, b, c, n_o, n_m, start, stop
    cdef RowScratch sc    # per thread; D, WD: the block's completed rows, weighted by r_ic w_i
    cdef double r, rw, lse
    cdef bint no_memory

    if n == 0:
        nk[:] = 0.0
        sx[:, :] = 0.0
        scatter[:, :, :] = 0.0
        return OK
    with nogil, parallel(num_threads=min(n_threads, n_ch)):
        sc = scratch_alloc(d, k, BLOCK_ROWS)
        no_memory = scratch_failed(&sc)
        for ch in prange(n_ch, schedule="static"):
            if no_memory:
                status[ch] = NO_MEMORY
                continue
            start = (n * ch) // n_ch
            stop = (n * (ch + 1)) // n_ch
            for blk in range((stop - start + BLOCK_ROWS - 1) // BLOCK_ROWS):
                b0 = start + blk * BLOCK_ROWS
                rows = min(<Py_ssize_t> BLOCK_ROWS, stop - b0)
                for t in range(rows):
                    i = b0 + t
                    n_o = split_row(&X[i, 0], d, sc.xt, sc.obs, sc.mis)
                    n_m = d - n_o
                    for c in range(k):
                        if conditional_row(sc.xt, d, sc.obs, n_o, sc.mis, n_m, &means[c, 0],
                                           &covs[c, 0, 0], log_w[c], want_stats, sc.L, sc.W,
                                           sc.z, &sc.lp[c], &sc.xm[c * d], &sc.C[c * d * d]):
                            status[ch] = ILL_DEFINED
                    lse = logsumexp_row(sc.lp, k)
                    log_norm[i] = lse
                    if not is_finite(lse) and status[ch] == OK:
                        status[ch] = NOT_FINITE
                    for c in range(k):
                        sc.lp[c] = exp_or_zero(sc.lp[c] - lse)
                        resp[i, c] = sc.lp[c]
                    if want_fill:
                        for j in range(d):
                            filled[i, j] = sc.xt[j]
                        for b in range(n_m):
                            r = 0.0
                            for c in range(k):
                                r = r + sc.lp[c] * sc.xm[c * d + b]
                            filled[i, sc.mis[b]] = r
                    if not want_stats:
                        continue
                    for c in range(k):
                        rw = sc.lp[c] * weight[i]
                        part_nk[ch, c] += rw
                        add_completed_row(sc.xt, d, sc.mis, n_m, &sc.xm[c * d],
                                          &sc.C[c * d * d], rw, &centres[c, 0], &part_sx[ch, c, 0],
                                          &sc.D[(c * BLOCK_ROWS + t) * d],
                                          &sc.WD[(c * BLOCK_ROWS + t) * d], &part_S[ch, c, 0, 0])
                if not want_stats:
                    continue
                for c in range(k):
                    add_block_scatter(<int> rows, <int> d, &sc.WD[c * BLOCK_ROWS * d],
                                      &sc.D[c * BLOCK_ROWS * d], &part_S[ch, c, 0, 0])
        scratch_free(&sc)
    for ch in range(n_ch):
        if status[ch] == NO_MEMORY:
            return NO_MEMORY
    for ch in range(n_ch):
        if status[ch] != OK:
            return status[ch]
    if want_stats:
        np.sum(part_nk, axis=0, out=np.asarray(nk))
        np.sum(part_sx, axis=0, out=np.asarray(sx))
        np.sum(part_S, axis=0, out=np.asarray(scatter))
    return OK
