"""The fitted tree as arrays (scikit-learn's ``tree_`` layout) and what is read from them.

Node ``i`` has children ``children_left[i]``/``children_right[i]`` (-1 at a
leaf), splits on ``feature[i]`` at ``threshold[i]`` (-2 at a leaf), sends NaN
left when ``missing_go_to_left[i]``; ``value[i]`` is (n_outputs, max classes)
class fractions for a classifier, (n_outputs, 1) means for a regressor.
"""

import numpy as np
import scipy.sparse as sp

from gdcore.discriminative.tree import _tree_codes, _tree_predict

TREE_LEAF = -1

# Rows of a sparse X densified at a time for prediction: 4 MB of float32,
# a block in cache beside the tree walk, never the whole matrix.
SPARSE_BLOCK_BYTES = 4 * 2**20


def dense_rows(X, fn, combine=np.concatenate):
    """Return ``combine`` of ``fn`` over X's rows as dense blocks; a dense X is one block.

    The kernels walk dense float32 rows; a sparse X is densified a block of
    rows at a time (SPARSE_BLOCK_BYTES), never whole.
    """
    if not sp.issparse(X):
        return fn(X)
    X = X.tocsr()
    step = max(1, SPARSE_BLOCK_BYTES // (4 * max(1, X.shape[1])))
    return combine([fn(np.ascontiguousarray(X[i: i + step].toarray(), dtype=np.float32))
                    for i in range(0, max(X.shape[0], 1), step)])


class Tree:
    """Node arrays of one fitted tree, the attributes scikit-learn's ``Tree`` has."""

    def __init__(self, nodes, values, max_depth, n_features, n_outputs, n_classes,
                 is_classifier, class_offset):
        self.children_left = np.ascontiguousarray(nodes["left_child"])
        self.children_right = np.ascontiguousarray(nodes["right_child"])
        self.feature = np.ascontiguousarray(nodes["feature"])
        self.threshold = np.ascontiguousarray(nodes["threshold"])
        self.impurity = np.ascontiguousarray(nodes["impurity"])
        self.n_node_samples = np.ascontiguousarray(nodes["n_node_samples"])
        self.weighted_n_node_samples = np.ascontiguousarray(nodes["weighted_n_node_samples"])
        self.missing_go_to_left = np.ascontiguousarray(nodes["missing_go_to_left"])
        self.node_count = len(nodes)
        self.max_depth = int(max_depth)
        self.n_features = n_features
        self.n_outputs = n_outputs
        self.n_classes = np.asarray(n_classes, dtype=np.intp)
        self.value = _node_values(values, n_outputs, self.n_classes, is_classifier,
                                  class_offset)

    @property
    def n_leaves(self):
        return int(np.sum(self.children_left == TREE_LEAF))

    def apply(self, X, n_threads=1):
        """Leaf index reached by each row of X (dense float32 as the fit, float64, or sparse)."""
        return dense_rows(X, lambda rows: self._apply(rows, n_threads))

    def _apply(self, X, n_threads):
        X = _rows(X, self.n_features)
        out = np.empty(X.shape[0], dtype=np.intp)
        _tree_predict.apply(X, self.children_left, self.children_right, self.feature,
                            self.threshold, self.missing_go_to_left, 0, out, n_threads)
        return out

    def decision_path(self, X, n_threads=1):
        """CSR indicator (n_samples, node_count) of the nodes each row passes through.

        One NumPy step per tree level (O(depth) array operations), not per row.
        """
        return dense_rows(X, self._decision_path,
                          combine=lambda blocks: sp.vstack(blocks, format="csr"))

    def _decision_path(self, X):
        X = _rows(X, self.n_features)
        n = X.shape[0]
        rows, cols = [], []
        node = np.zeros(n, dtype=np.intp)
        active = np.arange(n)
        while active.size:
            rows.append(active)
            cols.append(node[active])
            cur = node[active]
            inner = self.children_left[cur] != TREE_LEAF
            active, cur = active[inner], cur[inner]
            x = X[active, self.feature[cur]]
            go_left = np.where(np.isnan(x), self.missing_go_to_left[cur] == 1,
                               x <= self.threshold[cur])
            node[active] = np.where(go_left, self.children_left[cur], self.children_right[cur])
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        return sp.csr_matrix((np.ones(len(rows), dtype=np.intp), (rows, cols)),
                             shape=(n, self.node_count))

    def compute_feature_importances(self, normalize=True):
        """Weighted impurity decrease of each feature's splits (mean decrease in impurity)."""
        inner = np.flatnonzero(self.children_left != TREE_LEAF)
        left, right = self.children_left[inner], self.children_right[inner]
        wi = self.weighted_n_node_samples * self.impurity
        decrease = wi[inner] - wi[left] - wi[right]
        imp = np.bincount(self.feature[inner], weights=decrease,
                          minlength=self.n_features).astype(np.float64)
        imp /= self.weighted_n_node_samples[0]
        if normalize and imp.sum() > 0:
            imp /= imp.sum()
        return imp


def _rows(X, n_features):
    """Return X as the kernels take it: C-contiguous float32/float64 (n, n_features).

    For calls on ``tree_`` that skip the estimator's checks; no copy if X is so.
    """
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"X must be 2-D with {n_features} features, got shape {X.shape}.")
    return np.ascontiguousarray(X)


def _node_values(values, n_outputs, n_classes, is_classifier, class_offset):
    """(n_nodes, K) kernel values -> (n_nodes, n_outputs, max classes)."""
    n_nodes = values.shape[0]
    if not is_classifier:
        return values.reshape(n_nodes, n_outputs, 1).copy()
    out = np.zeros((n_nodes, n_outputs, int(n_classes.max())))
    for o in range(n_outputs):
        block = values[:, class_offset[o]: class_offset[o] + n_classes[o]]
        total = block.sum(axis=1, keepdims=True)
        out[:, o, : n_classes[o]] = block / np.where(total > 0, total, 1.0)
    return out


PACKED_NODE = np.dtype([("threshold", np.float64), ("code", np.int32), ("left", np.int32)])
CODE_NODE = np.dtype([("left", np.int32), ("feature", np.uint16), ("cut", np.uint8),
                      ("missing_left", np.uint8)])


# The codes walk first bins each row, about log2(cuts + 1) search steps per
# feature, then saves about a third of every walk step; it is taken when the
# binning's steps are at most this share of the walk's (~log2(nodes) per
# tree).  Measured by `gdcore bench tree` (RandomForestClassifier predict):
# 100 deep trees on 40 features gain 1.6x, 20 shallow trees on 30 features
# (the binning as long as the walk) lose 10%.
BIN_SHARE = 0.5
# Wider X keeps the float walk: the cut table is 2 KB per feature, and binning
# every feature of a row costs more than most forests' walks.
MAX_CODED_FEATURES = 4096


class PackedForest:
    """A fitted forest laid out for prediction: ``mean(X)`` is the trees' mean leaf value.

    Over one-byte codes (``_tree_codes``) when every feature is split at no
    more than ``_tree_codes.CUTS_MAX`` thresholds, as in any forest grown on
    binned features, and binning the rows costs little beside the walk
    (BIN_SHARE); else over the float values (``_tree_predict.forest_mean``).
    Both give the same bits.  ``values[i]`` is packed node i's row of ``tree_.value``.
    """

    def __init__(self, trees, n_features, n_threads=1):
        nodes, self.roots, self.values = pack_forest(trees, n_threads)
        self.coded = False
        if 0 < n_features <= MAX_CODED_FEATURES and len(nodes):
            self.cuts = np.zeros((n_features, _tree_codes.CUTS_MAX))
            self.n_cuts = np.zeros(n_features, dtype=np.intc)
            coded = np.empty(len(nodes), dtype=CODE_NODE)
            status = _tree_codes.pack_codes(nodes, self.roots, self.cuts, self.n_cuts, coded,
                                            n_threads)
            sizes = np.diff(np.append(self.roots, len(nodes)))
            self.coded = bool(status == _tree_codes.STATUS_OK and np.log2(self.n_cuts + 1.0).sum()
                              <= BIN_SHARE * np.log2(sizes).sum())
        # only one of the two layouts is kept: a deep forest's nodes are its bulk
        self.nodes = coded if self.coded else nodes
        if not self.coded:
            self.cuts = self.n_cuts = None

    def mean(self, X, n_threads):
        """(n, width) mean over trees of the leaf values of X's rows (dense float32/64)."""
        out = np.empty((X.shape[0], self.values.shape[1]))
        if not self.coded:
            _tree_predict.forest_mean(X, self.nodes, self.roots, self.values, out, n_threads)
        elif _tree_codes.forest_mean_codes(X, self.nodes, self.roots, self.values, self.cuts,
                                           self.n_cuts, out, n_threads) != _tree_codes.STATUS_OK:
            raise MemoryError("no memory for the codes of a block of rows")
        return out


def pack_forest(trees, n_threads=1):
    """All trees' nodes in one array of 16-byte nodes, for ``_tree_predict.forest_mean``.

    Returns (nodes, roots, values).  Tree k occupies ``nodes[roots[k]:roots[k+1]]``
    in breadth-first order with siblings adjacent, so a node holds only its
    left child's tree-local id (the right child is the next node):
    ``code = 2 * feature + missing_go_to_left``, and a leaf is a node that
    sends every value to itself (threshold +inf, code 1, left = its own id).
    ``values[i]`` is node i's row of ``tree_.value``.  Compiled
    (``_tree_predict.pack_forest``), parallel over trees.
    """
    sizes = np.array([t.node_count for t in trees], dtype=np.intp)
    feature = np.concatenate([t.feature for t in trees], dtype=np.intp)
    if sizes.max(initial=0) >= 2**31 or feature.max(initial=0) >= 2**30:
        # the packed node holds a tree-local child id and 2 * feature + 1 in int32
        raise ValueError("A tree with 2**31 nodes or 2**30 features cannot be packed for "
                         "prediction; use fewer features or limit the tree's size "
                         "(max_depth, max_leaf_nodes).")
    roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    n_nodes = int(sizes.sum())

    def cat(name, dtype):
        return np.concatenate([getattr(t, name) for t in trees], dtype=dtype)

    width = int(np.prod(trees[0].value.shape[1:])) if trees else 0
    values = np.concatenate([t.value.reshape(t.node_count, width) for t in trees])
    nodes = np.empty(n_nodes, dtype=PACKED_NODE)
    packed_values = np.empty_like(values)
    status = _tree_predict.pack_forest(
        cat("children_left", np.intp), cat("children_right", np.intp),
        feature, cat("threshold", np.float64),
        cat("missing_go_to_left", np.uint8), values, roots,
        nodes, packed_values, np.empty(n_nodes, dtype=np.intp), n_threads)
    if status != _tree_predict.STATUS_OK:
        raise ValueError("A tree's node arrays are not a binary tree rooted at node 0.")
    return nodes, roots, packed_values
