"""Native categorical splits: scikit-learn's trees, its errors, better than one-hot, SHAP."""

import logging

import numpy as np
import pytest
from sklearn import ensemble as ske
from sklearn.metrics import log_loss

from gdcore.discriminative.boosting import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)

NO_ES = dict(early_stopping=False, random_state=0)


def _data(n=3000, seed=0):
    """One numerical feature (exact bins), a 12-category one, a 5-category one with NaN."""
    rng = np.random.default_rng(seed)
    xn = rng.integers(0, 30, n) / 7.0
    xc = rng.integers(0, 12, n).astype(float)
    xm = rng.integers(0, 5, n).astype(float)
    xm[rng.random(n) < 0.1] = np.nan
    effect = rng.normal(size=12)
    y = (effect[xc.astype(int)] + 0.3 * xn + np.isnan(xm) + 0.5 * (xm == 3)
         + 0.1 * rng.normal(size=n))
    return np.c_[xn, xc, xm], y


def _rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3))


@pytest.mark.parametrize("cats", [[1, 2], [False, True, True], "names", "from_dtype"])
@pytest.mark.parametrize("params", [dict(), dict(l2_regularization=1.0, max_depth=3),
                                    dict(min_samples_leaf=40, max_leaf_nodes=7)])
def test_regressor_equals_sklearn(cats, params, caplog):
    pd = pytest.importorskip("pandas")
    X, y = _data()
    Xin = X
    if cats in ("names", "from_dtype"):
        Xin = pd.DataFrame({"num": X[:, 0], "c12": X[:, 1], "c5": X[:, 2]})
        if cats == "from_dtype":
            Xin["c12"] = pd.Categorical(np.array(list("abcdefghijkl"))[X[:, 1].astype(int)])
            Xin["c5"] = pd.Categorical(Xin["c5"])
        else:
            cats = ["c12", "c5"]
    kw = dict(max_iter=15, categorical_features=cats, **NO_ES, **params)
    with caplog.at_level(logging.DEBUG, logger="gdcore"):
        ours = HistGradientBoostingRegressor(**kw).fit(Xin, y)
    assert "fitting through" not in caplog.text
    ref = ske.HistGradientBoostingRegressor(**kw).fit(Xin, y)
    assert _rel(ours.predict(Xin), ref.predict(Xin)) < 1e-6
    # unknown categories and NaN follow the learned missing-value direction
    Xt = Xin.copy()
    if hasattr(Xt, "iloc"):
        Xt = Xt.astype({"c12": object}) if cats == "from_dtype" else Xt
        Xt.iloc[:7, 1] = "zz" if cats == "from_dtype" else 99.0
        Xt.iloc[7:12, 2] = np.nan
    else:
        Xt[:7, 1], Xt[7:12, 2] = 99.0, np.nan
    if cats != "from_dtype":
        assert _rel(ours.predict(Xt), ref.predict(Xt)) < 1e-6
    staged = list(ours.staged_predict(Xin))
    np.testing.assert_allclose(staged[-1], ours.predict(Xin), rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_equals_sklearn(n_classes):
    X, y = _data(seed=1)
    y = np.digitize(y, np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1]))
    kw = dict(max_iter=15, categorical_features=[1, 2], **NO_ES)
    ours = HistGradientBoostingClassifier(**kw).fit(X, y)
    ref = ske.HistGradientBoostingClassifier(**kw).fit(X, y)
    assert _rel(ours.decision_function(X), ref.decision_function(X)) < 1e-6
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_errors_match_sklearn():
    X, y = _data(n=600)
    X300 = np.c_[X, np.arange(600) % 300]
    for Est in (HistGradientBoostingRegressor, ske.HistGradientBoostingRegressor):
        with pytest.raises(ValueError, match="cardinality <= 255 but actually has a "
                                             "cardinality of 300"):
            Est(categorical_features=[3]).fit(X300, y)
        with pytest.raises(ValueError, match="cannot have monotonic constraints"):
            Est(categorical_features=[1], monotonic_cst=[0, 1, 0]).fit(X, y)
        with pytest.raises(ValueError, match="fitted on data without feature names"):
            Est(categorical_features=["c12"]).fit(X, y)
        with pytest.raises(ValueError, match="boolean mask must have shape"):
            Est(categorical_features=[True, False]).fit(X, y)


def test_beats_one_hot_on_high_cardinality():
    """200 categories whose effect has no order: set splits need far fewer trees."""
    rng = np.random.default_rng(3)
    n = 20000
    c = rng.integers(0, 200, n)
    effect = rng.normal(scale=1.5, size=200)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(effect[c] + 0.5 * x)))
    y = (rng.random(n) < p).astype(int)
    X = np.c_[c.astype(float), x]
    tr, te = slice(0, 15000), slice(15000, None)
    kw = dict(max_iter=30, max_leaf_nodes=15, **NO_ES)
    native = HistGradientBoostingClassifier(categorical_features=[0], **kw).fit(X[tr], y[tr])
    onehot = np.c_[np.eye(200)[c], x]
    dummy = HistGradientBoostingClassifier(**kw).fit(onehot[tr], y[tr])
    ll_native = log_loss(y[te], native.predict_proba(X[te]))
    ll_onehot = log_loss(y[te], dummy.predict_proba(onehot[te]))
    assert ll_native < 0.97 * ll_onehot


@pytest.mark.parametrize("n_classes", [1, 3])
def test_shap_additivity(n_classes):
    X, y = _data(n=1500, seed=2)
    X[:5, 1] = 50.0  # an unknown category: routed as missing in predict and SHAP
    Xfit, yfit = X[5:], y[5:]
    if n_classes == 1:
        est = HistGradientBoostingRegressor(max_iter=10, categorical_features=[1, 2], **NO_ES)
        est.fit(Xfit, yfit)
        raw = est.predict(X)
    else:
        est = HistGradientBoostingClassifier(max_iter=10, categorical_features=[1, 2],
                                             **NO_ES)
        est.fit(Xfit, np.digitize(yfit, np.quantile(yfit, [0.3, 0.6])))
        raw = est.decision_function(X)
    phi = est.shap_values(X)
    np.testing.assert_allclose(phi.sum(axis=1) + est.expected_value_, raw, atol=1e-6)
    assert np.abs(phi[:, 1]).mean() > np.abs(phi[:, 0]).mean() / 10  # input order kept
    imp = est.feature_importances_
    assert imp.shape == (3,) and imp[1] == imp.max()


def test_warm_start_and_threads():
    X, y = _data(n=2000, seed=4)
    kw = dict(categorical_features=[1, 2], **NO_ES)
    a = HistGradientBoostingRegressor(max_iter=6, warm_start=True, **kw).fit(X, y)
    a.set_params(max_iter=12).fit(X, y)
    b = HistGradientBoostingRegressor(max_iter=12, **kw).fit(X, y)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-12)
    one = HistGradientBoostingRegressor(max_iter=12, n_jobs=1, **kw).fit(X, y)
    two = HistGradientBoostingRegressor(max_iter=12, n_jobs=2, **kw).fit(X, y)
    np.testing.assert_array_equal(one.predict(X), two.predict(X))


@pytest.mark.parametrize("scoring", ["loss", "accuracy"])
def test_early_stopping_equals_sklearn(scoring):
    X, y = _data(n=12000, seed=5)
    y = (y > np.median(y)).astype(int)
    kw = dict(max_iter=200, categorical_features=[1, 2], scoring=scoring, random_state=0,
              n_iter_no_change=3)
    ours = HistGradientBoostingClassifier(**kw).fit(X, y)
    ref = ske.HistGradientBoostingClassifier(**kw).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_ < 200
    assert _rel(ours.decision_function(X), ref.decision_function(X)) < 1e-6
    assert ours._encoding.X is None  # the encoded training data is not kept


def test_pickle_round_trip():
    pickle = pytest.importorskip("pickle")
    X, y = _data(n=500)
    est = HistGradientBoostingRegressor(max_iter=5, categorical_features=[1, 2], **NO_ES)
    est.fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


def _binned_raw(est, X):
    """Raw predictions walked tree by tree on bin codes (``predict_binned``, the reference)."""
    Xe = est._encoding.transform(X)
    raw = np.repeat(est._baseline[:, None], len(Xe), axis=1).astype(np.float64)
    codes = est._bins.transform(Xe, 1)
    for it in est._trees:
        for k, tree in enumerate(it):
            tree.walk_binned(codes, est._bins.missing_code, raw[k], 1)
    return raw


@pytest.mark.parametrize("n_categories, binned", [(5, False), (60, True)])
@pytest.mark.parametrize("Est", [HistGradientBoostingRegressor, HistGradientBoostingClassifier])
def test_packed_categorical_walk_equals_binned(Est, n_categories, binned):
    # few sets of categories: the packed walk (prefix/suffix thresholds and
    # indicator columns); many: the binned walk.  Both equal the tree-by-tree
    # walk on the codes, NaN and unseen categories included.
    rng = np.random.default_rng(7)
    n = 4000
    X = np.c_[rng.normal(size=n), rng.integers(0, n_categories, n),
              rng.integers(0, 3, n)].astype(float)
    X[rng.random(n) < 0.05, 1] = np.nan
    effect = rng.normal(size=n_categories)
    y = effect[np.nan_to_num(X[:, 1]).astype(int)] + X[:, 0] + (X[:, 2] == 1)
    if Est is HistGradientBoostingClassifier:
        y = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    est = Est(max_iter=20, categorical_features=[1, 2], **NO_ES).fit(X, y)
    forest = est._forest
    assert forest.binned == binned
    if not binned:
        assert forest.sets.tables  # some sets are neither a prefix nor a suffix
    Xt = X.copy()
    Xt[:50, 1] = n_categories + 3  # unseen in training
    Xt[50:100, 2] = np.nan
    raw = est._raw_predict(Xt)
    np.testing.assert_allclose(raw, _binned_raw(est, Xt), rtol=1e-12, atol=1e-12)
    Xe = est._encoding.transform(Xt)
    np.testing.assert_array_equal(forest.raw(Xe, 1), forest.raw(Xe, 2))
    blocks = forest.sets.block_rows
    forest.sets.block_rows = 999  # several blocks of indicator columns
    try:
        np.testing.assert_array_equal(est._raw_predict(Xt), raw)
    finally:
        forest.sets.block_rows = blocks
