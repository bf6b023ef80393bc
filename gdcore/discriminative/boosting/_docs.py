"""The numpydoc docstrings of HistGradientBoostingClassifier and Regressor.

The two estimators share most of their parameters, attributes and method
arguments; each entry is written once here (PARAMS, ATTRS, ARGS) and each
docstring lists its own, in its constructor's order.
"""

from functools import partial

from gdcore._docstrings import method_doc as base_method_doc
from gdcore._docstrings import numpydoc

PARAMS = {
    "loss_clf": """loss : {"log_loss"}, default="log_loss"
    Binary or multinomial log-loss (one tree per class and iteration
    above two classes).""",
    "loss_reg": """loss : {"squared_error", "absolute_error", "gamma", "poisson", "quantile"}, \
default="squared_error"
    Loss to minimize; gamma and poisson use a log link.""",
    "quantile": """quantile : float or None, default=None
    The quantile to predict with ``loss="quantile"``, in (0, 1).""",
    "learning_rate": """learning_rate : float, default=0.1
    Shrinkage: each leaf value is multiplied by it.""",
    "max_iter": """max_iter : int, default=100
    Boosting iterations (trees per output).""",
    "max_leaf_nodes": """max_leaf_nodes : int or None, default=31
    Leaves per tree at most; None for no limit.""",
    "max_depth": """max_depth : int or None, default=None
    Depth of a tree at most (edges from the root); None for no limit.""",
    "min_samples_leaf": """min_samples_leaf : int, default=20
    Training rows per leaf at least.""",
    "l2_regularization": """l2_regularization : float, default=0.0
    L2 penalty on the leaf values (added to the hessian sums).""",
    "max_features": """max_features : float, default=1.0
    Fraction of the allowed features drawn at each split (column
    subsampling per node).""",
    "max_bins": """max_bins : int, default=255
    Bins of non-missing values per feature, at most 255 (one byte per
    code); NaN has a bin of its own.""",
    "categorical_features": """categorical_features : array-like, "from_dtype" or None, \
default="from_dtype"
    Categorical features: indices, a boolean mask, feature names, or
    "from_dtype" (the pandas categorical columns).  Split natively on sets
    of categories (see Notes); at most ``max_bins`` categories each.""",
    "monotonic_cst": """monotonic_cst : array-like of int of shape (n_features,), dict or None, \
default=None
    Per feature: 1 increasing, -1 decreasing, 0 unconstrained.""",
    "interaction_cst": """interaction_cst : {"pairwise", "no_interactions"}, sequence of sets \
or None, default=None
    Sets of features that may interact along a branch.""",
    "warm_start": """warm_start : bool, default=False
    Continue the previous fit, adding trees up to ``max_iter``.""",
    "early_stopping": """early_stopping : "auto" or bool, default="auto"
    Stop when the score stops improving; "auto" enables it above 10,000
    rows.""",
    "scoring": """scoring : str, callable or None, default="loss"
    Early-stopping score: "loss", a scorer name or callable, or None for
    ``score``.""",
    "validation_fraction": """validation_fraction : int, float or None, default=0.1
    Rows held out for early stopping; None scores the training rows.""",
    "n_iter_no_change": """n_iter_no_change : int, default=10
    Iterations without an improvement of more than ``tol`` before stopping.""",
    "tol": """tol : float, default=1e-7
    Smallest improvement of the score that counts.""",
    "verbose": """verbose : int, default=0
    Print one line per iteration (trees, leaves, scores, time).""",
    "random_state": """random_state : int, RandomState instance or None, default=None
    Seeds the validation split, the binning subsample and the draws of
    ``max_features``, ``subsample`` and ``colsample_bytree``.""",
    "class_weight": """class_weight : dict, "balanced" or None, default=None
    Weights of the classes, multiplied into ``sample_weight``.""",
    "n_jobs": """n_jobs : int or None, default=None
    Threads; None uses OpenMP's default, -1 all cores.""",
    "subsample": """subsample : float, default=1.0
    Fraction of the training rows each iteration's trees are grown on
    (drawn without replacement; gdcore only).""",
    "colsample_bytree": """colsample_bytree : float, default=1.0
    Fraction of the features each iteration's trees may use (gdcore only).""",
    "importance_type": """importance_type : {"gain", "split"}, default="gain"
    What ``feature_importances_`` counts: total split gain or number of
    splits per feature (gdcore only).""",
}

ATTRS = {
    "classes_": """classes_ : ndarray of shape (n_classes,)
    Class labels.""",
    "do_early_stopping_": """do_early_stopping_ : bool
    Whether early stopping ran.""",
    "n_iter_": """n_iter_ : int
    Iterations fitted.""",
    "n_trees_per_iteration_": """n_trees_per_iteration_ : int
    Trees per iteration (the number of classes for multiclass, else 1).""",
    "train_score_": """train_score_ : ndarray of shape (n_iter_ + 1,)
    Scores on the training rows at each iteration, the first before any
    tree (empty without early stopping or verbose).""",
    "validation_score_": """validation_score_ : ndarray of shape (n_iter_ + 1,)
    Scores on the validation rows (empty without a validation split).""",
    "feature_importances_": """feature_importances_ : ndarray of shape (n_features,)
    Total gain (or split count, see ``importance_type``) of each feature
    over all trees, normalized to sum to 1.""",
    "n_features_in_": """n_features_in_ : int
    Number of features seen during fit.""",
    "feature_names_in_": """feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of the features, when X has string column names.""",
}

NOTES = """Trees grow leaf-wise on histograms of binned features with scikit-learn's
gain, tie-breaking, baseline and leaf values, so on data whose features have
fewer distinct values than ``max_bins`` (without early stopping) the raw
predictions equal scikit-learn's.  NaN is native: each split learns where
missing values go.  Categorical features are encoded as scikit-learn encodes
them (ordinal codes, moved first) and split on the best prefix of their
categories sorted by gradient ratio; missing values and categories unseen
in training follow each split's missing-value direction.  With
``loss="absolute_error"`` or ``"quantile"`` each leaf's value is the median
or quantile of its rows' residuals, as in scikit-learn.  Sparse X and loss
objects are fitted by scikit-learn's estimator of the same name
(``PeerFallbackMixin``)."""

# the parameters both estimators take, in their constructors' order
COMMON = ["learning_rate", "max_iter", "max_leaf_nodes", "max_depth", "min_samples_leaf",
          "l2_regularization", "max_features", "max_bins", "categorical_features",
          "monotonic_cst", "interaction_cst", "warm_start", "early_stopping", "scoring",
          "validation_fraction", "n_iter_no_change", "tol", "verbose", "random_state"]
EXTRA = ["n_jobs", "subsample", "colsample_bytree", "importance_type"]

ARGS = {
    "X.predict": """X : array-like of shape (n_samples, n_features)
    Samples; NaN is routed as learned.""",
    "X": """X : array-like of shape (n_samples, n_features)
    Samples.""",
}

# The fitted models the method examples show, each followed by its own use.
CLASSIFIER_EXAMPLE = """>>> from sklearn.datasets import load_iris
>>> from gdcore import HistGradientBoostingClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
"""
REGRESSOR_EXAMPLE = """>>> from sklearn.datasets import load_diabetes
>>> from gdcore import HistGradientBoostingRegressor
>>> X, y = load_diabetes(return_X_y=True)
>>> reg = HistGradientBoostingRegressor(max_iter=10).fit(X, y)
"""


def estimator_doc(summary, params, attrs, see_also, examples):
    """Return an estimator's docstring listing the entries ``params`` and ``attrs``."""
    return numpydoc(summary, ("Parameters", "\n".join(PARAMS[p] for p in params)),
                    ("Attributes", "\n".join(ATTRS[a] for a in attrs)),
                    ("See Also", see_also), ("Notes", NOTES), ("Examples", examples))


def staged_doc(summary, yields):
    """Decorate a staged_* method: X, then what it yields after each iteration."""
    def decorate(method):
        method.__doc__ = numpydoc(summary, ("Parameters", ARGS["X"]), ("Yields", yields))
        return method
    return decorate


# The assembly every family's _docs shares, bound to this folder's entries.
method_doc = partial(base_method_doc, ARGS)
