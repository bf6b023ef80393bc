"""Exact TreeSHAP for every tree model in gdcore: the shared node layout and entry point.

Every tree model (decision trees, forests, gradient boosting) converts its
fitted trees to :class:`ShapTree` and calls :func:`tree_shap`, which runs the
compiled kernel (``_tree_shap.pyx``: Lundberg et al. 2020, "From local
explanations to global understanding with explainable AI for trees",
Algorithm 2, O(T L D^2) per row) in parallel over rows.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from gdcore._memory import refuse_absurd_allocation
from gdcore._threads import effective_n_threads
from gdcore._validation import check_X
from gdcore.discriminative.tree import _tree_shap

# Deeper trees are refused (why: _tree_shap.MAX_DEPTH).
MAX_DEPTH = _tree_shap.MAX_TREE_DEPTH


@dataclass
class ShapTree:
    """One tree's nodes as TreeSHAP reads them.

    Node 0 is the root.  ``n_nodes`` below is the number of nodes of the tree.

    Parameters
    ----------
    children_left : ndarray of shape (n_nodes,), dtype int64
        Left child of each node; -1 at a leaf.
    children_right : ndarray of shape (n_nodes,), dtype int64
        Right child of each node; -1 at a leaf.
    feature : ndarray of shape (n_nodes,), dtype int64
        Feature a node splits on (any value at a leaf).
    threshold : ndarray of shape (n_nodes,), dtype float64
        A numerical split sends ``x <= threshold`` left, the rest right.
    missing_go_left : ndarray of shape (n_nodes,), dtype uint8
        1 where a NaN value goes left, 0 where it goes right.
    is_categorical : ndarray of shape (n_nodes,), dtype uint8
        1 where the split is categorical (``cat_bitset`` decides, not ``threshold``).
    cat_bitset : ndarray of shape (n_nodes, 8), dtype uint32
        For a categorical split, category ``c`` (an integer in [0, 256)) goes left
        iff bit ``c % 32`` of word ``c // 32`` is set; a category outside
        [0, 256) goes right.
    value : ndarray of shape (n_nodes, n_outputs), dtype float64
        Raw output of each leaf (internal nodes may hold anything).
    cover : ndarray of shape (n_nodes,), dtype float64
        Training weight reaching each node; TreeSHAP's conditional expectations
        weight the two children of a split by their covers.
    """

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_go_left: np.ndarray
    is_categorical: np.ndarray
    cat_bitset: np.ndarray
    value: np.ndarray
    cover: np.ndarray


def tree_shap(trees, X, n_threads=None):
    """Exact Shapley contributions of every feature to the summed raw output of the trees.

    TreeSHAP (Lundberg et al. 2020, Algorithm 2): the value of a feature
    subset is the expected output when those features follow the row and the
    others follow both branches weighted by cover.  O(T L D^2) per row for T
    trees of L leaves and depth D, compiled and parallel over rows.

    Parameters
    ----------
    trees : sequence of ShapTree
        The trees of one model; they must all have the same ``n_outputs``.
        The model's raw output is the sum of the trees' leaf values (scale the
        ``value`` arrays beforehand for an average or a learning rate).
    X : array-like of shape (n_samples, n_features)
        Rows to explain (float32 rows are compared in float32, as a tree
        trained on float32 predicts); NaN is routed by ``missing_go_left``.
    n_threads : int, default=None
        OpenMP threads over rows, with ``n_jobs``'s meaning (None: OpenMP's
        default, -1: all cores).  The result does not depend on it.

    Returns
    -------
    phi : ndarray of shape (n_samples, n_features, n_outputs)
        Contribution of each feature to each row's raw output, summed over trees.
    expected_value : ndarray of shape (n_outputs,)
        Sum over trees of the cover-weighted mean leaf value.  For each row,
        ``phi.sum(axis=1) + expected_value`` equals the raw output.

    Raises
    ------
    ValueError
        If a tree's arrays disagree in length, do not form a binary tree rooted
        at node 0, split on a feature X does not have, or hold a negative or
        non-finite cover or a non-finite leaf value.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.discriminative.tree._shap import ShapTree, tree_shap
    >>> stump = ShapTree(
    ...     children_left=np.array([1, -1, -1]), children_right=np.array([2, -1, -1]),
    ...     feature=np.array([0, 0, 0]), threshold=np.array([0.5, 0.0, 0.0]),
    ...     missing_go_left=np.zeros(3, np.uint8), is_categorical=np.zeros(3, np.uint8),
    ...     cat_bitset=np.zeros((3, 8), np.uint32), value=np.array([[0.0], [1.0], [3.0]]),
    ...     cover=np.array([4.0, 3.0, 1.0]))
    >>> phi, base = tree_shap([stump], np.array([[0.0, 7.0], [1.0, 7.0]]))
    >>> phi[:, :, 0], base
    (array([[-0.5,  0. ],
           [ 1.5,  0. ]]), array([1.5]))
    """
    if sp.issparse(X):
        X = X.toarray()
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    X = np.ascontiguousarray(X)
    flat = _flatten(trees)
    n, d = X.shape
    n_out = flat["value"].shape[1]
    depth = np.zeros(len(trees), dtype=np.int64)
    per_tree = np.zeros((len(trees), n_out))
    status = _tree_shap.tree_summaries(flat["left"], flat["right"], flat["feature"],
                                       flat["cover"], flat["value"], flat["roots"], d,
                                       depth, per_tree)
    _raise_for(status, d)
    max_depth = int(depth.max(initial=0))
    if max_depth > MAX_DEPTH:
        raise ValueError(f"TreeSHAP serves trees up to depth {MAX_DEPTH}, got one of depth "
                         f"{max_depth}; limit the trees' depth (max_depth).")
    n_threads = effective_n_threads(n_threads)
    refuse_absurd_allocation(n * d * n_out * 8.0, f"SHAP values of shape {(n, d, n_out)}",
                             "explain fewer rows at a time.")
    phi = np.zeros((n, d, n_out))
    if d > 0:
        _raise_for(_tree_shap.tree_shap(
            X, flat["left"], flat["right"], flat["feature"], flat["threshold"],
            flat["missing_left"], flat["is_cat"], flat["bitset"], flat["value"],
            flat["cover"], flat["roots"], max_depth, phi, n_threads), d)
    return phi, per_tree.sum(axis=0)


def _raise_for(status, n_features):
    if status == _tree_shap.STATUS_NO_MEMORY:
        raise MemoryError("Out of memory for TreeSHAP's path buffers.")
    if status == _tree_shap.STATUS_BAD_TREE:
        raise ValueError("A ShapTree is not a binary tree rooted at node 0 (children are "
                         "tree-local ids, -1 at both sides of a leaf, each node reached "
                         f"once) or splits on a feature outside [0, {n_features}) of X.")


_FIELDS = {  # ShapTree field -> (name of the concatenated array, its dtype)
    "children_left": ("left", np.int64), "children_right": ("right", np.int64),
    "feature": ("feature", np.int64), "threshold": ("threshold", np.float64),
    "missing_go_left": ("missing_left", np.uint8), "is_categorical": ("is_cat", np.uint8),
    "cat_bitset": ("bitset", np.uint32), "value": ("value", np.float64),
    "cover": ("cover", np.float64),
}


def _flatten(trees):
    """Concatenate the trees' arrays (tree-local child ids) with ``roots`` offsets, checked."""
    trees = list(trees)
    sizes, n_outputs = [], set()
    for k, t in enumerate(trees):
        if not isinstance(t, ShapTree):
            raise TypeError(f"trees[{k}] is a {type(t).__name__}, not a ShapTree.")
        m = len(np.asarray(t.children_left))
        value = np.asarray(t.value)
        shapes = {name: np.shape(getattr(t, name)) for name in _FIELDS}
        want = {name: (m,) for name in _FIELDS}
        want["cat_bitset"] = (m, 8)
        want["value"] = (m, value.shape[1] if value.ndim == 2 else -1)
        bad = [name for name in _FIELDS if shapes[name] != want[name]]
        if bad or m == 0:
            raise ValueError(f"trees[{k}] has {m} nodes but fields {bad} have shapes "
                             f"{[shapes[b] for b in bad]}: every field holds one entry per "
                             "node (cat_bitset (n_nodes, 8), value (n_nodes, n_outputs)).")
        sizes.append(m)
        n_outputs.add(value.shape[1])
    if len(n_outputs) > 1:
        raise ValueError(f"The trees have different numbers of outputs: {sorted(n_outputs)}.")
    if not trees:
        raise ValueError("trees is empty: TreeSHAP needs at least one ShapTree.")
    flat = {key: np.ascontiguousarray(np.concatenate(
                [np.asarray(getattr(t, name)) for t in trees]).astype(dtype, copy=False))
            for name, (key, dtype) in _FIELDS.items()}
    flat["roots"] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    cover = flat["cover"]
    if not (np.isfinite(cover).all() and (cover >= 0).all()):
        raise ValueError("A tree's cover holds a negative or non-finite weight; covers are "
                         "the training weight reaching each node (>= 0).")
    leaf_values = flat["value"][flat["left"] < 0]
    if not np.isfinite(leaf_values).all():
        raise ValueError("A tree's leaf values are not all finite.")
    return flat


def to_shap_tree(tree, scale=1.0):
    """Return the ShapTree of a fitted ``tree_`` (gdcore's or scikit-learn's ``Tree``).

    ``value`` is ``tree.value`` flattened to (n_nodes, n_outputs * max classes)
    and multiplied by ``scale`` (1 / n_estimators for a forest's average).
    """
    m = tree.node_count
    missing = getattr(tree, "missing_go_to_left", None)
    return ShapTree(
        children_left=tree.children_left, children_right=tree.children_right,
        feature=tree.feature, threshold=tree.threshold,
        missing_go_left=np.zeros(m, np.uint8) if missing is None else missing,
        is_categorical=np.zeros(m, np.uint8), cat_bitset=np.zeros((m, 8), np.uint32),
        value=np.asarray(tree.value).reshape(m, -1) * scale,
        cover=tree.weighted_n_node_samples)


def explain(est, X):
    """Return (phi, expected value) of a fitted tree model, shaped as its predictions.

    ``est`` is a fitted DecisionTree*, RandomForest* or ExtraTrees* (natively
    or through the peer: both keep scikit-learn's ``tree_`` arrays).  X = None
    computes only the expected value.  Forests average their trees, so each
    tree's values count 1 / n_estimators.
    """
    if hasattr(est, "estimators_"):
        check_is_fitted(est, "estimators_")
        trees = [e.tree_ for e in est.estimators_]
    else:
        check_is_fitted(est, "tree_")
        trees = [est.tree_]
    scale = 1.0 / len(trees)
    if X is None:
        X = np.zeros((0, est.n_features_in_), dtype=np.float32)
    else:
        X = check_X(est, X, reset=False, allow_nan=True, accept_sparse=True, dtype=np.float32)
    phi, base = tree_shap([to_shap_tree(t, scale) for t in trees], X,
                          getattr(est, "n_jobs", None))
    if not est._is_classifier:
        return (phi[:, :, 0], float(base[0])) if est.n_outputs_ == 1 else (phi, base)
    width = trees[0].value.shape[2]  # per output: max classes over outputs
    if est.n_outputs_ == 1:
        return phi[:, :, : est.n_classes_], base[: est.n_classes_]
    return ([phi[:, :, o * width: o * width + k] for o, k in enumerate(est.n_classes_)],
            [base[o * width: o * width + k] for o, k in enumerate(est.n_classes_)])
