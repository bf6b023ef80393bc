"""CSR input of SVC and SVR: what the solver and the predict kernel read of it.

A sparse fit is solved by the same SMO (``_svm.smo_solve_many`` with
``X_indptr``): a kernel row scatters x_i into a dense work vector once and
each other row's dot product reads only its non-zeros, as libsvm's sparse
rows do.  Its support vectors stay CSR (as scikit-learn stores them), and
predict computes K(X, SV) by the same sparse dot products
(``_svm_sparse.sparse_kernel_matrix``), a block of test rows at a time.
"""

import numpy as np
from scipy import sparse

from gdcore.discriminative.svm import _svm_sparse

# Test rows per block of K(X, SV) at predict: the block (PREDICT_BLOCK x
# n_SV doubles) is reduced against the dual coefficients before the next, so
# memory stays bounded on any number of test rows.
PREDICT_BLOCK = 1024


def as_csr(X):
    """X as a canonical CSR matrix (a copy when duplicates must be summed).

    The kernels scatter a row into a work vector, so a column must appear
    once per row; the indices need not be sorted.
    """
    X = sparse.csr_matrix(X)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if X.nnz >= np.iinfo(np.intc).max:
        raise ValueError(f"The SVM kernels take at most {np.iinfo(np.intc).max - 1} "
                         f"non-zeros; got {X.nnz}. Fit on a subsample.")
    return X


def csr_parts(X):
    """Return (data, indices, indptr) of a canonical CSR X, as the kernels take them.

    data and indices get one padding value at the end (so that an empty
    matrix still has an element to point at); indices and indptr are C ints.
    """
    data = np.append(X.data, np.zeros(1, dtype=X.dtype))
    indices = np.append(X.indices.astype(np.intc, copy=False), np.zeros(1, dtype=np.intc))
    return data, indices, X.indptr.astype(np.intc)


def _float64(X):
    """Return X in float64: products of float32 values summed in double, as the kernels do."""
    return sparse.csr_matrix(X, dtype=np.float64)


def row_sq_norms(X):
    """Squared norm of each row of a CSR X, in float64."""
    X = _float64(X)
    return np.asarray(X.multiply(X).sum(axis=1)).ravel()


def variance(X):
    """Variance of every entry of a sparse X, zeros included (gamma='scale').

    scikit-learn's formula E[x^2] - E[x]^2.
    """
    X = _float64(X)
    return float(X.multiply(X).mean() - X.mean() ** 2)


def check_magnitude(X, limit, prefix):
    """Refuse a CSR X whose values exceed limit, naming the column."""
    if X.nnz == 0:
        return
    at = int(np.argmax(np.abs(X.data)))
    value = float(abs(X.data[at]))
    if not value <= limit:
        raise ValueError(
            f"{prefix}X holds values as large as {value:.3g} in column {X.indices[at]}, whose "
            f"kernel values overflow {X.dtype.name} (values up to {limit:.3g} are served): "
            f"rescale X, for example with sklearn.preprocessing.MaxAbsScaler.")


def decision_values(X, SV, sv_sq, kernel, gamma, coef0, degree, coef, group_ptr, out_col,
                    intercept, n_out, n_threads):
    """Decision values (n, n_out) of CSR X against CSR SV, a block of test rows at a time.

    Routed as ``_svm_predict.decision_values`` routes them: group g's
    coefficients row r add into output column out_col[g, r].
    """
    dtype = np.result_type(X.dtype, SV.dtype)
    X, SV = X.astype(dtype, copy=False), SV.astype(dtype, copy=False)
    sv_parts = csr_parts(SV)
    out = np.empty((X.shape[0], n_out))
    out[:] = intercept
    for lo in range(0, X.shape[0], PREDICT_BLOCK):
        block = X[lo:lo + PREDICT_BLOCK]
        K = np.empty((block.shape[0], SV.shape[0]))
        _svm_sparse.sparse_kernel_matrix(
            *csr_parts(block), *sv_parts, row_sq_norms(block), sv_sq, kernel, gamma, coef0,
            degree, X.shape[1], K, n_threads)
        rows = out[lo:lo + PREDICT_BLOCK]
        for g in range(len(group_ptr) - 1):
            cols = slice(group_ptr[g], group_ptr[g + 1])
            for r in range(coef.shape[0]):
                rows[:, out_col[g][r]] += K[:, cols] @ coef[r, cols]
    return out
