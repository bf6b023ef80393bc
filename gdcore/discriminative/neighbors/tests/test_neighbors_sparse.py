"""Sparse CSR X served by gdcore's own kernel (euclidean, cosine): the text-search case."""

import logging

import numpy as np
import pytest
import sklearn.neighbors as skn
from scipy import sparse

from gdcore.discriminative.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
    _neighbors,
    _neighbors_sparse,
)
from gdcore.discriminative.neighbors import _reference as ref

METRICS = [_neighbors.METRIC_SQEUCLIDEAN, _neighbors.METRIC_COSINE]


def _random_csr(n, d, density, dtype, seed):
    X = sparse.random(n, d, density=density, format="csr", dtype=np.float64,
                      random_state=seed).astype(dtype)
    X.indices = X.indices.astype(np.intc)
    X.indptr = X.indptr.astype(np.intc)
    X.sort_indices()
    return X


def _run(module, metric, Q, Y, k, exclude_self, n_threads):
    dist = np.empty((Q.shape[0], k), dtype=Q.dtype)
    ind = np.empty((Q.shape[0], k), dtype=np.intp)
    C = Y.tocsc()
    C.sort_indices()
    sq = np.asarray(Y.multiply(Y).sum(axis=1), dtype=np.float64).ravel()
    status = module.kneighbors_csr(Q.data, Q.indices, Q.indptr, Y.data, Y.indices, Y.indptr,
                                   C.data, C.indices.astype(np.intc),
                                   C.indptr.astype(np.intc), sq, metric, exclude_self,
                                   dist, ind, n_threads)
    assert status == 0
    return dist, ind


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (5, 30, 7, 3), (40, 700, 50, 12)], ids=str)
@pytest.mark.parametrize("exclude_self", [False, True])
def test_kernel_equals_reference(metric, shape, exclude_self, dtype, n_threads):
    nq, n, d, k = shape
    # Dense enough that no two rows are multiples of one another (exact cosine
    # ties would then be broken by the last bit of each side's rounding).
    Y = _random_csr(n, d, 0.5, dtype, seed=n)
    Q = Y[:nq] if exclude_self else _random_csr(nq, d, 0.5, dtype, seed=nq + 1)
    if exclude_self:
        Q, Y, k = Y, Y, min(k, n - 1)
        if k == 0:
            return
    d_k, i_k = _run(_neighbors_sparse, metric, Q, Y, k, exclude_self, n_threads)
    d_r, i_r = _run(ref, metric, Q, Y, k, exclude_self, n_threads)
    np.testing.assert_array_equal(i_k, i_r)
    np.testing.assert_allclose(d_k, d_r, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-12)


def test_kernel_ties_by_index_and_zero_rows(n_threads):
    # Duplicated rows and empty rows: equal distances everywhere.
    base = sparse.csr_matrix(np.array([[1.0, 0, 2], [0, 0, 0], [1, 0, 2], [0, 3, 0]]))
    Y = sparse.vstack([base] * 20, format="csr")
    Y.indices = Y.indices.astype(np.intc)
    Y.indptr = Y.indptr.astype(np.intc)
    for metric in METRICS:
        d_k, i_k = _run(_neighbors_sparse, metric, Y[:8], Y, 10, False, n_threads)
        d_r, i_r = _run(ref, metric, Y[:8], Y, 10, False, n_threads)
        np.testing.assert_array_equal(i_k, i_r)
        np.testing.assert_allclose(d_k, d_r, atol=1e-12)


def _tfidf_like(n, d, seed):
    """Rows with a few Zipf-distributed terms, l2-normalized (as TfidfVectorizer's)."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for i in range(n):
        terms = np.unique(np.minimum(rng.zipf(1.3, rng.integers(3, 30)), d) - 1)
        rows += [i] * len(terms)
        cols += list(terms)
    X = sparse.csr_matrix((rng.random(len(rows)) + 0.1, (rows, cols)), shape=(n, d))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = (sparse.diags(1 / norms) @ X).tocsr()
    X.sort_indices()   # scikit-learn's generic sparse metrics (l2) assume sorted rows
    return X


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "minkowski", "l2"])
def test_estimators_equal_sklearn_brute_without_fallback(metric, caplog):
    X = _tfidf_like(600, 400, 0).tocsr()
    Q = _tfidf_like(50, 400, 1).tocsr()
    y = np.arange(600) % 3
    with caplog.at_level(logging.DEBUG, logger="gdcore"):
        nn = NearestNeighbors(n_neighbors=7, metric=metric, n_jobs=2).fit(X)
        clf = KNeighborsClassifier(n_neighbors=7, metric=metric).fit(X, y)
        reg = KNeighborsRegressor(n_neighbors=7, metric=metric, weights="distance").fit(X, y)
    assert "fitting through" not in caplog.text
    want = skn.NearestNeighbors(n_neighbors=7, metric=metric, algorithm="brute").fit(X)
    for queries in (Q, None, Q.toarray()):
        got_d, got_i = nn.kneighbors(queries)
        ref_d, ref_i = want.kneighbors(queries)
        np.testing.assert_array_equal(got_i, ref_i)
        np.testing.assert_allclose(got_d, ref_d, atol=1e-7)
    sk_clf = skn.KNeighborsClassifier(n_neighbors=7, metric=metric, algorithm="brute")
    np.testing.assert_allclose(clf.predict_proba(Q), sk_clf.fit(X, y).predict_proba(Q))
    sk_reg = skn.KNeighborsRegressor(n_neighbors=7, metric=metric, weights="distance",
                                     algorithm="brute")
    np.testing.assert_allclose(reg.predict(Q), sk_reg.fit(X, y).predict(Q), rtol=1e-6)
    np.testing.assert_array_equal(nn.kneighbors_graph(Q).toarray(),
                                  want.kneighbors_graph(Q).toarray())


def test_float32_and_unsorted_duplicate_indices():
    # Non-canonical CSR (unsorted, duplicated entries) and float32 data.
    data = np.array([1.0, 2.0, 3.0, 1.0, 4.0], dtype=np.float32)
    indices = np.array([2, 0, 2, 1, 1])
    indptr = np.array([0, 3, 5, 5])
    X = sparse.csr_matrix((data, indices, indptr), shape=(3, 3))
    dense = X.toarray()
    nn = NearestNeighbors(n_neighbors=2).fit(X)
    got_d, got_i = nn.kneighbors(X)
    ref_d, ref_i = skn.NearestNeighbors(n_neighbors=2).fit(dense).kneighbors(dense)
    assert got_d.dtype == np.float32
    np.testing.assert_array_equal(got_i, ref_i)
    np.testing.assert_allclose(got_d, ref_d, rtol=1e-6)


def test_other_sparse_metrics_still_fall_back(caplog):
    X = _tfidf_like(50, 30, 2).tocsr()
    with caplog.at_level(logging.DEBUG, logger="gdcore"):
        nn = NearestNeighbors(n_neighbors=3, metric="manhattan").fit(X)
    assert "sparse X with metric 'manhattan'" in caplog.text
    want = skn.NearestNeighbors(n_neighbors=3, metric="manhattan").fit(X)
    np.testing.assert_array_equal(nn.kneighbors(X)[1], want.kneighbors(X)[1])


def test_sparse_overflow_is_refused():
    X = sparse.csr_matrix(np.array([[1e300, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="overflow"):
        NearestNeighbors(n_neighbors=1).fit(X)


def test_sparse_queries_on_a_dense_database():
    # scikit-learn's brute force searches them as dense rows; its trees refuse them.
    rng = np.random.default_rng(3)
    X, y = rng.random((30, 4)), rng.integers(0, 2, 30)
    Q = sparse.csr_matrix(X[:6])
    reg = KNeighborsRegressor(n_neighbors=3).fit(X, y)
    np.testing.assert_allclose(reg.predict(Q), reg.predict(X[:6]))
    for params in ({"algorithm": "kd_tree"}, {"metric": "precomputed"}):
        model = KNeighborsClassifier(n_neighbors=1, **params).fit(
            X if "algorithm" in params else X[:, :1] @ X[:, :1].T * 0 + 1, y[:30])
        with pytest.raises(ValueError, match="cannot search sparse queries"):
            model.predict(sparse.csr_matrix(np.ones((2, model.n_features_in_))))
