"""What decision trees and forests share.

Checking a training set, resolving the stopping parameters, and handing
everything to the compiled builder.
"""

import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import tree as sk_tree
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils.validation import validate_data

from gdcore._memory import physical_memory_bytes, refuse_absurd_allocation
from gdcore._sklearn_compat import Interval
from gdcore._validation import (
    check_classification_targets,
    check_sample_weight,
    check_X,
    refuse_dates,
)
from gdcore.discriminative.tree import _tree_build, _tree_split
from gdcore.discriminative.tree._bins import find_bins
from gdcore.discriminative.tree._structure import Tree

CRITERIA_CLF = {"gini": _tree_split.CRITERION_GINI, "entropy": _tree_split.CRITERION_ENTROPY,
                "log_loss": _tree_split.CRITERION_ENTROPY}
CRITERIA_REG = {"squared_error": _tree_split.CRITERION_SQUARED_ERROR,
                "poisson": _tree_split.CRITERION_POISSON}
SEED_MAX = np.iinfo(np.int64).max

# scikit-learn's own constraints (every value it accepts is accepted: what the
# kernels do not serve is fitted by the peer), plus gdcore's max_bins.
GDCORE_CONSTRAINTS = {"max_bins": [Interval(Integral, 2, 255, closed="both"), None]}
CLF_CONSTRAINTS = {**sk_tree.DecisionTreeClassifier._parameter_constraints,
                   **GDCORE_CONSTRAINTS, "n_jobs": [Integral, None]}
REG_CONSTRAINTS = {**sk_tree.DecisionTreeRegressor._parameter_constraints,
                   **GDCORE_CONSTRAINTS, "n_jobs": [Integral, None]}

# A lower bound on the memory of one fitted tree: its estimator object, its
# Tree and nine node arrays even for a single leaf.  Only forests that could
# never be held are refused, before the seeds are drawn.
MIN_TREE_BYTES = 1024


def fallback_reason(est, X, y):
    """Why the compiled builder cannot fit this (X, parameters), or None.

    Sparse y is refused first, as scikit-learn refuses it (trees: TypeError,
    forests: ValueError); sparse X is served natively unless its binned copy
    would not fit in memory.  The checks are type, shape and parameter tests
    only, never a pass over the data.
    """
    if sp.issparse(y) and hasattr(est, "n_estimators"):
        raise ValueError("sparse multilabel-indicator for y is not supported.")  # forests
    if sp.issparse(y):
        raise TypeError("Sparse data was passed for y, but dense data is required: "
                        "use y.toarray() to convert it to a dense numpy array.")
    if sp.issparse(X) and _codes_bytes(X) > physical_memory_bytes() // SPARSE_MEMORY_SHARE:
        return "sparse X whose binned copy (1 byte per cell) would not fit in memory"
    native = CRITERIA_CLF if est._is_classifier else CRITERIA_REG
    if not isinstance(est.criterion, str) or est.criterion not in native:
        return f"criterion={est.criterion!r}"
    if getattr(est, "monotonic_cst", None) is not None:
        return "monotonic_cst"
    return None


# A sparse X is binned into a dense (n_features, n_samples) matrix of 1-byte
# codes (the kernels' layout) when that takes at most this share of physical
# memory; larger ones (text features) are fitted by the peer's sparse splitter.
SPARSE_MEMORY_SHARE = 4


def _codes_bytes(X):
    """Bytes of X's binned codes: one per cell (0 for what has no 2-D shape)."""
    shape = getattr(X, "shape", None)
    return shape[0] * shape[1] if shape is not None and len(shape) == 2 else 0


def check_forest_size(n_estimators):
    """Refuse a forest that no machine here could hold, before anything is allocated."""
    refuse_absurd_allocation(n_estimators * MIN_TREE_BYTES, f"n_estimators={n_estimators} trees",
                             "use fewer trees.")


def _check_poisson_y(est, y):
    """scikit-learn's Poisson checks, made before X and y are checked against each other."""
    y = np.asarray(y, dtype=np.float64)
    if not np.isfinite(y).all():
        return  # refused later, with the finiteness message
    if (y < 0).any():
        raise ValueError("Some value(s) of y are negative which is not allowed for "
                         "Poisson regression.")
    if not y.sum() > 0:
        # scikit-learn's two wordings: trees and forests
        which = "strictly positive" if hasattr(est, "n_estimators") else "positive"
        raise ValueError(f"Sum of y is not {which} which is necessary for Poisson "
                         "regression.")


class TrainingSet:
    """A validated, binned training set, ready for ``_tree_build.build_trees``."""

    def __init__(self, est, X, y, sample_weight, is_classifier, n_threads):
        refuse_dates(X)
        if not is_classifier and est.criterion == "poisson":
            _check_poisson_y(est, y)
        X, y = validate_data(est, X, y, reset=True, dtype=np.float32, order="C",
                             accept_sparse="csc", ensure_all_finite="allow-nan",
                             multi_output=True, y_numeric=not is_classifier)
        if sp.issparse(X):
            if np.isnan(X.data).any():  # scikit-learn's rule: NaN is missing only in dense X
                raise ValueError("Input X contains NaN. Sparse X cannot hold missing values "
                                 "(NaN): impute them, or pass a dense array where NaN is "
                                 "routed as missing.")
            if not X.has_canonical_format:
                X = X.copy()  # not the caller's matrix: summing duplicates is in place
                X.sum_duplicates()
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"A tree needs at least 2 samples to fit, got {n} sample "
                             "(n_samples = 1).")
        y = np.asarray(y)
        self.y_was_1d = y.ndim == 1
        y2 = y.reshape(n, -1)
        self.X, self.n_outputs = X, y2.shape[1]
        weight = check_sample_weight(sample_weight, X)
        expanded = None
        if is_classifier:
            check_classification_targets(y)
            self.classes, codes = [], np.empty(y2.shape, dtype=np.int32)
            for o in range(self.n_outputs):
                c, codes[:, o] = np.unique(y2[:, o], return_inverse=True)
                self.classes.append(c)
            self.n_classes = np.array([len(c) for c in self.classes], dtype=np.intp)
            self.class_offset = np.concatenate(
                [[0], np.cumsum(self.n_classes)[:-1]]).astype(np.int32)
            self.K = int(self.n_classes.sum())
            self.y_cls, self.y_reg = codes, None
            class_weight = getattr(est, "class_weight", None)
            # "balanced_subsample": each tree's bootstrap sample is balanced
            # in the kernel; without bootstrap it is "balanced" (scikit-learn's rule)
            self.balanced_subsample = (class_weight == "balanced_subsample"
                                       and getattr(est, "bootstrap", False))
            if hasattr(est, "_validate_y_class_weight"):
                # forests: scikit-learn's rule, "balanced" counts weighted rows
                expanded = est._validate_y_class_weight(y2, sample_weight)[1]
            elif class_weight is not None:
                expanded = compute_sample_weight(class_weight,
                                                 y2 if self.n_outputs > 1 else y2[:, 0])
            if expanded is not None:
                weight = weight * expanded
                if (weight < 0).any():
                    raise ValueError(
                        "class_weight must be non-negative: a negative weight would "
                        "give negative class probabilities.")
        else:
            y2 = np.ascontiguousarray(y2, dtype=np.float64)
            if not np.isfinite(y2).all():
                raise ValueError("y contains NaN or inf; regression targets must be finite.")
            self.n_classes = np.ones(self.n_outputs, dtype=np.intp)
            self.class_offset = np.arange(self.n_outputs, dtype=np.int32)
            self.K = self.n_outputs
            self.y_cls, self.y_reg = None, y2
            self.balanced_subsample = False
        if weight.sum() <= 0:
            raise ValueError("sample_weight sums to zero: no sample would be used.")
        self.weight = np.ascontiguousarray(weight, dtype=np.float64)
        # scikit-learn's combined weights are "given" (its forests' private
        # _sample_weight is not None, and draw bootstrap rows by weight)
        # when sample_weight or an expanded class_weight was
        self.weighted = sample_weight is not None or expanded is not None
        self.is_classifier = is_classifier
        self.criterion = (CRITERIA_CLF if is_classifier else CRITERIA_REG)[est.criterion]
        # Bins from the rows that weigh: a zero weight then equals removing the
        # row (scikit-learn's contract), bins included.
        weighed = X if (weight > 0).all() else X[np.flatnonzero(weight > 0)]
        self.bins = find_bins(weighed, est.max_bins, check_random_state(est.random_state))
        self.codes = self.bins.transform(X, n_threads)

    def limits(self, est):
        """scikit-learn's resolution of the stopping parameters, as kernel ints."""
        n, d = self.X.shape
        msl = est.min_samples_leaf
        msl = (int(math.ceil(msl * n)) if isinstance(msl, Real) and not isinstance(msl, Integral)
               else int(msl))
        if msl > n:
            raise ValueError(f"min_samples_leaf={est.min_samples_leaf} is larger than "
                             f"the number of samples ({n}); use at most {n}.")
        mss = est.min_samples_split
        mss = (int(math.ceil(mss * n)) if isinstance(mss, Real) and not isinstance(mss, Integral)
               else int(mss))
        mss = max(mss, 2, 2 * msl)
        mf = est.max_features
        if mf is None:
            mf = d
        elif mf == "sqrt":
            mf = max(1, int(np.sqrt(d)))
        elif mf == "log2":
            mf = max(1, int(np.log2(d)))
        elif isinstance(mf, Integral):
            mf = int(mf)
        else:
            mf = max(1, int(mf * d))
        if mf > d:
            raise ValueError(f"max_features={est.max_features} is larger than the "
                             f"number of features ({d}).")
        return dict(
            max_depth=np.iinfo(np.intp).max if est.max_depth is None else int(est.max_depth),
            min_samples_split=mss, min_samples_leaf=msl,
            min_weight_fraction_leaf=float(est.min_weight_fraction_leaf),
            max_features=mf,
            max_leaf_nodes=0 if est.max_leaf_nodes is None else int(est.max_leaf_nodes),
            min_impurity_decrease=float(est.min_impurity_decrease),
            random_splitter=getattr(est, "splitter", getattr(est, "_splitter", "best")) == "random",
        )

    def build(self, est, seeds, n_draw, n_threads, draw_cum=None):
        """Grow one tree per seed; a list of ``Tree``.

        ``draw_cum``: the running sums of the weights when bootstrap rows are
        drawn in proportion to them, else None (``_tree_build.build_trees``).
        """
        codes8 = self.codes if self.codes.dtype == np.uint8 else None
        codes32 = None if codes8 is not None else self.codes
        b = self.bins
        grown = _tree_build.build_trees(
            codes8, codes32, b.n_bins, b.table, b.is_exact, self.y_cls, self.y_reg,
            self.class_offset, self.K, self.criterion, self.weight,
            np.asarray(seeds, dtype=np.uint64), n_draw=n_draw, n_threads=n_threads,
            balanced_subsample=self.balanced_subsample, draw_cum=draw_cum,
            **self.limits(est))
        return [Tree(*self._root_leaf_if_empty(nodes, values), depth, self.X.shape[1],
                     self.n_outputs, self.n_classes, self.is_classifier, self.class_offset)
                for nodes, values, depth in grown]

    def _root_leaf_if_empty(self, nodes, values):
        """Make a tree without nodes one leaf holding the weighted training prior.

        A tree whose bootstrap drew only zero-weight rows has no node.
        """
        if len(nodes):
            return nodes, values
        nodes = np.zeros(1, dtype=nodes.dtype)
        for name, v in (("left_child", -1), ("right_child", -1), ("feature", -2),
                        ("threshold", -2.0)):
            nodes[name] = v
        if self.is_classifier:
            prior = np.zeros((1, self.K))
            for o in range(self.n_outputs):
                np.add.at(prior[0], self.class_offset[o] + self.y_cls[:, o], self.weight)
        else:
            prior = np.average(self.y_reg, axis=0, weights=self.weight)[None, :]
        return nodes, prior


def check_predict_X(est, X):
    """Rows to predict: float32 like the fit (thresholds were made on float32), NaN allowed.

    A sparse X stays a CSR matrix (see ``dense_rows``).
    """
    return check_X(est, X, reset=False, allow_nan=True, accept_sparse=True, dtype=np.float32)
