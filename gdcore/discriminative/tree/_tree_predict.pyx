"""Tree traversal: the leaf each sample reaches, and forest averages.

A sample walks from the root, going left when ``x[feature] <= threshold``
(NaN goes where the node's ``missing_go_to_left`` says), O(depth) per sample
and tree.  ``apply`` walks one tree stored as scikit-learn's node arrays.

``forest_mean`` (forest predict) walks a forest packed by
``tree_structure.pack_forest`` into 16-byte nodes, breadth first with
siblings adjacent (one cache line per step instead of five, one per node
array).  Rows go in blocks of ~BLOCK_ROWS, a multiple of the thread count of
them, handed to threads dynamically (a descheduled thread on a busy machine
does not hold up the rest); within a block every tree in turn is prefetched
whole (it is contiguous: a tree of ~10,000 16-byte nodes is under 200 KB,
which fits a typical L2) and then walked by the block's rows GROUP at a time in
lockstep, so the GROUP chains of dependent loads overlap.  Blocks with no
NaN use the bare test ``x > threshold``.  Each of these (packed nodes, the
NaN-free test, prefetching each tree, GROUP rows in lockstep) removes
cache misses or branches from the walk; measured by `gdcore bench tree`
(RandomForestClassifier(100) predict).  Every row's sum runs in tree order,
so any thread count gives the same bits.  NumPy twin:
``gdcore/discriminative/tree/_reference/tree_predict.py``.

``pack_forest`` writes that layout from the trees' node arrays, one
breadth-first pass per tree (O(nodes)), in parallel over trees: the
vectorized NumPy twin needs a stable argsort and fancy indexing over all
nodes, a visible share of a forest fit (measured by `gdcore bench tree`,
RandomForestClassifier(100) fit).
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY, isnan
from libc.stdint cimport int32_t
from libc.string cimport memcpy

from gdcore._cy._prefetch cimport GDCORE_PREFETCH

from gdcore.discriminative.tree._tree_packed cimport PackedNode, add_leaves


cdef enum:
    # Rows per block, at most: at d = 40 a block of float32 rows is 640 KB,
    # which stays in a typical 1-2 MB L2 beside the tree being walked; larger
    # blocks spill it, smaller ones prefetch each tree more often.  Measured
    # by `gdcore bench tree` (RandomForestClassifier(100) predict).
    BLOCK_ROWS = 4096
    # Fewer row-tree walks than this run on one thread: about a millisecond
    # of work, less than waking a second thread can cost on a busy machine
    # (small predictions, e.g. iris with 100 trees, would be slower on two).
    MIN_PARALLEL_WALKS = 65536
    # Rows walked through a tree in lockstep: enough independent chains of
    # loads to hide a cache miss, few enough that their nodes and rows stay
    # in registers and L1.  Measured by `gdcore bench tree`
    # (RandomForestClassifier(100) predict).
    GROUP = 16
    # Forests with fewer nodes than this are packed on one thread: the pass
    # takes well under a millisecond, less than waking the threads.
    MIN_PARALLEL_PACK = 65536
    OK = 0
    BAD_TREE = 1

STATUS_OK = OK
STATUS_BAD_TREE = BAD_TREE


cdef inline Py_ssize_t _leaf(const floating* x, Py_ssize_t node,
                             const Py_ssize_t* left, const Py_ssize_t* right,
                             const Py_ssize_t* feature, const double* threshold,
                             const unsigned char* missing_left) noexcept nogil:
    cdef floating v
    while left[node] >= 0:
        v = x[feature[node]]
        if isnan(v):
            node = left[node] if missing_left[node] else right[node]
        elif v <= threshold[node]:
            node = left[node]
        else:
            node = right[node]
    return node


def apply(
    const floating[:, ::1] X,               # IN (n, d)
    const Py_ssize_t[::1] left,             # IN (n_nodes,) left child, -1 at leaves
    const Py_ssize_t[::1] right,            # IN (n_nodes,)
    const Py_ssize_t[::1] feature,          # IN (n_nodes,)
    const double[::1] threshold,            # IN (n_nodes,)
    const unsigned char[::1] missing_left,  # IN (n_nodes,)
    Py_ssize_t root,
    Py_ssize_t[::1] out,                    # OUT (n,) leaf reached by each row
    int n_threads,
):
    """The leaf of the tree rooted at ``root`` that each row of X falls in."""
    cdef Py_ssize_t i, n = X.shape[0]
    if n == 0:
        return
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            out[i] = _leaf(&X[i, 0], root, &left[0], &right[0], &feature[0],
                           &threshold[0], &missing_left[0])


cdef inline void _walk(const floating* X, Py_ssize_t d, Py_ssize_t m,
                       const PackedNode* tree, int32_t* node, bint nan_free) noexcept nogil:
    """Walk rows X[0:m] (m <= GROUP) through one tree in lockstep, one level
    per pass; node[g] ends at row g's leaf.  Leaves point to themselves, so a
    pass needs no test of whether a row is done, and the m walks are
    independent chains of loads the CPU overlaps.  Rows without NaN skip the
    missing-value rule (``x > threshold`` is the whole test)."""
    cdef Py_ssize_t g
    cdef int32_t nxt, moved = 1
    cdef const PackedNode* nd
    cdef floating v
    for g in range(m):
        node[g] = 0
    if nan_free:
        while moved:
            moved = 0
            for g in range(m):
                nd = &tree[node[g]]
                nxt = nd.left + (X[g * d + (nd.code >> 1)] > nd.threshold)
                moved |= nxt ^ node[g]
                node[g] = nxt
        return
    while moved:
        moved = 0
        for g in range(m):
            nd = &tree[node[g]]
            v = X[g * d + (nd.code >> 1)]
            nxt = nd.left + (1 - ((v <= nd.threshold) | ((v != v) & (nd.code & 1))))
            moved |= nxt ^ node[g]
            node[g] = nxt


cdef inline void _prefetch(const PackedNode* tree, Py_ssize_t size) noexcept nogil:
    """Ask for a tree's nodes, one cache line (4 nodes) at a time."""
    cdef Py_ssize_t i
    for i in range(0, size, 4):
        GDCORE_PREFETCH(tree + i, 2)


cdef void _block_mean(const floating* X, Py_ssize_t d, Py_ssize_t m,
                      const PackedNode* nodes, Py_ssize_t n_nodes,
                      const Py_ssize_t* roots, Py_ssize_t n_trees,
                      const double* values, Py_ssize_t V, double* out) noexcept nogil:
    """out[0:m] = mean over trees of the leaf values of rows X[0:m]: every tree
    in turn walks the whole block, GROUP rows at a time, so the block's rows
    stay in cache; each row's sum runs in tree order."""
    cdef Py_ssize_t i0, g, k, size, cur, prev_i0, prev_size
    cdef bint nan_free = True
    # On this thread's stack: a shared (threads, GROUP) array would put two
    # threads' lanes in one cache line, written at every level (false
    # sharing, which makes two threads slower than one).  Two groups: the
    # one walking and the one whose leaf values are arriving (add_leaves).
    cdef int32_t node[2 * GROUP]
    for i0 in range(m * d):
        if X[i0] != X[i0]:
            nan_free = False
            break
    for i0 in range(m * V):
        out[i0] = 0.0
    for k in range(n_trees):
        _prefetch(nodes + roots[k], (roots[k + 1] if k + 1 < n_trees else n_nodes) - roots[k])
        i0 = 0
        cur = 0
        prev_i0 = 0
        prev_size = 0
        while i0 < m:
            size = min(<Py_ssize_t> GROUP, m - i0)
            _walk(X + i0 * d, d, size, nodes + roots[k], node + cur, nan_free)
            for g in range(size):
                GDCORE_PREFETCH(values + (roots[k] + node[cur + g]) * V, 3)
            add_leaves(values + roots[k] * V, V, node + (GROUP - cur), prev_size,
                       out + prev_i0 * V)
            prev_i0 = i0
            prev_size = size
            cur = GROUP - cur
            i0 += GROUP
        add_leaves(values + roots[k] * V, V, node + (GROUP - cur), prev_size, out + prev_i0 * V)
    for i0 in range(m * V):
        out[i0] /= n_trees


def forest_mean(
    const floating[:, ::1] X,              # IN (n, d)
    const PackedNode[::1] nodes,           # IN (n_nodes,) all trees, see pack_forest
    const Py_ssize_t[::1] roots,           # IN (n_trees,) first node of each tree
    const double[:, ::1] values,           # IN (n_nodes, V) leaf outputs, same ids as nodes
    double[:, ::1] out,                    # OUT (n, V) mean over trees of the leaf values
    int n_threads,
):
    """Mean of the trees' leaf values for each row (forest predict/predict_proba)."""
    cdef Py_ssize_t lo, blk, n = X.shape[0], d = X.shape[1], nt = max(n_threads, 1)
    cdef Py_ssize_t n_blocks, rows
    if n == 0 or roots.shape[0] == 0:
        out[:, :] = 0.0
        return
    if n * roots.shape[0] < MIN_PARALLEL_WALKS:
        nt = 1
    # a multiple of the thread count of blocks of at most ~BLOCK_ROWS rows
    n_blocks = nt * ((n + nt * BLOCK_ROWS - 1) // (nt * BLOCK_ROWS))
    rows = (n + n_blocks - 1) // n_blocks
    with nogil:
        for blk in prange(n_blocks, schedule="dynamic", num_threads=nt):
            lo = blk * rows
            if lo >= n:
                continue
            _block_mean(&X[lo, 0], d, min(rows, n - lo), &nodes[0],
                        nodes.shape[0], &roots[0], roots.shape[0], &values[0, 0], values.shape[1],
                        &out[lo, 0])


cdef int _pack_tree(const Py_ssize_t* left, const Py_ssize_t* right,
                    const Py_ssize_t* feature, const double* threshold,
                    const unsigned char* missing_left, const double* values,
                    Py_ssize_t V, Py_ssize_t size, PackedNode* out, double* values_out,
                    Py_ssize_t* order) noexcept nogil:
    """Pack one tree of ``size`` nodes breadth first: order[] is the queue of
    its node ids in packed order, each inner node appending its two children
    side by side.  BAD_TREE if a child id is out of range or the nodes are
    not one tree rooted at 0 (the pass reads nothing outside the tree)."""
    cdef Py_ssize_t p, o, queued = 1
    if size <= 0:
        return BAD_TREE
    order[0] = 0
    for p in range(size):
        if p >= queued:                  # fewer nodes reachable than stored
            return BAD_TREE
        o = order[p]
        if left[o] != -1:
            if (queued + 2 > size or left[o] < 0 or left[o] >= size
                    or right[o] < 0 or right[o] >= size):
                return BAD_TREE
            order[queued] = left[o]
            order[queued + 1] = right[o]
            out[p].threshold = threshold[o]
            out[p].code = <int32_t> (2 * feature[o] + missing_left[o])
            out[p].left = <int32_t> queued
            queued += 2
        else:
            out[p].threshold = INFINITY
            out[p].code = 1
            out[p].left = <int32_t> p
        memcpy(values_out + p * V, values + o * V, V * sizeof(double))
    return OK


def pack_forest(
    const Py_ssize_t[::1] left,             # IN (n_nodes,) tree-local left child, -1 at leaves
    const Py_ssize_t[::1] right,            # IN (n_nodes,) tree-local right child
    const Py_ssize_t[::1] feature,          # IN (n_nodes,)
    const double[::1] threshold,            # IN (n_nodes,)
    const unsigned char[::1] missing_left,  # IN (n_nodes,)
    const double[:, ::1] values,            # IN (n_nodes, V) node values
    const Py_ssize_t[::1] roots,            # IN (n_trees,) first node of each tree, increasing
    PackedNode[::1] nodes,                  # OUT (n_nodes,) see PackedNode
    double[:, ::1] values_out,              # OUT (n_nodes, V) values in packed order
    Py_ssize_t[::1] order,                  # OUT (n_nodes,) tree-local input id of each packed node
    int n_threads,
):
    """Pack a forest for ``forest_mean``: tree k keeps its slots
    ``roots[k]:roots[k + 1]``, its nodes breadth first with siblings adjacent.
    Returns STATUS_OK, or STATUS_BAD_TREE if some tree is malformed."""
    cdef Py_ssize_t k, lo, size, n_nodes = left.shape[0], n_trees = roots.shape[0]
    cdef Py_ssize_t V = values.shape[1]
    cdef int nt = n_threads if n_nodes >= MIN_PARALLEL_PACK else 1
    cdef int[::1] status = np.zeros(max(n_trees, 1), dtype=np.intc)
    if n_trees == 0:
        return OK
    with nogil:
        for k in prange(n_trees, schedule="dynamic", num_threads=nt):
            lo = roots[k]
            size = (roots[k + 1] if k + 1 < n_trees else n_nodes) - lo
            if size <= 0 or lo < 0 or lo + size > n_nodes:
                # an empty tree has no slot: &left[lo] would point past the end
                status[k] = BAD_TREE
                continue
            status[k] = _pack_tree(&left[lo], &right[lo], &feature[lo], &threshold[lo],
                                   &missing_left[lo], &values[0, 0] + lo * V, V, size,
                                   &nodes[lo], &values_out[0, 0] + lo * V, &order[lo])
    return BAD_TREE if np.any(status) else OK
