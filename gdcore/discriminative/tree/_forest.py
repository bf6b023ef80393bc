"""Random forests and extremely randomized trees on the compiled builder.

The training set is validated and binned once; all trees then grow in one
kernel call, in parallel over trees, each from its own seed drawn from
``random_state`` (its bootstrap sample and its feature draws come from that
seed alone), so a forest is the same on any number of threads.  After a
fit the trees are packed into one array of 16-byte nodes (``pack_forest``)
and prediction walks them all in one kernel call, parallel over row blocks.
Parameters are scikit-learn's, plus ``max_bins`` (see ``tree_bins``).
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from gdcore._threads import effective_n_threads
from gdcore.discriminative.tree import _tree_build, _tree_predict
from gdcore.discriminative.tree._classes import DecisionTreeClassifier, DecisionTreeRegressor
from gdcore.discriminative.tree._common import (
    SEED_MAX,
    TREE_CONSTRAINTS,
    TrainingSet,
    check_predict_X,
)
from gdcore.discriminative.tree._pruning import prune
from gdcore.discriminative.tree._structure import pack_forest

_TREE_PARAMS = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf",
                "min_weight_fraction_leaf", "max_features", "max_leaf_nodes",
                "min_impurity_decrease", "ccp_alpha", "max_bins")


class _BaseForest(BaseEstimator):
    _parameter_constraints = {
        **{k: v for k, v in TREE_CONSTRAINTS.items() if k != "splitter"},
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "bootstrap": ["boolean"],
        "oob_score": ["boolean"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "max_samples": [None, Interval(Real, 0.0, 1.0, closed="right"),
                        Interval(Integral, 1, None, closed="left")],
    }

    def fit(self, X, y, sample_weight=None):
        """Grow the trees (in parallel); NaN in X is routed, not rejected."""
        self._validate_params()
        n_threads = effective_n_threads(self.n_jobs)
        if not self.bootstrap and (self.oob_score or self.max_samples is not None):
            raise ValueError("oob_score and max_samples need bootstrap=True.")
        data = TrainingSet(self, X, y, sample_weight, self._is_classifier, n_threads)
        n = data.X.shape[0]
        n_draw = self._n_draw(n) if self.bootstrap else 0
        if not self.warm_start or not hasattr(self, "estimators_"):
            self.estimators_, self._seeds = [], []
        n_more = self.n_estimators - len(self.estimators_)
        if n_more < 0:
            raise ValueError(f"n_estimators={self.n_estimators} must be larger or equal "
                             f"to len(estimators_)={len(self.estimators_)} when "
                             "warm_start==True.")
        if n_more == 0:
            warnings.warn("Warm-start fitting without increasing n_estimators does not "
                          "fit new trees.", stacklevel=2)
        else:
            seeds = check_random_state(self.random_state).randint(
                SEED_MAX, size=self.n_estimators, dtype=np.int64)[len(self.estimators_):]
            trees = data.build(self, seeds, n_draw=n_draw, n_threads=n_threads)
            self.estimators_ += [self._wrap(t, data) for t in trees]
            self._seeds += [int(s) for s in seeds]
        self.n_outputs_ = data.n_outputs
        if self._is_classifier:
            self.classes_ = data.classes[0] if data.n_outputs == 1 else data.classes
            self.n_classes_ = (int(data.n_classes[0]) if data.n_outputs == 1
                               else [int(k) for k in data.n_classes])
        self._pack(n_threads)
        if self.oob_score:
            self._set_oob_score(data, n_draw, n_threads)
        return self

    def _n_draw(self, n):
        m = self.max_samples
        if m is None:
            return n
        if isinstance(m, Integral):
            if m > n:
                raise ValueError(f"max_samples={m} must be <= n_samples={n}.")
            return int(m)
        return max(1, int(round(n * m)))

    def _wrap(self, tree, data):
        """Return a fitted single-tree estimator around ``tree`` (scikit-learn's estimators_)."""
        cls = DecisionTreeClassifier if self._is_classifier else DecisionTreeRegressor
        est = cls(**{k: getattr(self, k) for k in _TREE_PARAMS}, splitter=self._splitter)
        est.tree_ = prune(tree, self.ccp_alpha) if self.ccp_alpha > 0 else tree
        est.n_outputs_ = data.n_outputs
        est.n_features_in_ = data.X.shape[1]
        est.max_features_ = data.limits(self)["max_features"]
        if self._is_classifier:
            est.classes_ = data.classes[0] if data.n_outputs == 1 else data.classes
            est.n_classes_ = (int(data.n_classes[0]) if data.n_outputs == 1
                              else [int(k) for k in data.n_classes])
        return est

    def _pack(self, n_threads):
        """All trees' nodes in one compact array for forest_mean (``pack_forest``)."""
        self._forest = pack_forest([e.tree_ for e in self.estimators_], n_threads)

    def _mean_values(self, X):
        """(n, n_outputs, width) mean of the trees' leaf values."""
        nodes, roots, values = self._forest
        out = np.empty((X.shape[0], values.shape[1]))
        _tree_predict.forest_mean(X, nodes, roots, values, out,
                                  effective_n_threads(self.n_jobs))
        return out.reshape(X.shape[0], self.n_outputs_, -1)

    def _X(self, X):
        check_is_fitted(self, "estimators_")
        return check_predict_X(self, X)

    def apply(self, X):
        """(n_samples, n_estimators) leaf index of each sample in each tree."""
        X = self._X(X)
        n_threads = effective_n_threads(self.n_jobs)
        return np.stack([e.tree_.apply(X, n_threads) for e in self.estimators_], axis=1)

    def decision_path(self, X):
        """Return (indicator CSR over all trees' nodes, n_nodes_ptr), as scikit-learn."""
        import scipy.sparse as sp
        X = self._X(X)
        paths = [e.tree_.decision_path(X, 1) for e in self.estimators_]
        ptr = np.cumsum([0] + [p.shape[1] for p in paths])
        return sp.hstack(paths).tocsr(), ptr

    @property
    def feature_importances_(self):
        """Mean over trees of each tree's normalized impurity decrease."""
        check_is_fitted(self, "estimators_")
        imps = [e.tree_.compute_feature_importances() for e in self.estimators_
                if e.tree_.node_count > 1]
        if not imps:
            return np.zeros(self.n_features_in_)
        imp = np.mean(imps, axis=0)
        return imp / imp.sum() if imp.sum() > 0 else imp

    def _oob_values(self, data, n_draw, n_threads):
        """Sum of out-of-bag leaf values and OOB counts per training row."""
        X, n = data.X, data.X.shape[0]
        width = self._forest[2].shape[1]
        total, count = np.zeros((n, width)), np.zeros(n)
        for est, seed in zip(self.estimators_, self._seeds):
            oob = np.flatnonzero(_tree_build.bootstrap_counts(np.uint64(seed), n, n_draw) == 0)
            leaves = est.tree_.apply(np.ascontiguousarray(X[oob]), n_threads)
            total[oob] += est.tree_.value.reshape(est.tree_.node_count, -1)[leaves]
            count[oob] += 1
        if (count == 0).any():
            warnings.warn("Some inputs do not have OOB scores. This probably means too "
                          "few trees were used to compute any reliable OOB estimates.",
                          stacklevel=4)
        return total.reshape(n, self.n_outputs_, -1), count

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.multi_output = True
        return tags


class _ForestClassifierMixin(ClassifierMixin):
    _is_classifier = True

    def predict_proba(self, X):
        """Mean over trees of the class fractions of the leaves reached."""
        proba = self._mean_values(self._X(X))
        if self.n_outputs_ == 1:
            return proba[:, 0, : self.n_classes_]
        return [proba[:, o, :k] for o, k in enumerate(self.n_classes_)]

    def predict_log_proba(self, X):
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba) if self.n_outputs_ == 1 else [np.log(p) for p in proba]

    def predict(self, X):
        """Return the class with the largest mean probability."""
        proba = self._mean_values(self._X(X))
        if self.n_outputs_ == 1:
            return self.classes_[np.argmax(proba[:, 0, : self.n_classes_], axis=1)]
        return np.stack([c[np.argmax(proba[:, o, : len(c)], axis=1)]
                         for o, c in enumerate(self.classes_)], axis=1)

    def _set_oob_score(self, data, n_draw, n_threads):
        total, count = self._oob_values(data, n_draw, n_threads)
        with np.errstate(invalid="ignore", divide="ignore"):
            decision = total / count[:, None, None]
        scores = []
        for o in range(self.n_outputs_):
            k = data.n_classes[o]
            seen = count > 0
            pred = np.argmax(decision[seen, o, :k], axis=1)
            scores.append(np.mean(pred == data.y_cls[seen, o]))
        self.oob_decision_function_ = (decision[:, 0, : data.n_classes[0]]
                                       if self.n_outputs_ == 1 else
                                       [decision[:, o, :k] for o, k in enumerate(data.n_classes)])
        self.oob_score_ = float(np.mean(scores))


class _ForestRegressorMixin(RegressorMixin):
    _is_classifier = False

    def predict(self, X):
        """Mean over trees of the leaf means."""
        pred = self._mean_values(self._X(X))[:, :, 0]
        return pred[:, 0] if self.n_outputs_ == 1 else pred

    def _set_oob_score(self, data, n_draw, n_threads):
        total, count = self._oob_values(data, n_draw, n_threads)
        with np.errstate(invalid="ignore", divide="ignore"):
            pred = total[:, :, 0] / count[:, None]
        seen = count > 0
        self.oob_prediction_ = pred[:, 0] if self.n_outputs_ == 1 else pred
        self.oob_score_ = float(r2_score(data.y_reg[seen], pred[seen]))


def _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                 min_samples_leaf, min_weight_fraction_leaf, max_features, max_leaf_nodes,
                 min_impurity_decrease, bootstrap, oob_score, n_jobs, random_state,
                 verbose, warm_start, ccp_alpha, max_samples, max_bins):
    self.n_estimators = n_estimators
    self.criterion = criterion
    self.max_depth = max_depth
    self.min_samples_split = min_samples_split
    self.min_samples_leaf = min_samples_leaf
    self.min_weight_fraction_leaf = min_weight_fraction_leaf
    self.max_features = max_features
    self.max_leaf_nodes = max_leaf_nodes
    self.min_impurity_decrease = min_impurity_decrease
    self.bootstrap = bootstrap
    self.oob_score = oob_score
    self.n_jobs = n_jobs
    self.random_state = random_state
    self.verbose = verbose
    self.warm_start = warm_start
    self.ccp_alpha = ccp_alpha
    self.max_samples = max_samples
    self.max_bins = max_bins


_CLF_CONSTRAINTS = {
    **_BaseForest._parameter_constraints,
    "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
    "class_weight": [dict, list, StrOptions({"balanced", "balanced_subsample"}), None],
}
_REG_CONSTRAINTS = {
    **_BaseForest._parameter_constraints,
    "criterion": [StrOptions({"squared_error", "poisson"})],
}


class RandomForestClassifier(_ForestClassifierMixin, _BaseForest):
    """Bootstrap-aggregated classification trees with random feature subsets."""

    _splitter = "best"
    _parameter_constraints = _CLF_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, ccp_alpha=0.0,
                 max_samples=None, max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, max_bins)
        self.class_weight = class_weight


class ExtraTreesClassifier(_ForestClassifierMixin, _BaseForest):
    """Extremely randomized classification trees: one random cut per drawn feature."""

    _splitter = "random"
    _parameter_constraints = _CLF_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, ccp_alpha=0.0,
                 max_samples=None, max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, max_bins)
        self.class_weight = class_weight


class RandomForestRegressor(_ForestRegressorMixin, _BaseForest):
    """Bootstrap-aggregated regression trees."""

    _splitter = "best"
    _parameter_constraints = _REG_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, ccp_alpha=0.0, max_samples=None,
                 max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, max_bins)


class ExtraTreesRegressor(_ForestRegressorMixin, _BaseForest):
    """Extremely randomized regression trees."""

    _splitter = "random"
    _parameter_constraints = _REG_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, ccp_alpha=0.0, max_samples=None,
                 max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, max_bins)
