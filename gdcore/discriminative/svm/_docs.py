"""The numpydoc docstrings of SVC and SVR, from shared entries.

The two estimators share most parameters (PARAMS, keyed ``name.variant``
where the meaning differs), several fitted attributes (ATTRS) and their
methods' arguments (ARGS); each entry is written once here and each
docstring lists its own.
"""

from functools import partial

from gdcore._docstrings import class_doc as base_class_doc
from gdcore._docstrings import method_doc as base_method_doc

PARAMS = {
    "C.clf": """C : float, default=1.0
    Regularization: the bound of each dual variable (times its class
    weight and sample weight).  Must be positive; ``np.inf`` is a hard
    margin.""",
    "C.reg": """C : float, default=1.0
    Regularization: the bound of each dual variable (times its sample
    weight).  Must be positive.""",
    "kernel": """kernel : {'linear', 'poly', 'rbf', 'sigmoid', 'precomputed'} or callable, \
default='rbf'
    The kernel K(x, z): ``x.z``, ``(gamma x.z + coef0)^degree``,
    ``exp(-gamma |x - z|^2)``, ``tanh(gamma x.z + coef0)``, a Gram matrix
    passed as X (``'precomputed'``), or a callable returning K(X, Z).""",
    "degree": """degree : int, default=3
    Degree of the 'poly' kernel; ignored by the others.""",
    "gamma": """gamma : {'scale', 'auto'} or float, default='scale'
    Coefficient of 'rbf', 'poly' and 'sigmoid': ``1 / (n_features *
    X.var())`` for 'scale', ``1 / n_features`` for 'auto', else the value
    (non-negative).""",
    "coef0": """coef0 : float, default=0.0
    Independent term of 'poly' and 'sigmoid'.""",
    "shrinking": """shrinking : bool, default=True
    Whether to use libsvm's shrinking heuristic.""",
    "probability": """probability : bool, default="deprecated"
    Fit Platt scaling by internal 5-fold cross-validation and enable
    ``predict_proba`` (slower fit).  Deprecated in scikit-learn 1.9, and
    warns as there; "deprecated" means False.""",
    "tol": """tol : float, default=1e-3
    Stopping tolerance on the maximal violation of the optimality
    conditions (the duality gap SMO reports).""",
    "epsilon": """epsilon : float, default=0.1
    Half-width of the tube within which errors cost nothing.""",
    "cache_size": """cache_size : float, default=200
    Size of the kernel-row cache in MB (shared by concurrent class pairs).
    The cache takes memory as rows are computed, up to this size.""",
    "class_weight": """class_weight : dict or 'balanced', default=None
    Multiply C of class i by ``class_weight[i]``; 'balanced' uses
    ``n_samples / (n_classes * np.bincount(y))``.""",
    "verbose": """verbose : bool, default=False
    Print the solver's progress (SMO: every 1,000 iterations the
    iteration, the active variables and the gap; the block solver of
    duals of 2,000 variables or more: every second outer iteration its
    iterations, set size, gap and kernel rows computed), then libsvm's
    summary of each dual (iterations, objective, rho, nSV, nBSV).""",
    "max_iter": """max_iter : int, default=-1
    Iteration limit of each dual; -1 is libsvm's own cap (max(10**7,
    100 x the variables)), which warns when reached.""",
    "decision_function_shape": """decision_function_shape : {'ovo', 'ovr'}, default='ovr'
    Shape of ``decision_function`` for more than two classes: the
    k(k-1)/2 pairwise values ('ovo') or k one-vs-rest scores ('ovr').""",
    "break_ties": """break_ties : bool, default=False
    With 'ovr' and more than two classes, predict the argmax of
    ``decision_function`` instead of libsvm's vote.""",
    "random_state": """random_state : int, RandomState instance or None, default=None
    Seed of the cross-validation folds of ``probability=True``.""",
    "n_jobs": """n_jobs : int, default=None
    Threads for the kernel rows (or several class pairs at once) and
    prediction; None uses OpenMP's default, -1 every core.""",
}

ATTRS = {
    "class_weight_": """class_weight_ : ndarray of shape (n_classes,)
    Multipliers of C per class.""",
    "classes_": """classes_ : ndarray of shape (n_classes,)
    The class labels.""",
    "coef_.clf": """coef_ : {ndarray, sparse matrix} of shape \
(n_classes * (n_classes - 1) / 2, n_features)
    Primal weights, only for kernel='linear' (read-only).""",
    "coef_.reg": """coef_ : {ndarray, sparse matrix} of shape (1, n_features)
    Primal weights, only for kernel='linear' (read-only).""",
    "dual_coef_.clf": """dual_coef_ : {ndarray, sparse matrix} of shape (n_classes - 1, n_SV)
    Dual coefficients y alpha of the support vectors in each pair
    (libsvm's layout).""",
    "dual_coef_.reg": """dual_coef_ : {ndarray, sparse matrix} of shape (1, n_SV)
    Dual coefficients alpha - alpha* of the support vectors.""",
    "fit_status_": """fit_status_ : int
    0 if every dual converged, 1 if an iteration limit stopped one.""",
    "intercept_.clf": """intercept_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
    Constants of the pairwise decision functions.""",
    "intercept_.reg": """intercept_ : ndarray of shape (1,)
    Constant of the decision function.""",
    "n_features_in_": """n_features_in_ : int
    Number of features seen during fit.""",
    "feature_names_in_": """feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of the features seen during fit, when X had string column names.""",
    "n_iter_.clf": """n_iter_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
    SMO iterations of each pair's dual.""",
    "n_iter_.reg": """n_iter_ : int
    SMO iterations.""",
    "support_.clf": """support_ : ndarray of shape (n_SV,)
    Indices of the support vectors, grouped by class.""",
    "support_.reg": """support_ : ndarray of shape (n_SV,)
    Indices of the support vectors.""",
    "support_vectors_": """support_vectors_ : {ndarray, sparse matrix} of shape (n_SV, n_features)
    The support vectors (empty for a precomputed kernel).  A sparse fit's
    support_vectors_, dual_coef_ and coef_ are CSR matrices, as
    scikit-learn's.""",
    "n_support_.clf": """n_support_ : ndarray of shape (n_classes,), dtype=int32
    Number of support vectors of each class.""",
    "n_support_.reg": """n_support_ : ndarray of shape (1,), dtype=int32
    Number of support vectors.""",
    "probA_": """probA_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
    Platt's A per pair (deprecated, as ``probability``).""",
    "probB_": """probB_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
    Platt's B per pair (deprecated, as ``probability``).""",
    "shape_fit_": """shape_fit_ : tuple of int of shape (n_dimensions_of_X,)
    Shape of the training X.""",
}

ARGS = {
    "X.fit": """X : {array-like, sparse matrix} of shape (n_samples, n_features) \
or (n_samples, n_samples)
    Training vectors, or their Gram matrix for kernel='precomputed'.
    Sparse X is solved on its CSR rows (with a precomputed or callable
    kernel, by scikit-learn's estimator).""",
    "y.clf": """y : array-like of shape (n_samples,)
    Class labels.""",
    "y.reg": """y : array-like of shape (n_samples,)
    Target values.""",
    "sample_weight": """sample_weight : array-like of shape (n_samples,), default=None
    Per-sample multipliers of C; rows of zero or negative weight are
    dropped, as libsvm does.""",
    "X": """X : {array-like, sparse matrix} of shape (n_samples, n_features) \
or (n_samples, n_samples_fit)
    Test vectors, or their kernel values against the training rows for
    kernel='precomputed'.""",
}

# The assembly every family's _docs shares, bound to this folder's entries.
class_doc = partial(base_class_doc, PARAMS, ATTRS)
method_doc = partial(base_method_doc, ARGS)


def fit_doc(name, y_key):
    """Decorate the ``fit`` of estimator ``name``, whose y is the ARGS entry ``y_key``."""
    return method_doc(
        "Fit the SVM on X (n, d), or an (n, n) Gram matrix for kernel='precomputed'.",
        ["X.fit", y_key, "sample_weight"], "self : object\n    The fitted estimator.",
        f""">>> from sklearn.datasets import load_iris
>>> from gdcore.discriminative.svm import {name}
>>> X, y = load_iris(return_X_y=True)
>>> {name}().fit(X, y).support_vectors_.shape[1]
4""")
