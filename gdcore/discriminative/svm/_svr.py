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


class SVR(RegressorMixin, BaseSVM):
    """Epsilon-Support Vector Regression (libsvm's epsilon-SVR).

    The dual (2 n variables) is solved by the same SMO kernel as ``SVC``.
    Same parameters, defaults and fitted attributes as ``sklearn.svm.SVR``,
    plus ``n_jobs``.  Sparse X is solved here on its CSR rows (libsvm's sparse
    kernel rows); only a sparse X with a precomputed or callable kernel is
    fitted by ``sklearn.svm.SVR``.

    Parameters
    ----------
    kernel : {'linear', 'poly', 'rbf', 'sigmoid', 'precomputed'} or callable, \
default='rbf'
        The kernel K(x, z): ``x.z``, ``(gamma x.z + coef0)^degree``,
        ``exp(-gamma |x - z|^2)``, ``tanh(gamma x.z + coef0)``, a Gram matrix
        passed as X (``'precomputed'``), or a callable returning K(X, Z).
    degree : int, default=3
        Degree of the 'poly' kernel; ignored by the others.
    gamma : {'scale', 'auto'} or float, default='scale'
        Coefficient of 'rbf', 'poly' and 'sigmoid': ``1 / (n_features *
        X.var())`` for 'scale', ``1 / n_features`` for 'auto', else the value
        (non-negative).
    coef0 : float, default=0.0
        Independent term of 'poly' and 'sigmoid'.
    tol : float, default=1e-3
        Stopping tolerance on the maximal violation of the optimality
        conditions (the duality gap SMO reports).
    C : float, default=1.0
        Regularization: the bound of each dual variable (times its sample
        weight).  Must be positive.
    epsilon : float, default=0.1
        Half-width of the tube within which errors cost nothing.
    shrinking : bool, default=True
        Whether to use libsvm's shrinking heuristic.
    cache_size : float, default=200
        Size of the kernel-row cache in MB.
    verbose : bool, default=False
        Print the solver's progress: every 1,000 SMO iterations the
        iteration, the active variables and the gap, then libsvm's summary
        (iterations, objective, rho, nSV, nBSV).
    max_iter : int, default=-1
        Iteration limit; -1 is libsvm's own cap (max(10**7, 100 x the
        variables)), which warns when reached.
    n_jobs : int, default=None
        Threads for the kernel rows and prediction; None uses OpenMP's
        default, -1 every core.

    Attributes
    ----------
    coef_ : {ndarray, sparse matrix} of shape (1, n_features)
        Primal weights, only for kernel='linear' (read-only).
    dual_coef_ : {ndarray, sparse matrix} of shape (1, n_SV)
        Dual coefficients alpha - alpha* of the support vectors.
    fit_status_ : int
        0 if the dual converged, 1 if an iteration limit stopped it.
    intercept_ : ndarray of shape (1,)
        Constant of the decision function.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X had string column names.
    n_iter_ : int
        SMO iterations.
    n_support_ : ndarray of shape (1,), dtype=int32
        Number of support vectors.
    shape_fit_ : tuple of int of shape (n_dimensions_of_X,)
        Shape of the training X.
    support_ : ndarray of shape (n_SV,)
        Indices of the support vectors.
    support_vectors_ : {ndarray, sparse matrix} of shape (n_SV, n_features)
        The support vectors (empty for a precomputed kernel).  A sparse fit's
        support_vectors_, dual_coef_ and coef_ are CSR matrices, as
        scikit-learn's.

    See Also
    --------
    SVC : C-Support Vector Classification on the same solver.
    sklearn.svm.SVR : scikit-learn's libsvm estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from gdcore.discriminative.svm import SVR
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = SVR(C=100.0).fit(X, (y - y.mean()) / y.std())
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> round(reg.score(X, (y - y.mean()) / y.std()), 2)
    0.95
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
        tags.input_tags.sparse = True  # CSR rows (_sparse.py)
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the SVM on X (n, d), or an (n, n) Gram matrix for kernel='precomputed'.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) \
                or (n_samples, n_samples)
            Training vectors, or their Gram matrix for kernel='precomputed'.
            Sparse X is solved on its CSR rows (with a precomputed or
            callable kernel, by scikit-learn's estimator).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample multipliers of C; rows of zero or negative weight are
            dropped, as libsvm does.

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore.discriminative.svm import SVR
        >>> X, y = load_iris(return_X_y=True)
        >>> SVR().fit(X, y).support_vectors_.shape[1]
        4
        """
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
    def predict(self, X):
        """Predict targets: sum over support vectors of dual_coef_ K(x, sv) + intercept_.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) \
                or (n_samples, n_samples_fit)
            Test vectors, or their kernel values against the training rows
            for kernel='precomputed'.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted values.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from gdcore.discriminative.svm import SVR
        >>> X, y = load_diabetes(return_X_y=True)
        >>> SVR().fit(X, y / y.max()).predict(X[:3]).shape
        (3,)
        """
        check_is_fitted(self)
        dec = self._decision_values(X, [0, len(self.support_)], [[0]], 1)
        if dec is None:
            return self._check_predict_X(X) @ self._dual_coef_[0] + self._intercept_[0]
        return dec[:, 0]
