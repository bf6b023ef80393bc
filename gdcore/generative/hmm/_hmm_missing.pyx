"""GaussianHMM with full or tied covariances on frames with NaN (missing values).

Per frame t with observed coordinates o and missing m, under state k (mean
mu_k, covariance S_k; Ghahramani & Jordan 1994):

- ``gaussian_missing_loglik``: log N(x_o; mu_o, S_oo), the marginal density
  of the observed coordinates, for every frame that has a NaN (complete
  frames keep what the blocked full-covariance kernel of _hmm_emissions
  wrote);
- ``gaussian_missing_stats``: the exact E-step moments given the state
  posteriors gamma (from forward-backward),

      obs_k   = sum_t gamma_tk x~_tk,
      outer_k = sum_t gamma_tk (x~_tk x~_tk^T + Cov[x_m | x_o, k] on (m, m)),

  with x~_tk = (x_o, E[x_m | x_o, k]), over all frames (a complete frame is
  its own x~).  Tied models pass their single covariance K times.

The per-frame work, a Cholesky of S_oo per state, is the GMM's
(_gaussian_missing.pxd, shared with _mixture_missing.pyx): O(K (|o|^3 / 3 +
|o|^2 |m| + |o| |m|^2)) per frame with a NaN, plus O(K d^2) for the moments,
whose completed rows go to one gemm per block of BLOCK_ROWS frames and
state.  When values are missing at random nearly every frame has its own
pattern, so grouping frames by pattern, as the NumPy twin
(gdcore/generative/hmm/_reference/hmm_missing.py) does with one Python
iteration per pattern, amounts to a Python loop per frame; ``gdcore bench
hmm`` times this kernel against that twin.

The moments are summed per row chunk (``_mixture.n_chunks``: a function of the
shape only) and the chunks merged in chunk order: the result does not
depend on the number of threads.  Status: 0, or ILL_DEFINED when some S_oo
is not numerically positive definite.  Call with BLAS held to one thread.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange

from gdcore.generative.mixture._gaussian_missing cimport (
    RowScratch, add_block_scatter, add_completed_row, conditional_row, scratch_alloc,
    scratch_free, split_row)

from gdcore.generative.hmm._hmm_core cimport NO_MEMORY
from gdcore.generative.mixture._mixture import n_chunks

cdef enum:
    OK = 0
    ILL_DEFINED = 1      # a state's observed block S_oo is not positive definite
    # Frames per moment gemm: K completed (64 x d) tiles stay in L2 for K d <= 512;
    # shorter blocks mean more, smaller gemms.  Measured by ``gdcore bench hmm``
    # (the GaussianHMM NaN cases).
    BLOCK_ROWS = 64
    # Frames per dynamic chunk of the likelihood loop: complete frames cost
    # nothing there, so a static split could give one thread all the work;
    # smaller grains balance better but cost more scheduling.
    LOGLIK_GRAIN = 64

STATUS_OK = OK
STATUS_ILL_DEFINED = ILL_DEFINED
STATUS_NO_MEMORY = NO_MEMORY


cdef inline bint scratch_ok(RowScratch* sc, bint blocks) noexcept nogil:
    """Whether every buffer of ``sc`` was allocated (D and WD only if ``blocks``)."""
    return (sc.obs != NULL and sc.mis != NULL and sc.xt != NULL and sc.z != NULL
            and sc.L != NULL and sc.W != NULL and sc.lp != NULL and sc.xm != NULL
            and sc.C != NULL and (not blocks or (sc.D != NULL and sc.WD != NULL)))


def gaussian_missing_loglik(
    const floating[:, ::1] X,          # IN (n, d); NaN = missing
    const double[:, ::1] means,        # IN (K, d)
    const double[:, :, ::1] covs,      # IN (K, d, d) covariance matrices
    double[:, ::1] out,                # OUT (n, K) log N(x_o; mu_o, S_oo), rows with NaN
    int n_threads,
):
    """Log-density of the observed coordinates of every frame with a NaN."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = means.shape[0]
    cdef Py_ssize_t i, k, n_o
    cdef int status = OK
    cdef RowScratch sc
    cdef bint have_scratch
    if n == 0:
        return OK
    with nogil, parallel(num_threads=n_threads):
        sc = scratch_alloc(d, K, 0)
        have_scratch = scratch_ok(&sc, False)
        for i in prange(n, schedule="dynamic", chunksize=LOGLIK_GRAIN):
            if not have_scratch:
                status |= NO_MEMORY
                continue
            n_o = split_row(&X[i, 0], d, sc.xt, sc.obs, sc.mis)
            if n_o == d:
                continue
            for k in range(K):
                # n_m = 0: the likelihood only (no conditional mean or covariance).
                if conditional_row(sc.xt, d, sc.obs, n_o, sc.mis, 0, &means[k, 0],
                                   &covs[k, 0, 0], 0.0, False, sc.L, sc.W, sc.z, &out[i, k],
                                   sc.xm, sc.C):
                    status |= ILL_DEFINED
        scratch_free(&sc)
    # NO_MEMORY first: the rows a thread skipped were not checked for ILL_DEFINED.
    return NO_MEMORY if status & NO_MEMORY else status


def gaussian_missing_stats(
    const floating[:, ::1] X,          # IN (n, d); NaN = missing
    const double[:, ::1] posteriors,   # IN (n, K) state posteriors gamma
    const double[:, ::1] means,        # IN (K, d)
    const double[:, :, ::1] covs,      # IN (K, d, d) covariance matrices
    double[:, ::1] obs_sum,            # OUT (K, d) sum_t gamma_tk x~_tk
    double[:, :, ::1] outer,           # OUT (K, d, d) expected sum_t gamma_tk x x^T
    bint want_outer,                   # False: outer is left alone
    int n_threads,
):
    """E-step moments of every frame, missing coordinates in expectation."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], K = means.shape[0]
    cdef Py_ssize_t n_ch = n_chunks(n, K * d * d + K * d)
    cdef double[:, :, ::1] part_obs = np.zeros((n_ch, K, d))
    cdef double[:, :, :, ::1] part_outer = np.zeros((n_ch if want_outer else 0, K, d, d))
    cdef double[::1] zero = np.zeros(d)
    cdef int[::1] status = np.zeros(n_ch, dtype=np.intc)
    cdef Py_ssize_t ch, blk, b0, rows, i, t, k, n_o, n_m, start, stop
    cdef RowScratch sc    # per thread; sc.lp[0] takes the unused log-density
    cdef double* S_part
    cdef bint have_scratch
    with nogil, parallel(num_threads=min(n_threads, n_ch)):
        sc = scratch_alloc(d, K, BLOCK_ROWS)
        have_scratch = scratch_ok(&sc, True)
        for ch in prange(n_ch, schedule="dynamic"):
            if not have_scratch:
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
                    for k in range(K):
                        if n_m > 0 and conditional_row(
                                sc.xt, d, sc.obs, n_o, sc.mis, n_m, &means[k, 0],
                                &covs[k, 0, 0], 0.0, want_outer, sc.L, sc.W, sc.z, sc.lp,
                                &sc.xm[k * d], &sc.C[k * d * d]):
                            status[ch] = ILL_DEFINED
                        S_part = &part_outer[ch, k, 0, 0] if want_outer else NULL
                        add_completed_row(sc.xt, d, sc.mis, n_m, &sc.xm[k * d],
                                          &sc.C[k * d * d], posteriors[i, k], &zero[0],
                                          &part_obs[ch, k, 0], &sc.D[(k * BLOCK_ROWS + t) * d],
                                          &sc.WD[(k * BLOCK_ROWS + t) * d], S_part)
                if want_outer:
                    for k in range(K):
                        add_block_scatter(<int> rows, <int> d, &sc.WD[k * BLOCK_ROWS * d],
                                          &sc.D[k * BLOCK_ROWS * d], &part_outer[ch, k, 0, 0])
        scratch_free(&sc)
    for ch in range(n_ch):
        if status[ch] != OK:
            return status[ch]
    np.sum(part_obs, axis=0, out=np.asarray(obs_sum))
    if want_outer:
        np.sum(part_outer, axis=0, out=np.asarray(outer))
    return OK
