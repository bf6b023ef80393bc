# The rank of a value among sorted edges: the binary search behind every code
# of this family (binning a training set, _tree_bins.pyx; binning the rows a
# forest predicts and its thresholds, _tree_codes.pyx).  O(log m) a value.


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


cdef inline void rank_block(const double* edges, int m, const double* x, Py_ssize_t b,
                            int* pos) noexcept nogil:
    """pos[i] = rank(edges, m, x[i]) for i < b; 0 where x[i] is NaN.

    rank's search, the b values in lockstep: its halving steps depend on m
    alone, so each step is one pass over all the values.  A value's steps
    each wait on the load of the step before; the loads of one pass are
    independent, so the CPU overlaps them (and may vectorize the pass),
    where rank on one value after another runs mostly its dependent chain.
    A step adds ``half * (comparison)``: arithmetic, never a branch, which
    the comparisons (taken half of the time, at random) would mispredict.
    NaN compares false, so a NaN's position stays 0.
    """
    # half is Py_ssize_t, so pos[i] + half is one 64-bit index: with an int
    # half GCC sign-extends each sum and leaves the pass scalar
    cdef Py_ssize_t n = m, half, i
    for i in range(b):
        pos[i] = 0
    while n > 1:
        half = n >> 1
        for i in range(b):
            pos[i] += half * (edges[pos[i] + half] < x[i])
        n -= half
    if m > 0:
        for i in range(b):
            pos[i] += edges[pos[i]] < x[i]
