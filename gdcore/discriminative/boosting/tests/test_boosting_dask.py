"""HistGradientBoosting on a Dask cluster equals HistGradientBoosting on one machine.

Runs on the session's LocalCluster (``gdcore/tests/dask_fixtures.py``: 2
worker processes, 1 thread each).  The data are continuous (no two gains
tie), so the only difference from the in-memory fit is the order in which
the partitions' histograms are added: raw predictions agree to RTOL.
"""

import os

import numpy as np
import pytest

from gdcore.discriminative.boosting import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)

try:
    import dask.array as da
except ImportError:   # every test takes dask_client, which skips
    da = None

RTOL = 1e-10
PARAMS = dict(max_iter=5, early_stopping=False, random_state=0)


def _data(n=2000, d=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    X[rng.rand(n, d) < 0.05] = np.nan
    Z = np.nan_to_num(X)
    signal = Z[:, 0] + Z[:, 1] ** 2 - np.sin(Z[:, 2])
    targets = dict(binary=(signal + 0.3 * rng.randn(n) > 0.5).astype(int),
                   multiclass=np.digitize(signal + 0.3 * rng.randn(n), [0.0, 1.0]),
                   regression=signal + 0.1 * rng.randn(n))
    return X, targets, rng.rand(n) + 0.1


def _split(a, n_parts):
    chunk = -(-len(a) // n_parts)
    return da.from_array(a, chunks=(chunk,) + a.shape[1:])


def _assert_same(got, ref, X):
    np.testing.assert_allclose(got._raw_predict(X), ref._raw_predict(X), rtol=RTOL,
                               atol=RTOL * np.abs(ref._raw_predict(X)).max())
    assert got.n_iter_ == ref.n_iter_
    assert [t[0].get_n_leaf_nodes() for t in got._trees] == \
        [t[0].get_n_leaf_nodes() for t in ref._trees]


CASES = {
    "binary": (HistGradientBoostingClassifier, "binary", False, {}),
    "multiclass-balanced": (HistGradientBoostingClassifier, "multiclass", True,
                            dict(class_weight="balanced")),
    "regression-weighted": (HistGradientBoostingRegressor, "regression", True, {}),
    "regression-draws": (HistGradientBoostingRegressor, "regression", False,
                         dict(subsample=0.7, colsample_bytree=0.8, max_features=0.5)),
    "regression-constraints": (HistGradientBoostingRegressor, "regression", False,
                               dict(monotonic_cst=[1, 0, 0, 0, 0, -1],
                                    interaction_cst=[[0, 1], [2, 3, 4, 5]])),
    "poisson": (HistGradientBoostingRegressor, "poisson", False,
                dict(loss="poisson", max_depth=3)),
}


@pytest.mark.parametrize("case, n_parts", [("binary", 1), ("binary", 7)] +
                         [(case, 3) for case in CASES])
def test_fit_equals_in_memory(dask_client, case, n_parts):
    """Any number of partitions (one binary case on 1, 3 and 7), every option (on 3)."""
    cls, target, weighted, extra = CASES[case]
    X, targets, w = _data()
    y = np.exp(targets["regression"] / 3) if target == "poisson" else targets[target]
    sw = w if weighted else None
    ref = cls(**PARAMS, **extra).fit(X, y, sample_weight=sw)
    got = cls(**PARAMS, **extra).fit(_split(X, n_parts), _split(y, n_parts),
                                     sample_weight=None if sw is None else _split(sw, n_parts))
    _assert_same(got, ref, X)
    np.testing.assert_allclose(got._bin_mapper.bin_thresholds_[0],
                               ref._bin_mapper.bin_thresholds_[0])


def test_bins_from_the_in_memory_subsample(dask_client):
    """Above 200,000 rows the quantiles come from the same drawn rows (gathered by index)."""
    rng = np.random.RandomState(1)
    X = rng.rand(210_000, 2).astype(np.float32)
    y = X[:, 0] + rng.rand(len(X))
    params = dict(max_iter=2, max_leaf_nodes=4, early_stopping=False, random_state=3)
    ref = HistGradientBoostingRegressor(**params).fit(X, y)
    got = HistGradientBoostingRegressor(**params).fit(_split(X, 3), _split(y, 3))
    for a, b in zip(got._bin_mapper.bin_thresholds_, ref._bin_mapper.bin_thresholds_):
        np.testing.assert_array_equal(a, b)
    _assert_same(got, ref, X[:1000])


def test_dataframe_and_lazy_predictions(dask_client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, targets, _ = _data(n=600)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    y = targets["multiclass"]
    ref = HistGradientBoostingClassifier(**PARAMS).fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=3)
    got = HistGradientBoostingClassifier(**PARAMS).fit(
        ddf, dd.from_pandas(pd.Series(y), npartitions=3))
    assert list(got.feature_names_in_) == list("abcdef")
    _assert_same(got, ref, frame)
    for method in ("predict", "predict_proba", "decision_function"):
        lazy = getattr(got, method)(ddf)
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(lazy.compute(), getattr(ref, method)(X), rtol=RTOL,
                                   atol=1e-12)


def test_empty_partitions_are_skipped(dask_client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, targets, _ = _data(n=400, d=3)
    frame = pd.DataFrame(X, columns=list("abc")).assign(y=targets["regression"])
    # the last three of four partitions emptied
    ddf = dd.from_pandas(frame, npartitions=4).map_partitions(
        lambda p: p.iloc[:0] if p.index[0] > 0 else p)
    ref = HistGradientBoostingRegressor(**PARAMS).fit(frame[list("abc")][:100],
                                                      targets["regression"][:100])
    got = HistGradientBoostingRegressor(**PARAMS).fit(ddf[list("abc")], ddf["y"])
    _assert_same(got, ref, frame[list("abc")])
    empty = ddf.map_partitions(lambda p: p.iloc[:0])
    with pytest.raises(ValueError, match="no rows"):
        HistGradientBoostingRegressor(**PARAMS).fit(empty[list("abc")], empty["y"])


def test_regressor_predict_is_lazy(dask_client):
    X, targets, _ = _data(n=500)
    reg = HistGradientBoostingRegressor(**PARAMS).fit(_split(X, 2), _split(
        targets["regression"], 2))
    lazy = reg.predict(_split(X, 3))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), reg.predict(X))


def test_not_served_is_a_clear_error(dask_client):
    X, targets, _ = _data(n=300)
    Xd, yd = _split(X, 2), _split(targets["binary"], 2)
    with pytest.raises(ValueError, match="early_stopping=True"):
        HistGradientBoostingClassifier(early_stopping=True).fit(Xd, yd)
    with pytest.raises(ValueError, match="X_val"):
        HistGradientBoostingClassifier().fit(Xd, yd, X_val=X, y_val=targets["binary"])
    for loss in ("absolute_error", "quantile"):
        with pytest.raises(ValueError, match="not served"):
            HistGradientBoostingRegressor(loss=loss, quantile=0.5).fit(Xd, yd)
    with pytest.raises(ValueError, match="Categorical"):
        HistGradientBoostingClassifier(categorical_features=[0]).fit(Xd, yd)
    with pytest.raises(ValueError, match="requires y"):
        HistGradientBoostingClassifier().fit(Xd)
    with pytest.raises(ValueError, match="rows"):
        HistGradientBoostingClassifier().fit(Xd, _split(targets["binary"][:-1], 2))
    with pytest.raises(ValueError, match="poisson"):
        HistGradientBoostingRegressor(loss="poisson").fit(Xd, _split(-np.ones(300), 2))
    X[3, 1] = np.inf     # +-inf is binned as in memory: a fit, not an error
    HistGradientBoostingRegressor(max_iter=2).fit(_split(X, 2), yd)


def test_early_stopping_auto_is_off(dask_client):
    X, targets, _ = _data(n=12_000, d=3)
    got = HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(
        _split(X, 2), _split(targets["binary"], 2))
    assert got.do_early_stopping_ is False
    assert got.n_iter_ == 3


def test_worker_killed_mid_fit_is_a_clear_error(dask_client, monkeypatch):
    """A worker dying mid-fit takes its shards with it.

    The fit then either completes equal to the undisturbed fit (if no lost
    shard was needed) or raises a RuntimeError saying a worker was lost;
    never a different model.  The cluster recovers (the nanny restarts the
    worker) for the tests after this one.
    """
    from gdcore.discriminative.boosting import _dask as boosting_dask
    X, targets, _ = _data(n=1000)
    Xd, yd = _split(X, 4), _split(targets["binary"], 4)
    ref = HistGradientBoostingClassifier(**PARAMS).fit(X, targets["binary"])
    dask_client.wait_for_workers(2)
    before = set(dask_client.run(os.getpid).values())
    send = boosting_dask._Queue.send
    calls = []

    def send_then_kill(queue, *ops):
        calls.append(1)
        if len(calls) == 5:
            victim = sorted(queue.shards.workers)[0]
            try:
                dask_client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker ends before it answers
                pass
        return send(queue, *ops)

    monkeypatch.setattr(boosting_dask._Queue, "send", send_then_kill)
    try:
        got = HistGradientBoostingClassifier(**PARAMS).fit(Xd, yd)
    except RuntimeError as exc:
        assert "worker" in str(exc).lower() and "lost" in str(exc)
    else:
        _assert_same(got, ref, X)
    finally:
        dask_client.wait_for_workers(2, timeout=120)
    assert len(calls) >= 5
    assert set(dask_client.run(os.getpid).values()) != before
