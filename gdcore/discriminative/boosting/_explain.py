"""TreeSHAP for boosting: the fitted trees as the tree family's ``ShapTree``.

Each tree of output k becomes a ShapTree with one value column per output
(zeros outside column k), so one ``tree_shap`` call (compiled, parallel over
rows) explains every output; the baseline raw prediction is added to the
expected value, so that for each row ``phi.sum(axis=1) + expected value``
equals its raw prediction (``decision_function``, or ``predict`` before the
inverse link).  A categorical split's bitset is over the encoded categories,
which are the values of the encoded X, so TreeSHAP routes rows as
``predict`` does.
"""

import numpy as np

from gdcore._threads import effective_n_threads
from gdcore.discriminative.tree._shap import ShapTree, tree_shap


def shap_trees(forest):
    """Return the ShapTrees of a fitted ``Forest``, every output's trees."""
    K = len(forest.baseline)
    out = []
    for it in forest.trees:
        for k, t in enumerate(it):
            m = t.node_count
            value = np.zeros((m, K))
            value[:, k] = t.value[:, 0]
            out.append(ShapTree(
                children_left=t.children_left.astype(np.int64),
                children_right=t.children_right.astype(np.int64),
                feature=t.feature.astype(np.int64), threshold=t.threshold,
                missing_go_left=t.missing_go_to_left.astype(np.uint8),
                is_categorical=t.is_categorical.astype(np.uint8),
                cat_bitset=np.ascontiguousarray(t.cat_bitset, dtype=np.uint32),
                value=value, cover=t.cover.astype(np.float64)))
    return out


def explain(est, X):
    """Return (phi (n, d, K), expected value (K,)) of a natively fitted boosting model.

    X is compared in float64, as ``predict`` compares it with the float64
    thresholds (a float32 comparison could send a value equal to a rounded
    midpoint the other way).
    """
    forest = est._forest
    if X is None:
        X = np.zeros((0, est.n_features_in_))
    else:
        X = est._predict_X(X).astype(np.float64, copy=False)
    phi, base = tree_shap(shap_trees(forest), X, effective_n_threads(est.n_jobs))
    if not forest.trees:
        phi = np.zeros((X.shape[0], est.n_features_in_, len(forest.baseline)))
        base = np.zeros(len(forest.baseline))
    if est._encoding is not None:  # categorical features first: back to the input order
        phi = est._encoding.to_input_order(phi, 1)
    return phi, base + forest.baseline
