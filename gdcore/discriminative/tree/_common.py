"""What decision trees and forests share.

Checking a training set, resolving the stopping parameters, and handing
everything to the compiled builder.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import validate_data

from gdcore._validation import check_classification_targets, check_sample_weight, check_X
from gdcore.discriminative.tree import _tree_build, _tree_split
from gdcore.discriminative.tree._bins import find_bins
from gdcore.discriminative.tree._structure import Tree

CRITERIA_CLF = {"gini": _tree_split.CRITERION_GINI, "entropy": _tree_split.CRITERION_ENTROPY,
                "log_loss": _tree_split.CRITERION_ENTROPY}
CRITERIA_REG = {"squared_error": _tree_split.CRITERION_SQUARED_ERROR,
                "poisson": _tree_split.CRITERION_POISSON}
SEED_MAX = np.iinfo(np.int64).max

# scikit-learn's constraints for the parameters trees and forests share.
TREE_CONSTRAINTS = {
    "splitter": [StrOptions({"best", "random"})],
    "max_depth": [Interval(Integral, 1, None, closed="left"), None],
    "min_samples_split": [Interval(Integral, 2, None, closed="left"),
                          Interval(RealNotInt, 0.0, 1.0, closed="right")],
    "min_samples_leaf": [Interval(Integral, 1, None, closed="left"),
                         Interval(RealNotInt, 0.0, 1.0, closed="neither")],
    "min_weight_fraction_leaf": [Interval(Real, 0.0, 0.5, closed="both")],
    "max_features": [Interval(Integral, 1, None, closed="left"),
                     Interval(RealNotInt, 0.0, 1.0, closed="right"),
                     StrOptions({"sqrt", "log2"}), None],
    "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
    "min_impurity_decrease": [Interval(Real, 0.0, None, closed="left")],
    "ccp_alpha": [Interval(Real, 0.0, None, closed="left")],
    "max_bins": [Interval(Integral, 2, 255, closed="both"), None],
    "random_state": ["random_state"],
}


class TrainingSet:
    """A validated, binned training set, ready for ``_tree_build.build_trees``."""

    def __init__(self, est, X, y, sample_weight, is_classifier, n_threads):
        X, y = validate_data(est, X, y, reset=True, dtype=np.float32, order="C",
                             ensure_all_finite="allow-nan", multi_output=True,
                             y_numeric=not is_classifier)
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"A tree needs at least 2 samples to fit, got {n} sample "
                             "(n_samples = 1).")
        y = np.asarray(y)
        self.y_was_1d = y.ndim == 1
        y2 = y.reshape(n, -1)
        self.X, self.n_outputs = X, y2.shape[1]
        weight = check_sample_weight(sample_weight, X)
        if is_classifier:
            check_classification_targets(y)
            self.classes, codes = [], np.empty(y2.shape, dtype=np.int32)
            for o in range(self.n_outputs):
                c, codes[:, o] = np.unique(y2[:, o], return_inverse=True)
                self.classes.append(c)
            if all(len(c) < 2 for c in self.classes):
                raise ValueError("y has only one class; a classifier needs at least 2 "
                                 f"(got class {self.classes[0][0]!r}).")
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
            if class_weight == "balanced_subsample" and not self.balanced_subsample:
                class_weight = "balanced"
            if class_weight is not None and not self.balanced_subsample:
                weight = weight * compute_sample_weight(class_weight, y2 if
                                                        self.n_outputs > 1 else y2[:, 0])
                if (weight < 0).any():
                    raise ValueError(
                        "class_weight must be non-negative: a negative weight would "
                        "give negative class probabilities.")
        else:
            y2 = np.ascontiguousarray(y2, dtype=np.float64)
            if not np.isfinite(y2).all():
                raise ValueError("y contains NaN or inf; regression targets must be finite.")
            if est.criterion == "poisson":
                if (y2 < 0).any():
                    raise ValueError("Some value(s) of y are negative which is not "
                                     "allowed for Poisson regression.")
                if (y2.sum(axis=0) <= 0).any():
                    raise ValueError("Sum of y is not positive which is necessary for "
                                     "Poisson regression.")
            self.n_classes = np.ones(self.n_outputs, dtype=np.intp)
            self.class_offset = np.arange(self.n_outputs, dtype=np.int32)
            self.K = self.n_outputs
            self.y_cls, self.y_reg = None, y2
            self.balanced_subsample = False
        if weight.sum() <= 0:
            raise ValueError("sample_weight sums to zero: no sample would be used.")
        self.weight = np.ascontiguousarray(weight, dtype=np.float64)
        self.is_classifier = is_classifier
        self.criterion = (CRITERIA_CLF if is_classifier else CRITERIA_REG)[est.criterion]
        self.bins = find_bins(X, est.max_bins, check_random_state(est.random_state))
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

    def build(self, est, seeds, n_draw, n_threads):
        """Grow one tree per seed; a list of ``Tree``."""
        codes8 = self.codes if self.codes.dtype == np.uint8 else None
        codes32 = None if codes8 is not None else self.codes
        b = self.bins
        grown = _tree_build.build_trees(
            codes8, codes32, b.n_bins, b.table, b.is_exact, self.y_cls, self.y_reg,
            self.class_offset, self.K, self.criterion, self.weight,
            np.asarray(seeds, dtype=np.uint64), n_draw=n_draw, n_threads=n_threads,
            balanced_subsample=self.balanced_subsample, **self.limits(est))
        return [Tree(nodes, values, depth, self.X.shape[1], self.n_outputs,
                     self.n_classes, self.is_classifier, self.class_offset)
                for nodes, values, depth in grown]


def check_predict_X(est, X):
    """Rows to predict: float32 like the fit (thresholds were made on float32), NaN allowed."""
    return check_X(est, X, reset=False, allow_nan=True, dtype=np.float32)
