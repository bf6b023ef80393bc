"""NumPy twin of ``gdcore.discriminative.boosting._boosting_rows``."""

import numpy as np


def _in_bits(code, bits):
    code = np.asarray(code, dtype=np.int64)
    word = np.minimum(code >> 5, 7)
    bit = (np.asarray(bits, dtype=np.int64)[..., word] if np.ndim(bits) == 1
           else np.asarray(bits, dtype=np.int64)[np.arange(len(code)), word])
    return (code < 256) & (((bit >> (code & 31)) & 1) == 1)


def _goes_left(code, bin_, missing_code, missing_left, bits=None, is_cat=None):
    go = code <= bin_
    if bits is not None:
        cat = _in_bits(code, bits)
        go = cat if is_cat is None else np.where(is_cat, cat, go)
    return np.where(code == missing_code, np.asarray(missing_left, dtype=bool), go)


def partition(codes, rows, out, feature, bin_, missing_code, missing_left, left_bits, n_left,
              n_threads):
    """Stable partition of rows into out: the rows going left first; returns their number."""
    bits = left_bits if len(left_bits) == 8 else None
    go = _goes_left(codes[feature, rows], bin_, missing_code, missing_left, bits)
    if n_left >= 0 and n_left != go.sum():
        raise RuntimeError(f"partition: the split counted {n_left} rows going left, "
                           "and its rows do not.")
    out[:] = np.concatenate([rows[go], rows[~go]])
    return int(go.sum())


def add_leaf_values(raw, rows, starts, stops, values, n_threads):
    """raw[rows[starts[l]:stops[l]]] += values[l] for every leaf l."""
    for lo, hi, v in zip(starts, stops, values):
        raw[rows[lo:hi]] += v


def predict_binned(codes, rows, left, right, feature, bin_, missing_left, missing_code,
                   is_cat, cat_bits, value, raw, n_threads):
    """Add the tree's leaf value to raw for the given rows, all rows a level at a time."""
    rows = np.asarray(rows, dtype=np.intp)
    node = np.zeros(len(rows), dtype=np.intp)
    while True:
        inner = left[node] >= 0
        if not inner.any():
            break
        nd, r = node[inner], rows[inner]
        f = feature[nd]
        go = _goes_left(codes[f, r], bin_[nd], missing_code[f], missing_left[nd],
                        cat_bits[nd], is_cat[nd].astype(bool))
        node[inner] = np.where(go, left[nd], right[nd])
    raw[rows] += value[node]
