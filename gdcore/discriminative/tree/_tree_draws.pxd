# A forest tree's random sample weights: its bootstrap draw (uniform, or in
# proportion to the sample weights, as scikit-learn 1.9 draws) and the
# class_weight="balanced_subsample" factors computed from that draw.  Inline
# helpers of _tree_build.pyx (growth) and its bootstrap_counts entry point
# (out-of-bag scores), both drawing from the tree's own splitmix64 stream so a
# forest is the same on any thread count.  NumPy twin: the draw loop and
# _balanced_factors of build_trees in gdcore/discriminative/tree/_reference/tree_build.py.
from libc.math cimport nextafter
from libc.stdint cimport uint64_t
from libc.string cimport memset

from gdcore.discriminative.tree._tree_split cimport TreeData, rng_int, rng_uniform


cdef inline void bootstrap(uint64_t* rng, Py_ssize_t n, Py_ssize_t n_draw,
                           double* counts) noexcept nogil:
    """counts[i] = times row i is drawn in n_draw draws with replacement."""
    cdef Py_ssize_t _k
    memset(counts, 0, n * sizeof(double))
    for _k in range(n_draw):
        counts[rng_int(rng, n)] += 1.0


cdef inline void weighted_bootstrap(uint64_t* rng, const double* cum, Py_ssize_t n,
                                    Py_ssize_t n_draw, double* counts) noexcept nogil:
    """counts[i] = times row i is drawn in n_draw draws with replacement, each
    row with probability weight / total weight; cum = the running sums of the
    weights (non-negative, cum[n - 1] > 0).  A draw u uniform on [0, total)
    picks the first row with cum > u (a binary search, O(log n)), so a row of
    weight zero is never drawn."""
    cdef Py_ssize_t _k, lo, hi, mid
    cdef double total = cum[n - 1], u
    memset(counts, 0, n * sizeof(double))
    for _k in range(n_draw):
        u = rng_uniform(rng) * total
        if u >= total:  # rounding of the product: stay below the last row's sum
            u = nextafter(total, 0.0)
        lo = 0
        hi = n - 1
        while lo < hi:
            mid = (lo + hi) >> 1
            if cum[mid] > u:
                hi = mid
            else:
                lo = mid + 1
        counts[lo] += 1.0


cdef inline void draw_counts(uint64_t seed, Py_ssize_t n, Py_ssize_t n_draw,
                             const double* cum, double* counts) noexcept nogil:
    """The bootstrap counts of the tree of ``seed``: by weight if cum, else uniform.

    The bootstrap stream is seeded with the seed xor 2**64 / golden ratio
    (splitmix64's increment; the twin's BOOTSTRAP_STREAM): any fixed odd
    constant separates it from the feature-draw stream seeded with the seed.
    """
    cdef uint64_t rng = seed ^ 0x9E3779B97F4A7C15ULL
    if cum != NULL:
        weighted_bootstrap(&rng, cum, n, n_draw, counts)
    else:
        bootstrap(&rng, n, n_draw, counts)


cdef inline void balance_subsample(const TreeData* t, Py_ssize_t n_draw,
                                   const double* counts, double* drawn,
                                   double* w) noexcept nogil:
    """w *= scikit-learn's class_weight="balanced_subsample" factors: per
    output, n_draw / (classes drawn * draws of the row's class), 0 for a
    class not drawn; their product over outputs.  drawn: K doubles."""
    cdef double factor
    cdef Py_ssize_t i, c
    cdef int o, present, lo, hi
    memset(drawn, 0, t.K * sizeof(double))
    for i in range(t.n):
        for o in range(t.n_outputs):
            drawn[t.class_offset[o] + t.y_cls[i * t.n_outputs + o]] += counts[i]
    for o in range(t.n_outputs):
        lo = t.class_offset[o]
        hi = t.class_offset[o + 1] if o + 1 < t.n_outputs else t.K
        present = 0
        for c in range(lo, hi):
            present += drawn[c] > 0.0
        for c in range(lo, hi):
            drawn[c] = n_draw / (present * drawn[c]) if drawn[c] > 0.0 else 0.0
    for i in range(t.n):
        factor = 1.0
        for o in range(t.n_outputs):
            factor *= drawn[t.class_offset[o] + t.y_cls[i * t.n_outputs + o]]
        w[i] *= factor
