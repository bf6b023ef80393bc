"""The forest walk over one-byte codes (_tree_codes) equals its NumPy twin and the float walk."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from gdcore import RandomForestClassifier
from gdcore.discriminative.tree import _tree_codes, _tree_predict
from gdcore.discriminative.tree._reference import tree_codes
from gdcore.discriminative.tree._structure import CODE_NODE, PACKED_NODE
from gdcore.discriminative.tree.tests.test_tree_kernels import _forest_arrays

LEVELS = 8  # thresholds and values on a grid: rows land exactly on cuts


def _packed(splits, d, levels=LEVELS, seed=0):
    """Return a forest packed by pack_forest, its thresholds on a grid of 1 / levels."""
    args = _forest_arrays(splits, V=2, seed=seed)
    rng = np.random.default_rng(seed + 1)
    n = len(args[0])
    args[2] = rng.integers(0, d, n).astype(np.intp)
    args[3] = np.round(rng.normal(size=n) * levels) / levels
    args[3][rng.random(n) < 0.05] = np.inf      # the cut "all values left, NaN right"
    nodes, values = np.zeros(n, dtype=PACKED_NODE), np.zeros((n, 2))
    status = _tree_predict.pack_forest(*args, nodes, values, np.zeros(n, dtype=np.intp), 1)
    assert status == _tree_predict.STATUS_OK
    return nodes, args[6], values


def _codes_both(nodes, roots, d, n_threads):
    outs = []
    for pack in (_tree_codes.pack_codes, tree_codes.pack_codes):
        cuts, n_cuts = np.zeros((d, _tree_codes.CUTS_MAX)), np.zeros(d, dtype=np.intc)
        coded = np.zeros(len(nodes), dtype=CODE_NODE)
        outs.append((pack(nodes, roots, cuts, n_cuts, coded, n_threads), cuts, n_cuts, coded))
    return outs


def _rows(n, d, dtype, missing, seed=3):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, d)) * LEVELS) / LEVELS
    X[rng.random((n, d)) < missing] = np.nan
    return np.ascontiguousarray(X.astype(dtype))


# single leaves, small trees, and 70,002 nodes (past MIN_PARALLEL_PACK, 65,536)
@pytest.mark.parametrize("splits", [[0], [1], [0, 3, 0, 1], [5, 200, 17], [20_000, 15_000]])
def test_pack_codes(splits, n_threads):
    nodes, roots, _ = _packed(splits, d=4)
    ours, ref = _codes_both(nodes, roots, 4, n_threads)
    assert ours[0] == ref[0] == _tree_codes.STATUS_OK
    for a, b in zip(ours[1:], ref[1:]):
        np.testing.assert_array_equal(a, b)
    status, cuts, n_cuts, coded = ours
    assert (coded["left"] == nodes["left"]).all()   # the same children
    # each inner node's cut is its threshold's place among its feature's cuts
    local = np.arange(len(nodes)) - np.repeat(roots, np.diff(np.append(roots, len(nodes))))
    split = nodes["left"] != local
    f, k = coded["feature"][split], coded["cut"][split]
    np.testing.assert_array_equal(cuts[f, k], nodes["threshold"][split])
    assert (coded["cut"][~split] == 255).all()


@pytest.mark.parametrize("damage", ["too many cuts", "feature out of range", "NaN threshold"])
def test_pack_codes_refuses_what_bytes_cannot_code(damage, n_threads):
    if damage == "too many cuts":   # 600 distinct thresholds on one feature
        nodes, roots, _ = _packed([700], d=1, levels=10_000)
    else:
        nodes, roots, _ = _packed([40], d=3)
        inner = np.flatnonzero(nodes["left"] != np.arange(len(nodes)))[0]
        if damage == "feature out of range":
            nodes["code"][inner] = 2 * 3
        else:
            nodes["threshold"][inner] = np.nan
    ours, ref = _codes_both(nodes, roots, 3 if damage != "too many cuts" else 1, n_threads)
    assert ours[0] == ref[0] == _tree_codes.STATUS_NOT_CODED


# 9,000 rows x 3 trees: several row blocks, on two threads when asked
@pytest.mark.parametrize("n", [1, 5, 700, 9000])
@pytest.mark.parametrize("missing", [0.0, 0.2])
def test_forest_mean_codes(n, missing, dtype, n_threads):
    nodes, roots, values = _packed([300, 40, 0], d=5)
    (status, cuts, n_cuts, coded), _ = _codes_both(nodes, roots, 5, n_threads)
    assert status == _tree_codes.STATUS_OK
    X = _rows(n, 5, dtype, missing)
    a, b, c = np.empty((n, 2)), np.empty((n, 2)), np.empty((n, 2))
    assert _tree_codes.forest_mean_codes(X, coded, roots, values, cuts, n_cuts, a,
                                         n_threads) == _tree_codes.STATUS_OK
    tree_codes.forest_mean_codes(X, coded, roots, values, cuts, n_cuts, b, n_threads)
    _tree_predict.forest_mean(X, nodes, roots, values, c, n_threads)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_array_equal(a, c)     # the float walk's bits


def test_forest_mean_codes_no_rows_or_trees():
    nodes, roots, values = _packed([3], d=2)
    (_, cuts, n_cuts, coded), _ = _codes_both(nodes, roots, 2, 1)
    out = np.ones((0, 2))
    assert _tree_codes.forest_mean_codes(_rows(0, 2, np.float32, 0), coded, roots, values,
                                         cuts, n_cuts, out, 1) == _tree_codes.STATUS_OK


@pytest.mark.parametrize("max_bins, coded", [(255, True), (None, False)])
def test_forest_predicts_its_trees_mean_either_way(max_bins, coded):
    # binned features give one-byte codes; exact ones (thousands of distinct
    # thresholds) keep the float walk
    X, y = make_classification(n_samples=5000, n_features=2, n_informative=2,
                               n_redundant=0, random_state=0)
    X[::11, 1] = np.nan
    rf = RandomForestClassifier(4, max_bins=max_bins, random_state=0, n_jobs=2).fit(X, y)
    assert rf._forest.coded is coded
    mean = np.mean([e.predict_proba(X) for e in rf.estimators_], axis=0)
    np.testing.assert_allclose(rf.predict_proba(X), mean, rtol=1e-12)


def test_a_few_shallow_trees_keep_the_float_walk():
    # binning 40 features would cost more than walking two trees of depth 3
    X, y = make_classification(n_samples=500, n_features=40, random_state=0)
    rf = RandomForestClassifier(2, max_depth=3, random_state=0).fit(X, y)
    assert rf._forest.coded is False
    mean = np.mean([e.predict_proba(X) for e in rf.estimators_], axis=0)
    np.testing.assert_allclose(rf.predict_proba(X), mean, rtol=1e-12)
