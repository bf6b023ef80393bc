"""Decision values of a fitted kernel SVM: sum_s coef_rs K(x, sv_s) + intercept.

For n test rows and m support vectors of dimension d this is the product
K(X, SV) (n x m, O(n m d)) reduced against the dual coefficients.  It is
computed by tiles of ROW_BLOCK test rows x at most SV_BLOCK support vectors,
one tile of rows per OpenMP thread: a gemm gives the tile's dot products, one
vectorized pass turns them into kernel values (rbf through the squared
norms, as libsvm's k_function, with a polynomial exp), and a second gemm
reduces the tile against the coefficients, so K(X, SV) never exists in full
and every tile is reused from cache.

The support vectors are grouped (SVC: by class, libsvm's layout; SVR and
binary SVC: one group).  Row r of ``coef`` over group g's columns adds into
output column out_col[g, r]: for one-vs-one SVC, class c's vectors serve the
k - 1 pairs (c, o), with dual_coef_ row o (o < c) or o - 1 (o > c), so the
kernel values of class c's vectors are computed once for all k - 1 pairs
(libsvm computes them once too; the k(k-1)/2 pair products are then one
small gemm per tile and class).

Tiles are fixed by the problem (never by the thread count) and each tile's
sums run in the same order on any thread, so the answer does not depend on
n_threads.  The NumPy twin is ``_reference.decision_values``.
"""

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport pow, tanh
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport BLAS_INT_MAX, blas_dims_fit, gemm
from gdcore.discriminative.svm._svm_simd cimport gd_rbf_predict_row_d, gd_rbf_predict_row_f
from gdcore.discriminative.svm._svm_state cimport LINEAR_K, POLY_K, RBF_K

cdef enum:
    # Test rows per tile: one tile per task of the prange, so n / ROW_BLOCK
    # tasks balance two to a few threads on the 4,000-row case, while the
    # tile's kernel values (ROW_BLOCK x SV_BLOCK doubles, 256 KB) stay in a
    # core's L2 between the gemm that writes them and the one that reduces
    # them.  Measured by `gdcore bench svm` (SVC rbf predict, 20000x50 hard
    # and digits).
    ROW_BLOCK = 64
    SV_BLOCK = 512
    OK_STATUS = 0
    MEMORY_STATUS = 1


cdef void transform(int kernel, double gamma, double coef0, int degree,
                    const floating* dots, const double* sq_x, const double* sq_sv,
                    int rows, int cols, double* out) noexcept nogil:
    """out = K from the tile's dot products (rows x cols, both row-major)."""
    cdef Py_ssize_t i, k, at
    for i in range(rows):
        at = i * cols
        if kernel == RBF_K:
            if floating is float:
                gd_rbf_predict_row_f(dots + at, sq_sv, sq_x[i], gamma, cols, out + at)
            else:
                gd_rbf_predict_row_d(dots + at, sq_sv, sq_x[i], gamma, cols, out + at)
        elif kernel == LINEAR_K:
            for k in range(cols):
                out[at + k] = dots[at + k]
        elif kernel == POLY_K:
            for k in range(cols):
                out[at + k] = pow(gamma * dots[at + k] + coef0, degree)
        else:
            for k in range(cols):
                out[at + k] = tanh(gamma * dots[at + k] + coef0)


cdef void tile_rows(const floating* X, int d, const floating* SV, int m,
                    const double* sv_sq, int kernel, double gamma, double coef0, int degree,
                    const double* coef, int n_coef, const int* group_ptr, int n_groups,
                    const int* out_col, const double* intercept, int n_out,
                    int lo, int hi, floating* dots, double* K, double* acc, double* sq_x,
                    double* out) noexcept nogil:
    """Decision values of test rows lo:hi (at most ROW_BLOCK) into out."""
    cdef int rows = hi - lo, g, c0, c1, cols, i, r, k
    cdef const floating* Xb = X + <Py_ssize_t> lo * d
    cdef double s
    for i in range(rows):
        s = 0.0
        for k in range(d):
            s = s + <double> Xb[<Py_ssize_t> i * d + k] * Xb[<Py_ssize_t> i * d + k]
        sq_x[i] = s
        for r in range(n_out):
            out[<Py_ssize_t> (lo + i) * n_out + r] = intercept[r]
    for g in range(n_groups):
        if group_ptr[g + 1] == group_ptr[g]:
            continue
        # acc (rows x n_coef) sums the group's columns, tile by tile
        c0 = group_ptr[g]
        while c0 < group_ptr[g + 1]:
            c1 = min(c0 + SV_BLOCK, group_ptr[g + 1])
            cols = c1 - c0
            gemm(False, True, rows, cols, d, <floating> 1.0, Xb, d,
                 SV + <Py_ssize_t> c0 * d, d, <floating> 0.0, dots, cols)
            if floating is double and kernel == LINEAR_K:
                K = <double*> dots   # the dot products are the kernel values
            else:
                transform(kernel, gamma, coef0, degree, dots, sq_x, sv_sq + c0, rows, cols, K)
            gemm(False, True, rows, n_coef, cols, 1.0, K, cols, coef + c0, m,
                 0.0 if c0 == group_ptr[g] else 1.0, acc, n_coef)
            c0 = c1
        for i in range(rows):
            for r in range(n_coef):
                out[<Py_ssize_t> (lo + i) * n_out + out_col[g * n_coef + r]] += acc[i * n_coef + r]


def decision_values(
    const floating[:, ::1] X,     # IN (n, d) test rows
    const floating[:, ::1] SV,    # IN (m, d) support vectors, grouped
    const double[::1] sv_sq,      # IN (m,) their squared norms (rbf; any values otherwise)
    int kernel,                   # IN LINEAR, POLY, RBF or SIGMOID (_svm's codes)
    double gamma, double coef0, int degree,
    const double[:, ::1] coef,    # IN (n_coef, m) dual coefficients
    const int[::1] group_ptr,     # IN (n_groups + 1,) group g's columns: group_ptr[g]:[g + 1]
    const int[:, ::1] out_col,    # IN (n_groups, n_coef) output column of each coef row
    const double[::1] intercept,  # IN (n_out,)
    double[:, ::1] out,           # OUT (n, n_out)
    int n_threads,
):
    """out[i, out_col[g, r]] += sum over group g's s of coef[r, s] K(X_i, SV_s), plus intercept.

    Callers hold BLAS to one thread (single_threaded_blas): the gemms run
    inside the OpenMP region.  Raises MemoryError if a thread's tile
    buffers cannot be allocated.
    """
    cdef int n = X.shape[0], d = X.shape[1], m = SV.shape[0]
    cdef int n_coef = coef.shape[0], n_groups = group_ptr.shape[0] - 1
    cdef int n_out = out.shape[1], n_blocks, b, i, status = OK_STATUS
    cdef int* status_out = &status
    cdef floating* dots
    cdef double* K
    cdef double* acc
    cdef double* sq_x
    cdef floating* Xp
    cdef floating* SVp
    if not blas_dims_fit(n, m, d):
        raise ValueError(f"decision_values takes at most {BLAS_INT_MAX} rows, support "
                         f"vectors and features; predict on fewer rows at a time.")
    if SV.shape[1] != d or coef.shape[1] != m or sv_sq.shape[0] != m:
        raise ValueError(f"inconsistent shapes: X {(n, d)}, SV {(m, SV.shape[1])}, coef "
                         f"{(n_coef, coef.shape[1])}, sv_sq {sv_sq.shape[0]}")
    if out.shape[0] != n or intercept.shape[0] != n_out or out_col.shape[0] != n_groups \
            or out_col.shape[1] != n_coef or group_ptr[n_groups] != m:
        raise ValueError("inconsistent out, intercept, out_col or group_ptr")
    if m == 0:
        for b in range(n):
            for i in range(n_out):
                out[b, i] = intercept[i]
    if n == 0 or m == 0:
        return
    n_blocks = (n + ROW_BLOCK - 1) // ROW_BLOCK
    Xp, SVp = <floating*> &X[0, 0], <floating*> &SV[0, 0]
    with nogil, parallel(num_threads=min(n_threads, n_blocks)):
        dots = <floating*> malloc(ROW_BLOCK * SV_BLOCK * sizeof(floating))
        K = <double*> malloc(ROW_BLOCK * SV_BLOCK * sizeof(double))
        acc = <double*> malloc(ROW_BLOCK * max(n_coef, 1) * sizeof(double))
        sq_x = <double*> malloc(ROW_BLOCK * sizeof(double))
        # Every thread enters the prange (a worksharing loop all must reach);
        # one without buffers skips its tiles and reports.
        for b in prange(n_blocks, schedule='dynamic'):
            if dots == NULL or K == NULL or acc == NULL or sq_x == NULL:
                status_out[0] = MEMORY_STATUS   # only ever this value: no race on it
            else:
                tile_rows(Xp, d, SVp, m, &sv_sq[0], kernel, gamma, coef0, degree,
                          &coef[0, 0], n_coef, &group_ptr[0], n_groups, &out_col[0, 0],
                          &intercept[0], n_out, b * ROW_BLOCK, min(n, (b + 1) * ROW_BLOCK),
                          dots, K, acc, sq_x, &out[0, 0])
        free(dots)
        free(K)
        free(acc)
        free(sq_x)
    if status == MEMORY_STATUS:
        raise MemoryError("Cannot allocate the SVM prediction's tile buffers.")
