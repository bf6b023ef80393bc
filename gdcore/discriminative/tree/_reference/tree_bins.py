"""NumPy twin of ``gdcore.discriminative.tree._tree_bins``: code = number of edges below x."""

import numpy as np


def _codes(X, edges, n_edges, missing_code, codes):
    X = np.asarray(X, dtype=np.float64)
    for f in range(X.shape[1]):
        col = X[:, f]
        c = np.searchsorted(edges[f, : n_edges[f]], col, side="left")
        codes[f] = np.where(np.isnan(col), missing_code[f], c)


def bin_codes_u8(X, edges, n_edges, missing_code, codes, n_threads):
    _codes(X, edges, n_edges, missing_code, codes)


def bin_codes_u32(X, edges, n_edges, missing_code, codes, n_threads):
    _codes(X, edges, n_edges, missing_code, codes)
