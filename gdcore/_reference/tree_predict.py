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


def forest_mean(X, left, right, feature, threshold, missing_left, roots, values, out,
                n_threads):
    out[:] = 0.0
    for root in roots:
        out += values[_leaves(X, left, right, feature, threshold, missing_left, root)]
    if len(roots):
        out /= len(roots)
