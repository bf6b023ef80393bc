"""Candidate bookkeeping of the k-nearest kernels (``_neighbors.pyx``), inlined there.

Two structures, both over parallel arrays of values and database rows:
a bounded max-heap ordered by (value, row), for the exact scans that must
keep exactly k with ties broken by row; and a quickselect that keeps the
kc smallest of a batch, which lowers the gemm scan's admission threshold.
"""

from libc.math cimport INFINITY

# The gemm operands' type, separate from the data's: float64 data is searched
# with float32 tiles (twice the flops per cycle, half the memory traffic) and
# still answered exactly, since the candidates are verified in double.
ctypedef fused gemm_t:
    float
    double


# ---------------------------------------------------------------- heaps
# A max-heap of (value, index) pairs in two arrays, ordered lexicographically:
# the root is the worst candidate, the one a better one replaces.

cdef inline bint _after(double a, Py_ssize_t ia, double b, Py_ssize_t ib) noexcept nogil:
    """(a, ia) > (b, ib) lexicographically."""
    return a > b or (a == b and ia > ib)


cdef inline void _sift_down(double* hd, Py_ssize_t* hi, Py_ssize_t size,
                            Py_ssize_t pos) noexcept nogil:
    cdef double v = hd[pos]
    cdef Py_ssize_t iv = hi[pos], child
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _after(hd[child + 1], hi[child + 1], hd[child], hi[child]):
            child += 1
        if not _after(hd[child], hi[child], v, iv):
            break
        hd[pos] = hd[child]
        hi[pos] = hi[child]
        pos = child
    hd[pos] = v
    hi[pos] = iv


cdef inline void _heap_init(double* hd, Py_ssize_t* hi, Py_ssize_t size,
                            Py_ssize_t sentinel) noexcept nogil:
    cdef Py_ssize_t t
    for t in range(size):
        hd[t] = INFINITY
        hi[t] = sentinel   # beyond every real index: any real point replaces it


cdef inline void _heap_offer(double* hd, Py_ssize_t* hi, Py_ssize_t size,
                             double v, Py_ssize_t j) noexcept nogil:
    """Put (v, j) in place of the root if it is better (NaN never is)."""
    if v < hd[0] or (v == hd[0] and j < hi[0]):
        hd[0] = v
        hi[0] = j
        _sift_down(hd, hi, size, 0)


cdef inline void _heap_sort(double* hd, Py_ssize_t* hi, Py_ssize_t size) noexcept nogil:
    """Any arrays -> sorted ascending by (value, index): heapify, then pop."""
    cdef Py_ssize_t pos, end
    cdef double td
    cdef Py_ssize_t ti
    for pos in range(size // 2 - 1, -1, -1):
        _sift_down(hd, hi, size, pos)
    for end in range(size - 1, 0, -1):
        td = hd[0]
        hd[0] = hd[end]
        hd[end] = td
        ti = hi[0]
        hi[0] = hi[end]
        hi[end] = ti
        _sift_down(hd, hi, end, 0)


# ---------------------------------------------------------------- selection

cdef inline gemm_t _keep_smallest(gemm_t* v, int* ix, Py_ssize_t size,
                                  Py_ssize_t kc) noexcept nogil:
    """Reorder v[:size] (and ix) so that its kc smallest come first; return their max.

    Quickselect, median-of-three pivot, O(size) expected, deterministic.
    Partitions are branch-free (_partition): a Hoare partition's inner
    loops mispredict about once per swap, which makes the selection a large
    share of the scan at large k (measured by `gdcore bench neighbors`,
    kneighbors k=100).  A pass that leaves every value
    on one side (ties with the pivot) is followed by a <= partition, so
    equal values cannot make it quadratic.  No NaN in v.
    """
    cdef Py_ssize_t lo = 0, hi = size, mid, split
    cdef gemm_t pivot, a, b, c, m
    while hi - lo > 1:   # the kc-th smallest (position kc - 1) lies in [lo, hi)
        mid = lo + (hi - lo) // 2
        a = v[lo]
        b = v[mid]
        c = v[hi - 1]
        pivot = max(min(a, b), min(max(a, b), c))
        split = _partition(v, ix, lo, hi, pivot, False)   # [lo, split) < pivot
        if kc - 1 < split:
            hi = split
            continue
        lo = split
        split = _partition(v, ix, lo, hi, pivot, True)    # [lo, split) == pivot
        if kc - 1 < split:
            break   # the kc-th smallest equals the pivot: done
        lo = split
    m = v[0]
    for mid in range(1, kc):
        m = max(m, v[mid])
    return m


cdef inline Py_ssize_t _partition(gemm_t* v, int* ix, Py_ssize_t lo, Py_ssize_t hi,
                                  gemm_t pivot, bint or_equal) noexcept nogil:
    """Move the values < pivot (or <= pivot) of v[lo:hi] to its front; return their end.

    Lomuto's scheme without a branch: every value is swapped with the
    first one not taken, and the boundary advances by the comparison.
    """
    cdef Py_ssize_t i, store = lo
    cdef gemm_t vi
    cdef int ii
    for i in range(lo, hi):
        vi = v[i]
        ii = ix[i]
        v[i] = v[store]
        ix[i] = ix[store]
        v[store] = vi
        ix[store] = ii
        store += (vi <= pivot) if or_equal else (vi < pivot)
    return store
