"""What the kernels do not serve goes to scikit-learn; scikit-learn's rules on the native path."""

import logging

import numpy as np
import pytest
import sklearn.neighbors as skn
from scipy import sparse
from sklearn.metrics import DistanceMetric

import gdcore


def _data(n=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, (X[:, 0] > 0).astype(int), X[:, 1] + 0.1 * X[:, 2]


FALLBACKS = [
    ({"metric": "mahalanobis", "metric_params": {"VI": np.eye(4)}}, False),
    ({"metric": "seuclidean", "metric_params": {"V": np.ones(4)}}, False),
    ({"metric": "minkowski", "p": 3, "metric_params": {"w": np.arange(1.0, 5.0)}}, False),
    ({"metric": DistanceMetric.get_metric("euclidean")}, False),
    ({"metric": lambda a, b: np.abs(a - b).sum()}, False),
    ({"metric": "canberra"}, False),
    ({"metric": "manhattan"}, True),                   # sparse X, not a CSR-kernel metric
    ({"metric": "cityblock"}, True),
]


def _x(X, as_sparse):
    return sparse.csr_matrix(X) if as_sparse else X


@pytest.mark.parametrize("params,as_sparse", FALLBACKS)
def test_fallback_fits_equal_sklearn(params, as_sparse, caplog):
    X, yc, yr = _data()
    Xf = _x(X, as_sparse)
    with caplog.at_level(logging.DEBUG, logger="gdcore"):
        nn = gdcore.NearestNeighbors(n_neighbors=4, **params).fit(Xf)
    assert "fitting through sklearn.neighbors.NearestNeighbors" in caplog.text
    want = skn.NearestNeighbors(n_neighbors=4, **params).fit(Xf)
    for got, ref in zip(nn.kneighbors(Xf[:10]), want.kneighbors(Xf[:10])):
        np.testing.assert_allclose(got, ref)
    np.testing.assert_array_equal(nn.kneighbors_graph(Xf[:5]).toarray(),
                                  want.kneighbors_graph(Xf[:5]).toarray())
    for name, y, method, kw in (("KNeighborsClassifier", yc, "predict_proba", {}),
                                ("KNeighborsRegressor", yr, "predict", {"weights": "distance"})):
        ref = getattr(skn, name)(n_neighbors=4, **kw, **params).fit(Xf, y)
        ours = getattr(gdcore, name)(n_neighbors=4, **kw, **params).fit(Xf, y)
        try:
            want = getattr(ref, method)(Xf)
        except TypeError as exc:  # scikit-learn's own limits are the same
            with pytest.raises(type(exc)):
                getattr(ours, method)(Xf)
            continue
        np.testing.assert_allclose(getattr(ours, method)(Xf), want)


def test_native_refit_drops_the_peer():
    X, yc, _ = _data()
    clf = gdcore.KNeighborsClassifier(metric="canberra").fit(X, yc)
    assert "_peer" in vars(clf)
    clf.set_params(metric="euclidean").fit(X, yc)
    assert "_peer" not in vars(clf)
    np.testing.assert_array_equal(clf.predict(X), skn.KNeighborsClassifier().fit(X, yc).predict(X))


def test_fitted_index_as_X():
    X, yc, _ = _data()
    def votes(index):
        return skn.KNeighborsClassifier(n_neighbors=3).fit(index, yc).predict_proba(X)

    for index, same in ((skn.KDTree(X), skn.KDTree(X)), (skn.BallTree(X), skn.BallTree(X)),
                        (gdcore.NearestNeighbors().fit(X), X),
                        (gdcore.NearestNeighbors(metric="canberra").fit(X),
                         skn.NearestNeighbors(metric="canberra").fit(X))):
        clf = gdcore.KNeighborsClassifier(n_neighbors=3).fit(index, yc)
        np.testing.assert_allclose(clf.predict_proba(X), votes(same))


def test_weights_none_is_uniform_and_zero_weights_raise():
    X, yc, yr = _data()
    np.testing.assert_array_equal(
        gdcore.KNeighborsClassifier(weights=None).fit(X, yc).predict_proba(X),
        gdcore.KNeighborsClassifier().fit(X, yc).predict_proba(X))
    for est, y in ((gdcore.KNeighborsClassifier, yc), (gdcore.KNeighborsRegressor, yr)):
        fitted = est(weights=lambda d: np.zeros_like(d)).fit(X, y)
        with pytest.raises(ValueError, match="All neighbors of some sample is getting zero"):
            fitted.predict(X)


def test_semimetric_p_warns_and_p_twice_warns():
    X, yc, _ = _data()
    with pytest.warns(UserWarning, match="Minkowski metrics are not distance metrics"):
        got = gdcore.KNeighborsClassifier(p=0.5).fit(X, yc).predict(X)
    with pytest.warns(UserWarning):
        want = skn.KNeighborsClassifier(p=0.5, algorithm="brute").fit(X, yc).predict(X)
    np.testing.assert_array_equal(got, want)
    with pytest.warns(SyntaxWarning, match="Parameter p is found in metric_params"):
        gdcore.NearestNeighbors(p=2, metric_params={"p": 1}).fit(X)


def test_duplicates_break_ties_as_sklearn():
    # scikit-learn drops the first of the k + 1 nearest when a point's
    # duplicates of lower index push it out of them.
    X = np.ones((3, 1))
    dist, ind = gdcore.NearestNeighbors(n_neighbors=1).fit(X).kneighbors()
    np.testing.assert_array_equal(ind, [[1], [0], [1]])
    np.testing.assert_array_equal(dist, 0)
    ind = gdcore.NearestNeighbors(n_neighbors=2).fit(np.zeros((5, 2))).kneighbors()[1]
    np.testing.assert_array_equal(ind, [[1, 2], [0, 2], [0, 1], [1, 2], [1, 2]])


def test_array_radius():
    X, _, _ = _data()
    radius = np.linspace(0.5, 2.0, len(X))
    got = gdcore.NearestNeighbors().fit(X).radius_neighbors(X, radius=radius,
                                                             sort_results=True)
    want = skn.NearestNeighbors().fit(X).radius_neighbors(X, radius=radius, sort_results=True)
    for a, b in zip(got[1], want[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("metric", ["euclidean", "minkowski", "cosine"])
def test_overflowing_values_are_refused_naming_the_column(metric):
    X, yc, _ = _data()
    X[7, 2] = 1e300
    with pytest.raises(ValueError, match="column 2"):
        gdcore.KNeighborsClassifier(metric=metric, p=3).fit(X, yc)
    est = gdcore.NearestNeighbors(metric=metric, p=3).fit(X[:5] * 0 + 1)
    with pytest.raises(ValueError, match="column 2"):
        est.kneighbors(X)


def test_manhattan_serves_huge_values():
    X, yc, _ = _data()
    X[7, 2] = 1e300
    dist, _ = gdcore.NearestNeighbors(metric="manhattan").fit(X).kneighbors(X)
    assert np.isfinite(dist).all()
