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
from numbers import Integral

import numpy as np
from sklearn import ensemble as sk_ensemble
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore._fallback import PeerFallbackMixin, delegate_to_peer
from gdcore._threads import effective_n_threads
from gdcore.discriminative.tree import _tree_build, _tree_predict
from gdcore.discriminative.tree._classes import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    regression_criterion,
)
from gdcore.discriminative.tree._common import (
    GDCORE_CONSTRAINTS,
    SEED_MAX,
    TrainingSet,
    check_forest_size,
    check_predict_X,
    fallback_reason,
)
from gdcore.discriminative.tree._pruning import prune
from gdcore.discriminative.tree._structure import pack_forest

_TREE_PARAMS = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf",
                "min_weight_fraction_leaf", "max_features", "max_leaf_nodes",
                "min_impurity_decrease", "ccp_alpha", "max_bins")


class _BaseForest(PeerFallbackMixin, BaseEstimator):
    """Grow on the compiled builder, or through scikit-learn's forest of the same name.

    The peer fits sparse X, other criteria and monotonic constraints.
    """

    def _fallback_reason(self, X, y=None, **fit_params):
        return fallback_reason(self, X, y)

    # scikit-learn's ensembles are sequences of their fitted trees
    def __len__(self):
        return len(self.estimators_)

    def __getitem__(self, index):
        return self.estimators_[index]

    def __iter__(self):
        return iter(self.estimators_)

    @property
    def estimator(self):
        """The unfitted tree each member is grown as (scikit-learn's template)."""
        tree = DecisionTreeClassifier if self._is_classifier else DecisionTreeRegressor
        return tree(splitter=self._splitter)

    @property
    def estimator_(self):
        return self.estimator

    def fit(self, X, y, sample_weight=None):
        """Grow the trees (in parallel); NaN in X is routed, not rejected."""
        self._validate_params()
        check_forest_size(self.n_estimators)
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        n_threads = effective_n_threads(self.n_jobs)
        if not self.bootstrap and self.max_samples is not None:
            raise ValueError("`max_sample` cannot be set if `bootstrap=False`. Either switch "
                             "to `bootstrap=True` or set `max_sample=None`.")
        if not self.bootstrap and self.oob_score:
            raise ValueError("Out of bag estimation only available if bootstrap=True")
        data = TrainingSet(self, X, y, sample_weight, self._is_classifier, n_threads)
        n = data.X.shape[0]
        n_draw = self._n_draw(n) if self.bootstrap else 0
        self._n_samples, self._n_draw_fitted = n, n_draw
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
        """Bootstrap draws per tree, scikit-learn 1.9's rule (a float may exceed 1)."""
        m = self.max_samples
        if m is None:
            return n
        if isinstance(m, Integral):
            return int(m)
        n_draw = max(int(m * n), 1)
        if n_draw < max(10, n ** (1 / 3)):
            warnings.warn(f"Using the fractional value max_samples={m} when the number of "
                          f"samples is {n} results in a low number ({n_draw}) of bootstrap "
                          "samples. We recommend passing `max_samples` as an integer "
                          "instead.", stacklevel=3)
        return n_draw

    @property
    def estimators_samples_(self):
        """The rows drawn for each tree (with repeats), as int32 index arrays."""
        peer = self.__dict__.get("_peer")
        if peer is not None:
            return peer.estimators_samples_
        check_is_fitted(self, "estimators_")
        rows = np.arange(self._n_samples, dtype=np.int32)
        if not self._n_draw_fitted:
            return [rows.copy() for _ in self._seeds]
        return [np.repeat(rows, _tree_build.bootstrap_counts(
            np.uint64(seed), self._n_samples, self._n_draw_fitted).astype(np.intp))
            for seed in self._seeds]

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

    @delegate_to_peer
    def apply(self, X):
        """(n_samples, n_estimators) leaf index of each sample in each tree."""
        X = self._X(X)
        n_threads = effective_n_threads(self.n_jobs)
        return np.stack([e.tree_.apply(X, n_threads) for e in self.estimators_], axis=1)

    @delegate_to_peer
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
        """Return the (n, n_outputs, width) mean out-of-bag leaf values per training row.

        A row no tree left out gets 0, as in scikit-learn.
        """
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
        total /= np.maximum(count, 1)[:, None]
        return total.reshape(n, self.n_outputs_, -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True  # fitted by the peer
        tags.target_tags.multi_output = True
        return tags


class _ForestClassifierMixin(ClassifierMixin):
    _is_classifier = True

    @delegate_to_peer
    def predict_proba(self, X):
        """Mean over trees of the class fractions of the leaves reached."""
        proba = self._mean_values(self._X(X))
        if self.n_outputs_ == 1:
            return proba[:, 0, : self.n_classes_]
        return [proba[:, o, :k] for o, k in enumerate(self.n_classes_)]

    @delegate_to_peer
    def predict_log_proba(self, X):
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba) if self.n_outputs_ == 1 else [np.log(p) for p in proba]

    @delegate_to_peer
    def predict(self, X):
        """Return the class with the largest mean probability."""
        proba = self._mean_values(self._X(X))
        if self.n_outputs_ == 1:
            return self.classes_[np.argmax(proba[:, 0, : self.n_classes_], axis=1)]
        return np.stack([c[np.argmax(proba[:, o, : len(c)], axis=1)]
                         for o, c in enumerate(self.classes_)], axis=1)

    def _set_oob_score(self, data, n_draw, n_threads):
        """Set scikit-learn's OOB attributes.

        The score is ``oob_score(y, predicted)`` over every row, on class
        indices (subset accuracy by default, so a multi-output row counts only
        when all its outputs are right).
        """
        decision = self._oob_values(data, n_draw, n_threads)
        pred = np.stack([np.argmax(decision[:, o, :k], axis=1)
                         for o, k in enumerate(data.n_classes)], axis=1)
        y = data.y_cls
        if self.n_outputs_ == 1:
            pred, y = pred[:, 0], y[:, 0]
        score = self.oob_score if callable(self.oob_score) else accuracy_score
        self.oob_decision_function_ = (decision[:, 0, : data.n_classes[0]]
                                       if self.n_outputs_ == 1 else
                                       [decision[:, o, :k] for o, k in enumerate(data.n_classes)])
        self.oob_score_ = score(y, pred)


class _ForestRegressorMixin(RegressorMixin):
    _is_classifier = False

    @delegate_to_peer
    def predict(self, X):
        """Mean over trees of the leaf means."""
        pred = self._mean_values(self._X(X))[:, :, 0]
        return pred[:, 0] if self.n_outputs_ == 1 else pred

    def _set_oob_score(self, data, n_draw, n_threads):
        """Set scikit-learn's OOB attributes: ``oob_score(y, predicted)`` (R^2 by default)."""
        pred = self._oob_values(data, n_draw, n_threads)[:, :, 0]
        self.oob_prediction_ = pred[:, 0] if self.n_outputs_ == 1 else pred
        score = self.oob_score if callable(self.oob_score) else r2_score
        y = data.y_reg[:, 0] if self.n_outputs_ == 1 else data.y_reg
        self.oob_score_ = score(y, self.oob_prediction_)


def _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                 min_samples_leaf, min_weight_fraction_leaf, max_features, max_leaf_nodes,
                 min_impurity_decrease, bootstrap, oob_score, n_jobs, random_state,
                 verbose, warm_start, ccp_alpha, max_samples, monotonic_cst, max_bins):
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
    self.monotonic_cst = monotonic_cst
    self.max_bins = max_bins


_CLF_CONSTRAINTS = {**sk_ensemble.RandomForestClassifier._parameter_constraints,
                    **GDCORE_CONSTRAINTS}
_REG_CONSTRAINTS = {**sk_ensemble.RandomForestRegressor._parameter_constraints,
                    **GDCORE_CONSTRAINTS}


class RandomForestClassifier(_ForestClassifierMixin, _BaseForest):
    """Bootstrap-aggregated classification trees with random feature subsets."""

    _splitter = "best"
    _peer_class = "sklearn.ensemble.RandomForestClassifier"
    _parameter_constraints = _CLF_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, ccp_alpha=0.0,
                 max_samples=None, monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)
        self.class_weight = class_weight


class ExtraTreesClassifier(_ForestClassifierMixin, _BaseForest):
    """Extremely randomized classification trees: one random cut per drawn feature."""

    _splitter = "random"
    _peer_class = "sklearn.ensemble.ExtraTreesClassifier"
    _parameter_constraints = _CLF_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, ccp_alpha=0.0,
                 max_samples=None, monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)
        self.class_weight = class_weight


class RandomForestRegressor(_ForestRegressorMixin, _BaseForest):
    """Bootstrap-aggregated regression trees."""

    _splitter = "best"
    _peer_class = "sklearn.ensemble.RandomForestRegressor"
    _parameter_constraints = _REG_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, ccp_alpha=0.0, max_samples=None,
                 monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, regression_criterion(criterion), max_depth,
                     min_samples_split, min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)


class ExtraTreesRegressor(_ForestRegressorMixin, _BaseForest):
    """Extremely randomized regression trees."""

    _splitter = "random"
    _peer_class = "sklearn.ensemble.ExtraTreesRegressor"
    _parameter_constraints = _REG_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, ccp_alpha=0.0, max_samples=None,
                 monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, regression_criterion(criterion), max_depth,
                     min_samples_split, min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)
