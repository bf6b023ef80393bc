"""NumPy twin of ``gdcore.discriminative.tree._tree_shap``: the same entry points, in Python.

TreeSHAP (Lundberg et al. 2020, Algorithm 2), written as the paper's
recursion over one row and one tree at a time.  Trees are the flat arrays
of ``_shap.tree_shap``: tree k holds nodes ``roots[k]:roots[k + 1]`` and its
child ids are tree-local.
"""

import numpy as np

OK, BAD_TREE, NO_MEMORY = 0, 1, 2


def _goes_left(v, node, threshold, missing_left, is_cat, bitset):
    if np.isnan(v):
        return bool(missing_left[node])
    if is_cat[node]:
        if not 0 <= v < 256:
            return False
        c = int(v)
        return bool((int(bitset[node, c >> 5]) >> (c & 31)) & 1)
    return v <= threshold[node]


def _fraction(cover, child, node):
    return cover[child] / cover[node] if cover[node] > 0 else 0.0


def tree_summaries(left, right, feature, cover, value, roots, n_features, depth, expected):
    """Check each tree's structure; its depth and cover-weighted mean leaf value (# OUT)."""
    for k in range(len(roots) - 1):
        lo, size = roots[k], roots[k + 1] - roots[k]
        if size < 1:
            return BAD_TREE
        seen = np.zeros(size, dtype=bool)
        stack = [(0, 0, 1.0)]
        depth[k], expected[k] = 0, 0.0
        while stack:
            node, d, reach = stack.pop()
            if seen[node]:
                return BAD_TREE
            seen[node] = True
            a, b = left[lo + node], right[lo + node]
            if a < 0 and b < 0:
                depth[k] = max(depth[k], d)
                expected[k] += reach * value[lo + node]
                continue
            if not (0 <= a < size and 0 <= b < size and 0 <= feature[lo + node] < n_features):
                return BAD_TREE
            for c in (a, b):
                stack.append((c, d + 1, reach * _fraction(cover, lo + c, lo + node)))
    return OK


def _extend(path, depth, zero, one, feat):
    path[depth] = [feat, zero, one, 1.0 if depth == 0 else 0.0]
    for i in range(depth - 1, -1, -1):
        path[i + 1][3] += one * path[i][3] * (i + 1) / (depth + 1)
        path[i][3] = zero * path[i][3] * (depth - i) / (depth + 1)


def _unwind(path, depth, index):
    _, zero, one, _ = path[index]
    nxt = path[depth][3]
    for i in range(depth - 1, -1, -1):
        if one != 0:
            tmp = path[i][3]
            path[i][3] = nxt * (depth + 1) / ((i + 1) * one)
            nxt = tmp - path[i][3] * zero * (depth - i) / (depth + 1)
        else:
            path[i][3] = path[i][3] * (depth + 1) / (zero * (depth - i))
    for i in range(index, depth):
        path[i][:3] = path[i + 1][:3]


def _unwound_sum(path, depth, index):
    _, zero, one, _ = path[index]
    nxt, total = path[depth][3], 0.0
    for i in range(depth - 1, -1, -1):
        if one != 0:
            tmp = nxt * (depth + 1) / ((i + 1) * one)
            total += tmp
            nxt = path[i][3] - tmp * zero * (depth - i) / (depth + 1)
        elif zero != 0:
            total += path[i][3] * (depth + 1) / (zero * (depth - i))
    return total


def _recurse(x, t, lo, node, phi, parent, depth, zero, one, feat):
    path = [list(p) for p in parent[:depth]] + [[0, 0.0, 0.0, 0.0]]
    _extend(path, depth, zero, one, feat)
    left, right, feature, threshold, missing_left, is_cat, bitset, value, cover = t
    a = left[lo + node]
    if a < 0:
        for i in range(1, depth + 1):
            w = _unwound_sum(path, depth, i)
            phi[path[i][0]] += w * (path[i][2] - path[i][1]) * value[lo + node]
        return
    b = right[lo + node]
    hot, cold = ((a, b) if _goes_left(x[feature[lo + node]], lo + node, threshold,
                                      missing_left, is_cat, bitset) else (b, a))
    hot_zero = _fraction(cover, lo + hot, lo + node)
    cold_zero = _fraction(cover, lo + cold, lo + node)
    split = feature[lo + node]
    in_zero = in_one = 1.0
    for k in range(depth + 1):
        if path[k][0] == split:
            in_zero, in_one = path[k][1], path[k][2]
            _unwind(path, depth, k)
            depth -= 1
            break
    # a branch with no weight from either side contributes nothing
    if hot_zero * in_zero != 0 or in_one != 0:
        _recurse(x, t, lo, hot, phi, path, depth + 1, hot_zero * in_zero, in_one, split)
    if cold_zero * in_zero != 0:
        _recurse(x, t, lo, cold, phi, path, depth + 1, cold_zero * in_zero, 0.0, split)


def tree_shap(X, left, right, feature, threshold, missing_left, is_cat, bitset, value, cover,
              roots, max_depth, phi, n_threads):
    """Add every tree's contributions for every row of X to ``phi`` (# IN/OUT, zeroed first)."""
    t = (left, right, feature, threshold, missing_left, is_cat, bitset, value, cover)
    phi[:] = 0.0
    for r in range(X.shape[0]):
        x = X[r].astype(np.float64)
        for k in range(len(roots) - 1):
            _recurse(x, t, roots[k], 0, phi[r], [], 0, 1.0, 1.0, -1)
    return OK
