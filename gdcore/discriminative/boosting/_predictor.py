"""Fitted boosting trees: storage, raw predictions, staged walks, SHAP export.

A fitted tree is the grower's node arrays plus raw-value thresholds (the bin
edges, ``Bins.threshold``), so prediction never bins X.  Trees of each output
are packed with the tree family's ``pack_forest`` into 16-byte nodes and
walked by its ``forest_mean`` (blocked, prefetched, rows in lockstep; see
``gdcore/discriminative/tree/_tree_predict.pyx``); boosting needs the sum,
which is the mean times the number of trees.
"""

from dataclasses import dataclass

import numpy as np

from gdcore.discriminative.boosting import _boosting_rows
from gdcore.discriminative.tree import _tree_predict
from gdcore.discriminative.tree._structure import pack_forest


@dataclass
class BoostedTree:
    """One fitted tree in scikit-learn's node-array form (what pack_forest reads).

    ``children_left``/``children_right`` are -1 at leaves, a sample goes left
    when ``x[feature] <= threshold`` (NaN where ``missing_go_to_left``);
    ``value`` (nodes, 1) is the leaf's contribution to the raw prediction,
    ``cover`` the training rows that reached the node, ``gain`` the split's
    loss reduction (0 at leaves), ``bin`` the split's last left bin;
    ``is_categorical`` marks a categorical split, which sends category ``c``
    left when bit ``c % 32`` of ``cat_bitset[node, c // 32]`` is set.
    """

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_go_to_left: np.ndarray
    value: np.ndarray
    cover: np.ndarray
    gain: np.ndarray
    bin: np.ndarray
    is_categorical: np.ndarray
    cat_bitset: np.ndarray

    @property
    def node_count(self):
        """Number of nodes."""
        return len(self.children_left)

    @classmethod
    def from_grower(cls, arrays, bins):
        """Build from ``TreeGrower.grow``'s arrays and the fit's ``Bins``."""
        inner = arrays["left"] >= 0
        threshold = np.full(len(inner), np.inf)
        for i in np.flatnonzero(inner):
            threshold[i] = bins.threshold(int(arrays["feature"][i]), int(arrays["bin"][i]))
        feature = np.where(inner, arrays["feature"], 0).astype(np.intp)
        return cls(arrays["left"].astype(np.intp), arrays["right"].astype(np.intp), feature,
                   threshold, arrays["missing_left"].copy(),
                   np.where(inner, 0.0, arrays["value"])[:, None].copy(),
                   arrays["count"].copy(), arrays["gain"].copy(), arrays["bin"].copy(),
                   arrays["is_cat"].copy(), arrays["cat_bits"].copy())

    def walk_binned(self, codes, missing_code, raw, n_threads):
        """raw[i] += the leaf value of row i, walking the tree on bin codes (d, n)."""
        rows = np.arange(codes.shape[1], dtype=np.int32)
        _boosting_rows.predict_binned(
            codes, rows, self.children_left.astype(np.int32),
            self.children_right.astype(np.int32), self.feature.astype(np.int32), self.bin,
            self.missing_go_to_left, missing_code, self.is_categorical, self.cat_bitset,
            np.ascontiguousarray(self.value[:, 0]), raw, n_threads)


class Forest:
    """The fitted trees of every output, packed for prediction.

    Parameters
    ----------
    trees : list of list of BoostedTree
        ``trees[i][k]``: iteration i, output k.
    baseline : ndarray of shape (K,)
        Raw prediction before the first tree.
    bins : Bins or None
        The fit's bins when the trees have categorical splits: X is then binned
        and the trees walked on its codes (``_boosting_rows.predict_binned``),
        which serves sets of categories; None packs the trees for the tree
        family's threshold walk.
    """

    def __init__(self, trees, baseline, n_threads, bins=None):
        self.trees = trees
        self.baseline = baseline
        self.bins = bins
        K = len(baseline)
        self.packed = [pack_forest([it[k] for it in trees], n_threads)
                       if trees and bins is None else None for k in range(K)]

    def raw(self, X, n_threads):
        """Raw predictions (K, n) of X (float32/float64, C-contiguous)."""
        K, n = len(self.baseline), X.shape[0]
        if self.bins is not None:
            raw = np.repeat(self.baseline[:, None], n, axis=1).astype(np.float64)
            if n:
                codes = self.bins.transform(X, n_threads)
                for it in self.trees:
                    for k, t in enumerate(it):
                        t.walk_binned(codes, self.bins.missing_code, raw[k], n_threads)
            return raw
        raw = np.empty((K, n))
        out = np.empty((n, 1))
        for k in range(K):
            raw[k] = self.baseline[k]
            if self.packed[k] is None or n == 0:
                continue
            nodes, roots, values = self.packed[k]
            _tree_predict.forest_mean(X, nodes, roots, values, out, n_threads)
            raw[k] += out[:, 0] * len(roots)
        return raw

    def staged_raw(self, X, n_threads):
        """Yield the raw predictions (K, n) after each iteration."""
        n = X.shape[0]
        raw = np.repeat(self.baseline[:, None], n, axis=1).astype(np.float64)
        leaf = np.empty(n, dtype=np.intp)
        codes = self.bins.transform(X, n_threads) if self.bins is not None and n else None
        for it in self.trees:
            for k, t in enumerate(it):
                if codes is not None:
                    t.walk_binned(codes, self.bins.missing_code, raw[k], n_threads)
                elif n:
                    _tree_predict.apply(X, t.children_left, t.children_right, t.feature,
                                        t.threshold, t.missing_go_to_left, 0, leaf, n_threads)
                    raw[k] += t.value[leaf, 0]
            yield raw.copy()

    def importances(self, n_features, kind):
        """Total split gain ("gain") or number of splits ("split") per feature."""
        out = np.zeros(n_features)
        for it in self.trees:
            for t in it:
                inner = t.children_left >= 0
                np.add.at(out, t.feature[inner], t.gain[inner] if kind == "gain" else 1.0)
        return out
