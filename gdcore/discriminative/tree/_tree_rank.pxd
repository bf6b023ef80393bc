# The rank of a value among sorted edges: the binary search behind every code
# of this family (binning a training set, _tree_bins.pyx; binning the rows a
# forest predicts, _tree_codes.pyx).  O(log m).


cdef inline Py_ssize_t rank(const double* edges, Py_ssize_t m, double x) noexcept nogil:
    """Number of edges[:m] strictly below x (numpy.searchsorted side='left').

    Branch-free: each step moves ``base`` by a select, not a jump, so the
    unpredictable comparisons of a search cost no mispredicted branches.
    Invariant: the answer lies in [base, base + n].
    """
    cdef const double* base = edges
    cdef Py_ssize_t n = m, half
    if m == 0:
        return 0
    while n > 1:
        half = n >> 1
        base = base + half if base[half] < x else base
        n -= half
    return (base - edges) + (base[0] < x)
