"""Random forests and extra trees on a Dask cluster (``gdcore/discriminative/tree/_dask.py``).

Runs on the session's LocalCluster (``gdcore/tests/dask_fixtures.py``: 2
worker processes, 1 thread each).  ``LOCAL_ROWS`` is lowered so the small
datasets grow their top levels from summed shard histograms, not only as
subtrees on one worker.  The contract tested:

- nothing drawn (no feature draws, no ExtraTrees cuts): the trees are the
  in-memory trees, node for node, when the sums are exact (classes with
  integer weights, integer targets), bootstrap or not;
- any configuration: the same forest, node for node, for 1, 2 and 5
  partitions;
- test accuracy within ``MARGIN`` of the in-memory forest's on real data.
"""

import os

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_classification

from gdcore.discriminative.tree import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

try:
    import dask.array as da
except ImportError:   # every test takes dask_client, which skips
    da = None

# Test accuracy of a Dask-fitted forest (drawn features: not the in-memory
# trees) against the in-memory forest's, same parameters.
MARGIN = 0.02
FIELDS = ("children_left", "children_right", "feature", "threshold", "missing_go_to_left",
          "n_node_samples", "weighted_n_node_samples", "impurity", "value")


@pytest.fixture(autouse=True)
def _small_local_rows(monkeypatch):
    from gdcore.discriminative.tree import _dask_grow
    monkeypatch.setattr(_dask_grow, "LOCAL_ROWS", 150)


def _parts(a, n_parts):
    chunk = -(-len(a) // n_parts)
    return da.from_array(a, chunks=(chunk,) + a.shape[1:])


def _assert_same_trees(got, ref):
    assert len(got.estimators_) == len(ref.estimators_)
    for g, r in zip(got.estimators_, ref.estimators_):
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(g.tree_, name), getattr(r.tree_, name),
                                          err_msg=name)
        assert g.tree_.max_depth == r.tree_.max_depth


def _digits():
    X, y = load_digits(return_X_y=True)
    X = X.copy()
    X[np.random.RandomState(0).rand(*X.shape) < 0.03] = np.nan
    return X, y


@pytest.mark.parametrize("bootstrap", [False, True])
@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_classifier_drawing_nothing_equals_in_memory(dask_client, bootstrap, criterion):
    X, y = _digits()
    w = np.random.RandomState(1).randint(0, 4, len(y)).astype(float)
    params = dict(n_estimators=3, max_features=None, bootstrap=bootstrap,
                  criterion=criterion, min_samples_leaf=2, random_state=0)
    ref = RandomForestClassifier(**params).fit(X, y, sample_weight=w)
    got = RandomForestClassifier(**params).fit(_parts(X, 3), _parts(y, 3),
                                               sample_weight=_parts(w, 3))
    _assert_same_trees(got, ref)
    np.testing.assert_array_equal(got.predict_proba(X), ref.predict_proba(X))
    np.testing.assert_array_equal(got.feature_importances_, ref.feature_importances_)
    for a, b in zip(got.estimators_samples_, ref.estimators_samples_):
        np.testing.assert_array_equal(a, b)


def test_regressor_drawing_nothing_equals_in_memory(dask_client):
    X, y = _digits()
    y = y.astype(float) * 3 - 7   # integer targets: every sum exact, in any order
    params = dict(n_estimators=3, max_features=None, bootstrap=True, random_state=0,
                  max_depth=9)
    ref = RandomForestRegressor(**params).fit(X, y)
    got = RandomForestRegressor(**params).fit(_parts(X, 4), _parts(y, 4))
    _assert_same_trees(got, ref)
    np.testing.assert_array_equal(got.predict(X), ref.predict(X))


CONFIGS = {
    "rf-classifier": (RandomForestClassifier, True, dict(max_features="sqrt")),
    "et-classifier-weighted": (ExtraTreesClassifier, True, dict(min_samples_leaf=3)),
    "rf-regressor-weighted": (RandomForestRegressor, False,
                              dict(max_features=0.3, min_weight_fraction_leaf=0.001,
                                   min_impurity_decrease=1e-4)),
    "et-regressor": (ExtraTreesRegressor, False, dict(bootstrap=True, max_samples=0.8,
                                                      max_depth=12)),
}


@pytest.mark.parametrize("config", CONFIGS)
def test_same_forest_for_any_partitioning(dask_client, config):
    cls, classifier, params = CONFIGS[config]
    X, y = _digits()
    rng = np.random.RandomState(2)
    if not classifier:
        y = np.nan_to_num(X[:, 20]) + 0.37 * y + 0.1 * rng.randn(len(y))
    w = rng.rand(len(y)) + 0.5 if "weighted" in config else None
    fits = [cls(n_estimators=4, random_state=0, **params).fit(
        _parts(X, p), _parts(y, p), sample_weight=None if w is None else _parts(w, p))
        for p in (1, 2, 5)]
    for other in fits[1:]:
        _assert_same_trees(other, fits[0])
    ref = cls(n_estimators=4, random_state=0, **params).fit(X, y, sample_weight=w)
    assert fits[0].score(X, y) > ref.score(X, y) - 0.05


@pytest.mark.parametrize("cls", [RandomForestClassifier, ExtraTreesClassifier])
def test_accuracy_matches_in_memory(dask_client, monkeypatch, cls):
    from gdcore.discriminative.tree import _dask_grow
    monkeypatch.setattr(_dask_grow, "LOCAL_ROWS", 2_000)
    X, y = make_classification(n_samples=20_000, n_features=20, n_informative=10,
                               random_state=0)
    Xtr, ytr, Xte, yte = X[:15_000], y[:15_000], X[15_000:], y[15_000:]
    ref = cls(n_estimators=10, random_state=0).fit(Xtr, ytr)
    got = cls(n_estimators=10, random_state=0).fit(_parts(Xtr, 4), _parts(ytr, 4))
    assert abs(got.score(Xte, yte) - ref.score(Xte, yte)) <= MARGIN
    Xb, yb = load_breast_cancer(return_X_y=True)
    ref = cls(n_estimators=20, random_state=0).fit(Xb[::2], yb[::2])
    got = cls(n_estimators=20, random_state=0).fit(_parts(Xb[::2], 3), _parts(yb[::2], 3))
    assert abs(got.score(Xb[1::2], yb[1::2]) - ref.score(Xb[1::2], yb[1::2])) <= MARGIN


def test_lazy_predictions_equal_numpy(dask_client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = _digits()
    clf = ExtraTreesClassifier(n_estimators=3, random_state=0).fit(_parts(X, 3), _parts(y, 3))
    Xd = _parts(X, 4)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        lazy = getattr(clf, method)(Xd)
        assert isinstance(lazy, da.Array)
        np.testing.assert_array_equal(lazy.compute(), getattr(clf, method)(X))
    frame = dd.from_pandas(pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]),
                           npartitions=3)
    reg = RandomForestRegressor(n_estimators=3, random_state=0).fit(
        frame, dd.from_pandas(pd.Series(y.astype(float)), npartitions=3))
    assert list(reg.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(reg.predict(frame).compute(), reg.predict(frame.compute()))


def test_without_a_client_same_forest(dask_client):
    import dask
    X, y = _digits()
    params = dict(n_estimators=3, random_state=0)
    on_cluster = RandomForestClassifier(**params).fit(_parts(X, 3), _parts(y, 3))
    with dask.config.set(scheduler="synchronous"):
        local = RandomForestClassifier(**params).fit(_parts(X, 3), _parts(y, 3))
    _assert_same_trees(local, on_cluster)


@pytest.mark.parametrize("params, match", [
    (dict(max_leaf_nodes=8), "max_leaf_nodes"),
    (dict(oob_score=True), "oob_score"),
    (dict(warm_start=True), "warm_start"),
    (dict(class_weight="balanced"), "class_weight"),
    (dict(max_bins=None), "max_bins"),
    (dict(monotonic_cst=[1] + [0] * 63), "monotonic_cst"),
])
def test_not_served_is_a_clear_error(dask_client, params, match):
    X, y = _digits()
    with pytest.raises(ValueError, match=match):
        RandomForestClassifier(n_estimators=2, **params).fit(_parts(X, 2), _parts(y, 2))
    with pytest.raises(ValueError, match="poisson"):
        RandomForestRegressor(n_estimators=2, criterion="poisson").fit(
            _parts(X, 2), _parts(y.astype(float), 2))
    with pytest.raises(ValueError, match="one output"):
        RandomForestRegressor(n_estimators=2).fit(_parts(X, 2), _parts(np.c_[y, y], 2))


def test_worker_killed_mid_fit_is_a_clear_error(dask_client, monkeypatch):
    """A worker dying mid-fit takes its shards with it.

    The fit either completes equal to the undisturbed fit or raises a
    RuntimeError saying a worker was lost; never a different forest.  The
    nanny restarts the worker for the tests after this one.
    """
    from gdcore.discriminative.tree import _dask as tree_dask
    X, y = _digits()
    params = dict(n_estimators=4, random_state=0)
    ref = RandomForestClassifier(**params).fit(_parts(X, 4), _parts(y, 4))
    dask_client.wait_for_workers(2)
    before = set(dask_client.run(os.getpid).values())
    run = tree_dask._Shards.run
    calls = []

    def run_then_kill(shards, ops):
        calls.append(1)
        if len(calls) == 3:
            victim = sorted(shards.workers)[0]
            try:
                dask_client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker ends before it answers
                pass
        return run(shards, ops)

    monkeypatch.setattr(tree_dask._Shards, "run", run_then_kill)
    try:
        got = RandomForestClassifier(**params).fit(_parts(X, 4), _parts(y, 4))
    except RuntimeError as exc:
        assert "worker" in str(exc).lower() and "lost" in str(exc)
    else:
        _assert_same_trees(got, ref)
    finally:
        dask_client.wait_for_workers(2, timeout=120)
    assert len(calls) >= 3
    assert set(dask_client.run(os.getpid).values()) != before
