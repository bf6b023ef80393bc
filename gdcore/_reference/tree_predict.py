"""NumPy twin of ``gdcore._kernels._tree_predict``: all rows descend one level at a time."""

import numpy as np


def _leaves(X, left, right, feature, threshold, missing_left, root):
    X = np.asarray(X, dtype=np.float64)
    node = np.full(X.shape[0], root, dtype=np.intp)
    rows = np.arange(X.shape[0])
    while True:
        inner = left[node] >= 0
        if not inner.any():
            return node
        r, nd = rows[inner], node[inner]
        x = X[r, feature[nd]]
        go_left = np.where(np.isnan(x), missing_left[nd] == 1, x <= threshold[nd])
        node[r] = np.where(go_left, left[nd], right[nd])


def apply(X, left, right, feature, threshold, missing_left, root, out, n_threads):
    out[:] = _leaves(X, left, right, feature, threshold, missing_left, root)


def forest_mean(X, nodes, roots, values, out, n_threads):
    """Packed nodes (``tree_structure.pack_forest``): left when x <= threshold,
    NaN left when the code's low bit is set; leaves send every row to themselves."""
    X = np.asarray(X, dtype=np.float64)
    rows = np.arange(X.shape[0])
    out[:] = 0.0
    for root in roots:
        node = np.zeros(X.shape[0], dtype=np.intp)
        while True:
            nd = nodes[root + node]
            x = X[rows, nd["code"] >> 1]
            go_left = np.where(np.isnan(x), (nd["code"] & 1) == 1, x <= nd["threshold"])
            nxt = nd["left"] + ~go_left
            if (nxt == node).all():
                break
            node = nxt
        out += values[root + node]
    if len(roots):
        out /= len(roots)
