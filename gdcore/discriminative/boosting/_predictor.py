"""Fitted boosting trees: storage, raw predictions, staged walks, SHAP export.

A fitted tree is the grower's node arrays plus raw-value thresholds (the bin
edges, ``Bins.threshold``), so prediction never bins X.  Trees of each output
are packed with the tree family's ``pack_forest`` into 16-byte nodes and
walked by its ``forest_mean`` (blocked, prefetched, rows in lockstep; see
``gdcore/discriminative/tree/_tree_predict.pyx``); boosting needs the sum,
which is the mean times the number of trees.  Categorical splits (sets of
category codes) join the packed walk as threshold splits, on the codes or on
extra indicator columns (``_CategorySets``).
"""

from dataclasses import dataclass, replace

import numpy as np

from gdcore.discriminative.boosting import _boosting_rows
from gdcore.discriminative.tree import _tree_predict
from gdcore.discriminative.tree._structure import pack_forest

# Extra columns per feature (distinct sets of categories split on, see
# ``_CategorySets``) up to which the packed walk beats binning X and walking
# each tree on the codes: every row gathers them before its walk, whose rows
# they widen.  Chosen by timing ``Forest.raw`` both ways on models with 2
# categorical features of 4 to 16 categories among 8 features.
MAX_EXTRA_COLUMNS_PER_FEATURE = 4

# scikit-learn's ``TreePredictor.nodes`` record, field for field, so that code
# reading a fitted model's ``_predictors`` keeps working after the swap
PREDICTOR_RECORD_DTYPE = np.dtype([
    ("value", np.float64), ("count", np.uint32), ("feature_idx", np.intp),
    ("num_threshold", np.float64), ("missing_go_to_left", np.uint8), ("left", np.uint32),
    ("right", np.uint32), ("gain", np.float64), ("depth", np.uint32), ("is_leaf", np.uint8),
    ("bin_threshold", np.uint8), ("is_categorical", np.uint8), ("bitset_idx", np.uint32),
])


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

    @property
    def nodes(self):
        """The nodes as scikit-learn's ``TreePredictor.nodes`` records.

        ``value`` is the leaf's contribution (0 at inner nodes), ``gain`` -1 at
        leaves, ``bitset_idx`` the row of ``raw_left_cat_bitsets``.
        """
        leaf = self.children_left < 0
        nodes = np.zeros(self.node_count, dtype=PREDICTOR_RECORD_DTYPE)
        nodes["value"] = self.value[:, 0]
        nodes["count"] = self.cover
        nodes["feature_idx"] = np.where(leaf, 0, self.feature)
        nodes["num_threshold"] = np.where(leaf, 0.0, self.threshold)
        nodes["missing_go_to_left"] = self.missing_go_to_left
        nodes["left"] = np.where(leaf, 0, self.children_left)
        nodes["right"] = np.where(leaf, 0, self.children_right)
        nodes["gain"] = np.where(leaf, -1.0, self.gain)
        nodes["depth"] = self._depths()
        nodes["is_leaf"] = leaf
        nodes["bin_threshold"] = np.where(leaf, 0, np.minimum(self.bin, 255))
        nodes["is_categorical"] = self.is_categorical
        cat = self.is_categorical == 1
        nodes["bitset_idx"][cat] = np.arange(int(cat.sum()))
        return nodes

    @property
    def raw_left_cat_bitsets(self):
        """(n_categorical_splits, 8) uint32: the category codes each categorical split sends left.

        Codes are the ordinal codes of the fit's encoder (the categories
        sorted), as in scikit-learn, in node order (``nodes["bitset_idx"]``).
        """
        return self.cat_bitset[self.is_categorical == 1]

    def _depths(self):
        depth = np.zeros(self.node_count, dtype=np.uint32)
        for i in range(self.node_count):  # parents precede their children
            if self.children_left[i] >= 0:
                depth[self.children_left[i]] = depth[self.children_right[i]] = depth[i] + 1
        return depth

    def get_n_leaf_nodes(self):
        """Return the number of leaves."""
        return int((self.children_left < 0).sum())

    def get_max_depth(self):
        """Return the depth of the deepest leaf (edges from the root)."""
        return int(self._depths().max())

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
    n_threads : int
        Threads for packing.
    bins : Bins or None
        The fit's bins when the model has categorical features (their values
        are the category codes 0, ..., n_bins - 1); None when it has none.
        Categorical splits are walked packed, as threshold splits
        (``_CategorySets``), unless they need more than
        ``MAX_EXTRA_COLUMNS_PER_FEATURE`` extra columns per feature: X is then
        binned and each tree walked on the codes
        (``_boosting_rows.predict_binned``), which serves sets of categories.
    """

    def __init__(self, trees, baseline, n_threads, bins=None):
        self.trees = trees
        self.baseline = baseline
        self.bins = bins
        self.sets = _CategorySets(bins)
        K = len(baseline)
        packable = [[self.sets.as_thresholds(it[k]) for it in trees] for k in range(K)]
        self.binned = (bins is not None and len(self.sets.tables)
                       > MAX_EXTRA_COLUMNS_PER_FEATURE * len(bins.n_bins))
        self.packed = [pack_forest(packable[k], n_threads)
                       if trees and not self.binned else None for k in range(K)]

    def raw(self, X, n_threads):
        """Raw predictions (K, n) of X (float32/float64, C-contiguous)."""
        K, n = len(self.baseline), X.shape[0]
        raw = np.empty((K, n))
        raw[:] = self.baseline[:, None]
        if n == 0 or not self.trees:
            return raw
        if self.binned:
            codes = self.bins.transform(X, n_threads)
            for it in self.trees:
                for k, t in enumerate(it):
                    t.walk_binned(codes, self.bins.missing_code, raw[k], n_threads)
            return raw
        block = self.sets.block_rows if self.sets.tables else n
        out = np.empty((min(n, block), 1))
        for start in range(0, n, block):
            stop = min(n, start + block)
            Xb = self.sets.augment(X[start:stop])
            for k in range(K):
                nodes, roots, values = self.packed[k]
                _tree_predict.forest_mean(Xb, nodes, roots, values, out[: stop - start],
                                          n_threads)
                raw[k, start:stop] += out[: stop - start, 0] * len(roots)
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


class _CategorySets:
    """Categorical splits rewritten as threshold splits, for the packed walk.

    A categorical split sends the categories of a set S left (and NaN, which
    also stands for a category unseen in training, where it learned).  On the
    codes 0, ..., k - 1: when S is a prefix {0..a} the split is ``code <=
    a + 0.5``; when S is a suffix {a..k-1} it is ``code <= a - 0.5`` with the
    children and the missing direction swapped; any other S reads an extra
    column, appended to X, that is 0 for the categories of S, 1 for the
    others and NaN for missing values (``code <= 0.5`` then goes left).  The
    extra columns, one per distinct (feature, S), are built for
    ``block_rows`` rows at a time, so the memory they take stays bounded
    whatever the number of rows.
    """

    # rows per block of extra columns: a block of (rows, d + extra) float64
    # stays small while each forest_mean call still has rows for every thread
    block_rows = 16_384

    def __init__(self, bins):
        self.bins = bins
        self.columns = {}  # (feature, S as bytes) -> extra column index
        self.tables = []  # per extra column: (feature, lookup over codes and NaN)
        self._gather = None  # the tables grouped by feature, built at the first augment

    def as_thresholds(self, tree):
        """Return ``tree`` with its categorical splits as threshold splits."""
        cat = np.flatnonzero(tree.is_categorical == 1)
        if not len(cat):
            return tree
        left, right = tree.children_left.copy(), tree.children_right.copy()
        feature, threshold = tree.feature.copy(), tree.threshold.copy()
        missing = tree.missing_go_to_left.copy()
        for i in cat:
            f = int(tree.feature[i])
            k = int(self.bins.n_bins[f])
            codes = np.arange(k)
            in_set = (tree.cat_bitset[i, codes // 32] >> (codes % 32).astype(np.uint32)) & 1
            a = int(np.argmin(in_set)) if not in_set.all() else k
            if not in_set[a:].any():  # a prefix {0..a-1} (possibly empty)
                threshold[i] = a - 0.5
                continue
            b = int(np.argmax(in_set))
            if in_set[b:].all():  # a suffix {b..k-1}: swap the children
                threshold[i] = b - 0.5
                left[i], right[i] = tree.children_right[i], tree.children_left[i]
                missing[i] = 1 - missing[i]
                continue
            key = (f, in_set.astype(np.uint8).tobytes())
            if key not in self.columns:
                lookup = np.append(1.0 - in_set, np.nan)
                self.columns[key] = len(self.tables)
                self.tables.append((f, lookup))
            feature[i] = len(self.bins.n_bins) + self.columns[key]
            threshold[i] = 0.5
        return replace(tree, children_left=left, children_right=right, feature=feature,
                       threshold=threshold, missing_go_to_left=missing)

    def augment(self, X):
        """Return X with the extra columns of the sets appended (X itself if none)."""
        if not self.tables:
            return X
        if self._gather is None:
            # per feature: its extra columns and their lookups side by side, so
            # one gather per feature fills all of them for a row
            by_feature = {}
            for j, (f, lookup) in enumerate(self.tables):
                by_feature.setdefault(f, []).append((j, lookup))
            self._gather = [(f, np.array([j for j, _ in cols]),
                             np.column_stack([lk for _, lk in cols]))
                            for f, cols in by_feature.items()]
        d = X.shape[1]
        out = np.empty((X.shape[0], d + len(self.tables)))
        out[:, :d] = X
        for f, columns, lookups in self._gather:
            col = X[:, f]
            codes = np.where(np.isnan(col), len(lookups) - 1, col).astype(np.intp)
            out[:, d + columns] = lookups[codes]
        return out
