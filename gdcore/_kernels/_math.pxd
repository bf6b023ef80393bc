# Small numerical helpers shared by the kernels, inlined at each use.
from libc.math cimport exp, log, INFINITY, isnan, isinf
from cython cimport floating


cdef inline double logsumexp_row(const double* a, Py_ssize_t n) noexcept nogil:
    """log(sum(exp(a[:n]))) without overflow: shift by the maximum first.

    Returns -inf when every entry is -inf (an impossible row), never NaN.
    """
    cdef Py_ssize_t j
    cdef double amax = -INFINITY, s = 0.0
    for j in range(n):
        if a[j] > amax:
            amax = a[j]
    if amax == -INFINITY or isinf(amax):
        return amax
    for j in range(n):
        s += exp(a[j] - amax)
    return amax + log(s)


cdef inline bint is_finite(floating x) noexcept nogil:
    return not (isnan(x) or isinf(x))
