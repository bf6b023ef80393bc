"""CSR X served natively: kernels against their twin, sparse fits against dense and libsvm."""

import logging
import os

import numpy as np
import pytest
import sklearn.svm as sks
from scipy import sparse
from sklearn.datasets import load_digits, load_svmlight_file

from gdcore._sklearn_compat import sklearn_version_at_least
from gdcore.discriminative.svm import SVC, SVR, _svm, _svm_sparse
from gdcore.discriminative.svm import _reference as ref
from gdcore.discriminative.svm._sparse import csr_parts, row_sq_norms

HEART = os.path.join(os.path.dirname(__file__), "data", "heart_scale")
KERNELS = ["linear", "rbf", "poly", "sigmoid"]
CODES = {"linear": ref.LINEAR, "rbf": ref.RBF, "poly": ref.POLY, "sigmoid": ref.SIGMOID}


def _hostile_csr(n, d, dtype, seed=0):
    """Random CSR rows with empty rows and all-zero columns, unsorted indices."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.3)
    X[::7] = 0.0            # empty rows
    X[:, ::5] = 0.0         # all-zero columns
    X = sparse.csr_matrix(X.astype(dtype))
    for r in range(0, n, 3):  # reverse the indices of some rows
        lo, hi = X.indptr[r], X.indptr[r + 1]
        X.indices[lo:hi], X.data[lo:hi] = X.indices[lo:hi][::-1].copy(), X.data[lo:hi][::-1].copy()
    X.has_sorted_indices = False
    return X


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return sparse.csr_matrix(X[:500] / 16.0), y[:500]


@pytest.fixture(scope="module")
def heart():
    X, y = load_svmlight_file(HEART)
    X = X.tocsr()
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)  # libsvm's
    return X, y


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_kernel_matrix_equals_twin_on_any_threads(kernel, dtype):
    X, SV = _hostile_csr(50, 23, dtype), _hostile_csr(31, 23, dtype, seed=1)
    args = (*csr_parts(X), *csr_parts(SV), row_sq_norms(X), row_sq_norms(SV), CODES[kernel],
            0.3, 0.5, 3, 23)
    outs = []
    for n_threads in (1, 2):
        out = np.empty((50, 31))
        _svm_sparse.sparse_kernel_matrix(*args, out, n_threads)
        outs.append(out)
    twin = np.empty((50, 31))
    ref.sparse_kernel_matrix(*args, twin, 1)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0], twin, rtol=1e-12, atol=1e-12)
    assert np.all(outs[0][::7] == outs[0][0]) and np.all(twin[::7] == twin[0])  # empty rows


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_csr_solver_takes_the_reference_path(kernel, dtype):
    """CSR kernel rows feed the one solver: the twin's exact path on the same data."""
    X = _hostile_csr(90, 17, dtype, seed=2)
    rng = np.random.default_rng(3)
    n = X.shape[0]
    y, p, C = np.where(rng.random(n) < 0.5, 1.0, -1.0), -np.ones(n), rng.uniform(0.5, 2, n)
    sq = row_sq_norms(X)
    coef0 = -1.0 if kernel == "sigmoid" else 0.5
    var_data = np.arange(n, dtype=np.intc)
    a_ref = np.empty(n)
    s_ref, it_ref, rho_ref, _ = ref.smo_solve(X.toarray(), sq, CODES[kernel], 0.2, coef0, 2,
                                              var_data, y, p, C, a_ref, 1e-3, 0, 1e8, False, 1)
    data, indices, indptr = csr_parts(X)
    results = []
    old = _svm.set_team_thresholds(1, 1)       # a team even on this small problem
    try:
        for n_threads in (1, 2):
            a = np.empty(n)
            st, it, rho, obj = (np.empty(1, np.intc), np.empty(1, np.int64), np.empty(1),
                                np.empty(1))
            _svm.smo_solve_many(
                data[None, :], sq, CODES[kernel], 0.2, coef0, 2, np.arange(n, dtype=np.intc),
                np.array([0, n], np.intc), var_data, np.array([0, n], np.intc), y, p, C, a,
                st, it, rho, obj, 1e-3, 0, 1e8, False, n_threads,
                X_indptr=indptr, X_indices=indices, n_features=X.shape[1])
            results.append((a, int(it[0]), float(rho[0])))
    finally:
        _svm.set_team_thresholds(*old)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]
    assert s_ref == 0 and results[0][1] == it_ref
    np.testing.assert_allclose(results[0][0], a_ref, atol=1e-8)
    np.testing.assert_allclose(results[0][2], rho_ref, atol=1e-8)


def test_csr_solver_refuses_inconsistent_arrays():
    X = sparse.csr_matrix(np.eye(3))
    data, indices, indptr = csr_parts(X)
    args = (np.arange(3, dtype=np.intc), np.array([0, 3], np.intc), np.arange(3, dtype=np.intc),
            np.array([0, 3], np.intc), np.array([1.0, -1, 1]), -np.ones(3), np.ones(3),
            np.empty(3), np.empty(1, np.intc), np.empty(1, np.int64), np.empty(1), np.empty(1),
            1e-3, 0, 1e8, True, 1)
    with pytest.raises(ValueError, match="CSR X needs"):
        _svm.smo_solve_many(data[None, :-1], np.ones(3), _svm.RBF, 1.0, 0.0, 3, *args,
                            X_indptr=indptr, X_indices=indices, n_features=3)


def _assert_same_fit(a, b, atol):
    np.testing.assert_array_equal(a.support_, b.support_)
    np.testing.assert_array_equal(a.n_support_, b.n_support_)
    dense = [c.toarray() if sparse.issparse(c) else c for c in (a.dual_coef_, b.dual_coef_)]
    np.testing.assert_allclose(*dense, atol=atol)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=atol)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_fit_equals_dense_fit(digits, kernel, dtype, monkeypatch):
    X, y = digits
    # The dense fit in double rows too (a large rbf problem's are float32).
    monkeypatch.setattr("gdcore.discriminative.svm._base.FLOAT32_ROWS_FROM", 2**40)
    X = X.astype(dtype)
    kw = dict(kernel=kernel, coef0=-1.0 if kernel == "sigmoid" else 0.0)
    a, b = SVC(**kw).fit(X, y), SVC(**kw).fit(X.toarray(), y)
    assert sparse.isspmatrix_csr(a.support_vectors_) and sparse.isspmatrix_csr(a.dual_coef_)
    assert "_peer" not in vars(a)
    _assert_same_fit(a, b, 1e-6)
    np.testing.assert_array_equal(a.support_vectors_.toarray(), b.support_vectors_)
    np.testing.assert_allclose(a.decision_function(X), b.decision_function(X.toarray()),
                               atol=1e-6)
    # A sparse fit predicts dense rows too (as CSR, as scikit-learn's does).
    np.testing.assert_allclose(a.decision_function(X.toarray()), a.decision_function(X))
    z = X[:, 10].toarray().ravel() + (y % 3)
    r, s = SVR(**kw).fit(X, z), SVR(**kw).fit(X.toarray(), z)
    _assert_same_fit(r, s, 1e-6)
    np.testing.assert_allclose(r.predict(X), s.predict(X.toarray()), atol=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_sparse_fit_matches_sklearn_on_heart_scale(heart, kernel):
    """The sparse example file of libsvm, fitted by both on their sparse paths."""
    X, y = heart
    kw = dict(kernel=kernel, gamma=0.1, coef0=-1.0 if kernel == "sigmoid" else 0.0)
    ours, theirs = SVC(**kw).fit(X, y), sks.SVC(**kw).fit(X, y)
    _assert_same_fit(ours, theirs, 2e-3)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               atol=2e-3)
    if kernel == "linear":
        assert sparse.issparse(ours.coef_)
        np.testing.assert_allclose(ours.coef_.toarray(), theirs.coef_.toarray(), atol=2e-3)
    z = X[:, 0].toarray().ravel()
    r, s = SVR(**kw).fit(X, z), sks.SVR(**kw).fit(X, z)
    _assert_same_fit(r, s, 2e-3)
    np.testing.assert_allclose(r.predict(X), s.predict(X), atol=2e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_digits_match_sklearn(digits, dtype):
    X, y = digits
    X = X.astype(dtype)
    ours, theirs = SVC().fit(X, y), sks.SVC().fit(X, y)
    _assert_same_fit(ours, theirs, 1e-3)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_threads_change_no_sparse_answer(digits, monkeypatch):
    X, y = digits
    monkeypatch.setattr("gdcore.discriminative.svm._base.MIN_PARALLEL_PAIRS_WORK", 0)
    fits = [SVC(n_jobs=t).fit(X, y) for t in (1, 2)]
    _assert_same_fit(*fits, 0.0)
    np.testing.assert_array_equal(fits[0].decision_function(X), fits[1].decision_function(X))
    old = _svm.set_team_thresholds(1, 1)      # SVR's single problem on a team of 2
    try:
        z = X[:, 20].toarray().ravel()
        regs = [SVR(n_jobs=t).fit(X, z) for t in (1, 2)]
    finally:
        _svm.set_team_thresholds(*old)
    _assert_same_fit(*regs, 0.0)
    np.testing.assert_array_equal(regs[0].predict(X), regs[1].predict(X))


def test_sparse_edge_cases(caplog):
    # Duplicate entries are summed, as scipy reads them.
    X = sparse.csr_matrix((np.array([1.0, 2.0, 3.0, 1.0]), np.array([0, 0, 1, 2]),
                           np.array([0, 2, 2, 3, 4, 4])), shape=(5, 4))
    y = np.array([0, 1, 0, 1, 1])
    ours = SVC(kernel="linear", C=10).fit(X, y)
    theirs = sks.SVC(kernel="linear", C=10).fit(X.toarray(), y)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X.toarray()),
                               atol=1e-6)
    # An all-zero matrix: every kernel value is K(0, 0).
    Z = sparse.csr_matrix((4, 3))
    np.testing.assert_allclose(SVR().fit(Z, [0, 1, 2, 3]).predict(Z),
                               sks.SVR().fit(Z, [0, 1, 2, 3]).predict(Z))
    # SVR whose every coefficient is zero: empty sparse support vectors.
    Xt = sparse.csr_matrix([[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]])
    model = SVR(kernel="linear").fit(Xt, [0.04, 0.04, 0.10, 0.16])
    assert model.support_vectors_.shape == (0, 4) and model.dual_coef_.nnz == 0
    np.testing.assert_allclose(model.predict(Xt), model.intercept_[0])
    # A sparse precomputed kernel still goes to scikit-learn, which refuses it.
    with caplog.at_level(logging.DEBUG, logger="gdcore"):
        with pytest.raises(TypeError, match="Sparse precomputed"):
            SVC(kernel="precomputed").fit(sparse.csr_matrix(np.eye(2)), [0, 1])
    assert "sparse X with a precomputed or callable kernel" in caplog.text
    with pytest.raises(ValueError, match="overflow"):
        SVC().fit(sparse.csr_matrix(np.array([[1e300, 0], [0, 1.0]])), [0, 1])
    dense = SVC().fit(X.toarray(), y)
    with pytest.raises(ValueError, match="fit on sparse X"):
        dense.predict(X)


@pytest.mark.skipif(not sklearn_version_at_least("1.9"),
                    reason="probability is deprecated from scikit-learn 1.9")
def test_sparse_multiclass_coef_and_probability():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    Xs = sparse.csr_matrix(X)
    ours, theirs = SVC(kernel="linear").fit(Xs, y), sks.SVC(kernel="linear").fit(Xs, y)
    assert sparse.issparse(ours.coef_)
    np.testing.assert_allclose(ours.coef_.toarray(), theirs.coef_.toarray(), atol=1e-3)
    with pytest.raises(ValueError):
        ours.coef_.data[0] = 1.0
    with pytest.warns(FutureWarning):
        a = SVC(probability=True, random_state=0).fit(Xs, y)
    with pytest.warns(FutureWarning):
        b = SVC(probability=True, random_state=0).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(Xs), b.predict_proba(X), atol=1e-6)
