# Split finding for the trees: shared by _tree_split.pyx (its test entry
# points) and _tree_build.pyx (the builder).  See _tree_split.pyx's docstring.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef enum:
    CRIT_GINI = 0
    CRIT_ENTROPY = 1
    CRIT_SQUARED_ERROR = 2
    CRIT_POISSON = 3


cdef struct TreeData:
    # The training set as the split finders see it; arrays are borrowed.
    const uint8_t* codes8      # (d, n) bin codes (histogram mode) or NULL
    const uint8_t* rows8       # (n, d) the same codes row-major (the builder's copy) or NULL
    const uint32_t* codes32    # (d, n) value ranks (exact mode) or NULL
    Py_ssize_t n
    Py_ssize_t d
    const int* n_bins          # (d,) value bins; code n_bins[f] means missing
    const double* table        # (d, stride) exact features: the distinct values; else the edges
    const uint8_t* is_exact    # (d,)
    Py_ssize_t stride          # row length of table
    Py_ssize_t hist_bins       # max(n_bins) + 1: bins per feature in a node histogram
    const int* y_cls           # (n, n_outputs) class indices (classification) or NULL
    const double* y_reg        # (n, n_outputs) targets (regression) or NULL
    int n_outputs
    const int* class_offset    # (n_outputs,) first stat of each output's classes
    int K                      # target stats: total classes, or n_outputs
    int criterion


cdef struct Split:
    Py_ssize_t feature         # -1: no valid split found
    Py_ssize_t bin             # left child: value codes <= bin
    double threshold           # left child: x <= threshold
    bint missing_left
    double proxy               # larger is better (scikit-learn's proxy improvement)
    Py_ssize_t n_left
    # 2 (2 + K) doubles where the children's stats at the best cut (left,
    # then right) are kept, or NULL
    double* stats


cdef struct Limits:
    Py_ssize_t min_samples_leaf
    double min_weight_leaf


cdef enum:
    # Nodes whose codes (rows x features bytes) fit in this many bytes read
    # the row-major copy: a node's samples are scattered over the training
    # set, and in rows one cache line brings a sample's code of every
    # feature the node searches (and partitions on), where the columns cost
    # a line per sample and feature.  Larger nodes read the columns, which
    # their searches stream through.  Measured by `gdcore bench tree`
    # (RandomForestClassifier(100) fit).
    ROWWISE_MAX_BYTES = 262144


cdef inline const uint8_t* col8_of(const TreeData* t, Py_ssize_t f, Py_ssize_t n_node,
                                   Py_ssize_t* step) noexcept nogil:
    """Feature f's one-byte codes for a node of n_node samples, read as
    col[i * step[0]]: from the rows or the columns (see ROWWISE_MAX_BYTES)."""
    if t.rows8 != NULL and n_node * t.d <= ROWWISE_MAX_BYTES:
        step[0] = t.d
        return t.rows8 + f
    step[0] = 1
    return t.codes8 + f * t.n


cdef inline Py_ssize_t code_of(const TreeData* t, Py_ssize_t f, Py_ssize_t i) noexcept nogil:
    if t.codes8 != NULL:
        return t.codes8[f * t.n + i]
    return t.codes32[f * t.n + i]


cdef inline void add_sample(const TreeData* t, Py_ssize_t i, double w, double* acc) noexcept nogil:
    """acc = [count, weight, K target stats] += sample i with weight w."""
    cdef int o
    acc[0] += 1.0
    acc[1] += w
    if t.y_cls != NULL:
        for o in range(t.n_outputs):
            acc[2 + t.class_offset[o] + t.y_cls[i * t.n_outputs + o]] += w
    else:
        for o in range(t.n_outputs):
            acc[2 + o] += w * t.y_reg[i * t.n_outputs + o]


cdef inline uint64_t rng_next(uint64_t* state) noexcept nogil:
    """splitmix64: a full-period 64-bit generator, one per tree."""
    state[0] += 0x9E3779B97F4A7C15ULL
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline double rng_uniform(uint64_t* state) noexcept nogil:
    """Uniform on [0, 1) with 53 random bits."""
    return (rng_next(state) >> 11) * (1.0 / 9007199254740992.0)


cdef inline Py_ssize_t rng_int(uint64_t* state, Py_ssize_t n) noexcept nogil:
    """Uniform on {0, ..., n - 1}."""
    return <Py_ssize_t> (rng_next(state) % <uint64_t> n)


cdef inline void add_gathered(const double* nw, const int* ny, Py_ssize_t q,
                              double* acc) noexcept nogil:
    """add_sample of the node's q-th sample from gather_node's arrays: the same
    operations in the same order (one-output classification only)."""
    acc[0] += 1.0
    acc[1] += nw[q]
    acc[2 + ny[q]] += nw[q]


cdef bint gather_node(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                      Py_ssize_t end, const double* w, double* nw,
                      int* ny) noexcept nogil
cdef void node_stats(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                     Py_ssize_t end, const double* w, double* total,
                     double* impurity) noexcept nogil
cdef double proxy(const TreeData* t, const double* L, const double* R) noexcept nogil
cdef void feature_histogram(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                            Py_ssize_t end, const double* w, const double* nw,
                            const int* ny, Py_ssize_t f, double* hist) noexcept nogil
cdef bint scan_histogram(const TreeData* t, const double* hist, Py_ssize_t f,
                         const double* total, Limits lim, Split* best,
                         double* scratch) noexcept nogil
cdef bint scan_sorted(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                      Py_ssize_t end, const double* w, const double* nw, const int* ny,
                      Py_ssize_t f, const double* total,
                      Limits lim, Split* best, uint64_t* keys,
                      double* scratch) noexcept nogil
cdef bint random_split(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                       Py_ssize_t end, const double* w, const double* nw, const int* ny,
                       Py_ssize_t f, const double* total, Limits lim, Split* best,
                       uint64_t* rng, double* scratch) noexcept nogil
cdef Py_ssize_t partition(const TreeData* t, Py_ssize_t* idx, Py_ssize_t start,
                          Py_ssize_t end, const Split* s, Py_ssize_t* right) noexcept nogil
cdef TreeData tree_data(codes8, codes32, const int[::1] n_bins, const double[:, ::1] table,
                        const uint8_t[::1] is_exact, y_cls, y_reg,
                        const int[::1] class_offset, int K, int criterion)
