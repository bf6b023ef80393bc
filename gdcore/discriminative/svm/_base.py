"""What SVC and SVR share: parameters, kernels, the call into the SMO kernel.

The dual is solved by ``gdcore.discriminative.svm._svm.smo_solve`` (libsvm's Solver,
WSS2 + shrinking + LRU row cache, kernel rows by BLAS gemv in parallel), or,
for a dense problem of BLOCK_SOLVER_FROM variables or more, by
``_svm_block.block_solve`` (oneDAL's working-set method: the kernel rows of a
set of variables as one gemm, SMO on the set's block, the same stopping rule).
Prediction needs K(X, support vectors) reduced against the dual
coefficients: ``_svm_predict.decision_values`` (tiles of gemm, kernel
transform and a reducing gemm), where libsvm evaluates one dot product at a
time.
"""

import sys
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.validation import check_is_fitted

from gdcore._fallback import PeerFallbackMixin
from gdcore._memory import physical_memory_bytes
from gdcore._sklearn_compat import Interval, StrOptions, _num_samples
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_X, check_X_y, refuse_large_values
from gdcore.discriminative.svm import _sparse, _svm, _svm_block, _svm_predict

KERNEL_CODES = {
    "linear": _svm.LINEAR,
    "poly": _svm.POLY,
    "rbf": _svm.RBF,
    "sigmoid": _svm.SIGMOID,
    "precomputed": _svm.PRECOMPUTED,
}
# Several problems (class pairs) run one per thread when the sum of n_p^2 d
# reaches 2**22 (about a millisecond of kernel rows): below it, waking and
# joining the threads costs more than the pairs' work, above it the pairs
# are independent and spread evenly.  Measured by `gdcore bench svm` (SVC
# rbf fit, digits: 45 pairs, ~2**28).
MIN_PARALLEL_PAIRS_WORK = 2**22
# rbf kernel rows are computed in float32 (see solver_data) from n x d =
# 2**13 on: a gemv reads the whole active matrix for every row, and past
# 2**13 doubles (64 KB) it no longer fits a typical 32-48 KB L1, so the
# gemv is bound by L2 bytes, and float32 halves them.  Below the threshold
# the rows stay in double, like libsvm.  Measured by `gdcore bench svm`
# (SVC rbf fit, digits: pairs of ~290 x 64).  A row is in float32 when the
# rounding error that adds to the exponent -gamma |x - z|^2 is at most
# F32_EXPONENT_ERROR, a hundredth of the default tol's 1e-3.
FLOAT32_ROWS_FROM = 2**13
F32_EXPONENT_ERROR = 1e-5
# A dense problem of at least BLOCK_SOLVER_FROM dual variables is solved by
# the working-set block solver (_svm_block: the kernel rows of up to 1,024
# variables as one gemm, SMO on their block in cache), smaller ones by
# libsvm's SMO (_svm), whose pairs run one per thread (digits' 45 pairs of
# ~290 rows) and whose few iterations on a small problem cost less than a
# set's rows.  Measured by `gdcore bench svm` (SVC rbf fit, 2500x50 hard,
# whose 2,000 training rows are about where the two cross, and digits).
BLOCK_SOLVER_FROM = 2000
# The block solver holds its working set's kernel rows in float32 whatever
# cache_size says (q x n: 328 MB at 80,000 rows, 4 GB at a million); where
# they would take more than BLOCK_MEMORY_SHARE of the machine's memory the
# problem goes to SMO, whose cache cache_size bounds, slower but it fits.
BLOCK_MEMORY_SHARE = 0.25


def _block_rows_fit(n_rows, n_vars):
    """Whether the block solver's working-set rows for this problem fit its memory share."""
    q, _ = _svm_block.set_size(int(n_rows), int(n_vars), 0.0)
    return 4.0 * q * n_rows <= BLOCK_MEMORY_SHARE * physical_memory_bytes()


class Duals(NamedTuple):
    """Dual problems back to back, as ``smo_solve_many`` takes them.

    Problem q's data rows are rows[row_ptr[q]:row_ptr[q + 1]] (indexing X), its
    variables var_ptr[q]:var_ptr[q + 1], each with its data row var_data
    (local to the problem), sign y, linear term p and bound C.
    """

    rows: np.ndarray
    row_ptr: np.ndarray
    var_data: np.ndarray
    var_ptr: np.ndarray
    y: np.ndarray
    p: np.ndarray
    C: np.ndarray


def subset_duals(duals, qs):
    """Return the problems ``qs`` of a ``Duals``, and the indices of their variables."""
    rows = [duals.rows[duals.row_ptr[q]:duals.row_ptr[q + 1]] for q in qs]
    var_idx = np.concatenate([np.arange(duals.var_ptr[q], duals.var_ptr[q + 1]) for q in qs])
    sub = Duals(np.concatenate(rows), np.cumsum([0] + [len(r) for r in rows]),
                duals.var_data[var_idx],
                np.cumsum([0] + [duals.var_ptr[q + 1] - duals.var_ptr[q] for q in qs]),
                duals.y[var_idx], duals.p[var_idx], duals.C[var_idx])
    return sub, var_idx


def kernel_matrix(A, B, kernel, gamma, coef0, degree, sq_b=None):
    """K(A, B) for the dense kernels, as float64 (rbf through squared norms).

    ``sq_b`` may hold B's squared row norms, computed once at fit.
    """
    dots = A @ B.T
    if sparse.issparse(dots):
        dots = dots.toarray()
    if dots.dtype != np.float64:
        dots = dots.astype(np.float64)
    if kernel == "linear":
        return dots
    if kernel == "poly":
        dots *= gamma
        dots += coef0
        return dots**degree
    if kernel == "rbf":
        sq_a = sq_norms(A)
        if sq_b is None:
            sq_b = sq_norms(B)
        dots *= 2.0
        dots -= sq_a[:, None]
        dots -= sq_b[None, :]
        # -|a - b|^2 rounds to a tiny positive value for near-equal rows; a
        # huge gamma would turn it into exp(+large).
        np.minimum(dots, 0.0, out=dots)
        dots *= gamma
        return np.exp(dots, out=dots)
    dots *= gamma
    dots += coef0
    return np.tanh(dots, out=dots)


def sq_norms(X):
    """Squared row norms of a dense or CSR X, in float64."""
    if sparse.issparse(X):
        return _sparse.row_sq_norms(X)
    return np.einsum("ij,ij->i", X, X, dtype=np.float64)


def solver_data(Xk, name, gamma, n_rows=None):
    """Return what the solver's kernel rows read: (X, its squared row norms, X32, f32_limit).

    An rbf problem (of n_rows rows, all of Xk's by default) of at least
    FLOAT32_ROWS_FROM multiply-adds a row is solved on X centred and
    rounded to float32 (rbf is translation invariant, and centring removes
    the cancellation in |x|^2 + |z|^2 - 2 x.z).  A float32 dot product x.z
    errs by about sqrt(d) 2^-24 |x| |z|, so the exponent by 2 gamma times
    that; a row x computed in float32 errs at most F32_EXPONENT_ERROR when
    |x| max|z| <= f32_limit.  When every pair of rows is within it (the
    20,000 x 50 bench problem with gamma='scale': ~4e-6), X itself is
    float32 (X32 None).  Otherwise X holds the same float32 values in double,
    X32 the float32 copy, and the solver computes each row in float32 when
    it can: on standardized digits one image of squared norm 2,337 must use
    double rows, the typical one (~64) need not.  Smaller problems keep
    double rows and their data as given, like libsvm.
    """
    if name == "precomputed":
        return np.ascontiguousarray(Xk), np.zeros(Xk.shape[0]), None, 0.0
    if sparse.issparse(Xk):
        return Xk, _sparse.row_sq_norms(Xk), None, 0.0     # rows in double, like libsvm
    n_rows = len(Xk) if n_rows is None else n_rows
    if name == "rbf" and n_rows * Xk.shape[1] >= FLOAT32_ROWS_FROM:
        X32 = (Xk - Xk.mean(axis=0, dtype=np.float64)).astype(np.float32)
        sq = np.einsum("ij,ij->i", X32, X32, dtype=np.float64)
        error_per_product = 2.0 * gamma * np.sqrt(Xk.shape[1]) * 2.0**-24
        if error_per_product * sq.max() <= F32_EXPONENT_ERROR:
            return X32, sq, None, 0.0
        return (X32.astype(np.float64), sq, X32,
                float(F32_EXPONENT_ERROR / error_per_product))
    Xk = np.ascontiguousarray(Xk)
    return Xk, np.einsum("ij,ij->i", Xk, Xk, dtype=np.float64), None, 0.0


def support_rows(X, support):
    """X's rows ``support``: CSR (a csr_matrix, as scikit-learn's) for a sparse X."""
    if sparse.issparse(X):
        return sparse.csr_matrix(X[support])
    return X[support]


def check_magnitude(X):
    """Refuse values whose kernel products overflow X's dtype, naming the column.

    Every kernel but a precomputed one sums d products x_j z_j (rbf also the
    squared norms), so values up to sqrt(max / d) / 2 keep K(x, z) finite,
    differences of two points included.  scikit-learn answers NaN there.
    """
    if X.shape[0] * X.shape[1] == 0:
        return
    limit = float(np.sqrt(np.finfo(X.dtype).max / X.shape[1])) / 2.0
    prefix = ("The dual coefficients or intercepts are not finite. The input data may "
              "contain large values and need to be preprocessed: ")
    if sparse.issparse(X):
        _sparse.check_magnitude(X, limit, prefix)
        return
    refuse_large_values(X, limit, f"whose kernel values overflow {X.dtype.name}",
                        prefix=prefix)


def iteration_cap(max_iter, n_variables):
    """Return the SMO iteration limit for ``max_iter`` (-1: libsvm's own cap).

    libsvm never runs unbounded: with no limit asked it stops after
    max(10**7, 100 l) iterations for l dual variables and warns.  Data that
    make SMO cycle (values near the float range) then end in a
    ConvergenceWarning instead of a solve that never returns.
    """
    if max_iter > 0:
        return int(max_iter)
    return int(max(10_000_000, min(100 * n_variables, 2**31 - 1)))


def report_solves(alpha, C, var_ptr, n_iter, obj, rho):
    """Print libsvm's summary of each solved dual (verbose).

    Iterations, objective, rho, support vectors (nSV) and those at their
    bound C (nBSV), as libsvm prints them.
    """
    for q in range(len(n_iter)):
        a, c = alpha[var_ptr[q]:var_ptr[q + 1]], C[var_ptr[q]:var_ptr[q + 1]]
        print(f"optimization finished, #iter = {n_iter[q]}\n"
              f"obj = {obj[q]:.6f}, rho = {rho[q]:.6f}\n"
              f"nSV = {int(np.count_nonzero(a > 0))}, nBSV = {int(np.count_nonzero(a >= c))}",
              flush=True)


class BaseSVM(PeerFallbackMixin, BaseEstimator):
    """Parameters and fitting machinery of the kernel SVMs (not for direct use).

    Sparse X is solved here too, on CSR rows (``_sparse``), but for a
    precomputed or callable kernel: that goes to scikit-learn's estimator of
    the same name.
    """

    _parameter_constraints: dict = {
        "kernel": [StrOptions(set(KERNEL_CODES)), callable],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0.0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "tol": [Interval(Real, 0.0, None, closed="neither")],
        "C": [Interval(Real, 0.0, None, closed="right")],
        "shrinking": ["boolean"],
        "cache_size": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
        "max_iter": [Interval(Integral, -1, None, closed="left")],
        "n_jobs": [None, Integral],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR rows (_sparse.py)
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags

    def _fallback_reason(self, X, y=None, **fit_params):
        if sparse.issparse(X) and (callable(self.kernel) or self.kernel == "precomputed"):
            return "sparse X with a precomputed or callable kernel"
        return None

    # -- kernels ---------------------------------------------------------
    def _kernel_name(self):
        return "precomputed" if callable(self.kernel) else self.kernel

    def _resolve_gamma(self, X):
        if self._kernel_name() == "precomputed":
            return 0.0
        if self.gamma == "scale":
            var = (_sparse.variance(X) if sparse.issparse(X) else
                   float(np.asarray(X, dtype=np.float64).var()))
            return 1.0 / (X.shape[1] * var) if var != 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        return float(self.gamma)

    def _validate_train(self, X, y, **kwargs):
        """Return (X, y) checked by ``check_X_y``; rows a callable kernel reads as they are.

        A callable kernel on non-numeric rows (strings, objects) gets them
        unconverted, as scikit-learn passes them: the kernel alone reads X.
        """
        if callable(self.kernel) and np.asarray(X).dtype.kind in "OSU":
            check_consistent_length(X, y)
            self.__dict__.pop("n_features_in_", None)
            self._sparse = False
            return X, column_or_1d(y, warn=True)
        X, y = check_X_y(self, X, y, reset=True, accept_sparse=True, **kwargs)
        self._sparse = sparse.issparse(X)
        return (_sparse.as_csr(X) if self._sparse else X), y

    def _train_matrix(self, X):
        """Return what the solver reads: X itself, or the Gram matrix (n x n)."""
        if self._kernel_name() != "precomputed":
            check_magnitude(X)
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
        if K.shape != (_num_samples(A), _num_samples(B)):
            raise ValueError(
                f"The kernel callable must return an array of shape "
                f"{(_num_samples(A), _num_samples(B))}; got {K.shape}."
            )
        if not np.isfinite(K).all():
            raise ValueError("The kernel callable returned NaN or infinite values.")
        return np.ascontiguousarray(K)

    def _check_predict_X(self, X):
        check_is_fitted(self)
        if sparse.issparse(X) and not self._sparse:
            raise ValueError(f"cannot use sparse input in {type(self).__name__!r} trained on "
                             f"dense data: pass X.toarray(), or fit on sparse X.")
        if callable(self.kernel):
            X = check_X(self, X, reset=False) if hasattr(self, "n_features_in_") else X
            # K(X, every training row), then the support columns, as
            # scikit-learn calls the kernel (a kernel may assume that).
            return self._gram(X, self._X_fit)[:, self.support_]
        X = check_X(self, X, reset=False, accept_sparse=self._sparse)
        if self._sparse:
            # Dense rows are served as CSR, as scikit-learn's sparse fits do.
            X = _sparse.as_csr(X)
        if self.kernel == "precomputed":
            if X.shape[1] != self.shape_fit_[0]:
                raise ValueError(
                    f"X.shape[1] = {X.shape[1]} should be equal to "
                    f"{self.shape_fit_[0]}, the number of samples at training time."
                )
            return X[:, self.support_].astype(np.float64)
        check_magnitude(X)
        return X

    def _decision_values(self, X, group_ptr, out_col, n_out):
        """Decision values (n, n_out) of X with libsvm's signs: a fused, tiled kernel.

        ``group_ptr`` and ``out_col`` route the support vectors' coefficients
        to the outputs (see ``_svm_predict.decision_values``).  A callable or
        precomputed kernel returns None: its K(X, SV) is a given matrix.
        """
        if self._kernel_name() == "precomputed":
            return None
        X = self._check_predict_X(X)
        sv = self.support_vectors_
        if (group_ptr[-1] != sv.shape[0] or np.any(np.diff(group_ptr) < 0)
                or self._dual_coef_.shape[1] != sv.shape[0]):
            raise ValueError(
                f"The internal representation of {type(self).__name__} was altered: "
                f"n_support_ sums to {group_ptr[-1]} for {sv.shape[0]} support vectors "
                f"and {self._dual_coef_.shape[1]} dual coefficients; fit again.")
        if self._sparse:
            with single_threaded_blas():
                return _sparse.decision_values(
                    X, sv, self._sv_sq, KERNEL_CODES[self.kernel], float(self._gamma),
                    float(self.coef0), int(self.degree), self._dual_coef_, group_ptr, out_col,
                    self._intercept_, n_out, self._n_threads())
        dtype = np.result_type(X.dtype, sv.dtype)
        X, sv = (np.ascontiguousarray(a, dtype=dtype) for a in (X, sv))
        out = np.empty((X.shape[0], n_out))
        with single_threaded_blas():
            _svm_predict.decision_values(
                X, sv, self._sv_sq, KERNEL_CODES[self.kernel], float(self._gamma),
                float(self.coef0), int(self.degree), np.ascontiguousarray(self._dual_coef_),
                np.asarray(group_ptr, dtype=np.intc),
                np.ascontiguousarray(out_col, dtype=np.intc),
                np.ascontiguousarray(self._intercept_, dtype=np.float64), out,
                self._n_threads())
        return out

    # -- solving -----------------------------------------------------------
    def _solve_many(self, Xk, problems, cache_bytes, n_threads):
        """Solve several duals on rows of Xk at once.

        ``problems`` is a list of (rows, var_data, y, p, C), rows indexing Xk (both axes when
        precomputed) and var_data indexing rows.  Returns (alpha, status,
        n_iter, rho) per problem (see _solve_duals).
        """
        cat = [np.concatenate(part) for part in zip(*problems)]
        duals = Duals(cat[0], np.cumsum([0] + [len(pr[0]) for pr in problems]), cat[1],
                      np.cumsum([0] + [len(pr[1]) for pr in problems]), *cat[2:])
        alpha, status, n_iter, rho = self._solve_duals(Xk, duals, cache_bytes, n_threads)
        var_ptr = duals.var_ptr
        return [(alpha[var_ptr[q]:var_ptr[q + 1]], int(status[q]), int(n_iter[q]), rho[q])
                for q in range(len(problems))]

    def _solve_duals(self, Xk, duals, cache_bytes, n_threads):
        """Solve the duals of a ``Duals`` on rows of Xk, in one ``smo_solve_many``.

        Returns (alpha of every variable, status, n_iter and rho of each
        problem).  Concurrent problems each get cache_bytes / their number, as one
        cache_size is the budget.

        Callers hold BLAS to one thread around their solves
        (``single_threaded_blas``): the kernel calls gemv from OpenMP threads,
        and one limit per fit, not per class pair, saves entering and leaving
        threadpoolctl's context for every pair.
        """
        name = self._kernel_name()
        block = np.flatnonzero(np.diff(duals.var_ptr) >= BLOCK_SOLVER_FROM) if (
            name != "precomputed" and not self._sparse) else []
        block = [q for q in block if _block_rows_fit(
            duals.row_ptr[q + 1] - duals.row_ptr[q], duals.var_ptr[q + 1] - duals.var_ptr[q])]
        if len(block):
            return self._solve_some_by_blocks(Xk, duals, block, cache_bytes, n_threads)
        sizes = np.diff(duals.row_ptr)
        Xk, sq, X32, f32_limit = solver_data(Xk, name, self._gamma, int(sizes.max()))
        width = (1 if name == "precomputed" else
                 max(1, Xk.nnz // max(Xk.shape[0], 1)) if self._sparse else Xk.shape[1])
        m = len(sizes)
        if m > 1 and float(np.sum(sizes.astype(np.float64) ** 2)) * width < (
                MIN_PARALLEL_PAIRS_WORK):
            n_threads = 1
        rows, row_ptr, var_data, var_ptr = (np.ascontiguousarray(a, dtype=np.intc) for a in (
            duals.rows, duals.row_ptr, duals.var_data, duals.var_ptr))
        y, p, C = (np.ascontiguousarray(a, dtype=np.float64) for a in (duals.y, duals.p, duals.C))
        alpha = np.empty(len(y))
        status, n_iter = np.empty(m, dtype=np.intc), np.empty(m, dtype=np.int64)
        rho, obj = np.empty(m), np.empty(m)
        if self.verbose:
            sys.stdout.flush()      # before the kernel's own lines on C's stdout
        csr = {}
        if self._sparse:
            data, indices, indptr = _sparse.csr_parts(Xk)
            Xk, csr = data[None, :], dict(X_indptr=indptr, X_indices=indices,
                                         n_features=Xk.shape[1])
        _svm.smo_solve_many(
            Xk, sq, KERNEL_CODES[name], float(self._gamma), float(self.coef0),
            int(self.degree), rows, row_ptr, var_data, var_ptr, y, p, C, alpha,
            status, n_iter, rho, obj, float(self.tol), iteration_cap(self.max_iter, len(y)),
            float(cache_bytes) / min(m, n_threads), bool(self.shrinking), int(n_threads),
            X32, f32_limit, int(bool(self.verbose)), **csr)
        if self.verbose:
            report_solves(alpha, C, var_ptr, n_iter, obj, rho)
        return alpha, status, n_iter, rho

    def _solve_some_by_blocks(self, Xk, duals, block, cache_bytes, n_threads):
        """Solve as ``_solve_duals`` does, problems ``block`` by the block solver.

        Those run one after the other, each on n_threads and on its rows as
        ``solver_data`` gives them; the others are solved by SMO.
        """
        m = len(duals.row_ptr) - 1
        alpha = np.empty(len(duals.y))
        status, n_iter = np.empty(m, dtype=np.intc), np.empty(m, dtype=np.int64)
        rho, obj = np.empty(m), np.empty(m)
        for q in block:
            rows = duals.rows[duals.row_ptr[q]:duals.row_ptr[q + 1]]
            v = slice(duals.var_ptr[q], duals.var_ptr[q + 1])
            whole = len(rows) == len(Xk) and np.array_equal(rows, np.arange(len(Xk)))
            P, sq, _, _ = solver_data(Xk if whole else Xk[rows], self._kernel_name(),
                                      self._gamma)
            a = np.empty(v.stop - v.start)
            if self.verbose:
                sys.stdout.flush()      # before the kernel's own lines on C's stdout
            status[q], n_iter[q], rho[q], obj[q] = _svm_block.block_solve(
                np.ascontiguousarray(P), sq, KERNEL_CODES[self._kernel_name()],
                float(self._gamma), float(self.coef0), int(self.degree),
                np.ascontiguousarray(duals.var_data[v], dtype=np.intc),
                *(np.ascontiguousarray(z[v], dtype=np.float64) for z in duals[4:]), a,
                float(self.tol), iteration_cap(self.max_iter, len(a)), float(cache_bytes),
                int(n_threads), int(bool(self.verbose)), bool(self.shrinking))
            alpha[v] = a
            if self.verbose:
                report_solves(a, duals.C[v], [0, len(a)], n_iter[q:q + 1], obj[q:q + 1],
                              rho[q:q + 1])
        rest = np.setdiff1d(np.arange(m), block)
        if len(rest):
            sub, var_idx = subset_duals(duals, rest)
            a, s, it, r = self._solve_duals(Xk, sub, cache_bytes, n_threads)
            alpha[var_idx], status[rest], n_iter[rest], rho[rest] = a, s, it, r
        return alpha, status, n_iter, rho

    def _n_threads(self):
        return effective_n_threads(self.n_jobs)

    def _finish_fit(self, X, statuses):
        """Fitted attributes every SVM shares; the ConvergenceWarning."""
        self.shape_fit_ = getattr(X, "shape", (_num_samples(X),))
        self.fit_status_ = int(max(statuses))
        if self._kernel_name() != "precomputed":
            self._sv_sq = sq_norms(self.support_vectors_)
        else:
            self._sv_sq = None
        if self.fit_status_:
            cap = (f"max_iter={self.max_iter}" if self.max_iter > 0 else
                   "libsvm's cap for max_iter=-1, max(10**7, 100 x the variables)")
            warnings.warn(
                f"Solver terminated early ({cap}).  Consider "
                "pre-processing your data with StandardScaler or MinMaxScaler.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if not (np.isfinite(self._intercept_).all() and np.isfinite(self._dual_coef_).all()):
            raise ValueError(
                "The dual coefficients or intercepts are not finite. The input "
                "data may contain large values and need to be preprocessed.")

    @property
    def n_support_(self):
        check_is_fitted(self)
        return self._n_support

    @property
    def coef_(self):
        """Weights of the features when kernel='linear' (read-only, as scikit-learn's).

        SVR: (1, n_features); SVC: one row per class pair, in
        ``decision_function``'s 'ovo' order (a single row for two classes).
        """
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when using a linear kernel")
        check_is_fitted(self)
        peer = self.__dict__.get("_peer")
        if peer is not None:
            coef = peer.coef_
        else:
            coef = self._primal_coef(self._public_dual_coef())
            # A sparse fit's coef_ is sparse, as scikit-learn's.
            coef = sparse.csr_matrix(coef) if self._sparse else coef
        (coef.data if sparse.issparse(coef) else coef).flags.writeable = False
        return coef

    def _public_dual_coef(self):
        """dual_coef_ as a dense array (a sparse fit's is CSR, as scikit-learn's)."""
        return self.dual_coef_.toarray() if sparse.issparse(self.dual_coef_) else self.dual_coef_

    def _primal_coef(self, dual_coef):
        return np.asarray(dual_coef @ self.support_vectors_)
