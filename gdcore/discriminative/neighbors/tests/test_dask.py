"""k-nearest neighbours on a Dask cluster: the same neighbours as on one machine.

Runs on the session's LocalCluster (``gdcore/tests/dask_fixtures.py``);
skipped only when dask is not installed.
"""

import numpy as np
import pytest

from gdcore.discriminative.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
)

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install 'gdcore[dask]')")


def _data(n=700, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[100:110] = X[0]             # exact ties across shards: the lower index wins
    return X, rng.normal(size=(90, d))


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cosine", "manhattan"])
def test_same_neighbours_as_one_machine(dask_client, metric):
    X, Q = _data()
    Q[:3] = X[0]
    ref = NearestNeighbors(n_neighbors=7, metric=metric).fit(X)
    got = NearestNeighbors(n_neighbors=7, metric=metric).fit(
        da.from_array(X, chunks=(160, 5)).persist())
    dist, ind = got.kneighbors(da.from_array(Q, chunks=(40, 5)))
    assert isinstance(ind, da.Array)
    ref_dist, ref_ind = ref.kneighbors(Q)
    np.testing.assert_array_equal(ind.compute(), ref_ind)
    np.testing.assert_allclose(dist.compute(), ref_dist, rtol=1e-12, atol=1e-15)
    # in-memory queries on the model fitted on the cluster
    np.testing.assert_array_equal(got.kneighbors(Q, return_distance=False), ref_ind)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_classifier_and_regressor(dask_client, weights):
    X, Q = _data()
    rng = np.random.default_rng(4)
    labels = rng.choice(np.array(["x", "y", "z"]), size=len(X))
    target = rng.normal(size=len(X))
    Xd = da.from_array(X, chunks=(200, 5)).persist()
    Qd = da.from_array(Q, chunks=(50, 5))
    ref = KNeighborsClassifier(5, weights=weights).fit(X, labels)
    got = KNeighborsClassifier(5, weights=weights).fit(Xd, da.from_array(labels, chunks=200))
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    np.testing.assert_allclose(got.predict_proba(Qd).compute(), ref.predict_proba(Q),
                               rtol=1e-12)
    np.testing.assert_array_equal(got.predict(Qd).compute(), ref.predict(Q))
    ref = KNeighborsRegressor(5, weights=weights).fit(X, target)
    got = KNeighborsRegressor(5, weights=weights).fit(Xd, da.from_array(target, chunks=200))
    np.testing.assert_allclose(got.predict(Qd).compute(), ref.predict(Q), rtol=1e-12)


def test_unserved_calls_are_clear_errors(dask_client):
    X, Q = _data(n=100)
    got = NearestNeighbors(n_neighbors=3).fit(da.from_array(X, chunks=30))
    with pytest.raises(ValueError, match="X=None"):
        got.kneighbors()
    with pytest.raises(ValueError, match="compiled kernels only"):
        NearestNeighbors(metric="hamming").fit(da.from_array(X, chunks=30))
    # a refit in memory drops the model fitted on the cluster
    got.fit(X)
    np.testing.assert_array_equal(got.kneighbors(Q[:5])[1],
                                  NearestNeighbors(n_neighbors=3).fit(X).kneighbors(Q[:5])[1])
