"""Forest predict on one-byte codes: the rows binned once by the forest's own cuts.

A forest grown on binned features splits each feature at few distinct
thresholds (its bin edges: at most ``max_bins - 1`` = 254).  With a
feature's thresholds sorted, c_0 < ... < c_{m-1}, the code of x is the
number of them strictly below x, and ``x <= c_k`` exactly when
``code <= k``: each node's float test becomes a comparison of bytes, with
the same answer.  ``pack_codes`` collects every feature's thresholds from a
packed forest (``_tree_predict.pack_forest``) and rewrites its nodes as
8-byte ``CodeNode``s holding the cut's index (or says the forest has a
feature with more than MAX_CUTS thresholds: max_bins=None, ExtraTrees'
drawn thresholds, a warm start on other bins; those keep the float walk).
``forest_mean_codes`` bins each block of rows once (d bytes a row instead of
4d or 8d, O(d log MAX_CUTS) a row) and walks the trees over the codes as
``_tree_predict.forest_mean`` walks the values: blocks of rows handed out
dynamically, each tree prefetched and walked by GROUP rows in lockstep,
every row's sum in tree order.  So the predictions are the float walk's to
the bit, on any thread count; the walk moves half the node bytes and a
quarter (float32) or an eighth (float64) of the row bytes, which is what a
deep forest's predict waits on.  Measured by `gdcore bench tree`
(RandomForestClassifier(100) predict).  NumPy twin:
``gdcore/discriminative/tree/_reference/tree_codes.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, uint8_t, uint16_t
from libc.stdlib cimport free, malloc
from libc.string cimport memmove

from gdcore._cy._prefetch cimport GDCORE_PREFETCH

from gdcore.discriminative.tree._tree_packed cimport (
    LEAF_CUT, MAX_CUTS, NAN_CODE, CodeNode, PackedNode, add_leaves,
)
from gdcore.discriminative.tree._tree_rank cimport rank


cdef enum:
    # Bytes of codes per block of rows, at most (at d = 40, 26,214 rows):
    # each tree is prefetched and walked once per block, so larger blocks
    # fetch each tree fewer times; at 1 MB the block's codes and a deep
    # tree's nodes (~1 MB at 1,000,000 training rows) still share a typical
    # 2 MB L2.  Blocks of 4,096 rows were 1.3x slower, 65,536 no faster.
    # Measured by `gdcore bench tree` (RandomForestClassifier(100) predict).
    BLOCK_BYTES = 1 << 20
    # Fewer row-tree walks than this run on one thread: about a millisecond
    # of work, less than waking a second thread can cost on a busy machine.
    MIN_PARALLEL_WALKS = 65536
    # Rows walked through a tree in lockstep: enough independent chains of
    # loads to hide a cache miss, few enough that their nodes stay in
    # registers and L1.  Measured by `gdcore bench tree`
    # (RandomForestClassifier(100) predict).
    GROUP = 16
    # Forests with fewer nodes than this are rewritten on one thread.
    MIN_PARALLEL_PACK = 65536
    OK = 0
    NOT_CODED = 1
    NO_MEMORY = 2

STATUS_OK = OK
STATUS_NOT_CODED = NOT_CODED
STATUS_NO_MEMORY = NO_MEMORY
CUTS_MAX = MAX_CUTS


cdef int _collect_cuts(const PackedNode* nodes, Py_ssize_t size, Py_ssize_t d,
                       double* cuts, int* n_cuts) noexcept nogil:
    """Add one tree's thresholds to each feature's sorted, distinct cuts[f, :n_cuts[f]]."""
    cdef Py_ssize_t p, f, j, m
    cdef double t
    cdef double* c
    for p in range(size):
        if nodes[p].left == p:          # a leaf
            continue
        f = nodes[p].code >> 1
        t = nodes[p].threshold
        if f < 0 or f >= d or t != t:
            return NOT_CODED
        c = cuts + f * MAX_CUTS
        m = n_cuts[f]
        j = rank(c, m, t)
        if j < m and c[j] == t:
            continue
        if m == MAX_CUTS:
            return NOT_CODED
        memmove(c + j + 1, c + j, (m - j) * sizeof(double))
        c[j] = t
        n_cuts[f] = <int> (m + 1)
    return OK


cdef void _code_tree(const PackedNode* nodes, Py_ssize_t size, const double* cuts,
                     const int* n_cuts, CodeNode* out) noexcept nogil:
    """One tree's nodes with each threshold replaced by its index among the feature's cuts."""
    cdef Py_ssize_t p, f
    for p in range(size):
        out[p].left = nodes[p].left
        if nodes[p].left == p:
            out[p].feature = 0
            out[p].cut = LEAF_CUT
            out[p].missing_left = 1
        else:
            f = nodes[p].code >> 1
            out[p].feature = <uint16_t> f
            out[p].cut = <uint8_t> rank(cuts + f * MAX_CUTS, n_cuts[f], nodes[p].threshold)
            out[p].missing_left = <uint8_t> (nodes[p].code & 1)


def pack_codes(
    const PackedNode[::1] nodes,   # IN (n_nodes,) a forest packed by pack_forest
    const Py_ssize_t[::1] roots,   # IN (n_trees,) first node of each tree, increasing
    double[:, ::1] cuts,           # OUT (d, MAX_CUTS) zeros in; each feature's sorted cuts
    int[::1] n_cuts,               # OUT (d,) zeros in; cuts used per feature
    CodeNode[::1] out,             # OUT (n_nodes,) the nodes over codes
    int n_threads,
):
    """Collect the forest's cuts (one pass, in tree order) and rewrite its nodes
    over codes (parallel over trees).  Returns STATUS_OK, or STATUS_NOT_CODED if
    a feature has more than MAX_CUTS thresholds (or d > 65536): use forest_mean."""
    cdef Py_ssize_t k, lo, size, n_nodes = nodes.shape[0], n_trees = roots.shape[0]
    cdef Py_ssize_t d = cuts.shape[0]
    cdef int status = OK
    cdef int nt = n_threads if n_nodes >= MIN_PARALLEL_PACK else 1
    if n_trees == 0 or n_nodes == 0:
        return OK
    if d == 0 or d > 65536 or cuts.shape[1] != MAX_CUTS:
        return NOT_CODED
    with nogil:
        # a set of cuts does not depend on the order it is collected in;
        # one pass, as the pack is a small share of a fit
        for k in range(n_trees):
            lo = roots[k]
            size = (roots[k + 1] if k + 1 < n_trees else n_nodes) - lo
            status = _collect_cuts(&nodes[lo], size, d, &cuts[0, 0], &n_cuts[0])
            if status != OK:
                break
        if status == OK:
            for k in prange(n_trees, schedule="dynamic", num_threads=nt):
                lo = roots[k]
                _code_tree(&nodes[lo], (roots[k + 1] if k + 1 < n_trees else n_nodes) - lo,
                           &cuts[0, 0], &n_cuts[0], &out[lo])
    return status


cdef inline bint _bin_rows(const floating* X, Py_ssize_t m, Py_ssize_t d, const double* cuts,
                           const int* n_cuts, uint8_t* codes) noexcept nogil:
    """Codes of rows X[0:m] (row-major, like X); returns whether none is NaN."""
    cdef Py_ssize_t i, f
    cdef double x
    cdef bint nan_free = True
    for i in range(m):
        for f in range(d):
            x = X[i * d + f]
            if x != x:
                codes[i * d + f] = NAN_CODE
                nan_free = False
            else:
                codes[i * d + f] = <uint8_t> rank(cuts + f * MAX_CUTS, n_cuts[f], x)
    return nan_free


cdef inline void _walk(const uint8_t* C, Py_ssize_t d, Py_ssize_t m, const CodeNode* tree,
                       int32_t* node, bint nan_free) noexcept nogil:
    """Walk coded rows C[0:m] (m <= GROUP) through one tree in lockstep, one
    level per pass; node[g] ends at row g's leaf (leaves point to themselves,
    so a pass tests no row for being done)."""
    cdef Py_ssize_t g
    cdef int32_t nxt, moved = 1
    cdef const CodeNode* nd
    cdef uint8_t c
    for g in range(m):
        node[g] = 0
    if nan_free:
        while moved:
            moved = 0
            for g in range(m):
                nd = &tree[node[g]]
                nxt = nd.left + (C[g * d + nd.feature] > nd.cut)
                moved |= nxt ^ node[g]
                node[g] = nxt
        return
    while moved:
        moved = 0
        for g in range(m):
            nd = &tree[node[g]]
            c = C[g * d + nd.feature]
            nxt = nd.left + ((c > nd.cut) & ((c != NAN_CODE) | (nd.missing_left == 0)))
            moved |= nxt ^ node[g]
            node[g] = nxt


cdef int _block_mean(const floating* X, Py_ssize_t d, Py_ssize_t m,
                     const CodeNode* nodes, Py_ssize_t n_nodes,
                     const Py_ssize_t* roots, Py_ssize_t n_trees,
                     const double* values, Py_ssize_t V, const double* cuts,
                     const int* n_cuts, double* out) noexcept nogil:
    """out[0:m] = mean over trees of the leaf values of rows X[0:m]: the block
    binned once, then every tree in turn walks it, GROUP rows at a time;
    each row's sum runs in tree order."""
    cdef Py_ssize_t i0, g, k, size, lo, cur, prev_i0, prev_size
    cdef bint nan_free
    # on this thread's stack, not shared: see _tree_predict._block_mean; two
    # groups, the one walking and the one whose leaf values are arriving
    cdef int32_t node[2 * GROUP]
    cdef uint8_t* codes = <uint8_t*> malloc(m * d)
    if codes == NULL:
        return NO_MEMORY
    nan_free = _bin_rows(X, m, d, cuts, n_cuts, codes)
    for i0 in range(m * V):
        out[i0] = 0.0
    for k in range(n_trees):
        lo = roots[k]
        size = (roots[k + 1] if k + 1 < n_trees else n_nodes) - lo
        for i0 in range(0, size, 8):    # one cache line (8 nodes) at a time
            GDCORE_PREFETCH(nodes + lo + i0, 2)
        # leaf values asked for at a walk's end, added after the next walk
        # (see add_leaves)
        i0 = 0
        cur = 0
        prev_i0 = 0
        prev_size = 0
        while i0 < m:
            size = min(<Py_ssize_t> GROUP, m - i0)
            _walk(codes + i0 * d, d, size, nodes + lo, node + cur, nan_free)
            for g in range(size):
                GDCORE_PREFETCH(values + (lo + node[cur + g]) * V, 3)
            add_leaves(values + lo * V, V, node + (GROUP - cur), prev_size, out + prev_i0 * V)
            prev_i0 = i0
            prev_size = size
            cur = GROUP - cur
            i0 += GROUP
        add_leaves(values + lo * V, V, node + (GROUP - cur), prev_size, out + prev_i0 * V)
    for i0 in range(m * V):
        out[i0] /= n_trees
    free(codes)
    return OK


def forest_mean_codes(
    const floating[:, ::1] X,        # IN (n, d)
    const CodeNode[::1] nodes,       # IN (n_nodes,) all trees, see pack_codes
    const Py_ssize_t[::1] roots,     # IN (n_trees,) first node of each tree
    const double[:, ::1] values,     # IN (n_nodes, V) leaf outputs, same ids as nodes
    const double[:, ::1] cuts,       # IN (d, MAX_CUTS) each feature's sorted cuts
    const int[::1] n_cuts,           # IN (d,) cuts used per feature
    double[:, ::1] out,              # OUT (n, V) mean over trees of the leaf values
    int n_threads,
):
    """Mean of the trees' leaf values for each row, over codes (forest predict).

    Returns STATUS_OK, or STATUS_NO_MEMORY if a block's codes could not be allocated."""
    cdef Py_ssize_t lo, blk, n = X.shape[0], d = X.shape[1], nt = max(n_threads, 1)
    cdef Py_ssize_t n_blocks, rows, block
    cdef int failed = 0
    if n == 0 or roots.shape[0] == 0 or d == 0:
        out[:, :] = 0.0
        return OK
    if n * roots.shape[0] < MIN_PARALLEL_WALKS:
        nt = 1
    # a multiple of the thread count of blocks of at most ~BLOCK_BYTES of codes
    block = max(<Py_ssize_t> GROUP, BLOCK_BYTES // d)
    n_blocks = nt * ((n + nt * block - 1) // (nt * block))
    rows = (n + n_blocks - 1) // n_blocks
    with nogil:
        for blk in prange(n_blocks, schedule="dynamic", num_threads=nt):
            lo = blk * rows
            if lo >= n:
                continue
            # a reduction: any block's failure reaches the caller
            failed |= _block_mean(&X[lo, 0], d, min(rows, n - lo), &nodes[0], nodes.shape[0],
                                  &roots[0], roots.shape[0], &values[0, 0], values.shape[1],
                                  &cuts[0, 0], &n_cuts[0], &out[lo, 0])
    return NO_MEMORY if failed else OK
