"""Exact TreeSHAP: Shapley contributions of each feature to a tree ensemble's raw output.

Lundberg et al. 2020, "From local explanations to global understanding with
explainable AI for trees", Algorithm 2.  The value of a feature subset S is
the tree's expectation when the features of S follow the row and the others
follow both children, weighted by the children's covers (the training weight
that reached them).  One recursion per row and tree carries, along the path
from the root, the features met so far with the fraction of the cover that
follows when the feature is absent ("zero") or present ("one"), and the
weights of every subset size (``pweight``): extending the path by a split is
O(D), and each leaf adds to each path feature its weight with that feature
unwound, O(D) each, so a tree costs O(L D^2) per row (L leaves, D depth).
A feature met twice on a path is unwound first and re-entered with the
product of its fractions.

Rows run in parallel (``prange``); each row's contributions are written by
one thread in tree order, so any thread count gives the same bits.  Each
thread owns one path buffer of (D + 2)(D + 3) / 2 elements, one slice per
recursion level.  NumPy twin: ``gdcore/discriminative/tree/_reference/tree_shap.py``.

Trees are flat arrays: tree k holds nodes ``roots[k]:roots[k + 1]``, its
child ids are tree-local, and node ``roots[k]`` is its root.
"""

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport isnan
from libc.stdint cimport int64_t, uint8_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset


cdef enum:
    OK = 0
    BAD_TREE = 1
    NO_MEMORY = 2
    # categories are integers in [0, N_CATEGORIES): 8 words of 32 bits per node
    N_CATEGORIES = 256
    BITSET_WORDS = 8
    # Deeper trees are refused (by _shap.tree_shap): the recursion holds one C
    # stack frame per level on each OpenMP thread, whose stack may be small,
    # and the path buffer grows as depth**2 (16 MB per thread at this depth);
    # such trees are chains far beyond what a fit parameter produces on purpose.
    MAX_DEPTH = 1000

STATUS_OK = OK
STATUS_BAD_TREE = BAD_TREE
STATUS_NO_MEMORY = NO_MEMORY
MAX_TREE_DEPTH = MAX_DEPTH

# INV[k] = 1 / k: the path recurrences divide by small integers up to depth + 2;
# a product costs a fraction of a division in the O(D^2)-per-leaf loops
cdef double INV[MAX_DEPTH + 3]
INV[0] = 0.0
for _k in range(1, MAX_DEPTH + 3):
    INV[_k] = 1.0 / _k


cdef struct PathElement:
    int64_t feature
    double zero
    double one
    double pweight


cdef struct Trees:
    const int64_t* left
    const int64_t* right
    const int64_t* feature
    const double* threshold
    const uint8_t* missing_left
    const uint8_t* is_cat
    const uint32_t* bitset
    const double* value
    const double* cover
    Py_ssize_t n_outputs


cdef inline bint _goes_left(double v, Py_ssize_t node, const Trees* t) noexcept nogil:
    cdef int64_t c
    if isnan(v):
        return t.missing_left[node]
    if t.is_cat[node]:
        if not (v >= 0 and v < N_CATEGORIES):
            return False
        c = <int64_t> v
        return (t.bitset[node * BITSET_WORDS + (c >> 5)] >> (c & 31)) & 1
    return v <= t.threshold[node]


cdef inline double _fraction(const Trees* t, Py_ssize_t child, Py_ssize_t node) noexcept nogil:
    # a node no training weight reached passes none on: its subtree counts 0
    # in every expectation (consistent with tree_summaries' expected value)
    return t.cover[child] / t.cover[node] if t.cover[node] > 0 else 0.0


cdef inline void _extend(PathElement* path, Py_ssize_t depth, double zero, double one,
                         int64_t feature) noexcept nogil:
    cdef Py_ssize_t i
    cdef double inv = INV[depth + 1]
    path[depth].feature = feature
    path[depth].zero = zero
    path[depth].one = one
    path[depth].pweight = 1.0 if depth == 0 else 0.0
    for i in range(depth - 1, -1, -1):
        path[i + 1].pweight += one * path[i].pweight * (i + 1) * inv
        path[i].pweight = zero * path[i].pweight * (depth - i) * inv


cdef inline void _unwind(PathElement* path, Py_ssize_t depth, Py_ssize_t index) noexcept nogil:
    # "one" fractions are products of 0/1 indicators (the row follows a
    # branch or not), so they are exactly 0 or 1 and 1 / one is one
    cdef double one = path[index].one, zero = path[index].zero
    cdef double nxt = path[depth].pweight, tmp, inv = INV[depth + 1], inv_zero
    cdef Py_ssize_t i
    if one != 0:
        for i in range(depth - 1, -1, -1):
            tmp = path[i].pweight
            path[i].pweight = nxt * (depth + 1) * INV[i + 1]
            nxt = tmp - path[i].pweight * zero * (depth - i) * inv
    else:
        inv_zero = (depth + 1) / zero
        for i in range(depth - 1, -1, -1):
            path[i].pweight = path[i].pweight * inv_zero * INV[depth - i]
    for i in range(index, depth):
        path[i].feature = path[i + 1].feature
        path[i].zero = path[i + 1].zero
        path[i].one = path[i + 1].one


cdef inline double _unwound_sum_one(const PathElement* path, Py_ssize_t depth,
                                    double zero) noexcept nogil:
    """Sum of the subset weights with a path element whose one fraction is 1 unwound."""
    cdef double nxt = path[depth].pweight, tmp, total = 0.0
    cdef Py_ssize_t i
    for i in range(depth - 1, -1, -1):
        tmp = nxt * INV[i + 1]
        total += tmp
        nxt = path[i].pweight - tmp * zero * (depth - i)
    return total * (depth + 1)


cdef inline double _unwound_sum_zero(const PathElement* path, Py_ssize_t depth) noexcept nogil:
    """(depth + 1) * sum_i pweight_i / (depth - i): with an element of one fraction 0 and
    zero fraction z unwound, the subset weights sum to this / z, the same for every such
    element (Fast TreeSHAP v1's observation, Yang 2021), so a leaf computes it once."""
    cdef double total = 0.0
    cdef Py_ssize_t i
    for i in range(depth - 1, -1, -1):
        total += path[i].pweight * INV[depth - i]
    return total * (depth + 1)


cdef void _recurse(const floating* x, const Trees* t, Py_ssize_t lo, Py_ssize_t node,
                   double* phi, PathElement* parent, Py_ssize_t depth, double zero,
                   double one, int64_t feature) noexcept nogil:
    """Add the contributions of the subtree at ``lo + node`` to ``phi`` (one row)."""
    cdef PathElement* path = parent + depth
    cdef Py_ssize_t i, j, k, hot, cold, a, b, nid = lo + node
    cdef Py_ssize_t n_out = t.n_outputs
    cdef double scale, cold_scale, hot_zero, cold_zero, in_zero = 1.0, in_one = 1.0
    cdef int64_t split
    memcpy(path, parent, depth * sizeof(PathElement))
    _extend(path, depth, zero, one, feature)
    a = t.left[nid]
    if a < 0:
        # an element the row does not follow (one = 0, zero = z > 0) weighs
        # sum_zero / z and contributes (0 - z) times that: -sum_zero for all
        cold_scale = -_unwound_sum_zero(path, depth) if depth > 0 else 0.0
        for i in range(1, depth + 1):
            if path[i].one != 0:
                scale = (_unwound_sum_one(path, depth, path[i].zero)
                         * (1.0 - path[i].zero))
            else:
                scale = cold_scale
            k = path[i].feature * n_out
            for j in range(n_out):
                phi[k + j] += scale * t.value[nid * n_out + j]
        return
    b = t.right[nid]
    split = t.feature[nid]
    if _goes_left(x[split], nid, t):
        hot, cold = a, b
    else:
        hot, cold = b, a
    hot_zero = _fraction(t, lo + hot, nid)
    cold_zero = _fraction(t, lo + cold, nid)
    for k in range(depth + 1):
        if path[k].feature == split:
            in_zero, in_one = path[k].zero, path[k].one
            _unwind(path, depth, k)
            depth -= 1
            break
    # a branch with no weight from either side adds nothing (and would divide by 0)
    if hot_zero * in_zero != 0 or in_one != 0:
        _recurse(x, t, lo, hot, phi, path, depth + 1, hot_zero * in_zero, in_one, split)
    if cold_zero * in_zero != 0:
        _recurse(x, t, lo, cold, phi, path, depth + 1, cold_zero * in_zero, 0.0, split)


def tree_summaries(
    const int64_t[::1] left,
    const int64_t[::1] right,
    const int64_t[::1] feature,
    const double[::1] cover,
    const double[:, ::1] value,
    const int64_t[::1] roots,
    Py_ssize_t n_features,
    int64_t[::1] depth,            # OUT (n_trees,)
    double[:, ::1] expected,       # OUT (n_trees, n_outputs)
):
    """Check that each tree is a binary tree rooted at its first node; its depth and base value.

    A tree's base value is the sum over its leaves of the leaf value times the
    product of the cover fractions from the root: the expectation TreeSHAP's
    contributions are relative to.  Returns a status (OK or BAD_TREE/NO_MEMORY).
    """
    cdef Py_ssize_t n_trees = roots.shape[0] - 1, n_out = value.shape[1]
    cdef Py_ssize_t k, lo, size, top, node, d, j, max_size = 0
    cdef int64_t a, b
    cdef double reach
    cdef Trees t
    cdef int status = OK
    cdef Py_ssize_t* stack_node
    cdef Py_ssize_t* stack_depth
    cdef double* stack_reach
    cdef uint8_t* seen
    t.cover = &cover[0] if cover.shape[0] else NULL
    for k in range(n_trees):
        if roots[k + 1] - roots[k] < 1:
            return BAD_TREE
        max_size = max(max_size, roots[k + 1] - roots[k])
    stack_node = <Py_ssize_t*> malloc(max(max_size, 1) * sizeof(Py_ssize_t))
    stack_depth = <Py_ssize_t*> malloc(max(max_size, 1) * sizeof(Py_ssize_t))
    stack_reach = <double*> malloc(max(max_size, 1) * sizeof(double))
    seen = <uint8_t*> malloc(max(max_size, 1))
    with nogil:
        if not (stack_node and stack_depth and stack_reach and seen):
            status = NO_MEMORY
        for k in range(n_trees):
            if status != OK:
                break
            lo, size = roots[k], roots[k + 1] - roots[k]
            memset(seen, 0, size)
            depth[k] = 0
            for j in range(n_out):
                expected[k, j] = 0.0
            stack_node[0], stack_depth[0], stack_reach[0], top = 0, 0, 1.0, 1
            while top > 0:
                top -= 1
                node, d, reach = stack_node[top], stack_depth[top], stack_reach[top]
                if seen[node]:
                    status = BAD_TREE  # a node reached twice: not a tree
                    break
                seen[node] = 1
                a, b = left[lo + node], right[lo + node]
                if a < 0 and b < 0:
                    depth[k] = max(depth[k], d)
                    for j in range(n_out):
                        expected[k, j] += reach * value[lo + node, j]
                    continue
                if not (0 <= a < size and 0 <= b < size
                        and 0 <= feature[lo + node] < n_features):
                    status = BAD_TREE
                    break
                # each node is pushed once (else BAD_TREE above), so the stack
                # never holds more than the tree's nodes
                stack_node[top], stack_depth[top] = a, d + 1
                stack_reach[top] = reach * _fraction(&t, lo + a, lo + node)
                stack_node[top + 1], stack_depth[top + 1] = b, d + 1
                stack_reach[top + 1] = reach * _fraction(&t, lo + b, lo + node)
                top += 2
    free(stack_node)
    free(stack_depth)
    free(stack_reach)
    free(seen)
    return status


def tree_shap(
    const floating[:, ::1] X,
    const int64_t[::1] left,
    const int64_t[::1] right,
    const int64_t[::1] feature,
    const double[::1] threshold,
    const uint8_t[::1] missing_left,
    const uint8_t[::1] is_cat,
    const uint32_t[:, ::1] bitset,
    const double[:, ::1] value,
    const double[::1] cover,
    const int64_t[::1] roots,
    Py_ssize_t max_depth,
    double[:, :, ::1] phi,         # OUT (n_samples, n_features, n_outputs), zeroed here
    int n_threads,
):
    """Contributions of every feature of every row, summed over the trees.

    The trees must have passed ``tree_summaries`` (``max_depth`` is the largest
    depth it found).  Returns a status (OK or NO_MEMORY).
    """
    cdef Py_ssize_t n = X.shape[0], n_trees = roots.shape[0] - 1
    cdef Py_ssize_t n_out = value.shape[1], r, k
    # one path slice per recursion level: level l starts at element l(l+1)/2
    # and holds l + 1 elements; levels run to max_depth + 1
    cdef Py_ssize_t path_len = (max_depth + 2) * (max_depth + 3) // 2
    cdef PathElement* path
    cdef Trees t
    cdef int failed = 0
    cdef int* failed_flag = &failed  # written through a pointer: shared by the threads
    phi[:, :, :] = 0.0
    if n == 0 or n_trees == 0:
        return OK
    t.left, t.right, t.feature = &left[0], &right[0], &feature[0]
    t.threshold, t.missing_left, t.is_cat = &threshold[0], &missing_left[0], &is_cat[0]
    t.bitset, t.value, t.cover = &bitset[0, 0], &value[0, 0], &cover[0]
    t.n_outputs = n_out
    with nogil, parallel(num_threads=n_threads):
        path = <PathElement*> malloc(path_len * sizeof(PathElement))
        if path == NULL:
            failed_flag[0] = 1
        for r in prange(n, schedule="dynamic", chunksize=16):
            if path != NULL:
                for k in range(n_trees):
                    _recurse(&X[r, 0], &t, roots[k], 0, &phi[r, 0, 0], path, 0, 1.0, 1.0, -1)
        free(path)
    return NO_MEMORY if failed else OK
