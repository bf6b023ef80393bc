"""NumPy twin of ``gdcore.discriminative.tree._tree_codes``.

Cuts per feature by ``numpy.unique``, codes by ``searchsorted``, and all
rows descending one level at a time.
"""

import numpy as np

MAX_CUTS, NAN_CODE, LEAF_CUT = 254, 255, 255


def _local_ids(n_nodes, roots):
    sizes = np.diff(np.append(roots, n_nodes))
    return np.arange(n_nodes) - np.repeat(roots, sizes)


def pack_codes(nodes, roots, cuts, n_cuts, out, n_threads):
    if len(roots) == 0 or len(nodes) == 0:
        return 0
    d = cuts.shape[0]
    if d == 0 or d > 65536:
        return 1
    inner = nodes["left"] != _local_ids(len(nodes), roots)
    feature, threshold = nodes["code"][inner] >> 1, nodes["threshold"][inner]
    if (feature >= d).any() or np.isnan(threshold).any():
        return 1
    cut = np.empty(len(feature), dtype=np.intp)
    for f in range(d):
        mine = feature == f
        distinct = np.unique(threshold[mine])
        if len(distinct) > MAX_CUTS:
            return 1
        cuts[f, : len(distinct)] = distinct
        n_cuts[f] = len(distinct)
        cut[mine] = np.searchsorted(distinct, threshold[mine], side="left")
    out["left"] = nodes["left"]
    out["feature"] = 0
    out["feature"][inner] = feature
    out["cut"] = LEAF_CUT
    out["cut"][inner] = cut
    out["missing_left"] = 1
    out["missing_left"][inner] = nodes["code"][inner] & 1
    return 0


def codes_of(X, cuts, n_cuts):
    """(n, d) uint8 codes: the number of a feature's cuts below x, NAN_CODE for NaN."""
    X = np.asarray(X, dtype=np.float64)
    codes = np.empty(X.shape, dtype=np.uint8)
    for f in range(X.shape[1]):
        c = np.searchsorted(cuts[f, : n_cuts[f]], X[:, f], side="left")
        codes[:, f] = np.where(np.isnan(X[:, f]), NAN_CODE, c)
    return codes


def forest_mean_codes(X, nodes, roots, values, cuts, n_cuts, out, n_threads):
    codes = codes_of(X, cuts, n_cuts).astype(np.intp)
    rows = np.arange(codes.shape[0])
    out[:] = 0.0
    for root in roots:
        node = np.zeros(codes.shape[0], dtype=np.intp)
        while True:
            nd = nodes[root + node]
            c = codes[rows, nd["feature"]]
            right = (c > nd["cut"]) & ((c != NAN_CODE) | (nd["missing_left"] == 0))
            nxt = nd["left"] + right
            if (nxt == node).all():
                break
            node = nxt
        out += values[root + node]
    if len(roots):
        out /= len(roots)
    return 0
