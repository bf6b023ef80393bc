"""What SVC and SVR share: parameters, kernels, the call into the SMO kernel.

The dual is solved by ``gdcore._kernels._svm.smo_solve`` (libsvm's Solver,
WSS2 + shrinking + LRU row cache, kernel rows by BLAS gemv in parallel).
Prediction needs K(X, support vectors): one gemm per block of test rows
(``kernel_matrix``), where libsvm evaluates one dot product at a time.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from gdcore._kernels import _svm
from gdcore._threads import effective_n_threads
from gdcore._validation import check_X

KERNEL_CODES = {
    "linear": _svm.LINEAR,
    "poly": _svm.POLY,
    "rbf": _svm.RBF,
    "sigmoid": _svm.SIGMOID,
    "precomputed": _svm.PRECOMPUTED,
}
# Test rows per block of K(X, SV) at prediction: 2048 x 5000 doubles = 80 MB
# at most, while a block still keeps gemm efficient.
PREDICT_BLOCK = 2048


def kernel_matrix(A, B, kernel, gamma, coef0, degree, sq_b=None):
    """K(A, B) for the dense kernels, as float64 (rbf through squared norms).

    ``sq_b`` may hold B's squared row norms, computed once at fit.
    """
    dots = A @ B.T
    if dots.dtype != np.float64:
        dots = dots.astype(np.float64)
    if kernel == "linear":
        return dots
    if kernel == "poly":
        dots *= gamma
        dots += coef0
        return dots**degree
    if kernel == "rbf":
        sq_a = np.einsum("ij,ij->i", A, A, dtype=np.float64)
        if sq_b is None:
            sq_b = np.einsum("ij,ij->i", B, B, dtype=np.float64)
        dots *= 2.0
        dots -= sq_a[:, None]
        dots -= sq_b[None, :]
        dots *= gamma
        return np.exp(dots, out=dots)
    dots *= gamma
    dots += coef0
    return np.tanh(dots, out=dots)


class BaseSVM(BaseEstimator):
    """Parameters and fitting machinery of the kernel SVMs (not for direct use)."""

    _parameter_constraints: dict = {
        "kernel": [StrOptions(set(KERNEL_CODES)), callable],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0.0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "tol": [Interval(Real, 0.0, None, closed="neither")],
        "C": [Interval(Real, 0.0, None, closed="neither")],
        "shrinking": ["boolean"],
        "cache_size": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
        "max_iter": [Interval(Integral, -1, None, closed="left")],
        "n_jobs": [None, Integral],
    }

    # -- kernels ---------------------------------------------------------
    def _kernel_name(self):
        return "precomputed" if callable(self.kernel) else self.kernel

    def _check_fit_X(self, X, y):
        """Validate X (and y); the array handed to the solver and its dtype."""
        raise NotImplementedError

    def _resolve_gamma(self, X):
        if self._kernel_name() == "precomputed":
            return 0.0
        if self.gamma == "scale":
            var = float(np.asarray(X, dtype=np.float64).var())
            return 1.0 / (X.shape[1] * var) if var != 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        return float(self.gamma)

    def _train_matrix(self, X):
        """What the solver reads: X itself, or the Gram matrix (n x n)."""
        if callable(self.kernel):
            self._X_fit = X
            return self._gram(X, X)
        if self.kernel == "precomputed" and X.shape[0] != X.shape[1]:
            raise ValueError(
                f"A precomputed kernel must be a square (n_samples, n_samples) "
                f"matrix; got shape {X.shape}."
            )
        return X

    def _gram(self, A, B):
        """K(A, B) from a callable kernel, checked to be a finite float matrix."""
        K = np.asarray(self.kernel(A, B), dtype=np.float64)
        if K.shape != (A.shape[0], B.shape[0]):
            raise ValueError(
                f"The kernel callable must return an array of shape "
                f"{(A.shape[0], B.shape[0])}; got {K.shape}."
            )
        if not np.isfinite(K).all():
            raise ValueError("The kernel callable returned NaN or infinite values.")
        return np.ascontiguousarray(K)

    def _check_predict_X(self, X):
        check_is_fitted(self)
        if callable(self.kernel):
            X = check_X(self, X, reset=False) if hasattr(self, "n_features_in_") else X
            return self._gram(X, self._X_fit[self.support_])
        X = check_X(self, X, reset=False)
        if self.kernel == "precomputed":
            if X.shape[1] != self.shape_fit_[0]:
                raise ValueError(
                    f"X.shape[1] = {X.shape[1]} should be equal to "
                    f"{self.shape_fit_[0]}, the number of samples at training time."
                )
            return X[:, self.support_].astype(np.float64)
        return X

    def _kernel_blocks(self, X):
        """Yield (rows, K(X[rows], support_vectors_)) by blocks of test rows."""
        Xk = self._check_predict_X(X)
        name = self._kernel_name()
        for start in range(0, Xk.shape[0], PREDICT_BLOCK):
            block = Xk[start:start + PREDICT_BLOCK]
            if name == "precomputed":
                yield slice(start, start + len(block)), block
            else:
                sv = self.support_vectors_.astype(block.dtype, copy=False)
                yield slice(start, start + len(block)), kernel_matrix(
                    block, sv, name, self._gamma, self.coef0, self.degree, self._sv_sq)

    # -- solving -----------------------------------------------------------
    def _solve(self, Xk, var_data, y, p, C, cache_bytes, n_threads):
        """One dual problem; returns alpha, status, n_iter, rho, objective.

        Callers hold BLAS to one thread around all their solves
        (``single_threaded_blas``): the kernel calls gemv from OpenMP threads,
        and one limit per fit, not per class pair, saves ~0.2 ms a pair.
        """
        name = self._kernel_name()
        Xk = np.ascontiguousarray(Xk)
        sq = np.einsum("ij,ij->i", Xk, Xk) if name != "precomputed" else np.zeros(
            len(Xk), dtype=Xk.dtype)
        alpha = np.empty(len(y))
        status, n_iter, rho, obj = _svm.smo_solve(
            Xk, np.ascontiguousarray(sq, dtype=Xk.dtype), KERNEL_CODES[name],
            float(self._gamma), float(self.coef0), int(self.degree),
            np.ascontiguousarray(var_data, dtype=np.intc),
            np.ascontiguousarray(y, dtype=np.float64),
            np.ascontiguousarray(p, dtype=np.float64),
            np.ascontiguousarray(C, dtype=np.float64), alpha,
            float(self.tol), int(self.max_iter), float(cache_bytes),
            bool(self.shrinking), int(n_threads))
        return alpha, status, n_iter, rho, obj

    def _n_threads(self):
        return effective_n_threads(self.n_jobs)

    def _finish_fit(self, X, statuses):
        """Fitted attributes every SVM shares; the ConvergenceWarning."""
        self.shape_fit_ = X.shape
        self.fit_status_ = int(max(statuses))
        if self._kernel_name() != "precomputed":
            self._sv_sq = np.einsum(
                "ij,ij->i", self.support_vectors_, self.support_vectors_, dtype=np.float64)
        else:
            self._sv_sq = None
        if self.fit_status_:
            warnings.warn(
                f"Solver terminated early (max_iter={self.max_iter}). Consider "
                "pre-processing your data with StandardScaler or MinMaxScaler.",
                ConvergenceWarning,
            )
        if not (np.isfinite(self._intercept_).all() and np.isfinite(self._dual_coef_).all()):
            raise ValueError(
                "The dual coefficients or intercepts are not finite. The input "
                "data may contain large values and need to be preprocessed.")

    @property
    def n_support_(self):
        check_is_fitted(self)
        return self._n_support
