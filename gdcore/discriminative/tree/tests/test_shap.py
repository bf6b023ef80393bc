"""TreeSHAP: kernel, twin, brute force, the estimators and the shap package agree.

The kernel equals its twin, the twin equals brute-force Shapley values, and
the estimators' contributions add up to their predictions and equal the
shap package's.
"""

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import ensemble as ske
from sklearn import tree as skt
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

import gdcore.discriminative.tree as gtree
from gdcore.discriminative.tree import _tree_shap
from gdcore.discriminative.tree._reference import tree_shap as ref
from gdcore.discriminative.tree._shap import ShapTree, _flatten, to_shap_tree, tree_shap


def random_tree(rng, d, depth, n_outputs=1, p_cat=0.3, p_leaf=0.2, zero_cover=False):
    """Return a random ShapTree: repeated features, NaN directions, categorical splits, covers."""
    left, right, feature, threshold, cover = [], [], [], [], []
    stack = [(0, 0, float(rng.integers(20, 100)))]
    left.append(-1), right.append(-1), feature.append(0), threshold.append(0.0)
    cover.append(stack[0][2])
    while stack:
        node, lvl, w = stack.pop()
        if lvl == depth or (lvl > 0 and rng.random() < p_leaf):
            continue
        share = rng.uniform(0.1, 0.9)
        if zero_cover and rng.random() < 0.2:
            share = 0.0
        kids = []
        for cw in (w * share, w * (1 - share)):
            kids.append(len(left))
            left.append(-1), right.append(-1), feature.append(0), threshold.append(0.0)
            cover.append(cw)
            stack.append((kids[-1], lvl + 1, cw))
        left[node], right[node] = kids
        feature[node] = int(rng.integers(0, d))
        threshold[node] = float(rng.normal())
    m = len(left)
    return ShapTree(
        children_left=np.array(left), children_right=np.array(right),
        feature=np.array(feature), threshold=np.array(threshold),
        missing_go_left=rng.integers(0, 2, m).astype(np.uint8),
        is_categorical=(rng.random(m) < p_cat).astype(np.uint8),
        cat_bitset=rng.integers(0, 2**32, (m, 8), dtype=np.uint64).astype(np.uint32),
        value=rng.normal(size=(m, n_outputs)), cover=np.array(cover))


def random_X(rng, n, d, dtype=np.float64):
    """Return normal values, small integers (categories), NaN and out-of-range categories."""
    X = rng.normal(size=(n, d))
    cats = rng.random((n, d)) < 0.4
    X[cats] = rng.integers(-2, 260, cats.sum())
    X[rng.random((n, d)) < 0.1] = np.nan
    return X.astype(dtype)


def raw_output(trees, X):
    """Sum over trees of the leaf each row reaches (the twin's routing)."""
    out = np.zeros((X.shape[0], trees[0].value.shape[1]))
    for t in trees:
        for r, x in enumerate(X.astype(np.float64)):
            node = 0
            while t.children_left[node] >= 0:
                go = ref._goes_left(x[t.feature[node]], node, t.threshold, t.missing_go_left,
                                    t.is_categorical, t.cat_bitset)
                node = t.children_left[node] if go else t.children_right[node]
            out[r] += t.value[node]
    return out


def brute_force(t, x, d):
    """Shapley values of v(S) = E[f(x) | x_S] with cover-weighted branches, by enumeration."""
    x = x.astype(np.float64)

    def v(s, node=0):
        if t.children_left[node] < 0:
            return t.value[node]
        a, b = t.children_left[node], t.children_right[node]
        if t.feature[node] in s:
            go = ref._goes_left(x[t.feature[node]], node, t.threshold, t.missing_go_left,
                                t.is_categorical, t.cat_bitset)
            return v(s, a if go else b)
        w = t.cover[node]
        if w <= 0:
            return 0.0 * t.value[node]
        return (t.cover[a] * v(s, a) + t.cover[b] * v(s, b)) / w

    phi = np.zeros((d, t.value.shape[1]))
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for k in range(d):
            weight = math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d)
            for s in itertools.combinations(others, k):
                phi[i] += weight * (v(set(s) | {i}) - v(set(s)))
    return phi, v(set())


@pytest.mark.parametrize("seed", range(6))
def test_twin_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    d = 4
    t = random_tree(rng, d, depth=5, n_outputs=2, zero_cover=seed % 2 == 1)
    X = random_X(rng, 6, d)
    flat = _flatten([t])
    phi = np.zeros((6, d, 2))
    ref.tree_shap(X, flat["left"], flat["right"], flat["feature"], flat["threshold"],
                  flat["missing_left"], flat["is_cat"], flat["bitset"], flat["value"],
                  flat["cover"], flat["roots"], 5, phi, 1)
    depth, expected = np.zeros(1, np.int64), np.zeros((1, 2))
    assert ref.tree_summaries(flat["left"], flat["right"], flat["feature"], flat["cover"],
                              flat["value"], flat["roots"], d, depth, expected) == ref.OK
    for r in range(6):
        want, base = brute_force(t, X[r], d)
        np.testing.assert_allclose(phi[r], want, atol=1e-10)
        np.testing.assert_allclose(expected[0], base, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("n, d, n_trees, depth", [(1, 1, 1, 0), (1, 1, 1, 3), (2, 3, 1, 1),
                                                  (7, 2, 3, 6), (40, 5, 4, 8)])
def test_kernel_equals_twin(dtype, n_threads, n, d, n_trees, depth):
    rng = np.random.default_rng(n * 100 + d)
    trees = [random_tree(rng, d, depth, n_outputs=3, zero_cover=k % 2 == 0)
             for k in range(n_trees)]
    X = random_X(rng, n, d, dtype)
    flat = _flatten(trees)
    args = (flat["left"], flat["right"], flat["feature"], flat["threshold"],
            flat["missing_left"], flat["is_cat"], flat["bitset"], flat["value"],
            flat["cover"], flat["roots"])
    dep, exp_k = np.zeros(n_trees, np.int64), np.zeros((n_trees, 3))
    dep_r, exp_r = np.zeros(n_trees, np.int64), np.zeros((n_trees, 3))
    summary = (flat["left"], flat["right"], flat["feature"], flat["cover"], flat["value"],
               flat["roots"], d)
    assert _tree_shap.tree_summaries(*summary, dep, exp_k) == _tree_shap.STATUS_OK
    ref.tree_summaries(*summary, dep_r, exp_r)
    np.testing.assert_array_equal(dep, dep_r)
    np.testing.assert_allclose(exp_k, exp_r, rtol=1e-12, atol=1e-14)
    got, want = np.full((n, d, 3), np.nan), np.zeros((n, d, 3))
    assert _tree_shap.tree_shap(X, *args, int(dep.max()), got,
                                n_threads) == _tree_shap.STATUS_OK
    ref.tree_shap(X, *args, int(dep.max()), want, 1)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    phi, base = tree_shap(trees, X, n_threads=n_threads)
    np.testing.assert_allclose(phi.sum(axis=1) + base, raw_output(trees, X), atol=1e-9)


def test_thread_count_changes_no_bit():
    rng = np.random.default_rng(3)
    trees = [random_tree(rng, 6, 9, n_outputs=2) for _ in range(5)]
    X = random_X(rng, 300, 6)
    one = tree_shap(trees, X, n_threads=1)[0]
    two = tree_shap(trees, X, n_threads=2)[0]
    assert np.array_equal(one, two)


def _sklearn_cases():
    X, y = load_iris(return_X_y=True)
    Xw, yw = load_wine(return_X_y=True)
    Xd, yd = load_diabetes(return_X_y=True)
    return [(skt.DecisionTreeClassifier(max_depth=6, random_state=0), X, y),
            (ske.RandomForestClassifier(10, max_depth=8, random_state=0), Xw, yw),
            (ske.ExtraTreesRegressor(10, max_depth=8, random_state=0), Xd, yd),
            (skt.DecisionTreeRegressor(max_depth=7, random_state=0), Xd, yd)]


@pytest.mark.parametrize("case", range(4))
def test_equals_shap_tree_explainer(case):
    """On scikit-learn's own trees, the values are the shap package's."""
    shap = pytest.importorskip("shap")
    model, X, y = _sklearn_cases()[case]
    model.fit(X, y)
    estimators = getattr(model, "estimators_", [model])
    trees = [to_shap_tree(e.tree_, 1.0 / len(estimators)) for e in estimators]
    Xs = X[:60].astype(np.float32)
    phi, base = tree_shap(trees, Xs)
    explainer = shap.TreeExplainer(model)
    want = np.asarray(explainer.shap_values(Xs, check_additivity=False))
    want = want.reshape(phi.shape) if want.ndim == 2 else want
    np.testing.assert_allclose(phi, want, atol=1e-9)
    np.testing.assert_allclose(base, np.ravel(explainer.expected_value), atol=1e-9)


def _fitted(name):
    Xc, yc = load_breast_cancer(return_X_y=True)
    Xi, yi = load_iris(return_X_y=True)
    Xd, yd = load_diabetes(return_X_y=True)
    if name.endswith("Classifier"):
        X, y = (Xi, yi) if "Forest" in name else (Xc, yc)
    else:
        X, y = Xd, yd
    kwargs = {} if name.startswith("Decision") else {"n_estimators": 8}
    est = getattr(gtree, name)(random_state=0, **kwargs)
    return est.fit(X, y), X


NAMES = ["DecisionTreeClassifier", "DecisionTreeRegressor", "RandomForestClassifier",
         "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor"]


@pytest.mark.parametrize("name", NAMES)
def test_estimator_additivity(name):
    est, X = _fitted(name)
    X = X.copy()
    X[::7, 1] = np.nan  # missing values are routed as predict routes them
    phi = est.shap_values(X)
    if est._is_classifier:
        assert phi.shape == (len(X), X.shape[1], est.n_classes_)
        raw = est.predict_proba(X)
    else:
        assert phi.shape == X.shape
        raw = est.predict(X)
    np.testing.assert_allclose(phi.sum(axis=1) + est.expected_value_, raw, atol=1e-6)


def test_forest_on_sparse_x_falls_back_and_explains():
    """A forest fitted by the peer (sparse X) is explained from the peer's trees."""
    X, y = load_iris(return_X_y=True)
    Xs = sp.csr_matrix(X)
    est = gtree.RandomForestRegressor(5, criterion="absolute_error", random_state=0)
    est.fit(Xs, y)
    assert "_peer" in vars(est)
    phi = est.shap_values(Xs)
    np.testing.assert_allclose(phi.sum(axis=1) + est.expected_value_, est.predict(Xs),
                               atol=1e-9)


def test_multioutput_shapes():
    X, y = load_iris(return_X_y=True)
    Y = np.c_[y, y % 2]
    est = gtree.ExtraTreesClassifier(4, random_state=0).fit(X, Y)
    phi, base, proba = est.shap_values(X), est.expected_value_, est.predict_proba(X)
    assert [p.shape for p in phi] == [(150, 4, 3), (150, 4, 2)]
    for p, b, q in zip(phi, base, proba):
        np.testing.assert_allclose(p.sum(axis=1) + b, q, atol=1e-9)
    reg = gtree.RandomForestRegressor(4, random_state=0).fit(X, np.c_[y, 2 * y])
    assert reg.shap_values(X).shape == (150, 4, 2)


def test_bad_trees_are_refused():
    rng = np.random.default_rng(0)
    t = random_tree(rng, 3, 3)
    X = random_X(rng, 2, 3)
    cycle = ShapTree(**{**vars(t), "children_left": np.where(t.children_left > 0, 0,
                                                            t.children_left)})
    with pytest.raises(ValueError, match="binary tree rooted at node 0"):
        tree_shap([cycle], X)
    with pytest.raises(ValueError, match="outside"):
        tree_shap([t], X[:, :1])
    with pytest.raises(ValueError, match="cover"):
        tree_shap([ShapTree(**{**vars(t), "cover": -t.cover})], X)
    with pytest.raises(ValueError, match="one entry per node"):
        tree_shap([ShapTree(**{**vars(t), "threshold": t.threshold[:-1]})], X)
    with pytest.raises(ValueError, match="different numbers of outputs"):
        tree_shap([t, ShapTree(**{**vars(t), "value": np.c_[t.value, t.value]})], X)
    with pytest.raises(ValueError, match="at least one ShapTree"):
        tree_shap([], X)
    with pytest.raises(TypeError, match="not a ShapTree"):
        tree_shap([object()], X)
    with pytest.raises(ValueError, match="2-D"):
        tree_shap([t], X[0])


def test_unfitted_estimator_raises_not_fitted():
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        gtree.RandomForestClassifier().shap_values(np.zeros((2, 2)))
