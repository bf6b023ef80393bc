# Sorting a node's sort keys (code << 32 | position) for the exact split scan
# of _tree_split.pyx (scan_sorted): a quicksort with insertion sort for short
# runs, and a stable LSD radix sort on the code bytes for large nodes; and
# the class of a run of equal codes (group_class).
# Inline helpers: O(n log n) and O(n) per byte of the largest code.  Keys are
# distinct, so both give the one order of (code, position): equal codes stay
# in node order, as the NumPy twin scans them
# (gdcore/discriminative/tree/_reference/tree_split.py).
from libc.stdint cimport uint64_t
from libc.string cimport memset


cdef inline void sort_keys(uint64_t* a, Py_ssize_t n) noexcept nogil:
    """Sort distinct uint64 keys: quicksort (median of three), insertion below 16."""
    cdef Py_ssize_t i, j, lo, hi
    cdef uint64_t pivot, tmp
    while n > 16:
        # median of three to a[0]
        lo = 0
        hi = n - 1
        j = n >> 1
        if a[j] < a[lo]:
            a[j], a[lo] = a[lo], a[j]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[j]:
            a[hi], a[j] = a[j], a[hi]
        pivot = a[j]
        i = 0
        j = n - 1
        while True:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i >= j:
                break
            tmp = a[i]
            a[i] = a[j]
            a[j] = tmp
            i += 1
            j -= 1
        # a[:j + 1] <= pivot <= a[j + 1:]; recurse on the smaller part
        if j + 1 < n - j - 1:
            sort_keys(a, j + 1)
            a += j + 1
            n -= j + 1
        else:
            sort_keys(a + j + 1, n - j - 1)
            n = j + 1
    for i in range(1, n):
        tmp = a[i]
        j = i - 1
        while j >= 0 and a[j] > tmp:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = tmp


cdef inline uint64_t* radix_sort_keys(uint64_t* a, uint64_t* tmp, Py_ssize_t n,
                                      uint64_t max_code) noexcept nogil:
    """Keys made in position order, sorted by their code (the high 32 bits) with
    a stable LSD radix sort, one pass per byte of max_code: the order of
    (code, position), as sort_keys gives, in O(n) per pass.  Returns a or tmp,
    whichever holds the result."""
    cdef Py_ssize_t count[256]
    cdef Py_ssize_t i, b, acc, shift = 32
    cdef uint64_t* swap
    while shift < 64 and (max_code >> (shift - 32)) > 0:
        memset(count, 0, 256 * sizeof(Py_ssize_t))
        for i in range(n):
            count[(a[i] >> shift) & 0xFF] += 1
        if count[(a[0] >> shift) & 0xFF] != n:  # a byte all keys share: no pass
            acc = 0
            for b in range(256):
                acc += count[b]
                count[b] = acc - count[b]
            for i in range(n):
                b = (a[i] >> shift) & 0xFF
                tmp[count[b]] = a[i]
                count[b] += 1
            swap = a
            a = tmp
            tmp = swap
        shift += 8
    return a


cdef inline int group_class(const uint64_t* keys, const int* ny, Py_ssize_t q,
                            Py_ssize_t m) noexcept nogil:
    """The class stat ny[position] shared by every key of keys[q:m] with the
    code of keys[q], or -1 if they differ.  O(keys with that code)."""
    cdef uint64_t code = keys[q] >> 32
    cdef int cls = ny[<Py_ssize_t> (keys[q] & 0xFFFFFFFFULL)]
    q += 1
    while q < m and (keys[q] >> 32) == code:
        if ny[<Py_ssize_t> (keys[q] & 0xFFFFFFFFULL)] != cls:
            return -1
        q += 1
    return cls
