# A forest tree's random sample weights: its bootstrap draw and the
# class_weight="balanced_subsample" factors computed from that draw.  Inline
# helpers of _tree_build.pyx (growth) and its bootstrap_counts entry point
# (out-of-bag scores), both drawing from the tree's own splitmix64 stream so a
# forest is the same on any thread count.  NumPy twin: the draw loop and
# _balanced_factors of build_trees in gdcore/discriminative/tree/_reference/tree_build.py.
from libc.string cimport memset
from libc.stdint cimport uint64_t

from gdcore.discriminative.tree._tree_split cimport TreeData, rng_int


cdef inline void bootstrap(uint64_t* rng, Py_ssize_t n, Py_ssize_t n_draw,
                           double* counts) noexcept nogil:
    """counts[i] = times row i is drawn in n_draw draws with replacement."""
    cdef Py_ssize_t _k
    memset(counts, 0, n * sizeof(double))
    for _k in range(n_draw):
        counts[rng_int(rng, n)] += 1.0


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
