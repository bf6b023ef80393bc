"""NumPy twin of ``gdcore.discriminative.boosting._boosting_split``.

Every candidate split of a feature at once (cumulative sums), then the first
best one, with the kernel's rules.
"""

import numpy as np


def _values(g, h, lower, upper, l2):
    return np.clip(-g / (h + l2 + 1e-15), lower, upper)


def _best(gl, hl, nl, g_node, h_node, n_node, value, cst, lower, upper, l2, min_hessian,
          min_samples_leaf, min_gain):
    gr, hr, nr = g_node - gl, h_node - hl, n_node - nl
    vl, vr = _values(gl, hl, lower, upper, l2), _values(gr, hr, lower, upper, l2)
    gain = g_node * value - gl * vl - gr * vr
    ok = ((nl >= min_samples_leaf) & (nr >= min_samples_leaf) & (hl >= min_hessian)
          & (hr >= min_hessian) & (gain > min_gain))
    if cst == 1:
        ok &= vl <= vr
    elif cst == -1:
        ok &= vl >= vr
    gain = np.where(ok, gain, -1.0)
    return gain


def best_splits(hist, features, n_bins, has_missing, monotonic_cst, n_node, g_node, h_node,
                value, lower, upper, l2, min_hessian, min_samples_leaf, min_gain,
                constant_hessian, gain, bin_, missing_left, left, n_threads):
    """Best split of each candidate feature (gain -1 where none is valid)."""
    for j, f in enumerate(features):
        nb = int(n_bins[f])
        hcol = 2 if constant_hessian else 1
        H = hist[f]
        gain[j] = -1.0
        best = -1.0
        # left to right, missing right: first bins 0..end-1 go left
        end = nb - 1 + int(has_missing[f])
        gl, hl, nl = (np.cumsum(H[:end, c]) for c in (0, hcol, 2))
        gains = _best(gl, hl, nl, g_node, h_node, n_node, value, monotonic_cst[f], lower,
                      upper, l2, min_hessian, min_samples_leaf, min_gain)
        if len(gains) and gains.max() > best:
            b = int(np.argmax(gains))
            best = gains[b]
            gain[j], bin_[j], missing_left[j] = best, b, 0
            left[j] = gl[b], hl[b], nl[b]
        if not has_missing[f] or nb < 2:
            continue
        # right to left, missing left: bins b+1..nb-1 go right, b from nb-2 down to 0
        gr, hr, nr = (np.cumsum(H[nb - 1:0:-1, c]) for c in (0, hcol, 2))
        gains = _best(g_node - gr, h_node - hr, n_node - nr, g_node, h_node, n_node, value,
                      monotonic_cst[f], lower, upper, l2, min_hessian, min_samples_leaf,
                      min_gain)
        if len(gains) and gains.max() > best:
            i = int(np.argmax(gains))
            gain[j], bin_[j], missing_left[j] = gains[i], nb - 2 - i, 1
            left[j] = g_node - gr[i], h_node - hr[i], n_node - nr[i]


MIN_CAT_SUPPORT = 10.0


def best_categorical_splits(hist, features, n_bins, has_missing, n_node, g_node, h_node,
                            value, lower, upper, l2, min_hessian, min_samples_leaf, min_gain,
                            constant_hessian, gain, missing_left, left, bits, n_threads):
    """Best sorted-prefix categorical split of each candidate feature."""
    hcol = 2 if constant_hessian else 1
    support = n_node / h_node if h_node > 0 else 0.0
    for j, f in enumerate(features):
        nb = int(n_bins[f])
        H = hist[f, :nb + int(has_missing[f])]
        gain[j] = -1.0
        used = np.flatnonzero(H[:, hcol] * support >= MIN_CAT_SUPPORT)
        if len(used) <= 1:
            continue
        ratio = H[used, 0] / (H[used, hcol] + MIN_CAT_SUPPORT)
        # ties: the later bin first (the kernel's order)
        used = used[::-1][np.argsort(ratio[::-1], kind="stable")]
        half = (len(used) + 1) // 2
        best = -1.0
        for prefix in (used[:half], used[::-1][:half - 1]):
            gl, hl, nl = (np.cumsum(H[prefix, c]) for c in (0, hcol, 2))
            gains = _best(gl, hl, nl, g_node, h_node, n_node, value, 0, lower, upper, l2,
                          min_hessian, min_samples_leaf, min_gain)
            # the kernel stops a scan at the first prefix leaving too little on the right
            stop = np.flatnonzero((n_node - nl < min_samples_leaf) & (nl >= min_samples_leaf)
                                  & (hl >= min_hessian)
                                  | (h_node - hl < min_hessian) & (nl >= min_samples_leaf)
                                  & (hl >= min_hessian))
            if len(stop):
                gains = gains[:stop[0]]
            if len(gains) and gains.max() > best:
                i = int(np.argmax(gains))
                best = gain[j] = gains[i]
                left[j] = gl[i], hl[i], nl[i]
                chosen = prefix[:i + 1]
                missing_left[j] = int(nb in chosen)
                bits[j] = 0
                for c in chosen[chosen < nb]:
                    bits[j, c >> 5] |= np.uint32(1) << np.uint32(c & 31)
