"""NumPy twin of ``gdcore.discriminative.boosting._boosting_hist``."""

import numpy as np


def build(codes, rows, all_rows, gradients, hessians, constant_hessian, features,
          ordered_g, ordered_h, hist, n_threads):
    """Histograms (sum g, sum h, count) of the node's rows for the given features."""
    rows = np.arange(codes.shape[1]) if all_rows else np.asarray(rows, dtype=np.intp)
    B = hist.shape[1]
    g = np.asarray(gradients, dtype=np.float64)[rows]
    h = np.asarray(hessians, dtype=np.float64)[rows]
    for f in features:
        c = codes[f, rows].astype(np.intp)
        hist[f, :, 0] = np.bincount(c, weights=g, minlength=B)[:B]
        hist[f, :, 1] = 0.0 if constant_hessian else np.bincount(c, weights=h, minlength=B)[:B]
        hist[f, :, 2] = np.bincount(c, minlength=B)[:B]


def subtract(parent, child, features, out):
    """Write the sibling's histograms: parent minus child, for the given features."""
    for f in features:
        out[f] = parent[f] - child[f]
