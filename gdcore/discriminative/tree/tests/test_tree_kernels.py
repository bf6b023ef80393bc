"""The compiled tree kernels equal their NumPy references (gdcore/_reference/tree_*.py)."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.utils import check_random_state

from gdcore.discriminative.tree import _tree_bins, _tree_build, _tree_predict, _tree_split
from gdcore.discriminative.tree._bins import find_bins
from gdcore.discriminative.tree._reference import tree_bins, tree_build, tree_predict, tree_split
from gdcore.discriminative.tree._structure import PACKED_NODE, Tree, pack_forest

SHAPES = [(1, 1), (2, 1), (7, 1), (1, 4), (60, 3), (300, 5)]


def _X(n, d, dtype, seed=0, missing=0.1, levels=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if levels:
        X = np.round(X * levels) / levels
    X[rng.random((n, d)) < missing] = np.nan
    return np.ascontiguousarray(X.astype(dtype))


def _problem(n, d, kind, max_bins, seed=0, dtype=np.float32):
    """Codes, bin tables and targets as the estimators hand them to the kernels."""
    rng = np.random.default_rng(seed + 1)
    X = _X(n, d, dtype, seed, levels=4 if max_bins else None)
    bins = find_bins(X, max_bins, check_random_state(0))
    codes = bins.transform(X, 1)
    c8, c32 = (codes, None) if codes.dtype == np.uint8 else (None, codes)
    if kind == "clf":
        y_cls = np.ascontiguousarray(np.c_[rng.integers(0, 3, n), rng.integers(0, 2, n)],
                                     dtype=np.int32)
        return dict(codes8=c8, codes32=c32, n_bins=bins.n_bins, table=bins.table,
                    is_exact=bins.is_exact, y_cls=y_cls, y_reg=None,
                    class_offset=np.array([0, 3], dtype=np.int32), K=5)
    y_reg = np.ascontiguousarray(rng.poisson(2.0, (n, 2)).astype(np.float64) + 0.5)
    return dict(codes8=c8, codes32=c32, n_bins=bins.n_bins, table=bins.table,
                is_exact=bins.is_exact, y_cls=None, y_reg=y_reg,
                class_offset=np.arange(2, dtype=np.int32), K=2)


@pytest.mark.parametrize("n,d", SHAPES)
def test_binning(n, d, dtype, n_threads):
    X = _X(n, d, dtype, levels=None)
    for max_bins, out_dtype, name in [(255, np.uint8, "bin_codes_u8"),
                                      (None, np.uint32, "bin_codes_u32"),
                                      (4, np.uint8, "bin_codes_u8")]:
        b = find_bins(X, max_bins, check_random_state(0))
        ours, ref = (np.empty((d, n), dtype=out_dtype) for _ in range(2))
        getattr(_tree_bins, name)(X, b.table, b.n_edges, b.n_bins, ours, n_threads)
        getattr(tree_bins, name)(X, b.table, b.n_edges, b.n_bins, ref, n_threads)
        np.testing.assert_array_equal(ours, ref)
        assert (ours <= b.n_bins[:, None]).all()


@pytest.mark.parametrize("n,d", [(0, 3), (3, 0), (255, 2), (256, 3), (257, 3), (1000, 7)])
def test_binning_row_blocks(n, d, dtype, n_threads):
    """Row counts around the kernel's block of 256 rows, values equal to edges."""
    X = _X(n, d, dtype, seed=2, levels=3)
    for max_bins, out_dtype, name in [(255, np.uint8, "bin_codes_u8"),
                                      (None, np.uint32, "bin_codes_u32"),
                                      (3, np.uint8, "bin_codes_u8")]:
        b = find_bins(X, max_bins, check_random_state(0))
        ours = np.full((d, n), 7, dtype=out_dtype)
        ref = np.empty((d, n), dtype=out_dtype)
        getattr(_tree_bins, name)(X, b.table, b.n_edges, b.n_bins, ours, n_threads)
        getattr(tree_bins, name)(X, b.table, b.n_edges, b.n_bins, ref, n_threads)
        np.testing.assert_array_equal(ours, ref)


def _edges_and_values(n, d, m, dtype, seed):
    """Per feature m sorted edges and n values to search in them.

    The edges are float32-exact, some repeated; each value is an edge, a
    midpoint between two, beyond either end, huge and finite, or NaN (rows
    0-2: -huge, huge, NaN).  The table's columns past m hold NaN, which a
    search reading them would show.
    """
    rng = np.random.default_rng(seed)
    edges = np.full((d, m + 3), np.nan)
    X = np.empty((n, d))
    huge = float(np.finfo(dtype).max)
    for f in range(d):
        e = np.sort(np.round(rng.normal(size=m) * 64) / 64)  # float32-exact
        edges[f, :m] = e
        pool = np.r_[e, (e[1:] + e[:-1]) / 2, -huge, huge, -1e3, 1e3, np.nan]
        X[:, f] = rng.choice(pool, n)
        X[: min(n, 3), f] = [-huge, huge, np.nan][: min(n, 3)]
    return edges, np.ascontiguousarray(X.astype(dtype))


@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 100_003])
@pytest.mark.parametrize("d", [1, 7])
@pytest.mark.parametrize("m", [0, 1, 2, 254, 255, 1000, 70_000])
def test_binning_equals_searchsorted(n, d, m, dtype, n_threads):
    """The codes are numpy.searchsorted(side='left')'s, NaN's missing_code.

    On and between edges, at the extremes, for every table size.
    """
    edges, X = _edges_and_values(n, d, m, dtype, seed=m + n)
    n_edges = np.full(d, m, dtype=np.int32)
    kernels = [("bin_codes_u32", np.uint32, m + 1)]
    if m <= 255:
        kernels.append(("bin_codes_u8", np.uint8, min(m + 1, 255)))
    for name, out_dtype, missing in kernels:
        missing_code = np.full(d, missing, dtype=np.int32)
        ours = np.full((d, n), 7, dtype=out_dtype)
        ref = np.empty((d, n), dtype=out_dtype)
        getattr(_tree_bins, name)(X, edges, n_edges, missing_code, ours, n_threads)
        getattr(tree_bins, name)(X, edges, n_edges, missing_code, ref, n_threads)
        np.testing.assert_array_equal(ours, ref)
        nan = np.isnan(X.T)
        assert (ours[nan] == missing).all()
        assert (ours[~nan] <= m).all()
        if n >= 3:
            # rows 0-2 hold -huge, huge and NaN
            np.testing.assert_array_equal(ours[:, :3], [[0, m, missing]] * d)


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("n,d", SHAPES)
def test_histogram(kind, n, d):
    pb = _problem(n, d, kind, 255)
    idx = np.arange(0, n, 2, dtype=np.intp)
    w = np.random.default_rng(3).uniform(0.5, 2.0, n)
    for f in range(d):
        ours, ref = (np.full((pb["n_bins"][f] + 1, 2 + pb["K"]), -1.0) for _ in range(2))
        args = (pb["codes8"], pb["n_bins"], pb["y_cls"], pb["y_reg"], pb["class_offset"],
                pb["K"], idx, w, f)
        _tree_split.histogram(*args, ours)
        tree_split.histogram(*args, ref)
        np.testing.assert_allclose(ours, ref, rtol=1e-12)


CRITERIA = [("clf", _tree_split.CRITERION_GINI), ("clf", _tree_split.CRITERION_ENTROPY),
            ("reg", _tree_split.CRITERION_SQUARED_ERROR), ("reg", _tree_split.CRITERION_POISSON)]


@pytest.mark.parametrize("kind,criterion", CRITERIA)
@pytest.mark.parametrize("n,d", SHAPES)
@pytest.mark.parametrize("method,max_bins", [(0, 255), (1, None), (1, 255), (2, None), (2, 255)])
def test_best_split(kind, criterion, n, d, method, max_bins):
    pb = _problem(n, d, kind, max_bins if method != 0 else 255)
    if method == 0 and pb["codes8"] is None:
        pytest.skip("histograms need uint8 codes")
    w = np.random.default_rng(4).uniform(0.5, 2.0, n)
    idx = np.arange(n, dtype=np.intp)[::-1].copy()
    for msl, mwl in [(1, 0.0), (3, 1.5)]:
        args = (*[pb[k] for k in ("codes8", "codes32", "n_bins", "table", "is_exact", "y_cls",
                                  "y_reg", "class_offset", "K")],
                criterion, idx, w, msl, mwl, method, 12345)
        split, total, imp = _tree_split.best_split(*args)
        rsplit, rtotal, rimp = tree_split.best_split(*args)
        np.testing.assert_allclose(total, rtotal, rtol=1e-12)
        assert imp == pytest.approx(rimp, rel=1e-10, abs=1e-12)
        assert (split is None) == (rsplit is None)
        if split is not None:
            assert split[:2] == rsplit[:2] and split[3:6:2] == rsplit[3:6:2]
            assert split[2] == rsplit[2]  # threshold
            assert split[4] == pytest.approx(rsplit[4], rel=1e-10)


def _trees_equal(ours, ref):
    assert len(ours) == len(ref)
    for (na, va, da), (nb, vb, db) in zip(ours, ref):
        assert da == db and len(na) == len(nb)
        for field in ("left_child", "right_child", "feature", "threshold", "n_node_samples",
                      "missing_go_to_left"):
            np.testing.assert_array_equal(na[field], nb[field])
        np.testing.assert_allclose(na["impurity"], nb["impurity"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(na["weighted_n_node_samples"], nb["weighted_n_node_samples"],
                                   rtol=1e-12)
        np.testing.assert_allclose(va, vb, rtol=1e-9, atol=1e-12)


BIG = np.iinfo(np.intp).max
GROW = [
    dict(max_depth=BIG, max_features=None, max_leaf_nodes=0, random_splitter=False, n_draw=0),
    dict(max_depth=3, max_features=None, max_leaf_nodes=0, random_splitter=False, n_draw=0),
    dict(max_depth=BIG, max_features=None, max_leaf_nodes=6, random_splitter=False, n_draw=0),
    dict(max_depth=BIG, max_features=2, max_leaf_nodes=0, random_splitter=False, n_draw=-1),
    dict(max_depth=BIG, max_features=2, max_leaf_nodes=0, random_splitter=True, n_draw=0),
    dict(max_depth=BIG, max_features=2, max_leaf_nodes=0, random_splitter=False, n_draw=-1,
         balanced_subsample=True),
    # bootstrap rows drawn in proportion to the weights (scikit-learn 1.9)
    dict(max_depth=BIG, max_features=2, max_leaf_nodes=0, random_splitter=False, n_draw=-1,
         by_weight=True),
    dict(max_depth=BIG, max_features=2, max_leaf_nodes=0, random_splitter=False, n_draw=-1,
         balanced_subsample=True, by_weight=True),
]


@pytest.mark.parametrize("kind,criterion", CRITERIA)
@pytest.mark.parametrize("grow", GROW)
@pytest.mark.parametrize("max_bins", [255, None])
@pytest.mark.parametrize("n,d", [(1, 1), (9, 1), (120, 4)])
def test_build_trees(kind, criterion, grow, max_bins, n, d, n_threads):
    pb = _problem(n, d, kind, max_bins)
    grow = dict(grow)
    grow["max_features"] = d if grow["max_features"] is None else min(d, grow["max_features"])
    grow["n_draw"] = n if grow["n_draw"] < 0 else 0
    w = np.random.default_rng(5).uniform(0.5, 2.0, n)
    if grow.pop("by_weight", False):
        w[::3] = 0.0  # never drawn
        w[-1] = 1.0
        grow["draw_cum"] = np.cumsum(w)
    args = [pb[k] for k in ("codes8", "codes32", "n_bins", "table", "is_exact", "y_cls",
                            "y_reg", "class_offset", "K")]
    # min_samples_leaf 4 on the larger case: two cuts giving the same children
    # tie exactly, and summation order (incremental vs NumPy) then decides.
    msl = 4 if n > 50 else 1
    kw = dict(min_samples_split=2 * msl, min_samples_leaf=msl, min_weight_fraction_leaf=0.0,
              min_impurity_decrease=0.0, n_threads=n_threads, **grow)
    seeds = np.array([7, 8, 9], dtype=np.uint64)
    ours = _tree_build.build_trees(*args, criterion, w, seeds, **kw)
    ref = tree_build.build_trees(*args, criterion, w, seeds, **kw)
    _trees_equal(ours, ref)


@pytest.mark.parametrize("n,max_bins", [(40, 8), (700, 8), (700, 255)])
@pytest.mark.parametrize("n_draw", [0, -1])
def test_build_trees_boundary_cuts(n, max_bins, n_draw, n_threads):
    """Boundary cuts only in the kernel, every cut in the twin: the same trees.

    One-output classification on quantile bins with min_samples_leaf=1, where
    the kernel skips cuts inside runs of one class (with NaN, several values
    per code, gini and entropy).
    """
    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(np.int32) + (X[:, 1] > 1.2)
    X[:, 2] = np.round(X[:, 2], 2)  # repeated values
    X[rng.random((n, 3)) < 0.05] = np.nan
    X = X.astype(np.float32)
    bins = find_bins(X, max_bins, check_random_state(0))
    assert not bins.is_exact.any()
    codes = bins.transform(X, 1)
    w = rng.uniform(0.5, 2.0, n)
    # one feature per node: two features cutting off the same rows tie, and
    # summation order (incremental vs NumPy) would then decide
    kw = dict(max_depth=BIG, min_samples_split=2, min_samples_leaf=1,
              min_weight_fraction_leaf=0.0, max_features=1, max_leaf_nodes=0,
              min_impurity_decrease=0.0, random_splitter=False,
              n_draw=n if n_draw < 0 else 0, n_threads=n_threads)
    args = (codes, None, bins.n_bins, bins.table, bins.is_exact,
            np.ascontiguousarray(y[:, None]), None, np.zeros(1, dtype=np.int32), 3,
            _tree_split.CRITERION_GINI, w, np.arange(4, dtype=np.uint64))
    _trees_equal(_tree_build.build_trees(*args, **kw), tree_build.build_trees(*args, **kw))
    for crit in (_tree_split.CRITERION_ENTROPY,):
        args = args[:9] + (crit,) + args[10:]
        _trees_equal(_tree_build.build_trees(*args, **kw), tree_build.build_trees(*args, **kw))


def test_bootstrap_counts():
    np.testing.assert_array_equal(_tree_build.bootstrap_counts(np.uint64(11), 50, 40),
                                  tree_build.bootstrap_counts(11, 50, 40))


@pytest.mark.parametrize("n", [1, 2, 50, 1000])
def test_bootstrap_counts_by_weight(n):
    w = np.random.default_rng(n).integers(0, 4, n).astype(float)
    w[-1] += 1e-300  # a positive total; the last row's weight is ~0 on most draws
    cum = np.cumsum(w)
    for seed in (0, 11, 2**63 + 5):
        ours = _tree_build.bootstrap_counts(np.uint64(seed), n, 3 * n, cum)
        np.testing.assert_array_equal(ours, tree_build.bootstrap_counts(seed, n, 3 * n, cum))
        assert ours.sum() == 3 * n
        assert not ours[:-1][w[:-1] == 0].any()


def test_bootstrap_by_weight_follows_the_weights():
    w = np.array([0.0, 1.0, 3.0, 0.0, 6.0])
    counts = sum(_tree_build.bootstrap_counts(np.uint64(s), 5, 1000, np.cumsum(w))
                 for s in range(20))
    np.testing.assert_allclose(counts / counts.sum(), w / w.sum(), atol=0.01)


@pytest.mark.parametrize("cum", [np.zeros(5), np.ones(4), np.full(5, np.nan)])
def test_bootstrap_by_weight_rejects_bad_sums(cum):
    with pytest.raises(ValueError, match="running sums"):
        _tree_build.bootstrap_counts(np.uint64(1), 5, 5, cum)


# 9,000 rows x 8 trees: several row blocks, on two threads when asked
@pytest.mark.parametrize("n", [1, 5, 700, 9000])
def test_apply_and_forest_mean(n, dtype, n_threads):
    pb = _problem(200, 3, "reg", None)
    args = [pb[k] for k in ("codes8", "codes32", "n_bins", "table", "is_exact", "y_cls",
                            "y_reg", "class_offset", "K")]
    trees = _tree_build.build_trees(*args, _tree_split.CRITERION_SQUARED_ERROR, np.ones(200),
                                    np.arange(8, dtype=np.uint64), max_depth=6,
                                    min_samples_split=2, min_samples_leaf=1,
                                    min_weight_fraction_leaf=0.0, max_features=2,
                                    max_leaf_nodes=0, min_impurity_decrease=0.0,
                                    random_splitter=False, n_draw=200, n_threads=1)
    nodes = np.concatenate([t[0] for t in trees])
    offsets = np.cumsum([0] + [len(t[0]) for t in trees])
    left, right = nodes["left_child"].copy(), nodes["right_child"].copy()
    for k in range(8):
        sl = slice(offsets[k], offsets[k + 1])
        left[sl] = np.where(left[sl] < 0, -1, left[sl] + offsets[k])
        right[sl] = np.where(right[sl] < 0, -1, right[sl] + offsets[k])
    cols = (left, right, np.ascontiguousarray(nodes["feature"]),
            np.ascontiguousarray(nodes["threshold"]),
            np.ascontiguousarray(nodes["missing_go_to_left"]))
    X = _X(n, 3, dtype, seed=9, missing=0.2)
    for root in offsets[:-1]:
        a, b = np.empty(n, dtype=np.intp), np.empty(n, dtype=np.intp)
        _tree_predict.apply(X, *cols, root, a, n_threads)
        tree_predict.apply(X, *cols, root, b, n_threads)
        np.testing.assert_array_equal(a, b)
    forest = [Tree(nd, v, depth, 3, 2, np.ones(2, dtype=np.intp), False,
                   np.arange(2, dtype=np.int32)) for nd, v, depth in trees]
    packed, roots, values = pack_forest(forest)
    a, b = np.empty((n, 2)), np.empty((n, 2))
    _tree_predict.forest_mean(X, packed, roots, values, a, n_threads)
    tree_predict.forest_mean(X, packed, roots, values, b, n_threads)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    # the packed forest predicts what its trees do
    means = [t.value[:, :, 0][t.apply(X, 1)] for t in forest]
    np.testing.assert_allclose(a, np.mean(means, axis=0), rtol=1e-12)
    if n > 1:  # a block without NaN takes the NaN-free walk
        clean = np.ascontiguousarray(np.nan_to_num(X[: n // 2]))
        c = np.empty((len(clean), 2))
        _tree_predict.forest_mean(clean, packed, roots, values, c, n_threads)
        np.testing.assert_allclose(c, np.mean([t.value[:, :, 0][t.apply(clean, 1)]
                                               for t in forest], axis=0), rtol=1e-12)


def _random_tree(n_splits, rng):
    """Return the children of a random full binary tree with n_splits inner nodes.

    Node ids shuffled (root kept at 0) so that packing has to reorder them.
    """
    left, right, leaves = [-1], [-1], [0]
    for _ in range(n_splits):
        i = rng.integers(len(leaves))
        leaves[i], leaves[-1] = leaves[-1], leaves[i]
        node = leaves.pop()
        left[node], right[node] = len(left), len(left) + 1
        leaves += [len(left), len(left) + 1]
        left += [-1, -1]
        right += [-1, -1]
    left, right = np.array(left), np.array(right)
    new = np.concatenate([[0], 1 + rng.permutation(len(left) - 1)])  # old id -> new id
    out_l, out_r = np.empty_like(left), np.empty_like(right)
    out_l[new] = np.where(left >= 0, new[left], -1)
    out_r[new] = np.where(right >= 0, new[right], -1)
    return out_l, out_r


def _forest_arrays(splits, V=3, seed=0):
    """pack_forest's inputs for trees with the given numbers of splits."""
    rng = np.random.default_rng(seed)
    trees = [_random_tree(s, rng) for s in splits]
    n = sum(len(t[0]) for t in trees)
    roots = np.cumsum([0] + [len(t[0]) for t in trees[:-1]]).astype(np.intp)
    return [np.concatenate([t[0] for t in trees]),
            np.concatenate([t[1] for t in trees]), rng.integers(0, 50, n).astype(np.intp),
            rng.normal(size=n),
            rng.integers(0, 2, n).astype(np.uint8), rng.normal(size=(n, V)), roots]


def _pack_both(args, n_threads):
    n, V = args[5].shape
    outs = []
    for pack in (_tree_predict.pack_forest, tree_predict.pack_forest):
        nodes = np.zeros(n, dtype=PACKED_NODE)
        values, order = np.zeros((n, V)), np.zeros(n, dtype=np.intp)
        status = pack(*args, nodes, values, order, n_threads)
        outs.append((status, nodes, values, order))
    return outs


# single leaves, small trees, and 70,002 nodes (past MIN_PARALLEL_PACK, 65,536:
# packed on two threads when asked)
@pytest.mark.parametrize("splits", [[0], [1], [0, 3, 0, 1], [5, 200, 17],
                                    [20_000, 15_000]])
def test_pack_forest(splits, n_threads):
    args = _forest_arrays(splits)
    ours, ref = _pack_both(args, n_threads)
    assert ours[0] == ref[0] == _tree_predict.STATUS_OK
    for a, b in zip(ours[1:], ref[1:]):
        np.testing.assert_array_equal(a, b)
    # each packed inner node's children are its input children, side by side;
    # each leaf points to itself
    left, right, roots, (_, nodes, _, order) = args[0], args[1], args[6], ours
    for lo, hi in zip(roots, list(roots[1:]) + [len(left)]):
        nd, od = nodes[lo:hi], order[lo:hi]
        inner = left[lo:hi][od] >= 0
        assert od[0] == 0 and (nd["left"][~inner] == np.flatnonzero(~inner)).all()
        np.testing.assert_array_equal(od[nd["left"][inner]], left[lo:hi][od[inner]])
        np.testing.assert_array_equal(od[nd["left"][inner] + 1],
                                      right[lo:hi][od[inner]])


@pytest.mark.parametrize("damage", ["child out of range", "unreachable node",
                                    "empty tree"])
def test_pack_forest_rejects_malformed_trees(damage, n_threads):
    args = _forest_arrays([3, 4])
    left, roots = args[0], args[6]
    if damage == "child out of range":
        inner = np.flatnonzero(left[roots[1]:] >= 0)[0] + roots[1]
        left[inner] = 100
    elif damage == "unreachable node":
        left[roots[1]:] = -1          # the second tree's root becomes a leaf
    else:
        args[6] = np.array([0, roots[1], len(left)], dtype=np.intp)
    ours, ref = _pack_both(args, n_threads)
    assert ours[0] == ref[0] == _tree_predict.STATUS_BAD_TREE


def test_pack_forest_raises_on_a_malformed_tree():
    # node 1's left child, 5, is not a node of the tree
    trees = [SimpleNamespace(node_count=3, children_left=np.array([1, 5, -1]),
                             children_right=np.array([2, -1, -1]),
                             feature=np.zeros(3, int), threshold=np.zeros(3),
                             missing_go_to_left=np.zeros(3, np.uint8),
                             value=np.zeros((3, 1, 1)))]
    with pytest.raises(ValueError, match="not a binary tree"):
        pack_forest(trees)


def test_pack_forest_refuses_an_empty_tree_without_reading_past_the_end():
    # the empty tree is last: its first node would be one past the arrays' end
    leaf = SimpleNamespace(node_count=1, children_left=np.array([-1]),
                           children_right=np.array([-1]), feature=np.array([-2]),
                           threshold=np.array([-2.0]), missing_go_to_left=np.zeros(1, np.uint8),
                           value=np.ones((1, 1, 1)))
    empty = SimpleNamespace(node_count=0, children_left=np.zeros(0, int),
                            children_right=np.zeros(0, int), feature=np.zeros(0, int),
                            threshold=np.zeros(0), missing_go_to_left=np.zeros(0, np.uint8),
                            value=np.zeros((0, 1, 1)))
    with pytest.raises(ValueError, match="not a binary tree"):
        pack_forest([leaf, empty])


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_tiny_weights_give_the_same_tree_as_unit_weights(criterion):
    # W * W underflows to 0 for weights of 1e-200: impurity must stay defined
    from sklearn.datasets import load_iris

    from gdcore import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(criterion=criterion, random_state=0)
    tiny = tree.fit(X, y, sample_weight=np.full(150, 1e-200)).tree_
    assert np.isfinite(tiny.impurity).all()
    unit = DecisionTreeClassifier(criterion=criterion, random_state=0).fit(X, y).tree_
    np.testing.assert_array_equal(tiny.feature, unit.feature)
    np.testing.assert_allclose(tiny.impurity, unit.impurity, rtol=1e-9)
