"""Forests: scikit-learn's checks, accuracy like scikit-learn's, same forest on any thread count."""

import pickle

import numpy as np
import pytest
from sklearn import ensemble as sk
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore import (
    ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor,
)
from gdcore._kernels import _tree_build


def _expected_failures(est):
    # A bootstrap draws rows, not weight: weight 2 is not "the row twice"
    # (scikit-learn lists the same check for its own forests).
    if getattr(est, "bootstrap", False):
        return {"check_sample_weight_equivalence_on_dense_data":
                "bootstrap resamples rows; weights are not repetitions"}
    return {}


@parametrize_with_checks([RandomForestClassifier(n_estimators=5, random_state=0),
                          RandomForestRegressor(n_estimators=5, random_state=0),
                          ExtraTreesClassifier(n_estimators=5, random_state=0),
                          ExtraTreesRegressor(n_estimators=5, random_state=0)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_checks(estimator, check):
    check(estimator)


def _cv(est, X, y):
    return cross_val_score(est, X, y, cv=3).mean()


# Mean 3-fold score over 3 seeds; tolerances: 1.5 accuracy points, 0.03 R^2
# (the 0.5 points / 2% is met on the large benchmark, see benches;
# on 150-1800 rows one seed moves accuracy by 1-2 points).
@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer, load_digits])
@pytest.mark.parametrize("ours,theirs", [(RandomForestClassifier, sk.RandomForestClassifier),
                                         (ExtraTreesClassifier, sk.ExtraTreesClassifier)])
def test_classifier_accuracy_like_sklearn(load, ours, theirs):
    X, y = load(return_X_y=True)
    a = np.mean([_cv(ours(n_estimators=30, random_state=s), X, y) for s in range(3)])
    b = np.mean([_cv(theirs(n_estimators=30, random_state=s), X, y) for s in range(3)])
    assert a > b - 0.015


@pytest.mark.parametrize("ours,theirs", [(RandomForestRegressor, sk.RandomForestRegressor),
                                         (ExtraTreesRegressor, sk.ExtraTreesRegressor)])
def test_regressor_r2_like_sklearn(ours, theirs):
    X, y = load_diabetes(return_X_y=True)
    a = np.mean([_cv(ours(n_estimators=30, random_state=s), X, y) for s in range(3)])
    b = np.mean([_cv(theirs(n_estimators=30, random_state=s), X, y) for s in range(3)])
    assert a > b - 0.03


@pytest.mark.parametrize("cls", [RandomForestClassifier, ExtraTreesClassifier])
def test_same_forest_on_any_thread_count(cls):
    X, y = load_breast_cancer(return_X_y=True)
    a = cls(n_estimators=8, random_state=1, n_jobs=1).fit(X, y)
    b = cls(n_estimators=8, random_state=1, n_jobs=2).fit(X, y)
    for ea, eb in zip(a.estimators_, b.estimators_):
        np.testing.assert_array_equal(ea.tree_.threshold, eb.tree_.threshold)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_oob_score_and_bootstrap_counts():
    X, y = load_breast_cancer(return_X_y=True)
    rf = RandomForestClassifier(n_estimators=40, oob_score=True, random_state=0).fit(X, y)
    ref = sk.RandomForestClassifier(n_estimators=40, oob_score=True, random_state=0).fit(X, y)
    assert abs(rf.oob_score_ - ref.oob_score_) < 0.03
    assert rf.oob_decision_function_.shape == (len(y), 2)
    counts = _tree_build.bootstrap_counts(np.uint64(rf._seeds[0]), len(y), len(y))
    assert counts.sum() == len(y)
    # the tree saw exactly its in-bag rows
    assert rf.estimators_[0].tree_.n_node_samples[0] == np.count_nonzero(counts)
    reg = RandomForestRegressor(n_estimators=30, oob_score=True, max_samples=0.5,
                                random_state=0).fit(*load_diabetes(return_X_y=True))
    assert 0.2 < reg.oob_score_ < 0.6


def test_warm_start_equals_one_fit():
    X, y = load_wine(return_X_y=True)
    one = RandomForestClassifier(n_estimators=10, random_state=3).fit(X, y)
    warm = RandomForestClassifier(n_estimators=5, random_state=3, warm_start=True).fit(X, y)
    warm.set_params(n_estimators=10).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), warm.predict_proba(X))
    with pytest.raises(ValueError, match="n_estimators"):
        warm.set_params(n_estimators=4).fit(X, y)


def test_apply_decision_path_importances_pickle():
    X, y = load_iris(return_X_y=True)
    rf = RandomForestClassifier(n_estimators=7, random_state=0).fit(X, y)
    leaves = rf.apply(X)
    assert leaves.shape == (150, 7)
    indicator, ptr = rf.decision_path(X)
    assert indicator.shape == (150, ptr[-1]) and len(ptr) == 8
    np.testing.assert_allclose(rf.feature_importances_.sum(), 1.0)
    again = pickle.loads(pickle.dumps(rf))
    np.testing.assert_array_equal(again.predict_proba(X), rf.predict_proba(X))


def test_nan_in_X_is_learned():
    X, y = load_breast_cancer(return_X_y=True)
    X = X.copy()
    X[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    rf = RandomForestClassifier(n_estimators=20, random_state=0).fit(X[:400], y[:400])
    assert rf.score(X[400:], y[400:]) > 0.85


def test_bad_inputs():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="bootstrap"):
        RandomForestClassifier(bootstrap=False, oob_score=True).fit(X, y)
    with pytest.raises(ValueError, match="max_samples"):
        RandomForestClassifier(max_samples=1000).fit(X, y)
    with pytest.raises(ValueError, match="n_estimators"):
        RandomForestClassifier(n_estimators=0).fit(X, y)
    Xinf = X.copy()
    Xinf[3, 1] = -np.inf
    with pytest.raises(ValueError, match="[Ii]nf"):
        RandomForestRegressor().fit(Xinf, y)
    with pytest.raises(ValueError, match="[Ss]ample weights"):
        RandomForestClassifier().fit(X, y, sample_weight=np.ones((150, 2)))
