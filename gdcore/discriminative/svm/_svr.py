"""SVR: scikit-learn's epsilon-SVR on gdcore's SMO kernel.

The dual is libsvm's epsilon-SVR: 2n variables, each data row twice (y = +1
with p = epsilon - z, y = -1 with p = epsilon + z), bounds C * sample_weight.
"""

from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted

from gdcore._fallback import delegate_to_peer
from gdcore._sklearn_compat import Interval
from gdcore._threads import single_threaded_blas
from gdcore.discriminative.svm._base import BaseSVM, support_rows
from gdcore.discriminative.svm._classes import _row_bounds
from gdcore.discriminative.svm._docs import class_doc, fit_doc, method_doc


class SVR(RegressorMixin, BaseSVM):
    # numpydoc docstring: set below the class from _docs' shared entries

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

    @fit_doc("SVR", "y.reg")
    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        X, y = self._validate_train(X, y, y_numeric=True)
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
        self.support_vectors_ = (support_rows(X, self.support_)
                                 if self._kernel_name() != "precomputed" else np.empty((0, 0)))
        self.dual_coef_ = self._dual_coef_ = coef[sv][None, :]
        if self._sparse:
            self.dual_coef_ = sparse.csr_matrix(self._dual_coef_)   # as scikit-learn's
        self.intercept_ = self._intercept_ = np.array([-rho])
        self.n_iter_ = int(n_iter)
        self._finish_fit(X, [status])
        return self

    @property
    def n_support_(self):
        check_is_fitted(self)
        return np.array([len(self.support_)], dtype=np.int32)

    @delegate_to_peer
    @method_doc("Predict targets: sum over support vectors of dual_coef_ K(x, sv) + intercept_.",
                ["X"], """\
y_pred : ndarray of shape (n_samples,)
    Predicted values.""", """\
>>> from sklearn.datasets import load_diabetes
>>> from gdcore.discriminative.svm import SVR
>>> X, y = load_diabetes(return_X_y=True)
>>> SVR().fit(X, y / y.max()).predict(X[:3]).shape
(3,)""")
    def predict(self, X):
        check_is_fitted(self)
        dec = self._decision_values(X, [0, len(self.support_)], [[0]], 1)
        if dec is None:
            return self._check_predict_X(X) @ self._dual_coef_[0] + self._intercept_[0]
        return dec[:, 0]


SVR.__doc__ = class_doc(
    """Epsilon-Support Vector Regression (libsvm's epsilon-SVR).

The dual (2 n variables) is solved by the same SMO kernel as ``SVC``.
Same parameters, defaults and fitted attributes as ``sklearn.svm.SVR``,
plus ``n_jobs``.  Sparse X is solved here on its CSR rows (libsvm's sparse
kernel rows); only a sparse X with a precomputed or callable kernel is
fitted by ``sklearn.svm.SVR``.""",
    ["kernel", "degree", "gamma", "coef0", "tol", "C.reg", "epsilon", "shrinking",
     "cache_size", "verbose", "max_iter", "n_jobs"],
    ["coef_.reg", "dual_coef_.reg", "fit_status_", "intercept_.reg", "n_features_in_",
     "feature_names_in_", "n_iter_.reg", "n_support_.reg", "shape_fit_", "support_.reg",
     "support_vectors_"],
    "SVC : C-Support Vector Classification on the same solver.\n"
    "sklearn.svm.SVR : scikit-learn's libsvm estimator this one replaces.",
    """>>> from sklearn.datasets import load_diabetes
>>> from gdcore.discriminative.svm import SVR
>>> X, y = load_diabetes(return_X_y=True)
>>> reg = SVR(C=100.0).fit(X, (y - y.mean()) / y.std())
>>> reg.predict(X[:2]).shape
(2,)
>>> round(reg.score(X, (y - y.mean()) / y.std()), 2)
0.95""")
