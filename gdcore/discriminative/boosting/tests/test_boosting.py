"""HistGradientBoosting* against scikit-learn's: same trees, same scores, same API."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import datasets
from sklearn import ensemble as ske
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore.discriminative.boosting import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)

NO_ES = dict(early_stopping=False, random_state=0)


def _low_cardinality(n=2000, d=6, seed=0, nan=0.05):
    """Every feature has fewer distinct values than max_bins: binning is exact on both sides."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 30, size=(n, d)).astype(np.float64)
    X[rng.random((n, d)) < nan] = np.nan
    Z = np.nan_to_num(X, nan=15.0)
    y = np.sin(Z[:, 0] / 4) * 3 + 0.1 * Z[:, 1] - 0.05 * Z[:, 2] * Z[:, 3] + rng.normal(size=n)
    return X, y


def _rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3))


@pytest.mark.parametrize("params", [
    dict(), dict(l2_regularization=1.5, max_depth=4), dict(max_leaf_nodes=8, min_samples_leaf=5),
    dict(monotonic_cst=[1, 0, -1, 0, 0, 0]), dict(interaction_cst=[[0, 1], [2, 3, 4]]),
    dict(max_features=0.5), dict(learning_rate=0.3, max_leaf_nodes=None, max_depth=3),
])
def test_regressor_equals_sklearn(params):
    X, y = _low_cardinality()
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    for sample_weight in (None, w):
        ours = HistGradientBoostingRegressor(max_iter=40, **NO_ES, **params).fit(
            X, y, sample_weight=sample_weight)
        ref = ske.HistGradientBoostingRegressor(max_iter=40, **NO_ES, **params).fit(
            X, y, sample_weight=sample_weight)
        assert _rel(ours.predict(X), ref.predict(X)) < 1e-6
        assert ours.n_iter_ == ref.n_iter_


@pytest.mark.parametrize("loss", ["poisson", "gamma"])
def test_log_link_losses_equal_sklearn(loss):
    X, y = _low_cardinality()
    y = np.exp(y / 10)
    ours = HistGradientBoostingRegressor(loss=loss, max_iter=30, **NO_ES).fit(X, y)
    ref = ske.HistGradientBoostingRegressor(loss=loss, max_iter=30, **NO_ES).fit(X, y)
    assert _rel(ours.predict(X), ref.predict(X)) < 1e-6


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("params", [dict(), dict(l2_regularization=1.0, max_depth=3),
                                    dict(class_weight="balanced")])
def test_classifier_equals_sklearn(n_classes, params):
    X, y = _low_cardinality(seed=n_classes)
    y = np.digitize(y, np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1]))
    y = np.where(y == 0, 0, y)  # imbalance for class_weight: labels stay 0..K-1
    labels = np.array(["a", "b", "c", "d", "e"])[y]
    ours = HistGradientBoostingClassifier(max_iter=30, **NO_ES, **params).fit(X, labels)
    ref = ske.HistGradientBoostingClassifier(max_iter=30, **NO_ES, **params).fit(X, labels)
    assert _rel(ours.decision_function(X), ref.decision_function(X)) < 1e-6
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


CLASSIFICATION = ["iris", "wine", "breast_cancer", "digits"]


@pytest.mark.parametrize("name", CLASSIFICATION + ["diabetes"])
def test_bundled_datasets_score_as_sklearn(name):
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    if name == "diabetes":
        kw = dict(max_iter=100, random_state=0)
        ours = HistGradientBoostingRegressor(**kw).fit(Xtr, ytr)
        ref = ske.HistGradientBoostingRegressor(**kw).fit(Xtr, ytr)
        a, b = r2_score(yte, ours.predict(Xte)), r2_score(yte, ref.predict(Xte))
    else:
        kw = dict(max_iter=50, random_state=0)
        ours = HistGradientBoostingClassifier(**kw).fit(Xtr, ytr)
        ref = ske.HistGradientBoostingClassifier(**kw).fit(Xtr, ytr)
        a = log_loss(yte, ours.predict_proba(Xte))
        b = log_loss(yte, ref.predict_proba(Xte))
    assert abs(a - b) <= 0.005 * abs(b) + 1e-12


def test_monotonic_constraints_hold_on_a_grid():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (3000, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 0] - np.cos(X[:, 1]) * X[:, 1] + rng.normal(0, 0.5, 3000)
    reg = HistGradientBoostingRegressor(monotonic_cst=[1, -1, 0], max_iter=50, **NO_ES)
    reg.fit(X, y)
    grid = np.linspace(-3.5, 3.5, 200)
    for other in rng.uniform(-3, 3, (10, 3)):
        for f, sign in [(0, 1), (1, -1)]:
            Xg = np.repeat(other[None], len(grid), axis=0)
            Xg[:, f] = grid
            assert (sign * np.diff(reg.predict(Xg)) >= -1e-12).all()


def test_nan_rows_are_routed_as_learned():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (4000, 2))
    y = X[:, 0].copy()
    missing = rng.random(4000) < 0.2
    X[missing, 0] = np.nan
    y[missing] = 5.0  # missing means "very high"
    reg = HistGradientBoostingRegressor(max_iter=50, **NO_ES).fit(X, y)
    pred = reg.predict(np.array([[np.nan, 0.5], [0.95, 0.5], [0.05, 0.5]]))
    assert pred[0] > 4.5 and pred[1] < 1.5 and pred[2] < 0.5
    first = reg._trees[0][0]
    inner = first.children_left >= 0
    assert first.missing_go_to_left[inner].any() or not first.missing_go_to_left[inner].all()
    # no NaN in training: NaN at predict time follows the larger child
    Xc = np.nan_to_num(X, nan=0.5)
    ours = HistGradientBoostingRegressor(max_iter=5, **NO_ES).fit(Xc, y)
    ref = ske.HistGradientBoostingRegressor(max_iter=5, **NO_ES).fit(Xc, y)
    Xq = np.array([[np.nan, 0.3], [0.2, np.nan]])
    assert _rel(ours.predict(Xq), ref.predict(Xq)) < 1e-6


def test_bad_inputs_raise_value_errors():
    X, y = _low_cardinality(n=200)
    with pytest.raises(ValueError, match="non-negative"):
        HistGradientBoostingRegressor(loss="poisson").fit(X, y - 100)
    with pytest.raises(ValueError, match="strictly positive"):
        HistGradientBoostingRegressor(loss="gamma").fit(X, np.abs(y) * 0)
    with pytest.raises(ValueError, match="loss"):
        HistGradientBoostingRegressor(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="monotonic_cst has shape"):
        HistGradientBoostingRegressor(monotonic_cst=[1, 0]).fit(X, y)
    with pytest.raises(ValueError, match="-1, 0 or 1"):
        HistGradientBoostingRegressor(monotonic_cst=[2, 0, 0, 0, 0, 0]).fit(X, y)
    with pytest.raises(ValueError, match="Interaction constraints"):
        HistGradientBoostingRegressor(interaction_cst=[[0, 9]]).fit(X, y)
    with pytest.raises(ValueError, match="multiclass"):
        HistGradientBoostingClassifier(monotonic_cst=[1, 0, 0, 0, 0, 0]).fit(
            X, np.arange(200) % 3)
    # a categorical feature with more categories than max_bins (served by the peer)
    Xc = np.c_[np.arange(300) % 60, np.arange(300)].astype(float)
    with pytest.raises(ValueError, match="(?i)categorical feature .* cardinality"):
        HistGradientBoostingRegressor(categorical_features=[0], max_bins=50).fit(
            Xc, np.arange(300.0))


def test_results_do_not_depend_on_thread_count():
    X, y = datasets.make_classification(n_samples=40000, n_features=5, random_state=0)
    preds = [HistGradientBoostingClassifier(max_iter=10, n_jobs=t, **NO_ES).fit(X, y)
             .decision_function(X) for t in (1, 2)]
    np.testing.assert_array_equal(*preds)


def test_warm_start_equals_one_fit():
    X, y = _low_cardinality()
    one = HistGradientBoostingRegressor(max_iter=20, **NO_ES).fit(X, y)
    warm = HistGradientBoostingRegressor(max_iter=8, warm_start=True, **NO_ES).fit(X, y)
    warm.set_params(max_iter=20).fit(X, y)
    assert warm.n_iter_ == 20
    np.testing.assert_allclose(warm.predict(X), one.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="max_iter"):
        warm.set_params(max_iter=5).fit(X, y)


@pytest.mark.parametrize("scoring", ["loss", "neg_mean_squared_error", None])
def test_early_stopping_matches_sklearn(scoring):
    X, y = _low_cardinality(n=3000)
    kw = dict(max_iter=300, early_stopping=True, n_iter_no_change=5, random_state=0,
              scoring=scoring, learning_rate=0.5)
    ours = HistGradientBoostingRegressor(**kw).fit(X, y)
    ref = ske.HistGradientBoostingRegressor(**kw).fit(X, y)
    assert ours.n_iter_ < 300
    assert ours.validation_score_.shape == (ours.n_iter_ + 1,)
    assert ours.train_score_.shape == (ours.n_iter_ + 1,)
    assert abs(ours.n_iter_ - ref.n_iter_) <= 3


def test_staged_predictions_end_at_predict():
    X, y = _low_cardinality()
    yc = (y > np.median(y)).astype(int)
    clf = HistGradientBoostingClassifier(max_iter=7, **NO_ES).fit(X, yc)
    staged = list(clf.staged_predict_proba(X))
    assert len(staged) == 7
    np.testing.assert_allclose(staged[-1], clf.predict_proba(X), rtol=1e-12)
    np.testing.assert_allclose(list(clf.staged_decision_function(X))[-1],
                               clf.decision_function(X), rtol=1e-12)
    np.testing.assert_array_equal(list(clf.staged_predict(X))[-1], clf.predict(X))
    reg = HistGradientBoostingRegressor(max_iter=7, **NO_ES).fit(X, y)
    np.testing.assert_allclose(list(reg.staged_predict(X))[-1], reg.predict(X), rtol=1e-12)


def test_subsampling_and_importances():
    X, y = _low_cardinality()
    kw = dict(max_iter=20, subsample=0.6, colsample_bytree=0.5, **NO_ES)
    a = HistGradientBoostingRegressor(**kw).fit(X, y)
    b = HistGradientBoostingRegressor(**kw).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert r2_score(y, a.predict(X)) > 0.5
    assert a.feature_importances_.sum() == pytest.approx(1.0)
    assert np.argmax(a.feature_importances_) in (0, 2, 3)
    split = HistGradientBoostingRegressor(importance_type="split", max_iter=5, **NO_ES).fit(X, y)
    counts = split.feature_importances_ * sum(
        int((t.children_left >= 0).sum()) for it in split._trees for t in it)
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)


@pytest.mark.parametrize("kind", ["reg", "binary", "multi"])
def test_shap_values_add_up_to_raw_predictions(kind):
    X, y = _low_cardinality(n=800)
    if kind == "reg":
        est = HistGradientBoostingRegressor(max_iter=30, **NO_ES).fit(X, y)
        raw = est.predict(X)
    else:
        yc = (y > np.median(y)).astype(int) if kind == "binary" else np.digitize(y, [-1, 1])
        est = HistGradientBoostingClassifier(max_iter=30, **NO_ES).fit(X, yc)
        raw = est.decision_function(X)
    phi = est.shap_values(X)
    assert phi.shape[:2] == X.shape
    np.testing.assert_allclose(phi.sum(axis=1) + est.expected_value_, raw, rtol=1e-6,
                               atol=1e-6)


def test_shap_values_equal_brute_force_on_a_small_model():
    from itertools import combinations
    from math import factorial

    X, y = _low_cardinality(n=400, d=4, nan=0.0)
    X = np.ascontiguousarray(X[:, :3])
    est = HistGradientBoostingRegressor(max_iter=3, max_leaf_nodes=4, **NO_ES).fit(X, y)
    x = X[:1]

    def value(subset):
        # expected raw output with the features of `subset` fixed to x, others by cover
        total = est._forest.baseline[0]
        for it in est._forest.trees:
            t = it[0]

            def walk(node, t=t):
                if t.children_left[node] < 0:
                    return t.value[node, 0]
                f = t.feature[node]
                left, right = t.children_left[node], t.children_right[node]
                if f in subset:
                    return walk(left if x[0, f] <= t.threshold[node] else right, t)
                return ((t.cover[left] * walk(left, t) + t.cover[right] * walk(right, t))
                        / t.cover[node])
            total += walk(0)
        return total

    d = X.shape[1]
    brute = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for r in range(d):
            for s in combinations(others, r):
                w = factorial(r) * factorial(d - r - 1) / factorial(d)
                brute[i] += w * (value(set(s) | {i}) - value(set(s)))
    np.testing.assert_allclose(est.shap_values(x)[0], brute, rtol=1e-9, atol=1e-9)


def test_verbose_prints_one_line_per_iteration(capsys):
    X, y = _low_cardinality(n=300)
    HistGradientBoostingRegressor(max_iter=4, verbose=1, **NO_ES).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[")]
    assert len(lines) == 4 and "leaves" in lines[0] and "train score" in lines[0]


def test_pickle_round_trip():
    X, y = _low_cardinality(n=500)
    est = HistGradientBoostingRegressor(max_iter=10, **NO_ES).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


def test_fallbacks_equal_the_peer():
    X, y = _low_cardinality(n=600, nan=0.0)
    with pytest.raises(TypeError, match="dense data is required"):  # as the peer
        HistGradientBoostingRegressor().fit(sp.csr_matrix(X), y)


@pytest.mark.parametrize("params", [
    dict(loss="absolute_error"), dict(loss="quantile", quantile=0.8),
    dict(loss="quantile", quantile=0.1, max_depth=3, l2_regularization=1.0),
])
def test_residual_quantile_losses_equal_sklearn(params):
    # fitted natively: leaf values refitted to the residuals' median / quantile
    X, y = _low_cardinality()
    y = y + np.random.default_rng(2).standard_t(2, size=len(y))  # heavy tails
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    for sample_weight in (None, w):
        ours = HistGradientBoostingRegressor(max_iter=30, **NO_ES, **params).fit(
            X, y, sample_weight=sample_weight)
        assert "_peer" not in ours.__dict__
        ref = ske.HistGradientBoostingRegressor(max_iter=30, **NO_ES, **params).fit(
            X, y, sample_weight=sample_weight)
        np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-10, atol=1e-10)
    ours = HistGradientBoostingRegressor(max_iter=30, early_stopping=True, random_state=0,
                                         **params).fit(X, y)
    ref = ske.HistGradientBoostingRegressor(max_iter=30, early_stopping=True, random_state=0,
                                            **params).fit(X, y)
    np.testing.assert_allclose(ours.validation_score_, ref.validation_score_, rtol=1e-10)


@pytest.mark.parametrize("quantile", [None, 0, 1.0, 1.5])
def test_bad_quantile_raises_as_sklearn(quantile):
    X, y = _low_cardinality(n=200)
    est = HistGradientBoostingRegressor(loss="quantile", quantile=quantile)
    ref = ske.HistGradientBoostingRegressor(loss="quantile", quantile=quantile)
    with pytest.raises((TypeError, ValueError)) as ref_error:
        ref.fit(X, y)
    with pytest.raises(type(ref_error.value), match=str(ref_error.value)[:20]):
        est.fit(X, y)


@parametrize_with_checks([HistGradientBoostingClassifier(max_iter=10),
                          HistGradientBoostingRegressor(max_iter=10)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
