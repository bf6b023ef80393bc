"""HistGradientBoostingClassifier and HistGradientBoostingRegressor."""

import numpy as np
from sklearn import ensemble as sk_ensemble
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight

from gdcore._dask import dask_dispatch
from gdcore._fallback import delegate_to_peer
from gdcore._validation import check_classification_targets
from gdcore.discriminative.boosting._base import GDCORE_CONSTRAINTS, BaseHistGradientBoosting
from gdcore.discriminative.boosting._docs import (
    CLASSIFIER_EXAMPLE,
    COMMON,
    EXTRA,
    REGRESSOR_EXAMPLE,
    estimator_doc,
    method_doc,
    staged_doc,
)


class HistGradientBoostingRegressor(RegressorMixin, BaseHistGradientBoosting):
    __doc__ = estimator_doc(
        "Histogram-based gradient boosting regression trees.",
        ["loss_reg", "quantile", *COMMON, *EXTRA],
        ["do_early_stopping_", "n_iter_", "n_trees_per_iteration_", "train_score_",
         "validation_score_", "feature_importances_", "n_features_in_", "feature_names_in_"],
        """HistGradientBoostingClassifier : The classifier on the same kernels.
sklearn.ensemble.HistGradientBoostingRegressor : The estimator it replaces.""",
        """>>> from sklearn.datasets import load_diabetes
>>> from gdcore.discriminative.boosting import HistGradientBoostingRegressor
>>> X, y = load_diabetes(return_X_y=True)
>>> reg = HistGradientBoostingRegressor(max_iter=20).fit(X, y)
>>> reg.predict(X[:3]).shape
(3,)""")

    _peer_class = "sklearn.ensemble.HistGradientBoostingRegressor"
    _parameter_constraints = {
        **sk_ensemble.HistGradientBoostingRegressor._parameter_constraints,
        **GDCORE_CONSTRAINTS,
    }
    _stratify = False

    def __init__(self, loss="squared_error", *, quantile=None, learning_rate=0.1,
                 max_iter=100, max_leaf_nodes=31, max_depth=None, min_samples_leaf=20,
                 l2_regularization=0.0, max_features=1.0, max_bins=255,
                 categorical_features="from_dtype", monotonic_cst=None,
                 interaction_cst=None, warm_start=False, early_stopping="auto",
                 scoring="loss", validation_fraction=0.1, n_iter_no_change=10, tol=1e-7,
                 verbose=0, random_state=None, n_jobs=None, subsample=1.0,
                 colsample_bytree=1.0, importance_type="gain"):
        self.loss = loss
        self.quantile = quantile
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst
        self.interaction_cst = interaction_cst
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.importance_type = importance_type

    _n_outputs = 1
    n_trees_per_iteration_ = 1

    def _encode_y(self, y, warm):
        return np.ascontiguousarray(y, dtype=np.float64)

    def _encode_y_val(self, y):
        y = self._encode_y(y, True)
        if self.loss in ("poisson", "gamma"):
            self._check_positive_y(y)
        return y

    def _decode_y(self, y):
        return y

    def _finalize_sample_weight(self, sample_weight, y):
        return sample_weight

    def _check_positive_y(self, y):
        if self.loss == "poisson" and (np.any(y < 0) or np.sum(y) <= 0):
            raise ValueError("loss='poisson' requires non-negative y and sum(y) > 0; "
                             "use loss='squared_error' for targets with negative values.")
        if self.loss == "gamma" and np.any(y <= 0):
            raise ValueError("loss='gamma' requires strictly positive y; use "
                             "loss='poisson' for counts with zeros.")

    @delegate_to_peer
    @dask_dispatch
    @method_doc("Predict the target of X.", ["X.predict"], """y : ndarray of shape (n_samples,)
    Predictions (the inverse link of the raw predictions).""",
                REGRESSOR_EXAMPLE + """>>> reg.predict(X[:3]).shape
(3,)""")
    def predict(self, X):
        raw = self._raw_predict(X)
        return np.exp(raw[0]) if self.loss in ("poisson", "gamma") else raw[0].copy()

    @delegate_to_peer
    @staged_doc("Predict the target of X after each iteration.",
                """y : ndarray of shape (n_samples,)
    Predictions after 1, 2, ... iterations.""")
    def staged_predict(self, X):
        for raw in self._staged_raw_predict(X):
            yield np.exp(raw[0]) if self.loss in ("poisson", "gamma") else raw[0]


class HistGradientBoostingClassifier(ClassifierMixin, BaseHistGradientBoosting):
    __doc__ = estimator_doc(
        "Histogram-based gradient boosting classification trees.",
        ["loss_clf", *COMMON, "class_weight", *EXTRA],
        ["classes_", "do_early_stopping_", "n_iter_", "n_trees_per_iteration_",
         "train_score_", "validation_score_", "feature_importances_", "n_features_in_",
         "feature_names_in_"],
        """HistGradientBoostingRegressor : The regressor on the same kernels.
sklearn.ensemble.HistGradientBoostingClassifier : The estimator it replaces.""",
        """>>> from sklearn.datasets import load_iris
>>> from gdcore.discriminative.boosting import HistGradientBoostingClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = HistGradientBoostingClassifier(max_iter=20).fit(X, y)
>>> clf.predict_proba(X[:2]).shape
(2, 3)""")

    _peer_class = "sklearn.ensemble.HistGradientBoostingClassifier"
    _parameter_constraints = {
        **sk_ensemble.HistGradientBoostingClassifier._parameter_constraints,
        **GDCORE_CONSTRAINTS,
    }
    _stratify = True

    def __init__(self, loss="log_loss", *, learning_rate=0.1, max_iter=100,
                 max_leaf_nodes=31, max_depth=None, min_samples_leaf=20,
                 l2_regularization=0.0, max_features=1.0, max_bins=255,
                 categorical_features="from_dtype", monotonic_cst=None,
                 interaction_cst=None, warm_start=False, early_stopping="auto",
                 scoring="loss", validation_fraction=0.1, n_iter_no_change=10, tol=1e-7,
                 verbose=0, random_state=None, class_weight=None, n_jobs=None,
                 subsample=1.0, colsample_bytree=1.0, importance_type="gain"):
        self.loss = loss
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst
        self.interaction_cst = interaction_cst
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.importance_type = importance_type

    def _encode_y(self, y, warm):
        check_classification_targets(y)
        encoder = LabelEncoder()
        encoded = encoder.fit_transform(y)
        if warm and not np.array_equal(encoder.classes_, self.classes_):
            raise ValueError("warm_start needs the classes of the previous fit: "
                             f"{self.classes_.tolist()}; refit with warm_start=False.")
        self.classes_ = encoder.classes_
        n_classes = len(self.classes_)
        # one class fits as scikit-learn does: a binary model whose baseline
        # (the clipped log-odds of never seeing the other class) says it all
        self._n_outputs = 1 if n_classes <= 2 else n_classes
        self.n_trees_per_iteration_ = self._n_outputs
        return encoded.astype(np.float64)

    def _encode_y_val(self, y):
        check_classification_targets(y)
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(f"y_val contains labels not in y: {unknown.tolist()}.")
        return np.searchsorted(self.classes_, y).astype(np.float64)

    def _decode_y(self, y):
        return self.classes_[y.astype(np.intp)]

    def _finalize_sample_weight(self, sample_weight, y):
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(self.class_weight, y)
        return weights if sample_weight is None else sample_weight * weights

    def _proba(self, raw):
        if raw.shape[0] == 1:
            p = 1.0 / (1.0 + np.exp(-raw[0]))
            return np.column_stack([1.0 - p, p])
        e = np.exp(raw - raw.max(axis=0))
        return (e / e.sum(axis=0)).T

    @delegate_to_peer
    @dask_dispatch
    @method_doc("Predict the class of X.", ["X.predict"], """y : ndarray of shape (n_samples,)
    The most probable class of each sample.""",
                CLASSIFIER_EXAMPLE + """>>> clf.predict(X[:2]).shape
(2,)""")
    def predict(self, X):
        raw = self._raw_predict(X)
        return self.classes_[np.argmax(self._proba(raw), axis=1)]

    @delegate_to_peer
    @dask_dispatch
    @method_doc("Predict class probabilities of X.", ["X"],
                """proba : ndarray of shape (n_samples, n_classes)
    Class probabilities, in the order of ``classes_``.""",
                CLASSIFIER_EXAMPLE + """>>> clf.predict_proba(X[:2]).shape
(2, 3)""")
    def predict_proba(self, X):
        return self._proba(self._raw_predict(X))

    @delegate_to_peer
    @dask_dispatch
    @method_doc("Raw predictions (log-odds) of X.", ["X"],
                """decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
    Raw predictions; one column per class above two classes.""",
                CLASSIFIER_EXAMPLE + """>>> clf.decision_function(X[:2]).shape
(2, 3)""")
    def decision_function(self, X):
        raw = self._raw_predict(X)
        return raw[0].copy() if raw.shape[0] == 1 else raw.T.copy()

    @delegate_to_peer
    @staged_doc("Predict the class of X after each iteration.",
                """y : ndarray of shape (n_samples,)
    Predicted classes after 1, 2, ... iterations.""")
    def staged_predict(self, X):
        for raw in self._staged_raw_predict(X):
            yield self.classes_[np.argmax(self._proba(raw), axis=1)]

    @delegate_to_peer
    @staged_doc("Predict class probabilities of X after each iteration.",
                """proba : ndarray of shape (n_samples, n_classes)
    Probabilities after 1, 2, ... iterations.""")
    def staged_predict_proba(self, X):
        for raw in self._staged_raw_predict(X):
            yield self._proba(raw)

    @delegate_to_peer
    @staged_doc("Raw predictions of X after each iteration.",
                """decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
    Raw predictions after 1, 2, ... iterations.""")
    def staged_decision_function(self, X):
        for raw in self._staged_raw_predict(X):
            yield raw[0] if raw.shape[0] == 1 else raw.T
