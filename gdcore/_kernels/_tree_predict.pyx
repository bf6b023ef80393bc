"""Tree traversal: the leaf each sample reaches, and forest averages.

A sample walks from the root, going left when ``x[feature] <= threshold``
(NaN goes where the node's ``missing_go_to_left`` says), O(depth) per sample
and tree.  Forests are stored as one set of node arrays with every tree's
root listed in ``roots``; ``forest_mean`` takes rows in a few large
blocks (two per thread, at most MAX_BLOCK_ROWS) and walks each tree for the
whole block before the next tree, so a tree's nodes stay in cache while the
block's rows go through it (walking all 100 trees for one row at a time:
12.4 s against 0.45 s for scikit-learn on 20,000 x 40; blocks of 256 rows
still 1.6 s against 0.8 s, the 100 trees' 33 MB of nodes streamed per block).  Blocks are split among threads and every row's sum is
accumulated in tree order, so any thread count gives the same bits.  NumPy twin: ``gdcore/_reference/tree_predict.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport isnan

cdef enum:
    MIN_BLOCK_ROWS = 256
    MAX_BLOCK_ROWS = 16384


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
    const floating[:, ::1] X,              # IN (n, d)
    const Py_ssize_t[::1] left,            # IN (n_nodes,) left child, -1 at leaves
    const Py_ssize_t[::1] right,           # IN (n_nodes,)
    const Py_ssize_t[::1] feature,         # IN (n_nodes,)
    const double[::1] threshold,           # IN (n_nodes,)
    const unsigned char[::1] missing_left, # IN (n_nodes,)
    Py_ssize_t root,
    Py_ssize_t[::1] out,                   # OUT (n,) leaf reached by each row
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


def forest_mean(
    const floating[:, ::1] X,              # IN (n, d)
    const Py_ssize_t[::1] left,            # IN (n_nodes,) all trees' nodes, ids global
    const Py_ssize_t[::1] right,           # IN (n_nodes,)
    const Py_ssize_t[::1] feature,         # IN (n_nodes,)
    const double[::1] threshold,           # IN (n_nodes,)
    const unsigned char[::1] missing_left, # IN (n_nodes,)
    const Py_ssize_t[::1] roots,           # IN (n_trees,)
    const double[:, ::1] values,           # IN (n_nodes, V) leaf outputs
    double[:, ::1] out,                    # OUT (n, V) mean over trees of the leaf values
    int n_threads,
):
    """Mean of the trees' leaf values for each row (forest predict/predict_proba)."""
    cdef Py_ssize_t i, k, j, leaf, blk, n = X.shape[0], V = values.shape[1]
    cdef Py_ssize_t n_trees = roots.shape[0]
    cdef Py_ssize_t BLOCK_ROWS = max(MIN_BLOCK_ROWS,
                                     min(MAX_BLOCK_ROWS, n // (2 * max(n_threads, 1)) + 1))
    cdef Py_ssize_t n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    cdef double inv = 1.0 / n_trees if n_trees > 0 else 0.0
    if n == 0:
        return
    with nogil:
        for blk in prange(n_blocks, schedule="static", num_threads=n_threads):
            for i in range(blk * BLOCK_ROWS, min(n, (blk + 1) * BLOCK_ROWS)):
                for j in range(V):
                    out[i, j] = 0.0
            for k in range(n_trees):
                for i in range(blk * BLOCK_ROWS, min(n, (blk + 1) * BLOCK_ROWS)):
                    leaf = _leaf(&X[i, 0], roots[k], &left[0], &right[0], &feature[0],
                                 &threshold[0], &missing_left[0])
                    for j in range(V):
                        out[i, j] += values[leaf, j]
            for i in range(blk * BLOCK_ROWS, min(n, (blk + 1) * BLOCK_ROWS)):
                for j in range(V):
                    out[i, j] *= inv
