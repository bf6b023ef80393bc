"""SVC: scikit-learn's kernel SVM classifier on gdcore's SMO kernel.

Same parameters, defaults and fitted attributes as ``sklearn.svm.SVC``
(libsvm's layout, see ``_multiclass``), plus ``n_jobs``.  The dual problems
are libsvm's C-SVC with per-row bounds C * class_weight[y] * sample_weight
(SVR, in ``_svr``, shares ``_row_bounds``).
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.deprecation import deprecated
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from gdcore._fallback import delegate_to_peer
from gdcore._sklearn_compat import (
    Hidden,
    StrOptions,
    _check_sample_weight,
    _ovr_decision_function,
    sklearn_version_at_least,
)
from gdcore._threads import single_threaded_blas
from gdcore._validation import check_classification_targets
from gdcore.discriminative.svm._base import BaseSVM, support_rows
from gdcore.discriminative.svm._docs import class_doc, fit_doc, method_doc
from gdcore.discriminative.svm._multiclass import (
    assemble_ovo,
    one_sided_rhos,
    ovo_coef,
    ovo_decision,
    ovo_duals,
    ovo_vote,
    pair_columns,
    solve_pairs,
)
from gdcore.discriminative.svm._platt import coupled_proba, fit_platt, pair_proba

_PROBA_DEPRECATED = (
    "Attribute `{}` was deprecated in version 1.9 and will be removed in 1.11 as the "
    "`probability=True` option for SVC and NuSVC was deprecated and will be removed in "
    "1.11.")

# The start of the method examples: SVC fitted on iris, then (deprecated
# probability=True) with Platt scaling.
_FITTED_EXAMPLE = """>>> from sklearn.datasets import load_iris
>>> from gdcore.discriminative.svm import SVC
>>> X, y = load_iris(return_X_y=True)
>>> clf = SVC().fit(X, y)
"""
_PROBA_EXAMPLE = """>>> from sklearn.datasets import load_iris
>>> from gdcore.discriminative.svm import SVC
>>> import warnings
>>> X, y = load_iris(return_X_y=True)
>>> with warnings.catch_warnings():  # probability is deprecated in 1.9
...     warnings.simplefilter("ignore", FutureWarning)
...     clf = SVC(probability=True, random_state=0).fit(X, y)
"""


def _row_bounds(C, sample_weight, X):
    """C_t = C * w_t; rows of zero or negative weight are dropped, as libsvm does."""
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, allow_all_zero_weights=True)
    keep = np.flatnonzero(sw > 0)
    if len(keep) == 0:
        raise ValueError("Invalid input - all samples have zero or negative weights.")
    return C * sw, keep


class SVC(ClassifierMixin, BaseSVM):
    # numpydoc docstring: set below the class from _docs' shared entries

    _peer_class = "sklearn.svm.SVC"
    _parameter_constraints: dict = {
        **BaseSVM._parameter_constraints,
        "probability": ["boolean", Hidden(StrOptions({"deprecated"}))],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "decision_function_shape": [StrOptions({"ovr", "ovo"})],
        "break_ties": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0,
                 shrinking=True, probability="deprecated", tol=1e-3, cache_size=200,
                 class_weight=None, verbose=False, max_iter=-1,
                 decision_function_shape="ovr", break_ties=False, random_state=None,
                 n_jobs=None):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.shrinking = shrinking
        self.probability = probability
        self.tol = tol
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.verbose = verbose
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties
        self.random_state = random_state
        self.n_jobs = n_jobs

    @fit_doc("SVC", "y.clf")
    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        if self.probability != "deprecated" and sklearn_version_at_least("1.9"):
            warnings.warn(
                "The `probability` parameter was deprecated in 1.9 and will be removed in "
                "version 1.11. Use `CalibratedClassifierCV(SVC(), ensemble=False)` instead "
                "of `SVC(probability=True)`", FutureWarning, stacklevel=2)
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        X, y = self._validate_train(X, y)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got "
                f"{len(self.classes_)} class.")
        self.class_weight_ = (np.ones(len(self.classes_)) if self.class_weight is None else
                              compute_class_weight(self.class_weight, classes=self.classes_, y=y))
        bounds, keep = _row_bounds(self.C, sample_weight, X)
        if len(np.unique(y_idx[keep])) < 2:
            raise ValueError("Invalid input - all samples with positive weights belong to "
                             "the same class.")
        bounds = bounds * self.class_weight_[y_idx]
        keep = keep[bounds[keep] > 0]
        if len(np.unique(y_idx[keep])) < 2:
            raise ValueError(
                "Fewer than two classes have a positive weight (sample_weight "
                "times class_weight); SVC needs two.")
        Xk = self._train_matrix(X)
        self._gamma = self._resolve_gamma(X)
        rng = check_random_state(self.random_state)
        self._seed = rng.randint(np.iinfo(np.int32).max)
        n_classes = len(self.classes_)
        n_threads = self._n_threads()
        cache_bytes = self.cache_size * 2**20
        rows_of = [keep[y_idx[keep] == c] for c in range(n_classes)]
        self._present = np.array([len(r) > 0 for r in rows_of])
        duals = ovo_duals(rows_of, bounds)

        def platt_one(a, b, threads, share):
            return fit_platt(self, Xk, np.concatenate([rows_of[a], rows_of[b]]),
                             len(rows_of[a]), bounds, threads, share, self._seed)

        with single_threaded_blas():
            alpha, statuses, n_iters, rhos = self._solve_duals(
                Xk, duals, cache_bytes, n_threads)
            probs = (solve_pairs(platt_one, n_classes, n_threads) if self._with_proba()
                     else [(0.0, 0.0)] * len(rhos))
        support, n_support, dual_coef, intercept = assemble_ovo(
            y_idx, n_classes, duals, alpha, one_sided_rhos(rows_of, rhos))
        self.support_ = support.astype(np.int32)
        self._n_support = n_support
        self.support_vectors_ = (support_rows(X, support) if self._kernel_name() != "precomputed"
                                 else np.empty((0, 0)))
        self.n_iter_ = np.asarray(n_iters, dtype=np.int32)
        self._probA = np.array([p[0] for p in probs]) if self._with_proba() else np.empty(0)
        self._probB = np.array([p[1] for p in probs]) if self._with_proba() else np.empty(0)
        # libsvm's signs internally; scikit-learn flips the binary case publicly.
        self._dual_coef_, self._intercept_ = dual_coef, intercept
        if n_classes == 2:
            self.dual_coef_, self.intercept_ = -dual_coef, -intercept
        else:
            self.dual_coef_, self.intercept_ = dual_coef, intercept.copy()
        if self._sparse:
            self.dual_coef_ = sparse.csr_matrix(self.dual_coef_)   # as scikit-learn's
        self._finish_fit(X, statuses)
        return self

    def _with_proba(self):
        # "deprecated", scikit-learn 1.9's default, means False.
        return not isinstance(self.probability, str) and bool(self.probability)

    @deprecated(_PROBA_DEPRECATED.format("probA_"))
    @property
    def probA_(self):
        """Platt's A of each class pair (empty without probability=True)."""
        return self._probA

    @deprecated(_PROBA_DEPRECATED.format("probB_"))
    @property
    def probB_(self):
        """Platt's B of each class pair (empty without probability=True)."""
        return self._probB

    def _primal_coef(self, dual_coef):
        if len(self.classes_) == 2:
            return np.asarray(dual_coef @ self.support_vectors_)
        return ovo_coef(dual_coef, self._n_support, self.support_vectors_)

    def _solve_binary(self, Xk, rows, n_pos, bounds, cache_bytes, n_threads):
        """Solve the C-SVC dual on ``rows`` (the first n_pos have y = +1): alpha, y alpha, rho."""
        y = np.ones(len(rows))
        y[n_pos:] = -1.0
        [(alpha, status, n_iter, rho)] = self._solve_many(
            Xk, [(rows, np.arange(len(rows)), y, -np.ones(len(rows)), bounds[rows])],
            cache_bytes, n_threads)
        return alpha, alpha * y, rho, status, n_iter

    def _ovo_decision(self, X):
        """Libsvm's pairwise decision values (> 0 for the first class of a pair)."""
        check_is_fitted(self)
        k = len(self.classes_)
        dec = self._decision_values(X, np.concatenate([[0], np.cumsum(self._n_support)]),
                                    pair_columns(k), len(self._intercept_))
        if dec is None:
            dec = ovo_decision(self._check_predict_X(X), self._dual_coef_, self._intercept_,
                               self._n_support)
        return dec

    @delegate_to_peer
    @method_doc("Signed distances to the decision boundaries.", ["X"], """\
dec : ndarray of shape (n_samples,), (n_samples, n_classes) or \
(n_samples, n_classes * (n_classes - 1) / 2)
    For two classes, positive values favour ``classes_[1]``; else the
    one-vs-rest scores ('ovr', from libsvm's votes and values) or the
    pairwise values ('ovo', positive for the pair's first class).""",
                _FITTED_EXAMPLE + ">>> clf.decision_function(X).shape\n(150, 3)")
    def decision_function(self, X):
        dec = self._ovo_decision(X)
        if len(self.classes_) == 2:
            return -dec.ravel()
        if self.decision_function_shape == "ovr":
            return _ovr_decision_function(dec < 0, -dec, len(self.classes_))
        return dec

    @delegate_to_peer
    @method_doc("Predict class labels: libsvm's one-vs-one vote (the ovr argmax with "
                "break_ties).", ["X"], """\
y_pred : ndarray of shape (n_samples,)
    Predicted class labels.""", _FITTED_EXAMPLE + ">>> clf.predict(X[[0, 149]])\narray([0, 2])")
    def predict(self, X):
        check_is_fitted(self)
        if self.break_ties and self.decision_function_shape == "ovo":
            raise ValueError("break_ties must be False when decision_function_shape is 'ovo'")
        k = len(self.classes_)
        if self.break_ties and k > 2:
            return self.classes_[np.argmax(self.decision_function(X), axis=1)]
        return self.classes_[ovo_vote(self._ovo_decision(X), k)]

    def _check_proba(self):
        if not self._with_proba():
            raise AttributeError("predict_proba is not available when probability=False")
        return True

    @available_if(_check_proba)
    @delegate_to_peer
    @method_doc("""Class probabilities: Platt-scaled pairwise ones, coupled across the classes.

Only with ``probability=True`` (deprecated in scikit-learn 1.9).""", ["X"], """\
proba : ndarray of shape (n_samples, n_classes)
    Probability of each class, columns in ``classes_`` order.""",
                _PROBA_EXAMPLE + ">>> clf.predict_proba(X[:2]).shape\n(2, 3)")
    def predict_proba(self, X):
        check_is_fitted(self)
        if self._probA.size == 0:
            raise NotFittedError(
                "predict_proba is not available when fitted with probability=False")
        r = pair_proba(self._ovo_decision(X), self._probA, self._probB)
        return coupled_proba(r, len(self.classes_), getattr(self, "_present", None))

    @available_if(_check_proba)
    @delegate_to_peer
    @method_doc("Log of the class probabilities of ``predict_proba``.", ["X"], """\
log_proba : ndarray of shape (n_samples, n_classes)
    Log-probability of each class, columns in ``classes_`` order.""",
                _PROBA_EXAMPLE + ">>> clf.predict_log_proba(X[:2]).shape\n(2, 3)")
    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))


SVC.__doc__ = class_doc(
    """C-Support Vector Classification (libsvm's C-SVC, one-vs-one multiclass).

The dual of the soft-margin SVM is solved by SMO with libsvm's
working-set selection, shrinking and kernel cache, on compiled kernel
rows (OpenMP); prediction reduces K(X, support vectors) tile by tile.
Same parameters, defaults and fitted attributes as ``sklearn.svm.SVC``,
plus ``n_jobs``.  Sparse X is solved here on its CSR rows (libsvm's sparse
kernel rows); only a sparse X with a precomputed or callable kernel is
fitted by ``sklearn.svm.SVC``.""",
    ["C.clf", "kernel", "degree", "gamma", "coef0", "shrinking", "probability", "tol",
     "cache_size", "class_weight", "verbose", "max_iter", "decision_function_shape",
     "break_ties", "random_state", "n_jobs"],
    ["class_weight_", "classes_", "coef_.clf", "dual_coef_.clf", "fit_status_",
     "intercept_.clf", "n_features_in_", "feature_names_in_", "n_iter_.clf", "support_.clf",
     "support_vectors_", "n_support_.clf", "probA_", "probB_", "shape_fit_"],
    "SVR : Epsilon-Support Vector Regression on the same solver.\n"
    "sklearn.svm.SVC : scikit-learn's libsvm estimator this one replaces.",
    """>>> from sklearn.datasets import load_iris
>>> from gdcore.discriminative.svm import SVC
>>> X, y = load_iris(return_X_y=True)
>>> clf = SVC(kernel="rbf", C=1.0).fit(X, y)
>>> clf.predict(X[:3])
array([0, 0, 0])
>>> clf.n_support_
array([ 7, 29, 24], dtype=int32)""")
