"""Exact k-nearest-neighbour search on sparse CSR rows (squared Euclidean, cosine).

The text-search case: TF-IDF rows with a few dozen non-zeros among tens of
thousands of columns.  Per query x (queries spread over threads with prange):

1. Dot products with every database row through the database's columns
   (its CSC copy, an inverted index): for each non-zero x_l, the rows that
   have column l get x_l * y_jl added to a dense accumulator of n doubles.
   Work is the sum of the query's columns' lengths, not n * d.
2. One pass over the n rows forms a reduced distance, ||y_j||^2 - 2 x.y_j
   (||x||^2 is common to all), or -x.y_j / (||x|| ||y_j||) for cosine, resets
   the accumulator, and keeps the kc = k + slack best in a heap (a value
   above the heap's root costs one comparison).
3. The kc candidates' distances are recomputed exactly, by merging the two
   sorted rows in double, sorted by (distance, row), and verified as in the
   dense kernel (``_neighbors.pyx``): a dot product of m terms errs by at
   most gamma_m ||x|| ||y|| (Higham, eq. 3.5), so if the k-th exact reduced
   distance is below the largest held value minus that bound (the norms
   carry the same kind of error), no other row
   can be closer; otherwise (rare) that query is rescanned exactly.

Ties are broken by row index and each query's scan visits the rows in order,
so the result does not depend on the number of threads.  Rows must be in
canonical CSR form (sorted column indices, no duplicates).  NumPy twin:
``_reference.kneighbors_csr``.  Returns a status code (0 = ok).
"""

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport sqrt
from libc.stdlib cimport calloc, free, malloc

from gdcore.discriminative.neighbors._neighbors_select cimport (
    _heap_init, _heap_offer, _heap_sort,
)

cdef enum:
    OK = 0
    OUT_OF_MEMORY = 1
    SQEUCLIDEAN = 0
    COSINE = 1
    # Queries handed to a thread at a time: each costs a pass over n rows,
    # so small batches balance the threads without measurable overhead.
    QUERY_BATCH = 4


cdef inline double _merge(int metric, const floating* a, const int* ja, Py_ssize_t na,
                          const floating* b, const int* jb, Py_ssize_t nb) noexcept nogil:
    """Exact squared distance, or x.y for cosine, of two sorted sparse rows."""
    cdef Py_ssize_t s = 0, t = 0
    cdef double acc = 0.0, diff
    while s < na and t < nb:
        if ja[s] == jb[t]:
            if metric == SQEUCLIDEAN:
                diff = <double> a[s] - <double> b[t]
                acc += diff * diff
            else:
                acc += <double> a[s] * b[t]
            s += 1
            t += 1
        elif ja[s] < jb[t]:
            if metric == SQEUCLIDEAN:
                acc += <double> a[s] * a[s]
            s += 1
        else:
            if metric == SQEUCLIDEAN:
                acc += <double> b[t] * b[t]
            t += 1
    if metric == SQEUCLIDEAN:
        while s < na:
            acc += <double> a[s] * a[s]
            s += 1
        while t < nb:
            acc += <double> b[t] * b[t]
            t += 1
    return acc


cdef inline double _exact(int metric, const floating* a, const int* ja, Py_ssize_t na,
                          double nx, const floating* b, const int* jb, Py_ssize_t nb,
                          double ny) noexcept nogil:
    """The exact distance: squared Euclidean, or 1 - cos clipped to [0, 2]
    (1 when either row is zero, scikit-learn's rule)."""
    cdef double c
    if metric == SQEUCLIDEAN:
        return _merge(metric, a, ja, na, b, jb, nb)
    if nx == 0.0 or ny == 0.0:
        return 1.0
    c = 1.0 - _merge(metric, a, ja, na, b, jb, nb) / (sqrt(nx) * sqrt(ny))
    return min(2.0, max(0.0, c))


def kneighbors_csr(
    const floating[::1] q_data,       # IN queries, CSR (canonical)
    const int[::1] q_indices,
    const int[::1] q_indptr,
    const floating[::1] y_data,       # IN database, CSR (canonical)
    const int[::1] y_indices,
    const int[::1] y_indptr,
    const floating[::1] c_data,       # IN database, CSC: its columns
    const int[::1] c_rows,
    const int[::1] c_indptr,
    const double[::1] y_sqnorms,      # IN (n,) squared norms of the database rows
    int metric,                       # SQEUCLIDEAN or COSINE
    bint exclude_self,                # query i is database row i: never its own neighbour
    floating[:, ::1] dist,            # OUT (n_q, k) squared Euclidean / cosine distances
    Py_ssize_t[:, ::1] ind,           # OUT (n_q, k) database rows, nearest first
    int n_threads,
):
    """The k nearest database rows of each sparse query, exactly (see the module)."""
    cdef Py_ssize_t nq = q_indptr.shape[0] - 1, n = y_indptr.shape[0] - 1
    cdef Py_ssize_t k = dist.shape[1]
    cdef Py_ssize_t kc = min(n - exclude_self, k + max(8, k // 8))
    cdef Py_ssize_t n_batches = (nq + QUERY_BATCH - 1) // QUERY_BATCH
    cdef double u = 1.12e-16, max_ny = 0.0
    cdef Py_ssize_t max_nnz = 0   # the most non-zeros in a database row
    cdef int status = OK
    cdef int* failed = &status   # shared: written by a thread whose malloc failed
    cdef double* inv_ny = <double*> malloc(max(1, n) * sizeof(double))
    cdef double* acc
    cdef double* hd
    cdef Py_ssize_t* hi
    cdef Py_ssize_t bt, q, j, t, p, col
    cdef double nx, inx, v, root, delta, off, xl
    if inv_ny == NULL:
        return OUT_OF_MEMORY
    for j in range(n):
        max_ny = max(max_ny, y_sqnorms[j])
        max_nnz = max(max_nnz, y_indptr[j + 1] - y_indptr[j])
        inv_ny[j] = 1.0 / sqrt(y_sqnorms[j]) if y_sqnorms[j] > 0 else 0.0

    with nogil, parallel(num_threads=n_threads):
        acc = <double*> calloc(max(1, n), sizeof(double))
        hd = <double*> malloc(kc * sizeof(double))
        hi = <Py_ssize_t*> malloc(kc * sizeof(Py_ssize_t))
        if acc == NULL or hd == NULL or hi == NULL:
            failed[0] = OUT_OF_MEMORY
        else:
            for bt in prange(n_batches, schedule="dynamic"):
                for q in range(bt * QUERY_BATCH, min(nq, (bt + 1) * QUERY_BATCH)):
                    nx = 0.0
                    for p in range(q_indptr[q], q_indptr[q + 1]):
                        xl = q_data[p]
                        nx = nx + xl * xl
                        col = q_indices[p]
                        for t in range(c_indptr[col], c_indptr[col + 1]):
                            acc[c_rows[t]] += xl * c_data[t]
                    inx = 1.0 / sqrt(nx) if nx > 0 else 0.0
                    _heap_init(hd, hi, kc, n)
                    for j in range(n):
                        if metric == SQEUCLIDEAN:
                            v = y_sqnorms[j] - 2.0 * acc[j]
                        else:
                            v = -acc[j] * inv_ny[j] * inx
                        acc[j] = 0.0
                        if v <= hd[0] and j != (q if exclude_self else -1):
                            _heap_offer(hd, hi, kc, v, j)
                    root = hd[0]
                    for t in range(kc):
                        j = hi[t]
                        hd[t] = _exact(metric, &q_data[0] + q_indptr[q],
                                       &q_indices[0] + q_indptr[q],
                                       q_indptr[q + 1] - q_indptr[q], nx,
                                       &y_data[0] + y_indptr[j], &y_indices[0] + y_indptr[j],
                                       y_indptr[j + 1] - y_indptr[j], y_sqnorms[j])
                    _heap_sort(hd, hi, kc)
                    if kc < n - exclude_self:
                        off = nx if metric == SQEUCLIDEAN else 1.0
                        # Terms in a dot product or a norm: at most both rows'.
                        delta = (2.0 * (q_indptr[q + 1] - q_indptr[q] + max_nnz) + 8.0) * u * (
                            (nx + max_ny) if metric == SQEUCLIDEAN else 2.0)
                        if not (hd[k - 1] - off < root - delta):
                            _exact_scan(metric, q_data, q_indices, q_indptr, q, nx,
                                        y_data, y_indices, y_indptr, y_sqnorms,
                                        q if exclude_self else -1, hd, hi, k)
                    for t in range(k):
                        dist[q, t] = <floating> hd[t]
                        ind[q, t] = hi[t]
        free(acc)
        free(hd)
        free(hi)
    free(inv_ny)
    return status


cdef void _exact_scan(int metric, const floating[::1] q_data, const int[::1] q_indices,
                      const int[::1] q_indptr, Py_ssize_t q, double nx,
                      const floating[::1] y_data, const int[::1] y_indices,
                      const int[::1] y_indptr, const double[::1] y_sqnorms,
                      Py_ssize_t skip, double* hd, Py_ssize_t* hi,
                      Py_ssize_t k) noexcept nogil:
    """Every database row against query q, exactly, into a heap of k (then sorted)."""
    cdef Py_ssize_t n = y_indptr.shape[0] - 1, j
    _heap_init(hd, hi, k, n)
    for j in range(n):
        if j != skip:
            _heap_offer(hd, hi, k,
                        _exact(metric, &q_data[0] + q_indptr[q], &q_indices[0] + q_indptr[q],
                               q_indptr[q + 1] - q_indptr[q], nx,
                               &y_data[0] + y_indptr[j], &y_indices[0] + y_indptr[j],
                               y_indptr[j + 1] - y_indptr[j], y_sqnorms[j]), j)
    _heap_sort(hd, hi, k)
