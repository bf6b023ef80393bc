# One row with missing values under one Gaussian: the per-row routines shared
# by the GMM's missing-data E-step (_mixture_missing.pyx) and the GaussianHMM's
# (_hmm_missing.pyx).  Both kernels cut rows into blocks, call
# ``split_row`` and ``conditional_row`` per row and component/state, add each
# completed row with ``add_completed_row`` and flush a block's scatter with
# ``add_block_scatter``; they differ only in where the row weights come from
# (the GMM's own responsibilities, the HMM's state posteriors).
#
# For observed coordinates o and missing m, under mean mu and covariance S
# (Ghahramani & Jordan 1994), with L L^T = S_oo:
#     log p(x_o)        = -1/2 |L^-1 (x_o - mu_o)|^2 - log det L - |o|/2 log 2 pi
#     E[x_m | x_o]      = mu_m + S_mo S_oo^-1 (x_o - mu_o)
#     Cov[x_m | x_o]    = S_mm - W^T W,          W = L^-1 S_om
# A Cholesky of the |o| x |o| block per row and component:
# O(|o|^3 / 3 + |o|^2 |m| + |o| |m|^2) per row.
from libc.math cimport M_PI, isnan, log
from libc.stdlib cimport free, malloc
from cython cimport floating
from scipy.linalg.cython_blas cimport dtrsv
from scipy.linalg.cython_lapack cimport dpotrf

from gdcore._cy._blas cimport gemm


cdef struct RowScratch:
    # One thread's buffers, for rows of d values under k components/states.
    Py_ssize_t* obs   # (d,) observed coordinates of the row
    Py_ssize_t* mis   # (d,) missing coordinates
    double* xt        # (d,) the row as double, then completed
    double* z         # (d,)
    double* L         # (d, d) Cholesky factor of S_oo
    double* W         # (d, d) L^-1 S_om
    double* lp        # (k,) log-densities
    double* xm        # (k, d) conditional means of the missing block
    double* C         # (k, d, d) conditional covariances
    double* D         # (k, block_rows, d) completed rows minus centres
    double* WD        # (k, block_rows, d) the same times the row weights


cdef inline void* _malloc_some(size_t n_bytes) noexcept nogil:
    # At least one byte: malloc(0) may return NULL, which would read as a failure.
    return malloc(n_bytes if n_bytes > 0 else 1)


cdef inline RowScratch scratch_alloc(Py_ssize_t d, Py_ssize_t k,
                                     Py_ssize_t block_rows) noexcept nogil:
    """One thread's buffers; check ``scratch_failed`` before using them."""
    cdef RowScratch sc
    sc.obs = <Py_ssize_t*> _malloc_some(d * sizeof(Py_ssize_t))
    sc.mis = <Py_ssize_t*> _malloc_some(d * sizeof(Py_ssize_t))
    sc.xt = <double*> _malloc_some(d * sizeof(double))
    sc.z = <double*> _malloc_some(d * sizeof(double))
    sc.L = <double*> _malloc_some(d * d * sizeof(double))
    sc.W = <double*> _malloc_some(d * d * sizeof(double))
    sc.lp = <double*> _malloc_some(k * sizeof(double))
    sc.xm = <double*> _malloc_some(k * d * sizeof(double))
    sc.C = <double*> _malloc_some(k * d * d * sizeof(double))
    sc.D = <double*> _malloc_some(k * block_rows * d * sizeof(double))
    sc.WD = <double*> _malloc_some(k * block_rows * d * sizeof(double))
    return sc


cdef inline bint scratch_failed(const RowScratch* sc) noexcept nogil:
    """True when one of the buffers could not be allocated (malloc gave NULL).

    Kernels call it right after ``scratch_alloc`` inside their parallel
    region, turn a failure into a status code (no row is computed by that
    thread) and raise MemoryError with the GIL; ``scratch_free`` is safe on
    a partly allocated scratch.
    """
    return (sc.obs == NULL or sc.mis == NULL or sc.xt == NULL or sc.z == NULL
            or sc.L == NULL or sc.W == NULL or sc.lp == NULL or sc.xm == NULL
            or sc.C == NULL or sc.D == NULL or sc.WD == NULL)


cdef inline void scratch_free(RowScratch* sc) noexcept nogil:
    free(sc.obs)
    free(sc.mis)
    free(sc.xt)
    free(sc.z)
    free(sc.L)
    free(sc.W)
    free(sc.lp)
    free(sc.xm)
    free(sc.C)
    free(sc.D)
    free(sc.WD)


cdef inline void trsv_lower(char trans, int n, const double* L, double* b,
                            int stride) noexcept nogil:
    """b <- L^-1 b (trans 'T') or L^-T b (trans 'N'), for the row-major lower
    factor L, which BLAS reads column-major as the upper factor U = L^T."""
    cdef char uplo = b'U', diag = b'N'
    dtrsv(&uplo, &trans, &diag, &n, <double*> L, &n, b, &stride)


cdef inline Py_ssize_t split_row(const floating* x, Py_ssize_t d, double* xt,
                                 Py_ssize_t* obs, Py_ssize_t* mis) noexcept nogil:
    """xt = x as double; obs / mis the observed / NaN coordinates.  Returns the
    number observed, n_o (mis holds d - n_o).  Returned, not written through a
    pointer: Cython makes a prange variable private only where it is assigned."""
    cdef Py_ssize_t j, n_o = 0, n_m = 0
    for j in range(d):
        xt[j] = x[j]
        if isnan(xt[j]):
            mis[n_m] = j
            n_m += 1
        else:
            obs[n_o] = j
            n_o += 1
    return n_o


cdef inline int conditional_row(const double* x, Py_ssize_t d, const Py_ssize_t* obs,
                                Py_ssize_t n_o, const Py_ssize_t* mis, Py_ssize_t n_m,
                                const double* mu, const double* S, double log_w,
                                bint want_cov, double* L, double* W, double* z,
                                double* lp, double* xm, double* C) noexcept nogil:
    """One row under one Gaussian: log_w + log p(x_o) in lp, E[x_m | x_o] in
    xm (n_m), and Cov[x_m | x_o] in C (n_m x n_m) if want_cov.  Pass n_m = 0
    for the likelihood alone.  L, W (d x d) and z (d) are scratch.

    Returns 0, or 1 when S_oo is not (numerically) positive definite.
    """
    cdef Py_ssize_t a, b
    cdef double s, log_det = 0.0, maha = 0.0
    cdef int info = 0, no = <int> n_o, nm = <int> n_m
    cdef char uplo = b'U'
    for a in range(n_o):
        z[a] = x[obs[a]] - mu[obs[a]]
        for b in range(a + 1):
            L[a * n_o + b] = S[obs[a] * d + obs[b]]
    if n_o > 0:
        dpotrf(&uplo, &no, L, &no, &info)    # row-major lower = column-major upper
        if info != 0:
            return 1
        trsv_lower(b'T', no, L, z, 1)        # z = L^-1 (x_o - mu_o)
    for a in range(n_o):
        maha += z[a] * z[a]
        log_det += log(L[a * n_o + a])
    lp[0] = log_w - log_det - 0.5 * n_o * log(2.0 * M_PI) - 0.5 * maha
    if n_m == 0:
        return 0
    if n_o > 0:
        trsv_lower(b'N', no, L, z, 1)        # z = S_oo^-1 (x_o - mu_o)
    for b in range(n_m):
        s = mu[mis[b]]
        for a in range(n_o):
            s += S[mis[b] * d + obs[a]] * z[a]
        xm[b] = s
    if not want_cov:
        return 0
    for a in range(n_m):
        for b in range(n_m):
            C[a * n_m + b] = S[mis[a] * d + mis[b]]
    if n_o == 0:
        return 0
    for a in range(n_o):                     # W = L^-1 S_om, column by column
        for b in range(n_m):
            W[a * n_m + b] = S[obs[a] * d + mis[b]]
    for b in range(n_m):
        trsv_lower(b'T', no, L, &W[b], nm)
    gemm(True, False, nm, nm, no, -1.0, W, nm, W, nm, 1.0, C, nm)   # C -= W^T W
    return 0


cdef inline void add_completed_row(double* xt, Py_ssize_t d, const Py_ssize_t* mis,
                                   Py_ssize_t n_m, const double* xm, const double* C,
                                   double rw, const double* centre, double* sx,
                                   double* D, double* WD, double* S) noexcept nogil:
    """Weight rw times the completed row x~ = (x_o, xm): sx += rw x~; the row's
    D = x~ - centre and WD = rw D for the block's scatter gemm; S (d x d) +=
    rw C on the missing block unless S is NULL (no second moments wanted).
    Overwrites xt's missing entries with xm."""
    cdef Py_ssize_t a, b, j
    for b in range(n_m):
        xt[mis[b]] = xm[b]
    for j in range(d):
        sx[j] += rw * xt[j]
        D[j] = xt[j] - centre[j]
        WD[j] = rw * D[j]
    if S == NULL:
        return
    for a in range(n_m):
        for b in range(n_m):
            S[mis[a] * d + mis[b]] += rw * C[a * n_m + b]


cdef inline void add_block_scatter(int rows, int d, const double* WD, const double* D,
                                   double* S) noexcept nogil:
    """S (d x d) += WD^T D over a block of ``rows`` completed rows: one gemm."""
    gemm(True, False, d, d, rows, 1.0, WD, d, D, d, 1.0, S, d)
