"""DecisionTreeClassifier and DecisionTreeRegressor on the compiled builder.

Parameters and attributes are scikit-learn's (``tree_`` holds the node
arrays), plus ``max_bins`` (255: histogram splits on quantile bins, see
``tree_bins``; None: exact splits, the same tree as scikit-learn's where no
two splits tie) and ``n_jobs`` (threads inside one tree: histograms and
exact scans run in parallel over features).  Like scikit-learn, X is
handled as float32, and NaN in X is a value the tree learns to route.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore._fallback import PeerFallbackMixin, delegate_to_peer
from gdcore._threads import effective_n_threads
from gdcore.discriminative.tree._common import (
    CLF_CONSTRAINTS,
    REG_CONSTRAINTS,
    SEED_MAX,
    TrainingSet,
    check_predict_X,
    fallback_reason,
)
from gdcore.discriminative.tree._pruning import prune, pruning_path


def regression_criterion(criterion):
    """scikit-learn 1.9's deprecation: "friedman_mse" is "squared_error", with a FutureWarning."""
    if isinstance(criterion, str) and criterion == "friedman_mse":
        warnings.warn('Value `"friedman_mse"` for `criterion` is deprecated and will be '
                      'removed in 1.11. It maps to `"squared_error"` as both were always '
                      'equivalent. Use `criterion="squared_error"` to remove this warning.',
                      FutureWarning, stacklevel=3)
        return "squared_error"
    return criterion


class _BaseDecisionTree(PeerFallbackMixin, BaseEstimator):
    """Fit on the compiled builder, or through scikit-learn's tree of the same name.

    The peer fits sparse X, other criteria and monotonic constraints.
    """

    def _fallback_reason(self, X, y=None, **fit_params):
        return fallback_reason(self, X, y)

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on (X, y); NaN in X is routed, not rejected."""
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        n_threads = effective_n_threads(self.n_jobs)
        data = TrainingSet(self, X, y, sample_weight, self._is_classifier, n_threads)
        seed = check_random_state(self.random_state).randint(SEED_MAX, dtype=np.int64)
        tree = data.build(self, [seed], n_draw=0, n_threads=n_threads)[0]
        self.tree_ = prune(tree, self.ccp_alpha) if self.ccp_alpha > 0 else tree
        self.n_outputs_ = data.n_outputs
        self._y_was_1d = data.y_was_1d
        self.max_features_ = data.limits(self)["max_features"]
        if self._is_classifier:
            self.classes_ = data.classes[0] if data.n_outputs == 1 else data.classes
            self.n_classes_ = (int(data.n_classes[0]) if data.n_outputs == 1
                               else [int(k) for k in data.n_classes])
        return self

    def _X(self, X):
        check_is_fitted(self, "tree_")
        return check_predict_X(self, X)

    def _threads(self):
        return effective_n_threads(self.n_jobs)

    def cost_complexity_pruning_path(self, X, y, sample_weight=None):
        """Return the minimal cost-complexity pruning path (scikit-learn's Bunch).

        The tree is grown on (X, y) with ``ccp_alpha=0``, then pruned weakest
        link first; ``ccp_alphas[i]`` is the alpha at which the i-th subtree
        appears and ``impurities[i]`` the sum of its leaves' weighted impurity.
        """
        est = clone(self).set_params(ccp_alpha=0.0)
        est.fit(X, y, sample_weight=sample_weight)
        alphas, impurities = pruning_path(est.tree_)
        return Bunch(ccp_alphas=alphas, impurities=impurities)

    @delegate_to_peer
    def apply(self, X):
        """Index of the leaf each sample ends up in."""
        X = self._X(X)
        return self.tree_.apply(X, self._threads())

    @delegate_to_peer
    def decision_path(self, X):
        """Sparse (n_samples, n_nodes) indicator of the nodes each sample visits."""
        X = self._X(X)
        return self.tree_.decision_path(X, self._threads())

    @delegate_to_peer
    def get_depth(self):
        check_is_fitted(self, "tree_")
        return self.tree_.max_depth

    @delegate_to_peer
    def get_n_leaves(self):
        check_is_fitted(self, "tree_")
        return self.tree_.n_leaves

    @property
    def feature_importances_(self):
        """Normalized total impurity decrease brought by each feature."""
        check_is_fitted(self, "tree_")
        return self.tree_.compute_feature_importances()

    def _leaf_values(self, X):
        """(n, n_outputs, max classes) values of the leaves the rows reach."""
        leaves = self.apply(X)  # checks the fit first
        return self.tree_.value[leaves]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True  # fitted by the peer
        tags.target_tags.multi_output = True
        return tags


class DecisionTreeClassifier(ClassifierMixin, _BaseDecisionTree):
    """A classification tree (CART) with histogram or exact split finding.

    Parameters are scikit-learn's, plus ``max_bins`` (default 255; None
    splits exactly) and ``n_jobs``.  Sparse X, ``monotonic_cst`` and criterion
    objects are fitted by ``sklearn.tree.DecisionTreeClassifier``.
    """

    _is_classifier = True
    _peer_class = "sklearn.tree.DecisionTreeClassifier"
    _parameter_constraints = CLF_CONSTRAINTS

    def __init__(self, *, criterion="gini", splitter="best", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=None, random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, class_weight=None, ccp_alpha=0.0,
                 monotonic_cst=None, max_bins=255, n_jobs=None):
        self.criterion = criterion
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.class_weight = class_weight
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.max_bins = max_bins
        self.n_jobs = n_jobs

    @delegate_to_peer
    def predict_proba(self, X):
        """Class fractions of the leaf each sample reaches (a list per output)."""
        proba = self._leaf_values(X)
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
        """Return the most frequent class of the leaf each sample reaches."""
        proba = self._leaf_values(X)
        if self.n_outputs_ == 1:
            return self.classes_[np.argmax(proba[:, 0, : self.n_classes_], axis=1)]
        return np.stack([c[np.argmax(proba[:, o, : len(c)], axis=1)]
                         for o, c in enumerate(self.classes_)], axis=1)


class DecisionTreeRegressor(RegressorMixin, _BaseDecisionTree):
    """A regression tree (CART): squared error or Poisson deviance.

    Sparse X, ``criterion="absolute_error"``, criterion objects and
    ``monotonic_cst`` are fitted by ``sklearn.tree.DecisionTreeRegressor``.
    """

    _is_classifier = False
    _peer_class = "sklearn.tree.DecisionTreeRegressor"
    _parameter_constraints = REG_CONSTRAINTS

    def __init__(self, *, criterion="squared_error", splitter="best", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=None, random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, ccp_alpha=0.0, monotonic_cst=None, max_bins=255,
                 n_jobs=None):
        self.criterion = regression_criterion(criterion)
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst
        self.max_bins = max_bins
        self.n_jobs = n_jobs

    @delegate_to_peer
    def predict(self, X):
        """Mean target of the leaf each sample reaches."""
        pred = self._leaf_values(X)[:, :, 0]
        return pred[:, 0] if self.n_outputs_ == 1 else pred
