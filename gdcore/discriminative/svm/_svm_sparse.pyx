"""K(X, SV) of CSR test rows against CSR support vectors (a sparse fit's predict).

Each test row is scattered once into a dense work vector of n_features (one
per thread), then its dot product with a support vector reads only the
vector's non-zeros: O(nnz(SV)) per test row, as libsvm's sparse dot, with
rbf through the squared norms.  Every entry is one row's sum in a fixed
order, so the answer does not depend on n_threads.  The NumPy twin is
``_reference.sparse_kernel_matrix``.
"""

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport exp, pow, tanh
from libc.stdlib cimport calloc, free

from gdcore.discriminative.svm._svm_state cimport LINEAR_K, POLY_K, RBF_K


cdef void kernel_of_row(const floating* data, const int* indices, const int* indptr, int i,
                        const floating* sv_data, const int* sv_indices, const int* sv_indptr,
                        int m, const double* sq_x, const double* sq_sv, int kernel,
                        double gamma, double coef0, int degree, floating* work,
                        double* out) noexcept nogil:
    """out[:m] = K(x_i, sv_k) for every support vector k (work is zero on entry and exit)."""
    cdef int q, k
    cdef double dot, d2
    for q in range(indptr[i], indptr[i + 1]):
        work[indices[q]] = data[q]
    for k in range(m):
        dot = 0.0
        for q in range(sv_indptr[k], sv_indptr[k + 1]):
            dot += <double> sv_data[q] * work[sv_indices[q]]
        if kernel == LINEAR_K:
            out[k] = dot
        elif kernel == POLY_K:
            out[k] = pow(gamma * dot + coef0, degree)
        elif kernel == RBF_K:
            # the norms may round |x - sv|^2 below zero for equal rows
            d2 = sq_x[i] + sq_sv[k] - 2.0 * dot
            out[k] = exp(-gamma * (d2 if d2 > 0.0 else 0.0))
        else:
            out[k] = tanh(gamma * dot + coef0)
    for q in range(indptr[i], indptr[i + 1]):
        work[indices[q]] = 0


def sparse_kernel_matrix(
    const floating[::1] data,      # IN CSR test rows: values, one padding value at
    const int[::1] indices,        # IN the end of both (nnz + 1,); their columns
    const int[::1] indptr,         # IN (n + 1,)
    const floating[::1] sv_data,   # IN CSR support vectors, the same layout
    const int[::1] sv_indices,
    const int[::1] sv_indptr,      # IN (m + 1,)
    const double[::1] sq_x,        # IN (n,) squared norms of the test rows (rbf)
    const double[::1] sq_sv,       # IN (m,) squared norms of the support vectors (rbf)
    int kernel, double gamma, double coef0, int degree,
    int n_features,                # IN every column index is below it
    double[:, ::1] out,            # OUT (n, m) kernel values
    int n_threads,
):
    """Fill out with K(X, SV); raises MemoryError when a work vector cannot be allocated."""
    cdef int n = indptr.shape[0] - 1, m = sv_indptr.shape[0] - 1, i, failed = 0
    cdef floating* work
    if out.shape[0] != n or out.shape[1] != m or sq_x.shape[0] < n or sq_sv.shape[0] < m:
        raise ValueError(f"out has shape {(out.shape[0], out.shape[1])}, expected {(n, m)}")
    if n == 0 or m == 0:
        return
    with nogil, parallel(num_threads=n_threads):
        work = <floating*> calloc(max(n_features, 1), sizeof(floating))
        for i in prange(n, schedule='static', chunksize=16):
            if work == NULL:
                failed += 1
            else:
                kernel_of_row(&data[0], &indices[0], &indptr[0], i, &sv_data[0],
                              &sv_indices[0], &sv_indptr[0], m, &sq_x[0], &sq_sv[0],
                              kernel, gamma, coef0, degree, work, &out[i, 0])
        free(work)
    if failed:
        raise MemoryError(f"Cannot allocate a work vector of {n_features} values.")
