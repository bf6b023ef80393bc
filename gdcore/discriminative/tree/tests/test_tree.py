"""Decision trees: scikit-learn's checks, the same trees as scikit-learn, bad input."""

import pickle

import numpy as np
import pytest
from sklearn import tree as sk
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    load_wine,
    make_classification,
    make_regression,
)

from gdcore import DecisionTreeClassifier, DecisionTreeRegressor


def _same_tree(a, b):
    ta, tb = a.tree_, b.tree_
    assert ta.node_count == tb.node_count
    np.testing.assert_array_equal(ta.feature, tb.feature)
    np.testing.assert_array_equal(ta.children_left, tb.children_left)
    np.testing.assert_array_equal(ta.threshold, tb.threshold)
    np.testing.assert_array_equal(ta.n_node_samples, tb.n_node_samples)
    np.testing.assert_allclose(ta.impurity, tb.impurity, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ta.weighted_n_node_samples, tb.weighted_n_node_samples, rtol=1e-12)
    np.testing.assert_allclose(ta.value, tb.value, rtol=1e-9, atol=1e-12)


# Depths limited so that no two candidate splits tie (deep nodes of a few
# samples tie on every feature that separates them, and scikit-learn breaks
# ties by a random feature order).  max_bins=None: exact splits.
@pytest.mark.parametrize("kw", [dict(max_depth=3), dict(max_depth=3, criterion="entropy"),
                                dict(max_leaf_nodes=8), dict(min_samples_leaf=20),
                                dict(max_depth=4, min_weight_fraction_leaf=0.05),
                                dict(min_impurity_decrease=0.01)])
def test_same_tree_as_sklearn_classifier(kw):
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    w = np.random.default_rng(0).uniform(0.5, 2.0, 300)
    ours = DecisionTreeClassifier(max_bins=None, **kw).fit(X, y, sample_weight=w)
    _same_tree(ours, sk.DecisionTreeClassifier(random_state=0, **kw).fit(X, y, sample_weight=w))


def test_class_weight_like_sklearn():
    """Class weights give scikit-learn's predictions.

    Not node for node: scikit-learn splits some pure nodes whose gini rounds
    to 2e-16 > eps under fractional class weights; predictions agree.
    """
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    kw = dict(max_depth=4, class_weight="balanced")
    ours = DecisionTreeClassifier(max_bins=None, **kw).fit(X, y)
    theirs = sk.DecisionTreeClassifier(random_state=0, **kw).fit(X, y)
    assert np.mean(ours.predict(X) == theirs.predict(X)) >= 0.98


@pytest.mark.parametrize("kw", [dict(max_depth=3), dict(max_leaf_nodes=8),
                                dict(max_depth=4, criterion="entropy")])
def test_histograms_equal_exact_when_values_fit_in_bins(kw):
    """<= 255 distinct values per feature: histogram and sorted finders, same tree."""
    X, y = make_classification(2000, 8, n_informative=5, random_state=2)
    X = np.round(X, 1)
    assert max(len(np.unique(c)) for c in X.T) <= 255
    _same_tree(DecisionTreeClassifier(max_bins=255, **kw).fit(X, y),
               DecisionTreeClassifier(max_bins=None, **kw).fit(X, y))


def test_histogram_trees_accurate():
    X, y = make_classification(4000, 10, n_informative=6, random_state=3)
    ours = DecisionTreeClassifier(max_depth=8, max_bins=32).fit(X[:3000], y[:3000])
    theirs = sk.DecisionTreeClassifier(max_depth=8, random_state=0).fit(X[:3000], y[:3000])
    assert ours.score(X[3000:], y[3000:]) > theirs.score(X[3000:], y[3000:]) - 0.03


@pytest.mark.parametrize("kw", [dict(max_depth=4, min_samples_leaf=10),
                                dict(max_depth=4, min_samples_leaf=10, criterion="poisson"),
                                dict(max_leaf_nodes=12), dict(min_samples_split=40)])
def test_same_tree_as_sklearn_regressor(kw):
    """Synthetic targets: diabetes ties (scikit-learn seed 15 gives our tree)."""
    X, y = make_regression(400, 5, noise=1.0, random_state=0)
    y = np.abs(y)
    _same_tree(DecisionTreeRegressor(max_bins=None, **kw).fit(X, y),
               sk.DecisionTreeRegressor(random_state=0, **kw).fit(X, y))


def test_multi_output_same_tree_as_sklearn():
    X, y = make_classification(400, 5, n_informative=3, random_state=1)
    Y = np.c_[y, (X[:, 0] > 0).astype(int)]
    ours = DecisionTreeClassifier(max_depth=3, max_bins=None).fit(X, Y)
    _same_tree(ours, sk.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, Y))
    assert ours.predict(X).shape == (400, 2)
    assert [p.shape for p in ours.predict_proba(X)] == [(400, 2), (400, 2)]


def test_missing_values_like_sklearn():
    """NaN routing: same accuracy as scikit-learn's (not always the same cuts)."""
    X, y = make_classification(600, 5, n_informative=3, random_state=1)
    X[np.random.default_rng(1).random(X.shape) < 0.15] = np.nan
    ours = DecisionTreeClassifier(max_depth=4, max_bins=None).fit(X[:400], y[:400])
    theirs = sk.DecisionTreeClassifier(max_depth=4, random_state=0).fit(X[:400], y[:400])
    assert ours.tree_.threshold[0] == pytest.approx(theirs.tree_.threshold[0], rel=1e-6)
    assert abs(ours.score(X[400:], y[400:]) - theirs.score(X[400:], y[400:])) < 0.05


@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer])
def test_full_trees_predict_like_sklearn(load):
    """Fully grown: ties may pick other features, training fit is still perfect."""
    X, y = load(return_X_y=True)
    for max_bins in (None, 255):
        ours = DecisionTreeClassifier(max_bins=max_bins).fit(X, y)
        theirs = sk.DecisionTreeClassifier(random_state=0).fit(X, y)
        assert ours.score(X, y) == theirs.score(X, y) == 1.0
        assert abs(ours.get_n_leaves() - theirs.get_n_leaves()) <= 3


def test_nan_routing_is_learned():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 1))
    y = (X[:, 0] > 0).astype(int)
    X[y == 1][:, 0] = 0.0
    X[rng.random(200) < 0.3] = np.nan
    y[np.isnan(X[:, 0])] = 2  # missing means class 2
    clf = DecisionTreeClassifier().fit(X, y)
    assert clf.predict([[np.nan]])[0] == 2
    assert clf.score(X, y) == 1.0


def test_apply_decision_path_depth_leaves():
    X, y = load_iris(return_X_y=True)
    clf = DecisionTreeClassifier(max_depth=3).fit(X, y)
    ref = sk.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    leaves = clf.apply(X)
    assert (clf.tree_.children_left[leaves] == -1).all()
    path = clf.decision_path(X)
    assert path.shape == (150, clf.tree_.node_count)
    assert (path[np.arange(150), leaves] == 1).all()
    np.testing.assert_array_equal(path.sum(axis=1).A1, ref.decision_path(X).sum(axis=1).A1)
    assert clf.get_depth() == 3
    assert clf.get_n_leaves() == ref.get_n_leaves()
    np.testing.assert_allclose(clf.feature_importances_.sum(), 1.0)


@pytest.mark.parametrize("alpha", [0.005, 0.02])
def test_ccp_alpha_like_sklearn(alpha):
    X, y = load_breast_cancer(return_X_y=True)
    ours = DecisionTreeClassifier(max_depth=4, ccp_alpha=alpha, max_bins=None).fit(X, y)
    theirs = sk.DecisionTreeClassifier(max_depth=4, ccp_alpha=alpha, random_state=0).fit(X, y)
    _same_tree(ours, theirs)


def test_regressor_on_diabetes_like_sklearn():
    X, y = load_diabetes(return_X_y=True)
    ours = DecisionTreeRegressor(max_depth=4, max_bins=None).fit(X, y)
    theirs = sk.DecisionTreeRegressor(max_depth=4, random_state=15).fit(X, y)
    _same_tree(ours, theirs)


def test_pickle_round_trip():
    X, y = load_wine(return_X_y=True)
    clf = DecisionTreeClassifier(random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_one_thread_equals_two():
    X, y = make_classification(3000, 20, random_state=0)
    a = DecisionTreeClassifier(n_jobs=1).fit(X, y)
    b = DecisionTreeClassifier(n_jobs=2).fit(X, y)
    _same_tree(a, b)


@pytest.mark.parametrize("params,match", [
    (dict(max_depth=0), "max_depth"),
    (dict(min_samples_leaf=500), "min_samples_leaf"),
    (dict(max_bins=1), "max_bins"),
    (dict(max_bins=256), "max_bins"),
    (dict(criterion="mse"), "criterion"),
    (dict(n_jobs=0), "n_jobs"),
    (dict(max_features=50), "max_features"),
])
def test_bad_parameters(params, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        DecisionTreeClassifier(**params).fit(X, y)


def test_bad_inputs():
    X, y = load_iris(return_X_y=True)
    clf = DecisionTreeClassifier()
    Xinf = X.copy()
    Xinf[0, 0] = np.inf
    with pytest.raises(ValueError, match="[Ii]nf"):
        clf.fit(Xinf, y)
    with pytest.raises(ValueError, match="NaN"):
        DecisionTreeRegressor().fit(X, np.where(y == 0, np.nan, y))
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X, np.where(y == 0, np.nan, y))
    with pytest.raises(ValueError, match="1 sample"):
        clf.fit(X[:1], y[:1])
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=np.ones(10))
    with pytest.raises(ValueError):
        clf.fit(X, y[:-1])
    with pytest.raises(ValueError, match="negative"):
        DecisionTreeRegressor(criterion="poisson").fit(X, y - 1.0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])


# ---- drop-in: what scikit-learn's trees accept ------------------------------------------

def test_absolute_error_and_monotonic_cst_are_fitted_by_scikit_learn(caplog):
    import sklearn.tree as skt

    X, y = load_iris(return_X_y=True)
    cases = [(DecisionTreeRegressor, {"criterion": "absolute_error"}, X, X[:, 0],
              "criterion='absolute_error'"),
             (DecisionTreeClassifier, {"monotonic_cst": [1, 0, 0, 0]}, X, y == 2,
              "monotonic_cst")]
    for Tree, params, Xf, yf, reason in cases:
        caplog.clear()
        with caplog.at_level("DEBUG", logger="gdcore"):
            ours = Tree(random_state=0, **params).fit(Xf, yf)
        peer = getattr(skt, Tree.__name__)(random_state=0, **params).fit(Xf, yf)
        assert reason in caplog.text
        np.testing.assert_array_equal(ours.predict(Xf), peer.predict(Xf))
        np.testing.assert_array_equal(ours.apply(Xf), peer.apply(Xf))
        assert ours.get_depth() == peer.get_depth()


@pytest.mark.parametrize("max_bins", [255, 4, None])
def test_sparse_X_grows_the_dense_tree(max_bins):
    """Sparse X is binned column by column into the same codes: the same tree as dense X."""
    import scipy.sparse as sp

    X, y = load_iris(return_X_y=True)
    X = np.where(X > np.median(X, axis=0), X, 0.0)
    X[0, 0] = -1.0  # a negative value: zero is not the smallest bin
    dense = DecisionTreeClassifier(max_bins=max_bins, random_state=0).fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        tree = DecisionTreeClassifier(max_bins=max_bins, random_state=0).fit(fmt(X), y)
        assert "_peer" not in vars(tree)
        for name in ("threshold", "feature", "children_left", "value", "impurity"):
            np.testing.assert_array_equal(getattr(tree.tree_, name), getattr(dense.tree_, name))
        np.testing.assert_array_equal(tree.predict(fmt(X)), dense.predict(X))
        np.testing.assert_array_equal(tree.apply(sp.csr_matrix(X)), dense.apply(X))


def test_zero_sample_weight_equals_removing_the_rows():
    """Bins come from the rows that weigh, so weight 0 is removal, NaN included."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = np.nan_to_num(X[:, 0]) + rng.normal(size=1000)
    w = np.ones(1000)
    w[::2] = 0.0
    a = DecisionTreeRegressor(random_state=0).fit(X, y, sample_weight=w)
    b = DecisionTreeRegressor(random_state=0).fit(X[1::2], y[1::2])
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_sparse_y_is_a_type_error():
    import scipy.sparse as sp

    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        DecisionTreeClassifier().fit(X, sp.csr_matrix(y[:, None]))


def test_friedman_mse_is_squared_error_with_a_future_warning():
    X, y = load_iris(return_X_y=True)
    with pytest.warns(FutureWarning, match="friedman_mse"):
        tree = DecisionTreeRegressor(criterion="friedman_mse", random_state=0)
    assert tree.criterion == "squared_error"
    want = DecisionTreeRegressor(random_state=0).fit(X, y).predict(X)
    np.testing.assert_array_equal(tree.fit(X, y).predict(X), want)


@pytest.mark.parametrize("max_bins", [255, None])
def test_pruning_path_equals_scikit_learns(max_bins):
    import sklearn.tree as skt

    X, y = load_iris(return_X_y=True)
    ours = DecisionTreeClassifier(max_bins=max_bins, random_state=0)
    path = ours.cost_complexity_pruning_path(X, y)
    if max_bins is None:
        want = skt.DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)
        np.testing.assert_allclose(path.ccp_alphas, want.ccp_alphas, atol=1e-12)
        np.testing.assert_allclose(path.impurities, want.impurities, atol=1e-12)
    assert path.ccp_alphas[0] == 0 and np.all(np.diff(path.ccp_alphas) >= 0)
    # each alpha of the path prunes to a tree whose leaves sum to that impurity
    for alpha, impurity in zip(path.ccp_alphas, path.impurities):
        t = ours.set_params(ccp_alpha=alpha).fit(X, y).tree_
        leaf = t.children_left == -1
        total = np.sum(t.weighted_n_node_samples[leaf] * t.impurity[leaf])
        np.testing.assert_allclose(total / t.weighted_n_node_samples[0], impurity,
                                   atol=1e-12)


def test_tree_arrays_answer_without_a_thread_count():
    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    np.testing.assert_array_equal(tree.tree_.apply(X), tree.apply(X))
    np.testing.assert_array_equal(tree.tree_.decision_path(X).toarray(),
                                  tree.decision_path(X).toarray())
    with pytest.raises(ValueError, match="4 features"):
        tree.tree_.apply(X[:, :2])


def test_one_class_is_one_leaf_as_scikit_learn():
    X, _ = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier().fit(X, np.full(150, "a"))
    assert tree.tree_.node_count == 1
    np.testing.assert_array_equal(tree.predict(X), np.full(150, "a"))


def test_poisson_checks_come_before_the_length_check():
    est = DecisionTreeRegressor(criterion="poisson")
    with pytest.raises(ValueError, match="y is not positive.*Poisson"):
        est.fit([[0, 1, 2]], [0, 0, 0])
    with pytest.raises(ValueError, match="Some.*y are negative.*Poisson"):
        est.fit([[0, 1, 2]], [5, -0.1, 2])


@pytest.mark.parametrize("max_bins", [255, 16, None])
def test_sparse_bins_and_codes_equal_dense(max_bins):
    """Sparse columns are binned from their sorted stored values plus the implicit zeros."""
    import scipy.sparse as sp
    from sklearn.utils import check_random_state

    from gdcore.discriminative.tree._bins import find_bins

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 6)).astype(np.float32)
    X[rng.random(X.shape) < 0.6] = 0.0
    X[:, 5] = np.abs(X[:, 5])  # a column without negative values
    dense = find_bins(X, max_bins, check_random_state(0))
    sparse = find_bins(sp.csr_matrix(X), max_bins, check_random_state(0))
    for name in ("n_bins", "n_edges", "table", "is_exact"):
        np.testing.assert_array_equal(getattr(sparse, name), getattr(dense, name))
    np.testing.assert_array_equal(sparse.transform(sp.csc_matrix(X), 1), dense.transform(X, 1))
