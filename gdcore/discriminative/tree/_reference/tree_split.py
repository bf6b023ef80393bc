"""NumPy twin of ``gdcore.discriminative.tree._tree_split``: every candidate cut enumerated.

Same entry points, same order of candidates (cut positions ascending, missing
values right then left, then "missing alone"), same strict-improvement rule,
same splitmix64 draws for random splits.  Statistics rows are
``[count, weight, K target sums]``.
"""

import numpy as np

CRITERION_GINI, CRITERION_ENTROPY, CRITERION_SQUARED_ERROR, CRITERION_POISSON = 0, 1, 2, 3
FEATURE_THRESHOLD = 1e-7
EPSILON = np.finfo(np.float64).eps
_M = (1 << 64) - 1


def rng_next(state):
    """splitmix64 on a one-element list holding the state."""
    state[0] = (state[0] + 0x9E3779B97F4A7C15) & _M
    z = state[0]
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


def sample_stats(y_cls, y_reg, class_offset, K, rows, weight):
    """(len(rows), 2 + K) per-sample statistics."""
    w = np.asarray(weight, dtype=np.float64)[rows]
    out = np.zeros((len(rows), 2 + K))
    out[:, 0] = 1.0
    out[:, 1] = w
    if y_cls is not None:
        for o in range(y_cls.shape[1]):
            out[np.arange(len(rows)), 2 + class_offset[o] + y_cls[rows, o]] += w
    else:
        out[:, 2:] = w[:, None] * y_reg[rows]
    return out


def clf_impurity(s, class_offset, K, n_outputs, criterion):
    W, imp = s[1], 0.0
    if W <= 0:
        return 0.0
    for o in range(n_outputs):
        hi = class_offset[o + 1] if o + 1 < n_outputs else K
        c = s[2 + class_offset[o]: 2 + hi]
        if criterion == CRITERION_GINI:
            p = c / W  # fractions first: W * W underflows for tiny weights
            imp += 1.0 - np.sum(p * p)
        else:
            p = c[c > 0] / W
            imp -= np.sum(p * np.log2(p))
    return imp / n_outputs


def proxy(L, R, class_offset, K, n_outputs, criterion):
    if criterion in (CRITERION_GINI, CRITERION_ENTROPY):
        return -(L[1] * clf_impurity(L, class_offset, K, n_outputs, criterion)
                 + R[1] * clf_impurity(R, class_offset, K, n_outputs, criterion))
    sl, sr = L[2:2 + n_outputs], R[2:2 + n_outputs]
    if criterion == CRITERION_SQUARED_ERROR:
        return float(np.sum(sl * sl / L[1] + sr * sr / R[1]))
    if (sl <= EPSILON).any() or (sr <= EPSILON).any():
        return -np.inf
    return float(np.sum(sl * np.log(sl / L[1]) + sr * np.log(sr / R[1])))


def node_impurity(stats, y_reg, rows, weight, total, class_offset, K, n_outputs, criterion):
    if criterion in (CRITERION_GINI, CRITERION_ENTROPY):
        return clf_impurity(total, class_offset, K, n_outputs, criterion)
    w = np.asarray(weight)[rows]
    y = y_reg[rows]
    mean = total[2:2 + n_outputs] / total[1]
    if criterion == CRITERION_SQUARED_ERROR:
        return (np.sum(w[:, None] * y * y) / total[1] - np.sum(mean * mean)) / n_outputs
    if (total[2:2 + n_outputs] <= EPSILON).any():
        return np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / mean), 0.0)
    return np.sum(w[:, None] * terms) / (total[1] * n_outputs)


def _threshold(table, is_exact, f, bl, br):
    v = table[f]
    if not is_exact[f]:
        return v[bl]
    thr = v[bl] / 2.0 + v[br] / 2.0
    return v[bl] if thr == v[br] or np.isinf(thr) else thr


def best_split(codes8, codes32, n_bins, table, is_exact, y_cls, y_reg, class_offset, K,
               criterion, idx, weight, min_samples_leaf, min_weight_leaf, method, seed):
    codes = codes8 if codes8 is not None else codes32
    n_outputs = (y_cls if y_cls is not None else y_reg).shape[1]
    idx = np.asarray(idx)
    if len(idx) == 0:
        return None, np.zeros(2 + K), 0.0
    stats = sample_stats(y_cls, y_reg, class_offset, K, idx, weight)
    total = stats.sum(axis=0)
    impurity = node_impurity(stats, y_reg, idx, weight, total, class_offset, K, n_outputs,
                             criterion)
    best, rng = [None, -np.inf], [int(seed)]
    for f in range(codes.shape[0]):
        search_feature(codes, n_bins, table, is_exact, class_offset, K, n_outputs, criterion,
                       idx, stats, total, min_samples_leaf, min_weight_leaf, method,
                       rng, f, best)
    return best[0], total, impurity


def search_feature(codes, n_bins, table, is_exact, class_offset, K, n_outputs, criterion,
                   idx, stats, total, min_samples_leaf, min_weight_leaf, method, rng, f,
                   best):
    """Update best = [split, proxy] with feature f; True unless f is constant here."""

    def consider(f, bl, br, left, miss, sides, thr):
        for side in range(sides):
            if side == 1 and miss[0] == 0:
                break
            L = left + (miss if side == 1 else 0.0)
            R = total - L
            if min(L[0], R[0]) < min_samples_leaf or min(L[1], R[1]) < min_weight_leaf:
                continue
            if L[1] <= 0 or R[1] <= 0:
                continue
            q = proxy(L, R, class_offset, K, n_outputs, criterion)
            if q > best[1]:
                t = thr if thr is not None else _threshold(table, is_exact, f, bl, br)
                ml = side == 1 if miss[0] > 0 else bool(L[0] > R[0])
                best[:] = [(f, bl, t, ml, q, int(L[0])), q]

    c = codes[f, idx].astype(np.int64)
    nb = n_bins[f]
    missing = c == nb
    miss = stats[missing].sum(axis=0)
    present = np.unique(c[~missing])
    if method == 2:
        if len(present) < 2:
            return False
        lo, hi = present[0], present[-1]
        v = table[f]
        if is_exact[f] and v[hi] <= v[lo] + FEATURE_THRESHOLD:
            return False
        if is_exact[f]:
            u = (rng_next(rng) >> 11) * (1.0 / 9007199254740992.0)
            thr = v[lo] + u * (v[hi] - v[lo])
            if thr >= v[hi]:
                thr = v[lo]
            bl = lo + int(np.searchsorted(v[lo:hi + 1], thr, side="right")) - 1
            bl = min(max(bl, lo), hi - 1)
        else:
            bl = lo + rng_next(rng) % (hi - lo)
            thr = v[bl]
        left = stats[~missing & (c <= bl)].sum(axis=0)
        consider(f, bl, bl + 1, left, miss, 2, thr)
        return True
    for bl, br in zip(present[:-1], present[1:]):
        if is_exact[f] and table[f, br] <= table[f, bl] + FEATURE_THRESHOLD:
            continue
        left = stats[~missing & (c <= bl)].sum(axis=0)
        consider(f, bl, br, left, miss, 2, None)
    if 0 < miss[0] < total[0]:
        consider(f, nb - 1, nb, total - miss, miss, 1, np.inf)
    return len(present) >= 2 or 0 < miss[0] < total[0]


def histogram(codes8, n_bins, y_cls, y_reg, class_offset, K, idx, weight, f, hist):
    hist[:] = 0.0
    idx = np.asarray(idx)
    if len(idx) == 0:
        return
    stats = sample_stats(y_cls, y_reg, class_offset, K, idx, weight)
    np.add.at(hist, codes8[f, idx].astype(np.intp), stats)
