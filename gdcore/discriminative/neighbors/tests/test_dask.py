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
    with pytest.raises(ValueError, match="excluded from its own neighbours"):
        got.kneighbors(n_neighbors=100)
    with pytest.raises(ValueError, match="compiled kernels only"):
        NearestNeighbors(metric="hamming").fit(da.from_array(X, chunks=30))
    # a refit in memory drops the model fitted on the cluster
    got.fit(X)
    np.testing.assert_array_equal(got.kneighbors(Q[:5])[1],
                                  NearestNeighbors(n_neighbors=3).fit(X).kneighbors(Q[:5])[1])


def test_training_rows_as_queries(dask_client):
    X, _ = _data()
    X[200:215] = X[3]            # more duplicates than k: scikit-learn's rule for X=None
    ref = NearestNeighbors(n_neighbors=6).fit(X)
    got = NearestNeighbors(n_neighbors=6).fit(da.from_array(X, chunks=(160, 5)))
    dist, ind = got.kneighbors()
    assert isinstance(ind, da.Array)
    ref_dist, ref_ind = ref.kneighbors()
    np.testing.assert_array_equal(ind.compute(), ref_ind)
    np.testing.assert_allclose(dist.compute(), ref_dist, rtol=1e-12, atol=1e-15)
    labels = np.arange(len(X)) % 3
    ref = KNeighborsClassifier(4).fit(X, labels)
    got = KNeighborsClassifier(4).fit(da.from_array(X, chunks=(160, 5)),
                                      da.from_array(labels, chunks=160))
    np.testing.assert_array_equal(got.predict(None).compute(), ref.predict(None))


@pytest.mark.parametrize("sort_results", [False, True])
def test_radius_neighbors_and_graphs(dask_client, sort_results):
    X, Q = _data()
    ref = NearestNeighbors(n_neighbors=4, radius=1.2).fit(X)
    got = NearestNeighbors(n_neighbors=4, radius=1.2).fit(da.from_array(X, chunks=(160, 5)))
    Qd = da.from_array(Q, chunks=(40, 5))
    radius = np.linspace(0.5, 1.5, len(Q))
    for args in [(Qd,), (Qd, radius), (None,)]:
        dist, ind = got.radius_neighbors(*args, sort_results=sort_results)
        query = Q if args[0] is not None else None
        ref_dist, ref_ind = ref.radius_neighbors(query, *args[1:], sort_results=sort_results)
        assert len(ind) == len(ref_ind) and sum(len(i) for i in ind) > len(ind)
        for a, b in zip(ind, ref_ind):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(dist, ref_dist):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    graph = got.radius_neighbors_graph(Q, mode="distance", sort_results=sort_results)
    ref_graph = ref.radius_neighbors_graph(Q, mode="distance", sort_results=sort_results)
    assert (graph != ref_graph).nnz == 0
    for query, mode in [(Qd, "connectivity"), (Q, "distance"), (None, "distance")]:
        graph = got.kneighbors_graph(query, mode=mode)
        ref_graph = ref.kneighbors_graph(None if query is None else Q, mode=mode)
        np.testing.assert_array_equal(graph.indices, ref_graph.indices)
        np.testing.assert_allclose(graph.toarray(), ref_graph.toarray(), rtol=1e-12)
    with pytest.raises(ValueError, match="Unsupported mode"):
        got.kneighbors_graph(Qd, mode="weights")
    with pytest.raises(ValueError, match="one radius per query"):
        got.radius_neighbors(Qd, radius[:5])


def test_shard_tells_dask_its_size():
    # Sized by its arrays, the scheduler sends query blocks to the shard, not the shard away.
    from dask.sizeof import sizeof

    from gdcore.discriminative.neighbors._dask import _fit_shard, _template
    X, _ = _data()
    shard = _fit_shard(_template(NearestNeighbors()), X, np.arange(len(X)))
    assert sizeof(shard) >= X.nbytes + shard.labels_.nbytes
    np.testing.assert_array_equal(shard.kneighbors(X[:5], 3)[1],
                                  NearestNeighbors().fit(X).kneighbors(X[:5], 3)[1])
