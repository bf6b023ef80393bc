# Small numerical helpers shared by the kernels, inlined at each use.
from libc.math cimport exp, log, INFINITY, isnan, isinf
from cython cimport floating
from libc.stdint cimport uint32_t, uint64_t


cdef inline double exp_or_zero(double x) noexcept nogil:
    """exp(x), bit for bit, without calling libm where exp underflows to 0.

    Builds against glibc older than 2.29 (manylinux wheels) bind exp to the
    SVID wrapper, whose underflow path calls __kernel_standard to set errno:
    a visible share of a GMM fit, where far components' responsibilities
    underflow all the time (`gdcore bench mixture`).  exp(x) is exactly 0
    below -745.14; NaN still gives NaN.
    """
    return 0.0 if x < -746.0 else exp(x)


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
        s += exp_or_zero(a[j] - amax)
    return amax + log(s)


cdef inline bint is_finite(floating x) noexcept nogil:
    return not (isnan(x) or isinf(x))


# Finiteness tests on the bit patterns.  An IEEE value is inf or NaN when
# its exponent bits are all ones; adding one to the exponent field then
# carries into the sign bit.  OR-ing such integers is a reduction gcc
# vectorizes with plain SSE2, where comparisons of doubles (x - x == 0) are
# not, so the check runs at the speed of np.sum (`gdcore bench naive_bayes`).
# A flagged row may be a false alarm (-0.0 for the non-negative test); the
# callers then re-examine it element by element, so only "no flag" is trusted.

cdef inline bint all_finite(const floating* x, Py_ssize_t n) noexcept nogil:
    """True when x[:n] holds no NaN or inf (exact)."""
    cdef Py_ssize_t j
    cdef uint64_t m64 = 0
    cdef uint32_t m32 = 0
    cdef const uint64_t* b64
    cdef const uint32_t* b32
    if floating is double:
        b64 = <const uint64_t*> x
        for j in range(n):
            m64 |= (b64[j] & 0x7FFFFFFFFFFFFFFFULL) + 0x0010000000000000ULL
        return (m64 & 0x8000000000000000ULL) == 0
    else:
        b32 = <const uint32_t*> x
        for j in range(n):
            m32 |= (b32[j] & 0x7FFFFFFFU) + 0x00800000U
        return (m32 & 0x80000000U) == 0


cdef inline bint all_finite_non_negative(const floating* x, Py_ssize_t n) noexcept nogil:
    """True when x[:n] is finite with no sign bit set (-0.0 gives a false alarm)."""
    cdef Py_ssize_t j
    cdef uint64_t m64 = 0
    cdef uint32_t m32 = 0
    cdef const uint64_t* b64
    cdef const uint32_t* b32
    if floating is double:
        b64 = <const uint64_t*> x
        for j in range(n):
            m64 |= b64[j] | (b64[j] + 0x0010000000000000ULL)
        return (m64 & 0x8000000000000000ULL) == 0
    else:
        b32 = <const uint32_t*> x
        for j in range(n):
            m32 |= b32[j] | (b32[j] + 0x00800000U)
        return (m32 & 0x80000000U) == 0
