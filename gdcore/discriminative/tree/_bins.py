"""Bins for the trees, computed once per fit and shared by every tree of a forest.

``max_bins`` (default 255) puts each feature's values in at most that many
bins: a feature with at most ``max_bins`` distinct values keeps one bin per
value (its trees then cut at scikit-learn's midpoints, exactly as with
``max_bins=None``), any other feature gets ``max_bins - 1`` quantile edges
(midpoint percentiles, as in scikit-learn's HistGradientBoosting), computed on
at most 200,000 rows.  Why 255 by default: one byte per code (a 100,000-row
column is 100 KB, inside a typical L2), histograms of 256 bins per feature
that the split finder scans in O(256) instead of sorting the node
(O(n log n)), and, as LightGBM and HistGradientBoosting found, no measurable
loss of accuracy for forests.  ``max_bins=None`` keeps every distinct value (uint32 ranks) and
splits exactly, with the same thresholds as scikit-learn.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gdcore.discriminative.tree import _tree_bins

# Quantiles from a subsample above this many rows (HistGradientBoosting's 2e5):
# the percentiles' cost grows with the rows while 200,000 already place the
# edges well; measured by `gdcore bench tree` (the 1M-row
# RandomForestClassifier(10) fit).
QUANTILE_SUBSAMPLE = 200_000


@dataclass
class BinTable:
    """Per feature: the number of value bins and the table behind the codes.

    ``table[f, :n_edges[f]]`` is what the codes are ranks in: the distinct
    values when ``is_exact[f]``, else the bin edges (``x <= table[f, b]``
    exactly when ``code <= b``).  Code ``n_bins[f]`` means missing (NaN).
    """

    n_bins: np.ndarray      # (d,) int32
    n_edges: np.ndarray     # (d,) int32
    table: np.ndarray       # (d, stride) float64
    is_exact: np.ndarray    # (d,) uint8

    def transform(self, X, n_threads):
        """Codes of X, feature-major (d, n): uint8 if every code fits, else uint32.

        A sparse X (CSC) is binned column by column: a column's implicit
        zeros all get the code of 0, its stored values are searched in the
        table as the kernel does (``searchsorted`` left), so sparse and
        dense X give the same codes and the same trees, without a dense copy.
        """
        n, d = X.shape
        small = int(self.n_bins.max(initial=0)) <= 255
        codes = np.empty((d, n), dtype=np.uint8 if small else np.uint32)
        if sp.issparse(X):
            X = X.tocsc()
            for f in range(d):
                edges = self.table[f, : self.n_edges[f]]
                lo, hi = X.indptr[f], X.indptr[f + 1]
                vals = X.data[lo:hi].astype(np.float64)
                codes[f] = np.searchsorted(edges, 0.0, side="left")
                codes[f, X.indices[lo:hi]] = np.where(
                    np.isnan(vals), self.n_bins[f], np.searchsorted(edges, vals, side="left"))
            return codes
        kernel = _tree_bins.bin_codes_u8 if small else _tree_bins.bin_codes_u32
        kernel(X, self.table, self.n_edges, self.n_bins, codes, n_threads)
        return codes


def _sorted_column(X, f):
    """Column f of a dense or CSC X, sorted (NaN last), implicit zeros included.

    For CSC only the stored values are sorted, O(nnz log nnz): a wide, sparse
    X is binned without sorting its zeros.
    """
    if not sp.issparse(X):
        return np.sort(X[:, f])
    stored = np.sort(X.data[X.indptr[f]: X.indptr[f + 1]])
    cut = np.searchsorted(stored, 0.0, side="left")  # negatives first, then zeros
    zeros = np.zeros(X.shape[0] - len(stored), dtype=X.dtype)
    return np.concatenate([stored[:cut], zeros, stored[cut:]])


def find_bins(X, max_bins, random_state):
    """Bins of every feature of X (float32/float64 dense or CSC sparse, NaN = missing)."""
    n, d = X.shape
    X = X.tocsc() if sp.issparse(X) else X  # _sorted_column reads CSC column pointers
    sample = X
    if max_bins is not None and n > QUANTILE_SUBSAMPLE:
        rows = np.sort(random_state.choice(n, QUANTILE_SUBSAMPLE, replace=False))
        sample = sp.csc_matrix(X.tocsr()[rows]) if sp.issparse(X) else X[rows]
    tables, exact = [], []
    for f in range(d):
        col = _sorted_column(sample, f)
        col = col[~np.isnan(col)]
        keep = np.empty(len(col), dtype=bool)
        keep[:1] = True
        np.not_equal(col[1:], col[:-1], out=keep[1:])
        distinct = col[keep].astype(np.float64)
        if max_bins is None:
            tables.append(distinct)
            exact.append(True)
        elif len(distinct) <= max_bins:
            # On a subsample a value may be missing from `distinct`: cut at
            # midpoints then (edges), which stay right for unseen values.
            if sample is X:
                tables.append(distinct)
                exact.append(True)
            else:
                tables.append(distinct[:-1] / 2.0 + distinct[1:] / 2.0)
                exact.append(False)
        else:
            tables.append(np.unique(_midpoint_percentiles(col, max_bins)))
            exact.append(False)
    n_edges = np.array([len(t) for t in tables], dtype=np.int32)
    is_exact = np.array(exact, dtype=np.uint8)
    n_bins = np.where(is_exact, n_edges, n_edges + 1).astype(np.int32)
    table = np.zeros((d, max(1, int(n_edges.max(initial=0)))))
    for f, t in enumerate(tables):
        table[f, : len(t)] = t
    return BinTable(n_bins, n_edges, table, is_exact)


def _midpoint_percentiles(sorted_col, max_bins):
    """Compute the midpoint percentiles of an already sorted column.

    Equal to np.percentile(col, linspace(0, 100, max_bins + 1)[1:-1],
    method="midpoint"), but the sort is shared with the distinct values,
    where np.percentile would partition the column again (most of the
    binning time).
    """
    pos = np.linspace(0, 100, max_bins + 1)[1:-1] / 100.0 * (len(sorted_col) - 1)
    lo, hi = np.floor(pos).astype(np.intp), np.ceil(pos).astype(np.intp)
    a, b = sorted_col[lo].astype(np.float64), sorted_col[hi].astype(np.float64)
    return (a + b) / 2.0
