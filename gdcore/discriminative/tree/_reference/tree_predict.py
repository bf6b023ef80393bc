"""NumPy twin of ``gdcore.discriminative.tree._tree_predict``.

All rows descend one level at a time.
"""

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
    """Average the leaf values of every tree over packed nodes.

    Packed nodes (``tree_structure.pack_forest``): left when x <= threshold,
    NaN left when the code's low bit is set; leaves send every row to themselves.
    """
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


def pack_forest(left, right, feature, threshold, missing_left, values, roots, nodes,
                values_out, order, n_threads):
    """Pack the trees breadth first over every tree at once, one NumPy step per level.

    A tree keeps its slots, its nodes in level order with siblings adjacent.
    """
    n_nodes, n_trees = len(left), len(roots)
    if n_trees == 0:
        return 0
    sizes = np.diff(np.append(roots, n_nodes))
    if (sizes <= 0).any():
        return 1
    tree_of = np.repeat(np.arange(n_trees), sizes)
    inner = left != -1
    size = sizes[tree_of]
    if (inner & ((left < 0) | (left >= size) | (right < 0) | (right >= size))).any():
        return 1
    base = roots[tree_of]
    left = np.where(inner, left + base, -1)     # forest-wide ids
    right = np.where(inner, right + base, -1)
    levels, frontier, seen = [], np.asarray(roots), 0
    while frontier.size and seen <= n_nodes:   # a cycle would never end
        levels.append(frontier)
        seen += frontier.size
        parents = frontier[inner[frontier]]
        frontier = np.stack([left[parents], right[parents]], axis=1).ravel()
    visit = np.concatenate(levels)
    if visit.size != n_nodes:
        return 1
    # one tree after another; the stable sort keeps each tree's level order
    visit = visit[np.argsort(tree_of[visit], kind="stable")]
    if (tree_of[visit] != tree_of).any():
        return 1
    new_id = np.empty_like(visit)
    new_id[visit] = np.arange(n_nodes)
    keep = inner[visit]
    nodes["code"] = np.where(keep, 2 * feature[visit] + missing_left[visit], 1)
    nodes["threshold"] = np.where(keep, threshold[visit], np.inf)
    own = np.arange(n_nodes)
    nodes["left"] = np.where(keep, new_id[np.maximum(left[visit], 0)], own) - base
    values_out[:] = values[visit]
    order[:] = visit - base
    return 0
