"""The neighbour estimators against scikit-learn's brute force, and bad input.

Tolerances against scikit-learn: distances rtol 1e-10 in float64 and 1e-5 in
float32 (scikit-learn computes float32 Euclidean distances through a float64
gemm trick, we recompute them exactly, so they differ by rounding only).
Indices equal scikit-learn's wherever the distances in a row are distinct;
on tied rows (iris and digits have many exact ties) they equal the NumPy
reference, which breaks ties by index.
"""

import pickle
import tracemalloc

import numpy as np
import pytest
import sklearn.neighbors as skn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits, load_iris

import gdcore
from gdcore.discriminative.neighbors import _base
from gdcore.discriminative.neighbors import _reference as ref

METRICS = ["euclidean", "sqeuclidean", "manhattan", "chebyshev", "minkowski", "cosine"]
REF_CODE = {"euclidean": ref.METRIC_SQEUCLIDEAN, "sqeuclidean": ref.METRIC_SQEUCLIDEAN,
            "cosine": ref.METRIC_COSINE, "manhattan": ref.METRIC_MANHATTAN,
            "chebyshev": ref.METRIC_CHEBYSHEV, "minkowski": ref.METRIC_MINKOWSKI}


def _datasets():
    X_iris, y_iris = load_iris(return_X_y=True)
    X_dig, y_dig = load_digits(return_X_y=True)
    return {"iris": (X_iris, y_iris), "digits": (X_dig[:600], y_dig[:600])}


DATASETS = _datasets()


def _rtol(dtype):
    return 1e-5 if np.dtype(dtype) == np.float32 else 1e-10


def _reference_kneighbors(X, Q, metric, k, exclude_self):
    dist = np.empty((len(Q), k))
    ind = np.empty((len(Q), k), dtype=np.intp)
    status = (ref.kneighbors_direct(Q, X, REF_CODE[metric], 3.0, exclude_self, dist, ind, 1)
              if metric in ("manhattan", "chebyshev", "minkowski")
              else ref.kneighbors_gemm(Q, X, Q, X, None, REF_CODE[metric], exclude_self,
                                       dist, ind, 1))
    assert status == 0
    return np.sqrt(dist) if metric == "euclidean" else dist, ind


def _assert_same_neighbours(dist, ind, d_true, i_true, tol):
    """Check the same neighbours as (d_true, i_true), which hold one column more than ind.

    Positions whose true distance is within ``tol`` of another one are ties
    up to rounding (iris' 5.1 - 4.9 is not exact in binary), which any order
    of summation may resolve either way; every other position must match.
    """
    k = ind.shape[1]
    gaps = np.diff(d_true, axis=1) > tol             # (n, k): gap after column j
    isolated = gaps[:, :k] & np.hstack([np.ones((len(ind), 1), bool), gaps[:, :k - 1]])
    np.testing.assert_array_equal(ind[isolated], i_true[:, :k][isolated])
    np.testing.assert_allclose(dist, d_true[:, :k], rtol=tol, atol=tol)
    assert (np.diff(dist, axis=1) >= 0).all()


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("name", list(DATASETS))
def test_kneighbors_equals_sklearn_brute(name, metric, dtype):
    X, _ = DATASETS[name]
    X = X.astype(dtype)
    kw = {"p": 3} if metric == "minkowski" else {}
    ours = gdcore.NearestNeighbors(n_neighbors=6, metric=metric, **kw).fit(X)
    theirs = skn.NearestNeighbors(n_neighbors=6, metric=metric, algorithm="brute", **kw).fit(X)
    for Q, exclude in ((None, True), (X[::5], False)):
        d_o, i_o = ours.kneighbors(Q)
        d_t, i_t = theirs.kneighbors(Q)
        np.testing.assert_allclose(d_o, d_t, rtol=_rtol(dtype), atol=1e-6)
        d_r, i_r = _reference_kneighbors(X, X if Q is None else Q, metric, 7, exclude)
        _assert_same_neighbours(d_o, i_o, d_r, i_r, 1e-6)
        _assert_same_neighbours(d_t, i_t, d_r, i_r, 1e-6)


@pytest.mark.parametrize("metric", METRICS)
def test_random_data_indices_equal_sklearn(metric, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((700, 12)).astype(dtype)
    Q = rng.standard_normal((90, 12)).astype(dtype)
    kw = {"p": 3} if metric == "minkowski" else {}
    d_o, i_o = gdcore.NearestNeighbors(n_neighbors=9, metric=metric, **kw).fit(X).kneighbors(Q)
    d_t, i_t = skn.NearestNeighbors(n_neighbors=9, metric=metric, algorithm="brute",
                                    **kw).fit(X).kneighbors(Q)
    np.testing.assert_array_equal(i_o, i_t)
    np.testing.assert_allclose(d_o, d_t, rtol=_rtol(dtype), atol=1e-6)


def _continuous(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(int) + (X[:, 1] > 1)
    return X, y


def _inverse_square(dist):
    return 1.0 / (1.0 + dist**2)


@pytest.mark.parametrize("weights", ["uniform", "distance", _inverse_square])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_classifier_and_regressor_equal_sklearn(weights, metric):
    X, y = _continuous()
    Xq = X[::3] + 0.01
    kw = dict(n_neighbors=7, weights=weights, metric=metric)
    clf = gdcore.KNeighborsClassifier(**kw).fit(X, y)
    sk_clf = skn.KNeighborsClassifier(algorithm="brute", **kw).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(Xq), sk_clf.predict_proba(Xq), atol=1e-12)
    np.testing.assert_array_equal(clf.predict(Xq), sk_clf.predict(Xq))
    assert clf.score(Xq, y[::3]) == sk_clf.score(Xq, y[::3])
    reg = gdcore.KNeighborsRegressor(**kw).fit(X, X[:, 2])
    sk_reg = skn.KNeighborsRegressor(algorithm="brute", **kw).fit(X, X[:, 2])
    np.testing.assert_allclose(reg.predict(Xq), sk_reg.predict(Xq), rtol=1e-10)


@pytest.mark.parametrize("name", list(DATASETS))
def test_classifier_on_real_data(name):
    X, y = DATASETS[name]
    for weights in ("uniform", "distance"):
        ours = gdcore.KNeighborsClassifier(weights=weights).fit(X, y)
        theirs = skn.KNeighborsClassifier(weights=weights, algorithm="brute").fit(X, y)
        # Tied neighbour sets may differ in which tied point is taken; the
        # votes may then differ on a handful of rows, the accuracy barely.
        agree = (ours.predict(X) == theirs.predict(X)).mean()
        assert agree >= 0.99
        assert abs(ours.score(X, y) - theirs.score(X, y)) <= 0.01


def test_multi_output():
    X, y = _continuous()
    Y = np.stack([y, (X[:, 3] > 0).astype(int)], axis=1)
    ours = gdcore.KNeighborsClassifier(n_neighbors=4).fit(X, Y)
    theirs = skn.KNeighborsClassifier(n_neighbors=4, algorithm="brute").fit(X, Y)
    np.testing.assert_array_equal(ours.predict(X[:50]), theirs.predict(X[:50]))
    for a, b in zip(ours.predict_proba(X[:50]), theirs.predict_proba(X[:50])):
        np.testing.assert_allclose(a, b)
    R = X[:, 2:4]
    np.testing.assert_allclose(gdcore.KNeighborsRegressor().fit(X, R).predict(X[:50]),
                               skn.KNeighborsRegressor().fit(X, R).predict(X[:50]))


@pytest.mark.parametrize("mode", ["connectivity", "distance"])
def test_kneighbors_graph(mode):
    X, _ = _continuous(200)
    ours = gdcore.NearestNeighbors(n_neighbors=4).fit(X)
    theirs = skn.NearestNeighbors(n_neighbors=4).fit(X)
    for Q in (None, X[:30]):
        a = ours.kneighbors_graph(Q, mode=mode).toarray()
        b = theirs.kneighbors_graph(Q, mode=mode).toarray()
        np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine", "minkowski"])
def test_radius_neighbors(metric):
    X, _ = _continuous(300, 3)
    radius = 0.1 if metric == "cosine" else 0.6
    kw = {"p": 3} if metric == "minkowski" else {}
    ours = gdcore.NearestNeighbors(radius=radius, metric=metric, **kw).fit(X)
    theirs = skn.NearestNeighbors(radius=radius, metric=metric, algorithm="brute", **kw).fit(X)
    for Q in (None, X[:40] + 0.05):
        d_o, i_o = ours.radius_neighbors(Q, sort_results=True)
        d_t, i_t = theirs.radius_neighbors(Q, sort_results=True)
        for a, b, c, e in zip(d_o, d_t, i_o, i_t):
            np.testing.assert_array_equal(c, e)
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    g_o = ours.radius_neighbors_graph(X[:40], mode="distance").toarray()
    g_t = theirs.radius_neighbors_graph(X[:40], mode="distance").toarray()
    np.testing.assert_allclose(g_o, g_t, rtol=1e-10, atol=1e-12)


def test_precomputed_equals_euclidean():
    X, y = _continuous(150)
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    pre = gdcore.KNeighborsClassifier(n_neighbors=5, metric="precomputed").fit(D, y)
    direct = gdcore.KNeighborsClassifier(n_neighbors=5).fit(X, y)
    d_p, i_p = pre.kneighbors(D[:20])
    d_e, i_e = direct.kneighbors(X[:20])
    np.testing.assert_array_equal(i_p, i_e)
    np.testing.assert_allclose(d_p, d_e, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(pre.kneighbors()[1], direct.kneighbors()[1])
    np.testing.assert_array_equal(pre.predict(D[:20]), direct.predict(X[:20]))


def test_float32_stays_float32_and_matches_float64():
    X, _ = _continuous(300)
    d32, i32 = gdcore.NearestNeighbors().fit(X.astype(np.float32)).kneighbors(
        X[:20].astype(np.float32))
    d64, i64 = gdcore.NearestNeighbors().fit(X).kneighbors(X[:20])
    assert d32.dtype == np.float32 and d64.dtype == np.float64
    np.testing.assert_allclose(d32, d64, rtol=1e-5)


def test_n_jobs_does_not_change_the_answer():
    X, y = _continuous(500)
    a = gdcore.NearestNeighbors(n_jobs=1).fit(X).kneighbors(X[:300])
    b = gdcore.NearestNeighbors(n_jobs=2).fit(X).kneighbors(X[:300])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], b[0])


@pytest.mark.parametrize("cls", [gdcore.KNeighborsClassifier, gdcore.KNeighborsRegressor])
def test_pickle_round_trip(cls):
    X, y = _continuous(120)
    est = cls(n_neighbors=3, weights="distance").fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    np.testing.assert_array_equal(again.kneighbors(X)[1], est.kneighbors(X)[1])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), d=st.integers(1, 5), k=st.integers(1, 6),
       metric=st.sampled_from(METRICS), seed=st.integers(0, 2**31 - 1))
def test_property_equals_reference(n, d, k, metric, seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, (n, d)).astype(np.float64)  # small integers: many ties
    k = min(k, n)
    Q = rng.integers(-3, 4, (7, d)).astype(np.float64)
    kw = {"p": 3} if metric == "minkowski" else {}
    dist, ind = gdcore.NearestNeighbors(n_neighbors=k, metric=metric, **kw).fit(X).kneighbors(Q)
    d_r, i_r = _reference_kneighbors(X, Q, metric, k, False)
    np.testing.assert_array_equal(ind, i_r)
    np.testing.assert_allclose(dist, d_r, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ bad input
def _fitted(**kw):
    X, y = _continuous(30, 3)
    return gdcore.KNeighborsClassifier(**kw).fit(X, y), X


@pytest.mark.parametrize("k", [31, 100])
def test_k_larger_than_n_samples(k):
    est, X = _fitted()
    with pytest.raises(ValueError, match="n_neighbors <= n_samples_fit"):
        est.kneighbors(X, n_neighbors=k)
    with pytest.raises(ValueError, match="n_neighbors <= n_samples_fit"):
        est.kneighbors(None, n_neighbors=30)  # 29 others once itself is excluded


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_k_not_positive_integer(k):
    est, X = _fitted()
    with pytest.raises(ValueError, match="n_neighbors must be a positive integer"):
        est.kneighbors(X, n_neighbors=k)
    if k is True:
        return  # an Integral to scikit-learn's fit-time constraint
    with pytest.raises(ValueError, match="'n_neighbors' parameter of NearestNeighbors"):
        gdcore.NearestNeighbors(n_neighbors=k).fit(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_rejected(bad):
    est, X = _fitted()
    Xb = X.copy()
    Xb[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        gdcore.NearestNeighbors().fit(Xb)
    with pytest.raises(ValueError, match="NaN|infinity"):
        est.kneighbors(Xb)


def test_dimension_mismatch_and_empty_query():
    est, X = _fitted()
    with pytest.raises(ValueError, match="features"):
        est.kneighbors(X[:, :2])
    with pytest.raises(ValueError, match="0 sample"):
        est.kneighbors(X[:0])
    with pytest.raises(ValueError, match="0 sample"):
        gdcore.NearestNeighbors().fit(X[:0])


@pytest.mark.parametrize("params,match", [
    ({"metric": "nonsense"}, "'metric' parameter"),
    ({"p": 0}, "'p' parameter"),
    ({"p": -1.0}, "'p' parameter"),
    ({"algorithm": "annoy"}, "'algorithm' parameter"),
    ({"leaf_size": 0}, "'leaf_size' parameter"),
    ({"weights": "gaussian"}, "'weights' parameter"),
    ({"n_jobs": 0}, "n_jobs == 0"),
    ({"n_neighbors": 2**40}, "more than any database"),
    ({"p": 0.5, "algorithm": "kd_tree"}, "does not support 0 < p < 1"),
    ({"metric": "cosine", "algorithm": "kd_tree"}, "Metric 'cosine' not valid"),
])
def test_bad_parameters(params, match):
    X, y = _continuous(30, 3)
    with pytest.raises(ValueError, match=match):
        gdcore.KNeighborsClassifier(**params).fit(X, y)


def test_one_class_and_callable_weights_of_wrong_shape():
    X, y = _continuous(30, 3)
    proba = gdcore.KNeighborsClassifier(n_neighbors=3).fit(X, np.zeros(30)).predict_proba(X)
    np.testing.assert_array_equal(proba, 1.0)  # one class, as scikit-learn does
    est = gdcore.KNeighborsClassifier(weights=lambda d: d[:, 0]).fit(X, y)
    with pytest.raises(ValueError, match="weights callable must return"):
        est.predict(X)


def test_precomputed_bad_input():
    D = np.abs(np.random.default_rng(0).standard_normal((10, 10)))
    with pytest.raises(ValueError, match="square distance matrix"):
        gdcore.NearestNeighbors(metric="precomputed").fit(D[:, :5])
    with pytest.raises(ValueError, match="Negative values"):
        gdcore.NearestNeighbors(metric="precomputed").fit(-D)
    est = gdcore.NearestNeighbors(metric="precomputed", n_neighbors=2).fit(D)
    with pytest.raises(ValueError, match="features|one column per training"):
        est.kneighbors(D[:, :4])


def test_graph_and_radius_bad_arguments():
    est, X = _fitted()
    with pytest.raises(ValueError, match="Unsupported mode, must be one of"):
        est.kneighbors_graph(X, mode="weights")
    with pytest.raises(ValueError, match="radius must be a non-negative number"):
        est.radius_neighbors(X, radius=-1.0)
    with pytest.raises(ValueError, match="radius must be a non-negative number"):
        est.radius_neighbors(X, radius=np.ones(3))
    with pytest.raises(ValueError, match="return_distance must be True"):
        est.radius_neighbors(X, sort_results=True, return_distance=False)


def test_float64_near_duplicates_are_resolved_exactly():
    # Neighbours 1e-9 apart: below the float32 tiles' resolution, so the
    # kernel's verification must send these queries to the exact rescan.
    rng = np.random.default_rng(7)
    X = rng.standard_normal((400, 5)) + 100.0
    X[1::2] = X[::2] + 1e-9 * rng.standard_normal((200, 5))
    Q = X[:60] + 1e-9 * rng.standard_normal((60, 5))
    dist, ind = gdcore.NearestNeighbors(n_neighbors=3).fit(X).kneighbors(Q)
    d_r, i_r = _reference_kneighbors(X, Q, "euclidean", 3, False)
    np.testing.assert_array_equal(ind, i_r)
    np.testing.assert_allclose(dist, d_r, rtol=1e-6)


@pytest.mark.parametrize("metric, offset, dtype", [
    ("euclidean", 0.0, np.float32), ("euclidean", 50.0, np.float32),
    ("cosine", 0.0, np.float32), ("euclidean", 0.0, np.float64)])
def test_fit_holds_no_copy_of_the_database(metric, offset, dtype):
    # The growth case (`gdcore bench --growth`, 800,000 x 64 float32) once
    # added a float64 copy of X at fit (the column variances of the shift
    # test).  tracemalloc sees NumPy's arrays: fit may add per-row vectors
    # and chunks of fixed size, never an array the size of X.
    X = np.random.default_rng(0).standard_normal((150_000, 64)).astype(dtype) + offset
    nn = gdcore.NearestNeighbors(n_neighbors=3, metric=metric)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        nn.fit(X)
        added = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    bound = 3 * _base._OPERAND_CHUNK_VALUES * 8 + 3 * 8 * len(X)
    assert added < min(bound, X.nbytes), f"fit added {added / 2**20:.1f} MB"
    d_r, i_r = _reference_kneighbors(X[:500], X[:20], metric, 4, False)
    dist, ind = nn.fit(X[:500]).kneighbors(X[:20], 4)
    np.testing.assert_array_equal(ind, i_r)
    np.testing.assert_allclose(dist, d_r, rtol=_rtol(dtype), atol=1e-6)


@pytest.mark.parametrize("offset", [0.0, 0.05, 0.2, 100.0])
def test_shift_rule_equals_the_variance_rule(offset):
    # The rule without a centered copy: the spread as mean row norm minus
    # the mean's norm decides as the column variances do.
    X = np.random.default_rng(1).standard_normal((5_000, 8)) + offset
    mean = X.mean(axis=0)
    centre = mean @ mean > _base._SHIFT_SHARE * X.var(axis=0).sum()
    shift = _base._useful_shift(mean, np.einsum("ij,ij->i", X, X))
    np.testing.assert_array_equal(shift, mean if centre else np.zeros(8))
    assert centre == (offset > 0.1)
