"""SVC and SVR: scikit-learn's kernel SVMs on gdcore's SMO kernel.

Same parameters, defaults and fitted attributes as ``sklearn.svm.SVC`` /
``SVR`` (libsvm's layout, see ``svm_multiclass``), plus ``n_jobs``.  The dual
problems are those of libsvm: C-SVC with per-row bounds
C * class_weight[y] * sample_weight, epsilon-SVR with 2n variables.
"""

import warnings

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Hidden, Interval, Real, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.deprecation import deprecated
from sklearn.utils.multiclass import _ovr_decision_function
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from gdcore._fallback import delegate_to_peer
from gdcore._threads import single_threaded_blas
from gdcore._validation import check_classification_targets, check_X_y
from gdcore.discriminative.svm._base import BaseSVM
from gdcore.discriminative.svm._multiclass import (
    assemble_ovo,
    ovo_coef,
    ovo_decision,
    ovo_duals,
    ovo_vote,
    solve_pairs,
)
from gdcore.discriminative.svm._platt import coupled_proba, fit_platt, pair_proba

_PROBA_DEPRECATED = (
    "Attribute `{}` was deprecated in version 1.9 and will be removed in 1.11 as the "
    "`probability=True` option for SVC and NuSVC was deprecated and will be removed in "
    "1.11.")


def _row_bounds(C, sample_weight, X):
    """C_t = C * w_t; rows of zero or negative weight are dropped, as libsvm does."""
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, allow_all_zero_weights=True)
    keep = np.flatnonzero(sw > 0)
    if len(keep) == 0:
        raise ValueError("Invalid input - all samples have zero or negative weights.")
    return C * sw, keep


class SVC(ClassifierMixin, BaseSVM):
    """C-Support Vector Classification (libsvm's C-SVC, one-vs-one multiclass).

    Parameters are scikit-learn's ``SVC``'s; ``n_jobs`` sets the threads
    (kernel rows, or several class pairs at once).  With ``probability=True``
    ``predict_proba`` uses Platt scaling fitted by internal 5-fold
    cross-validation, and pairwise coupling for more than two classes, as
    libsvm does (``probability`` is deprecated in scikit-learn 1.9, and
    warns as there).  Sparse X is fitted by ``sklearn.svm.SVC``.
    """

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # fitted by scikit-learn (BaseSVM._fallback_reason)
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, d), or an (n, n) Gram matrix for kernel='precomputed'."""
        self._validate_params()
        if self.probability != "deprecated":
            warnings.warn(
                "The `probability` parameter was deprecated in 1.9 and will be removed in "
                "version 1.11. Use `CalibratedClassifierCV(SVC(), ensemble=False)` instead "
                "of `SVC(probability=True)`", FutureWarning, stacklevel=2)
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        X, y = check_X_y(self, X, y, reset=True)
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
            y_idx, n_classes, duals, alpha, rhos)
        self.support_ = support.astype(np.int32)
        self._n_support = n_support
        self.support_vectors_ = (X[support] if self._kernel_name() != "precomputed"
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

    def _primal_coef(self):
        if len(self.classes_) == 2:
            return self.dual_coef_ @ self.support_vectors_
        return ovo_coef(self.dual_coef_, self._n_support, self.support_vectors_)

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
        blocks = [(rows, ovo_decision(K, self._dual_coef_, self._intercept_, self._n_support))
                  for rows, K in self._kernel_blocks(X)]
        if not blocks:
            return np.empty((0, len(self._intercept_)))
        return np.concatenate([b for _, b in blocks])

    @delegate_to_peer
    def decision_function(self, X):
        """(n,) for two classes, else (n, k) for 'ovr' or (n, k(k-1)/2) for 'ovo'."""
        dec = self._ovo_decision(X)
        if len(self.classes_) == 2:
            return -dec.ravel()
        if self.decision_function_shape == "ovr":
            return _ovr_decision_function(dec < 0, -dec, len(self.classes_))
        return dec

    @delegate_to_peer
    def predict(self, X):
        """Class labels: libsvm's one-vs-one vote, or the ovr argmax with break_ties."""
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
    def predict_proba(self, X):
        """Platt-scaled pairwise probabilities, coupled across the classes (n, k)."""
        check_is_fitted(self)
        if self._probA.size == 0:
            raise NotFittedError(
                "predict_proba is not available when fitted with probability=False")
        r = pair_proba(self._ovo_decision(X), self._probA, self._probB)
        return coupled_proba(r, len(self.classes_))

    @available_if(_check_proba)
    @delegate_to_peer
    def predict_log_proba(self, X):
        """Log of predict_proba."""
        return np.log(self.predict_proba(X))


class SVR(RegressorMixin, BaseSVM):
    """Epsilon-Support Vector Regression (libsvm's epsilon-SVR).

    Parameters are scikit-learn's ``SVR``'s plus ``n_jobs``.  Sparse X is
    fitted by ``sklearn.svm.SVR``.
    """

    _peer_class = "sklearn.svm.SVR"
    _parameter_constraints: dict = {
        **BaseSVM._parameter_constraints,
        "epsilon": [Interval(Real, 0.0, None, closed="left")],
    }

    def __init__(self, *, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3,
                 C=1.0, epsilon=0.1, shrinking=True, cache_size=200, verbose=False,
                 max_iter=-1, n_jobs=None):
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.C = C
        self.epsilon = epsilon
        self.shrinking = shrinking
        self.cache_size = cache_size
        self.verbose = verbose
        self.max_iter = max_iter
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # fitted by scikit-learn (BaseSVM._fallback_reason)
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, d), or an (n, n) Gram matrix for kernel='precomputed'."""
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        X, y = check_X_y(self, X, y, reset=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        bounds, keep = _row_bounds(self.C, sample_weight, X)
        Xk = self._train_matrix(X)
        self._gamma = self._resolve_gamma(X)
        m = len(keep)
        z = y[keep]
        var_data = np.concatenate([np.arange(m), np.arange(m)])
        signs = np.concatenate([np.ones(m), -np.ones(m)])
        p = np.concatenate([self.epsilon - z, self.epsilon + z])
        C = np.concatenate([bounds[keep], bounds[keep]])
        with single_threaded_blas():
            [(alpha, status, n_iter, rho)] = self._solve_many(
                Xk, [(keep, var_data, signs, p, C)], self.cache_size * 2**20,
                self._n_threads())
        coef = alpha[:m] - alpha[m:]
        sv = np.flatnonzero(coef != 0)
        self.support_ = keep[sv].astype(np.int32)
        self._n_support = np.array([0, 0], dtype=np.int32)
        self.support_vectors_ = (X[self.support_] if self._kernel_name() != "precomputed"
                                 else np.empty((0, 0)))
        self.dual_coef_ = self._dual_coef_ = coef[sv][None, :]
        self.intercept_ = self._intercept_ = np.array([-rho])
        self.n_iter_ = int(n_iter)
        self._finish_fit(X, [status])
        return self

    @property
    def n_support_(self):
        check_is_fitted(self)
        return np.array([len(self.support_)], dtype=np.int32)

    @delegate_to_peer
    def predict(self, X):
        """Compute sum_s dual_coef_s K(x, sv_s) + intercept_."""
        check_is_fitted(self)
        out = np.empty(0)
        parts = [K @ self._dual_coef_[0] + self._intercept_[0] for _, K in self._kernel_blocks(X)]
        return np.concatenate(parts) if parts else out
