"""DecisionTreeClassifier and DecisionTreeRegressor on the compiled builder.

Parameters and attributes are scikit-learn's (``tree_`` holds the node
arrays), plus ``max_bins`` (255: histogram splits on quantile bins, see
``tree_bins``; None: exact splits, the same tree as scikit-learn's where no
two splits tie) and ``n_jobs`` (threads inside one tree: histograms and
exact scans run in parallel over features).  Like scikit-learn, X is
handled as float32, and NaN in X is a value the tree learns to route.
Sparse X is binned column by column into the same one-byte codes as its
dense copy (``_bins``), so it grows the same tree; ``shap_values`` gives
exact TreeSHAP contributions (``_shap``).
"""

import warnings

import numpy as np
import scipy.sparse as sp
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
from gdcore.discriminative.tree._docs import class_doc
from gdcore.discriminative.tree._pruning import prune, pruning_path
from gdcore.discriminative.tree._shap import explain
from gdcore.discriminative.tree._structure import dense_rows


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

    The peer fits other criteria, monotonic constraints, and sparse X too
    large to bin in memory.
    """

    def _fallback_reason(self, X, y=None, **fit_params):
        return fallback_reason(self, X, y)

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on (X, y); NaN in X is routed, not rejected.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows, handled as float32.  NaN (dense X only) is a
            value the tree learns to route; sparse X is binned column by
            column and grows the same tree as its dense copy.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifier) or targets (regressor).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; None weighs every row 1.  A zero weight
            is the same as removing the row.

        Returns
        -------
        self : object
            The fitted tree.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(max_depth=2).fit(X, y).get_depth()
        2
        """
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

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels or targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; None weighs every row 1.

        Returns
        -------
        ccp_path : Bunch
            ``ccp_alphas`` (increasing) and ``impurities`` of the subtrees.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> path = DecisionTreeClassifier().cost_complexity_pruning_path(X, y)
        >>> float(path.ccp_alphas[0]), len(path.ccp_alphas) == len(path.impurities)
        (0.0, True)
        """
        est = clone(self).set_params(ccp_alpha=0.0)
        est.fit(X, y, sample_weight=sample_weight)
        alphas, impurities = pruning_path(est.tree_)
        return Bunch(ccp_alphas=alphas, impurities=impurities)

    @delegate_to_peer
    def apply(self, X):
        """Return the index of the leaf each sample ends up in.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to route.

        Returns
        -------
        leaves : ndarray of shape (n_samples,)
            Node index (in ``tree_``) of each row's leaf.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(random_state=0).fit(X, y).apply(X[:2])
        array([1, 1])
        """
        X = self._X(X)
        return dense_rows(X, lambda rows: self.tree_.apply(rows, self._threads()))

    @delegate_to_peer
    def decision_path(self, X):
        """Return the nodes each sample visits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to route.

        Returns
        -------
        indicator : sparse matrix of shape (n_samples, n_nodes)
            CSR indicator: entry (i, j) is 1 when row i passes through node j.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(random_state=0).fit(X, y).decision_path(X[:1]).toarray()[0, :3]
        array([1, 1, 0])
        """
        X = self._X(X)
        return dense_rows(X, lambda rows: self.tree_.decision_path(rows, self._threads()),
                          combine=lambda blocks: sp.vstack(blocks, format="csr"))

    @delegate_to_peer
    def get_depth(self):
        """Return the depth of the tree (edges from the root to the deepest leaf).

        Returns
        -------
        depth : int
            The tree's depth; 0 for a single leaf.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(max_depth=2).fit(X, y).get_depth()
        2
        """
        check_is_fitted(self, "tree_")
        return self.tree_.max_depth

    @delegate_to_peer
    def get_n_leaves(self):
        """Return the number of leaves of the tree.

        Returns
        -------
        n_leaves : int
            Number of leaves.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(max_depth=1).fit(X, y).get_n_leaves()
        2
        """
        check_is_fitted(self, "tree_")
        return self.tree_.n_leaves

    @property
    def feature_importances_(self):
        """Normalized total impurity decrease brought by each feature."""
        check_is_fitted(self, "tree_")
        return self.tree_.compute_feature_importances()

    def shap_values(self, X):
        """Exact Shapley contributions of each feature to each prediction (TreeSHAP).

        Lundberg et al. 2020, Algorithm 2: the value of a feature subset is
        the tree's expected output when those features follow the row and
        the others follow both branches weighted by their training weight.
        Compiled, parallel over rows (``n_jobs``); the same values as the
        ``shap`` package's ``TreeExplainer`` on scikit-learn's tree.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to explain; NaN is routed as in ``predict``.

        Returns
        -------
        shap_values : ndarray or list of ndarray
            A classifier's contributions to each class probability, of shape
            (n_samples, n_features, n_classes) (a list of those per output
            if y had several columns); a regressor's of shape
            (n_samples, n_features), or (n_samples, n_features, n_outputs).
            Summed over features and added to ``expected_value_``, they give
            ``predict_proba`` (classifier) or ``predict`` (regressor).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_diabetes
        >>> from gdcore import DecisionTreeRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> reg = DecisionTreeRegressor(max_depth=4).fit(X, y)
        >>> phi = reg.shap_values(X)
        >>> bool(np.allclose(phi.sum(axis=1) + reg.expected_value_, reg.predict(X)))
        True
        """
        return explain(self, X)[0]

    @property
    def expected_value_(self):
        """The base value of ``shap_values``: the cover-weighted mean leaf value.

        A float for a single-output regressor, (n_classes,) probabilities for
        a classifier (a list per output for multi-output ones), (n_outputs,)
        for a multi-output regressor.
        """
        return explain(self, None)[1]

    def _leaf_values(self, X):
        """(n, n_outputs, max classes) values of the leaves the rows reach."""
        leaves = self.apply(X)  # checks the fit first
        return self.tree_.value[leaves]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


class DecisionTreeClassifier(ClassifierMixin, _BaseDecisionTree):
    # numpydoc docstring: set below the class from _docs' shared entries

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
        """Return the class fractions of the leaf each sample reaches.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify; NaN (dense X) is routed as learned.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Class probabilities in the order of ``classes_`` (a list per
            output if y had several columns).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(random_state=0).fit(X, y).predict_proba(X[:1])
        array([[1., 0., 0.]])
        """
        proba = self._leaf_values(X)
        if self.n_outputs_ == 1:
            return proba[:, 0, : self.n_classes_]
        return [proba[:, o, :k] for o, k in enumerate(self.n_classes_)]

    @delegate_to_peer
    def predict_log_proba(self, X):
        """Return the logarithm of ``predict_proba`` (-inf for a zero fraction).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Log class probabilities (a list per output if y had several columns).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(random_state=0).fit(X, y).predict_log_proba(X[:1])
        array([[  0., -inf, -inf]])
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba) if self.n_outputs_ == 1 else [np.log(p) for p in proba]

    @delegate_to_peer
    def predict(self, X):
        """Return the most frequent class of the leaf each sample reaches.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify; NaN (dense X) is routed as learned.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted class labels.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import DecisionTreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> DecisionTreeClassifier(random_state=0).fit(X, y).predict(X[:3])
        array([0, 0, 0])
        """
        proba = self._leaf_values(X)
        if self.n_outputs_ == 1:
            return self.classes_[np.argmax(proba[:, 0, : self.n_classes_], axis=1)]
        return np.stack([c[np.argmax(proba[:, o, : len(c)], axis=1)]
                         for o, c in enumerate(self.classes_)], axis=1)


class DecisionTreeRegressor(RegressorMixin, _BaseDecisionTree):
    # numpydoc docstring: set below the class from _docs' shared entries

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
        """Return the mean target of the leaf each sample reaches.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict; NaN (dense X) is routed as learned.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from gdcore import DecisionTreeRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> DecisionTreeRegressor(max_depth=3).fit(X, y).predict(X[:4]).shape
        (4,)
        """
        pred = self._leaf_values(X)[:, :, 0]
        return pred[:, 0] if self.n_outputs_ == 1 else pred


_DOC_PARAMS = ["splitter", "max_depth", "min_samples_split", "min_samples_leaf",
                "min_weight_fraction_leaf", "max_features_tree", "random_state",
                "max_leaf_nodes", "min_impurity_decrease"]
_DOC_ATTRS = ["n_outputs_", "max_features_", "n_features_in_", "feature_names_in_", "tree_",
               "feature_importances_", "expected_value_"]

DecisionTreeClassifier.__doc__ = class_doc(
    """A classification tree (CART) with histogram or exact split finding.

Parameters and attributes are scikit-learn's, plus ``max_bins`` and
``n_jobs``.  Sparse X is binned natively; ``monotonic_cst`` and criterion
objects are fitted by ``sklearn.tree.DecisionTreeClassifier`` (logged at
debug level).  ``shap_values`` gives exact TreeSHAP contributions.""",
    ["criterion_clf", *_DOC_PARAMS, "class_weight_tree", "ccp_alpha", "monotonic_cst",
     "max_bins", "n_jobs_tree"],
    ["classes_", "n_classes_", *_DOC_ATTRS],
    "DecisionTreeRegressor : The regression tree.\n"
    "RandomForestClassifier : An average of bootstrapped trees.",
    """>>> from sklearn.datasets import load_iris
>>> from gdcore import DecisionTreeClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
>>> clf.predict(X[:3])
array([0, 0, 0])
>>> clf.shap_values(X[:2]).shape
(2, 4, 3)""")

DecisionTreeRegressor.__doc__ = class_doc(
    """A regression tree (CART): squared error or Poisson deviance.

Parameters and attributes are scikit-learn's, plus ``max_bins`` and
``n_jobs``.  Sparse X is binned natively; ``criterion="absolute_error"``,
criterion objects and ``monotonic_cst`` are fitted by
``sklearn.tree.DecisionTreeRegressor`` (logged at debug level).""",
    ["criterion_reg", *_DOC_PARAMS, "ccp_alpha", "monotonic_cst", "max_bins", "n_jobs_tree"],
    _DOC_ATTRS,
    "DecisionTreeClassifier : The classification tree.\n"
    "RandomForestRegressor : An average of bootstrapped trees.",
    """>>> from sklearn.datasets import load_diabetes
>>> from gdcore import DecisionTreeRegressor
>>> X, y = load_diabetes(return_X_y=True)
>>> reg = DecisionTreeRegressor(max_depth=3).fit(X, y)
>>> reg.predict(X[:2]).shape, reg.shap_values(X[:2]).shape
((2,), (2, 10))""")
