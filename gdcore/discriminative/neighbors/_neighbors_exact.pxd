"""Exact distances in double, shared by the k-nearest kernels (``_neighbors.pyx``), inlined there.

The gemm kernel recomputes its candidates' distances with these and
rescans a query with ``_exact_scan`` when its verification fails; the
direct kernel (Manhattan, Chebyshev, Minkowski) is made of them.  Sums use
four independent accumulators: the compiler keeps them in registers, where
one accumulator would serialize on the add latency.
"""

from cython cimport floating
from libc.math cimport fabs, pow, sqrt

from gdcore.discriminative.neighbors._neighbors_select cimport (
    _heap_init, _heap_offer, _heap_sort,
)

# The kernels' metric codes (``_neighbors.METRIC_*`` for Python).
cdef enum:
    SQEUCLIDEAN = 0
    COSINE = 1
    MANHATTAN = 2
    CHEBYSHEV = 3
    MINKOWSKI = 4


cdef inline double _sqeuclidean(const floating* x, const floating* y,
                                Py_ssize_t d) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, t0, t1, t2, t3
    cdef Py_ssize_t j = 0
    while j + 4 <= d:
        t0 = <double> x[j] - y[j]
        t1 = <double> x[j + 1] - y[j + 1]
        t2 = <double> x[j + 2] - y[j + 2]
        t3 = <double> x[j + 3] - y[j + 3]
        a0 += t0 * t0
        a1 += t1 * t1
        a2 += t2 * t2
        a3 += t3 * t3
        j += 4
    while j < d:
        t0 = <double> x[j] - y[j]
        a0 += t0 * t0
        j += 1
    return (a0 + a1) + (a2 + a3)


cdef inline double _dot(const floating* x, const floating* y, Py_ssize_t d) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t j = 0
    while j + 4 <= d:
        a0 += <double> x[j] * y[j]
        a1 += <double> x[j + 1] * y[j + 1]
        a2 += <double> x[j + 2] * y[j + 2]
        a3 += <double> x[j + 3] * y[j + 3]
        j += 4
    while j < d:
        a0 += <double> x[j] * y[j]
        j += 1
    return (a0 + a1) + (a2 + a3)


cdef inline double _cosine(const floating* x, const floating* y,
                           Py_ssize_t d) noexcept nogil:
    """1 - cos(x, y) clipped to [0, 2]; 1 when either is zero (scikit-learn's rule)."""
    cdef double nx = _dot(x, x, d), ny = _dot(y, y, d), c
    if nx == 0.0 or ny == 0.0:
        return 1.0
    c = 1.0 - _dot(x, y, d) / (sqrt(nx) * sqrt(ny))
    return min(2.0, max(0.0, c))


cdef inline double _manhattan(const floating* x, const floating* y,
                              Py_ssize_t d) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t j = 0
    while j + 4 <= d:
        a0 += fabs(<double> x[j] - y[j])
        a1 += fabs(<double> x[j + 1] - y[j + 1])
        a2 += fabs(<double> x[j + 2] - y[j + 2])
        a3 += fabs(<double> x[j + 3] - y[j + 3])
        j += 4
    while j < d:
        a0 += fabs(<double> x[j] - y[j])
        j += 1
    return (a0 + a1) + (a2 + a3)


cdef inline double _chebyshev(const floating* x, const floating* y,
                              Py_ssize_t d) noexcept nogil:
    cdef double m = 0.0, t
    cdef Py_ssize_t j
    for j in range(d):
        t = fabs(<double> x[j] - y[j])
        if t > m:
            m = t
    return m


cdef inline double _minkowski_reduced(const floating* x, const floating* y,
                                      Py_ssize_t d, double p) noexcept nogil:
    """sum |x_j - y_j|^p: the p-th power of the distance, which ranks the same."""
    cdef double a = 0.0
    cdef Py_ssize_t j
    for j in range(d):
        a += pow(fabs(<double> x[j] - y[j]), p)
    return a


cdef inline double _exact(int metric, const floating* x, const floating* y,
                          Py_ssize_t d, double p) noexcept nogil:
    """The exact (reduced, for Minkowski) distance in double."""
    if metric == SQEUCLIDEAN:
        return _sqeuclidean(x, y, d)
    if metric == COSINE:
        return _cosine(x, y, d)
    if metric == MANHATTAN:
        return _manhattan(x, y, d)
    if metric == CHEBYSHEV:
        return _chebyshev(x, y, d)
    return _minkowski_reduced(x, y, d, p)


cdef inline void _exact_scan(int metric, const floating* x, const floating[:, ::1] Y,
                             double p, Py_ssize_t skip, double* hd, Py_ssize_t* hi,
                             Py_ssize_t k) noexcept nogil:
    """All of Y against one query, exactly, into a heap of k (then sorted)."""
    cdef Py_ssize_t n = Y.shape[0], d = Y.shape[1], j
    _heap_init(hd, hi, k, n)
    for j in range(n):
        if j != skip:
            _heap_offer(hd, hi, k, _exact(metric, x, &Y[j, 0], d, p), j)
    _heap_sort(hd, hi, k)


cdef inline void _write_row(const double* hd, const Py_ssize_t* hi, Py_ssize_t k,
                            floating* dist, Py_ssize_t* ind) noexcept nogil:
    cdef Py_ssize_t t
    for t in range(k):
        dist[t] = <floating> hd[t]
        ind[t] = hi[t]
