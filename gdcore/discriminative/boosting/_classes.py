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

_COMMON_PARAMS = """learning_rate : float, default=0.1
        Shrinkage: each leaf value is multiplied by it.
    max_iter : int, default=100
        Boosting iterations (trees per output).
    max_leaf_nodes : int or None, default=31
        Leaves per tree at most; None for no limit.
    max_depth : int or None, default=None
        Depth of a tree at most (edges from the root); None for no limit.
    min_samples_leaf : int, default=20
        Training rows per leaf at least.
    l2_regularization : float, default=0.0
        L2 penalty on the leaf values (added to the hessian sums).
    max_features : float, default=1.0
        Fraction of the allowed features drawn at each split (column
        subsampling per node).
    max_bins : int, default=255
        Bins of non-missing values per feature, at most 255 (one byte per
        code); NaN has a bin of its own.
    categorical_features : array-like, "from_dtype" or None, default="from_dtype"
        Categorical features: indices, a boolean mask, feature names, or
        "from_dtype" (the pandas categorical columns).  Split natively on sets
        of categories (see Notes); at most ``max_bins`` categories each.
    monotonic_cst : array-like of int of shape (n_features,), dict or None, default=None
        Per feature: 1 increasing, -1 decreasing, 0 unconstrained.
    interaction_cst : {"pairwise", "no_interactions"}, sequence of sets or None, \
default=None
        Sets of features that may interact along a branch.
    warm_start : bool, default=False
        Continue the previous fit, adding trees up to ``max_iter``.
    early_stopping : "auto" or bool, default="auto"
        Stop when the score stops improving; "auto" enables it above 10,000
        rows.
    scoring : str, callable or None, default="loss"
        Early-stopping score: "loss", a scorer name or callable, or None for
        ``score``.
    validation_fraction : int, float or None, default=0.1
        Rows held out for early stopping; None scores the training rows.
    n_iter_no_change : int, default=10
        Iterations without an improvement of more than ``tol`` before stopping.
    tol : float, default=1e-7
        Smallest improvement of the score that counts.
    verbose : int, default=0
        Print one line per iteration (trees, leaves, scores, time).
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the binning subsample and the draws of
        ``max_features``, ``subsample`` and ``colsample_bytree``."""

_EXTRA_PARAMS = """n_jobs : int or None, default=None
        Threads; None uses OpenMP's default, -1 all cores.
    subsample : float, default=1.0
        Fraction of the training rows each iteration's trees are grown on
        (drawn without replacement; gdcore only).
    colsample_bytree : float, default=1.0
        Fraction of the features each iteration's trees may use (gdcore only).
    importance_type : {"gain", "split"}, default="gain"
        What ``feature_importances_`` counts: total split gain or number of
        splits per feature (gdcore only)."""

_COMMON_ATTRS = """do_early_stopping_ : bool
        Whether early stopping ran.
    n_iter_ : int
        Iterations fitted.
    n_trees_per_iteration_ : int
        Trees per iteration (the number of classes for multiclass, else 1).
    train_score_ : ndarray of shape (n_iter_ + 1,)
        Scores on the training rows at each iteration, the first before any
        tree (empty without early stopping or verbose).
    validation_score_ : ndarray of shape (n_iter_ + 1,)
        Scores on the validation rows (empty without a validation split).
    feature_importances_ : ndarray of shape (n_features,)
        Total gain (or split count, see ``importance_type``) of each feature
        over all trees, normalized to sum to 1.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X has string column names."""

_NOTES = """Trees grow leaf-wise on histograms of binned features with scikit-learn's
    gain, tie-breaking, baseline and leaf values, so on data whose features have
    fewer distinct values than ``max_bins`` (without early stopping) the raw
    predictions equal scikit-learn's.  NaN is native: each split learns where
    missing values go.  Categorical features are encoded as scikit-learn encodes
    them (ordinal codes, moved first) and split on the best prefix of their
    categories sorted by gradient ratio; missing values and categories unseen
    in training follow each split's missing-value direction.  Sparse X,
    ``loss="absolute_error"`` or ``"quantile"`` and loss objects are fitted by
    scikit-learn's estimator of the same name (``PeerFallbackMixin``)."""


class HistGradientBoostingRegressor(RegressorMixin, BaseHistGradientBoosting):
    __doc__ = f"""Histogram-based gradient boosting regression trees.

    Parameters
    ----------
    loss : {{"squared_error", "absolute_error", "gamma", "poisson", "quantile"}}, \
default="squared_error"
        Loss to minimize; gamma and poisson use a log link.
    quantile : float or None, default=None
        The quantile to predict with ``loss="quantile"``.
    {_COMMON_PARAMS}
    {_EXTRA_PARAMS}

    Attributes
    ----------
    {_COMMON_ATTRS}

    See Also
    --------
    HistGradientBoostingClassifier : The classifier on the same kernels.
    sklearn.ensemble.HistGradientBoostingRegressor : The estimator it replaces.

    Notes
    -----
    {_NOTES}

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from gdcore.discriminative.boosting import HistGradientBoostingRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = HistGradientBoostingRegressor(max_iter=20).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

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
    def predict(self, X):
        """Predict the target of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN is routed as learned.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predictions (the inverse link of the raw predictions).

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from gdcore import HistGradientBoostingRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> reg = HistGradientBoostingRegressor(max_iter=10).fit(X, y)
        >>> reg.predict(X[:3]).shape
        (3,)
        """
        raw = self._raw_predict(X)
        return np.exp(raw[0]) if self.loss in ("poisson", "gamma") else raw[0].copy()

    @delegate_to_peer
    def staged_predict(self, X):
        """Predict the target of X after each iteration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Yields
        ------
        y : ndarray of shape (n_samples,)
            Predictions after 1, 2, ... iterations.
        """
        for raw in self._staged_raw_predict(X):
            yield np.exp(raw[0]) if self.loss in ("poisson", "gamma") else raw[0]


class HistGradientBoostingClassifier(ClassifierMixin, BaseHistGradientBoosting):
    __doc__ = f"""Histogram-based gradient boosting classification trees.

    Parameters
    ----------
    loss : {{"log_loss"}}, default="log_loss"
        Binary or multinomial log-loss (one tree per class and iteration
        above two classes).
    {_COMMON_PARAMS}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.
    {_EXTRA_PARAMS}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    {_COMMON_ATTRS}

    See Also
    --------
    HistGradientBoostingRegressor : The regressor on the same kernels.
    sklearn.ensemble.HistGradientBoostingClassifier : The estimator it replaces.

    Notes
    -----
    {_NOTES}

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gdcore.discriminative.boosting import HistGradientBoostingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = HistGradientBoostingClassifier(max_iter=20).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """

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
    def predict(self, X):
        """Predict the class of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; NaN is routed as learned.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The most probable class of each sample.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import HistGradientBoostingClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
        >>> clf.predict(X[:2]).shape
        (2,)
        """
        raw = self._raw_predict(X)
        return self.classes_[np.argmax(self._proba(raw), axis=1)]

    @delegate_to_peer
    @dask_dispatch
    def predict_proba(self, X):
        """Predict class probabilities of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, in the order of ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import HistGradientBoostingClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
        >>> clf.predict_proba(X[:2]).shape
        (2, 3)
        """
        return self._proba(self._raw_predict(X))

    @delegate_to_peer
    @dask_dispatch
    def decision_function(self, X):
        """Raw predictions (log-odds) of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw predictions; one column per class above two classes.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import HistGradientBoostingClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
        >>> clf.decision_function(X[:2]).shape
        (2, 3)
        """
        raw = self._raw_predict(X)
        return raw[0].copy() if raw.shape[0] == 1 else raw.T.copy()

    @delegate_to_peer
    def staged_predict(self, X):
        """Predict the class of X after each iteration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Yields
        ------
        y : ndarray of shape (n_samples,)
            Predicted classes after 1, 2, ... iterations.
        """
        for raw in self._staged_raw_predict(X):
            yield self.classes_[np.argmax(self._proba(raw), axis=1)]

    @delegate_to_peer
    def staged_predict_proba(self, X):
        """Predict class probabilities of X after each iteration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Yields
        ------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities after 1, 2, ... iterations.
        """
        for raw in self._staged_raw_predict(X):
            yield self._proba(raw)

    @delegate_to_peer
    def staged_decision_function(self, X):
        """Raw predictions of X after each iteration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Yields
        ------
        decision : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw predictions after 1, 2, ... iterations.
        """
        for raw in self._staged_raw_predict(X):
            yield raw[0] if raw.shape[0] == 1 else raw.T
