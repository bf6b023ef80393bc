"""Forests: scikit-learn's checks, accuracy like scikit-learn's, same forest on any thread count."""

import pickle

import numpy as np
import pytest
from sklearn import ensemble as sk
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split

from gdcore import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from gdcore._sklearn_compat import sklearn_version_at_least
from gdcore.discriminative.tree import _tree_build

# The parity claim (README), scikit-learn's default parameters (100 trees):
# mean test score over random 50/50 splits, one scikit-learn forest and
# OURS_PER_SPLIT of ours per split (ours are cheap, and averaging them halves
# our share of the noise).  The split is shared, so the difference is forest
# randomness: per split it has a standard deviation of 1.1 / 0.9 / 0.7 / 0.3
# points on iris / wine / breast_cancer / digits (1.2 R^2 points on
# diabetes), hence the split counts (standard errors 0.15-0.25 points).  With
# 40 splits the measured differences were -0.11 to +0.20 points: no bias.
OURS_PER_SPLIT = 3
SPLITS = {load_iris: 20, load_wine: 20, load_breast_cancer: 16, load_digits: 5,
          load_diabetes: 8}


def _mean_scores(ours, theirs, load, classify):
    X, y = load(return_X_y=True)
    a, b = [], []
    for s in range(SPLITS[load]):
        Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.5, random_state=s,
                                          stratify=y if classify else None)
        b.append(theirs(random_state=s, n_jobs=1).fit(Xa, ya).score(Xb, yb))
        a += [ours(random_state=OURS_PER_SPLIT * s + r, n_jobs=1).fit(Xa, ya).score(Xb, yb)
              for r in range(OURS_PER_SPLIT)]
    return np.mean(a), np.mean(b)


@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer, load_digits])
@pytest.mark.parametrize("ours,theirs", [(RandomForestClassifier, sk.RandomForestClassifier),
                                         (ExtraTreesClassifier, sk.ExtraTreesClassifier)])
def test_classifier_accuracy_like_sklearn(load, ours, theirs):
    """Within 0.5 accuracy points of scikit-learn's, averaged over splits and seeds."""
    a, b = _mean_scores(ours, theirs, load, classify=True)
    assert abs(a - b) <= 0.005, (a, b)


@pytest.mark.parametrize("ours,theirs", [(RandomForestRegressor, sk.RandomForestRegressor),
                                         (ExtraTreesRegressor, sk.ExtraTreesRegressor)])
def test_regressor_r2_like_sklearn(ours, theirs):
    """R^2 on diabetes within 2% of scikit-learn's, averaged over splits and seeds."""
    a, b = _mean_scores(ours, theirs, load_diabetes, classify=False)
    assert abs(a - b) <= 0.02 * abs(b), (a, b)


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


def test_class_weight_balanced_subsample():
    X, y = make_classification(600, 8, weights=[0.85, 0.15], random_state=0)
    rf = RandomForestClassifier(n_estimators=10, class_weight="balanced_subsample",
                                random_state=0).fit(X, y)
    # each tree's bootstrap sample weighs both classes equally
    for est in rf.estimators_:
        np.testing.assert_allclose(est.tree_.value[0, 0], [0.5, 0.5], rtol=1e-12)
    # without bootstrap it is "balanced", as in scikit-learn
    a = RandomForestClassifier(n_estimators=3, bootstrap=False, random_state=0,
                               class_weight="balanced_subsample").fit(X, y)
    b = RandomForestClassifier(n_estimators=3, bootstrap=False, random_state=0,
                               class_weight="balanced").fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    # the minority class recalled at least as well as by scikit-learn's
    # (held-out, mean of 6 seeds: 46 minority rows, one row is 0.022)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    recall = [[recall_score(yb, cls(class_weight="balanced_subsample", min_samples_leaf=5,
                                     random_state=s).fit(Xa, ya).predict(Xb))
               for s in range(6)] for cls in (RandomForestClassifier, sk.RandomForestClassifier)]
    assert np.mean(recall[0]) > np.mean(recall[1]) - 0.03, recall


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
    with pytest.raises(ValueError, match="max_sample"):
        RandomForestClassifier(bootstrap=False, max_samples=10).fit(X, y)
    with pytest.raises(ValueError, match="use fewer trees"):
        RandomForestClassifier(n_estimators=2**40).fit(X, y)
    with pytest.raises(ValueError, match="n_estimators"):
        RandomForestClassifier(n_estimators=0).fit(X, y)
    Xinf = X.copy()
    Xinf[3, 1] = -np.inf
    with pytest.raises(ValueError, match="[Ii]nf"):
        RandomForestRegressor().fit(Xinf, y)
    with pytest.raises(ValueError, match="[Ss]ample weights"):
        RandomForestClassifier().fit(X, y, sample_weight=np.ones((150, 2)))


@pytest.mark.parametrize("Est", [RandomForestClassifier, ExtraTreesClassifier])
def test_parameters_scikit_learn_refuses_are_refused(Est):
    X, y = load_iris(return_X_y=True)
    # 1 is an int below 2, not the fraction 1.0 (scikit-learn's RealNotInt rule).
    with pytest.raises(ValueError, match="min_samples_split"):
        Est(n_estimators=3, min_samples_split=1).fit(X, y)
    # A negative class weight would give negative probabilities.
    with pytest.raises(ValueError, match="class_weight must be non-negative"):
        Est(n_estimators=3, class_weight={0: -1.0, 1: 2.0, 2: 1.0}).fit(X, y)


# ---- drop-in: scikit-learn's forest protocol and what it accepts ------------------------

FORESTS = [RandomForestClassifier, ExtraTreesClassifier]


@pytest.mark.parametrize("Forest", FORESTS)
def test_sparse_X_is_native_and_other_criteria_are_fitted_by_scikit_learn(Forest, caplog):
    import scipy.sparse as sp
    import sklearn.ensemble as ske

    X, y = load_iris(return_X_y=True)
    X = np.where(X > np.median(X, axis=0), X, 0.0)  # some implicit zeros
    dense = Forest(n_estimators=10, random_state=0).fit(X, y)
    for fmt in (sp.csc_matrix, sp.csr_matrix):
        with caplog.at_level("DEBUG", logger="gdcore"):
            ours = Forest(n_estimators=10, random_state=0).fit(fmt(X), y)
        assert "_peer" not in vars(ours) and "fitting through" not in caplog.text
        # the same binned codes, so the same trees as on dense X
        np.testing.assert_array_equal(ours.predict_proba(fmt(X)), dense.predict_proba(X))
        np.testing.assert_array_equal(ours.apply(fmt(X)), dense.apply(X))
        assert (ours.decision_path(fmt(X))[0] != dense.decision_path(X)[0]).nnz == 0
    with pytest.raises(ValueError, match="Sparse X cannot hold missing values"):
        Forest(n_estimators=2).fit(sp.csr_matrix(np.where(X > 6, np.nan, X)), y)
    reg = RandomForestRegressor(n_estimators=5, criterion="absolute_error", random_state=0)
    peer = ske.RandomForestRegressor(n_estimators=5, criterion="absolute_error",
                                     random_state=0)
    with caplog.at_level("DEBUG", logger="gdcore"):
        reg.fit(X, X[:, 0])
    assert "criterion='absolute_error'" in caplog.text
    np.testing.assert_array_equal(reg.predict(X), peer.fit(X, X[:, 0]).predict(X))


def test_sparse_X_too_large_to_bin_is_fitted_by_scikit_learn():
    import scipy.sparse as sp

    from gdcore._memory import physical_memory_bytes
    from gdcore.discriminative.tree._common import fallback_reason

    side = int(physical_memory_bytes() ** 0.5) + 1  # side * side one-byte codes
    huge = sp.csr_matrix((side, side))
    assert "would not fit in memory" in fallback_reason(RandomForestClassifier(), huge, None)
    assert fallback_reason(RandomForestClassifier(), sp.csr_matrix((10, 10)), None) is None


def test_forest_is_a_sequence_of_its_trees_with_their_samples():
    X, y = load_iris(return_X_y=True)
    rf = RandomForestClassifier(n_estimators=4, max_samples=0.5, random_state=0).fit(X, y)
    assert len(rf) == 4 and rf[1] is rf.estimators_[1] and list(rf) == rf.estimators_
    assert type(rf.estimator).__name__ == "DecisionTreeClassifier"
    samples = rf.estimators_samples_
    assert [len(s) for s in samples] == [75] * 4 and samples[0].dtype == np.int32
    assert len(np.unique(samples[0])) < 75
    et = ExtraTreesClassifier(n_estimators=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(et.estimators_samples_[0], np.arange(150))


def test_multilabel_oob_score_is_subset_accuracy_and_callables_are_scored():
    from sklearn.datasets import make_multilabel_classification
    from sklearn.metrics import accuracy_score, f1_score

    X, Y = make_multilabel_classification(random_state=0)
    et = ExtraTreesClassifier(bootstrap=True, oob_score=True, random_state=0).fit(X, Y)
    assert et.oob_decision_function_.shape == (100, 2, 5)  # scikit-learn's layout
    pred = et.oob_decision_function_.argmax(axis=1)
    assert et.oob_score_ == accuracy_score(Y, pred)  # every label of a row right
    X, y = load_iris(return_X_y=True)
    rf = RandomForestClassifier(oob_score=f1_score, random_state=0).fit(X, y == 2)
    want = f1_score(y == 2, rf.oob_decision_function_.argmax(axis=1))
    assert rf.oob_score_ == want and 0.8 < want <= 1.0


@pytest.mark.skipif(not sklearn_version_at_least("1.9"),
                    reason="max_samples > 1 is valid from scikit-learn 1.9")
def test_max_samples_above_one_draws_more_rows_than_n():
    X, y = load_iris(return_X_y=True)
    rf = RandomForestRegressor(n_estimators=3, max_samples=1.5, random_state=0).fit(X, y)
    assert [len(s) for s in rf.estimators_samples_] == [225] * 3


def test_sparse_y_is_refused_with_scikit_learns_message():
    import scipy.sparse as sp

    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="sparse multilabel-indicator for y"):
        RandomForestClassifier(n_estimators=2).fit(X, sp.csr_matrix(y[:, None]))


def test_one_class_is_fitted_as_scikit_learn():
    X, y = load_iris(return_X_y=True)
    rf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, np.full(150, 4))
    np.testing.assert_array_equal(rf.predict(X), np.full(150, 4))
    np.testing.assert_array_equal(rf.predict_proba(X), np.ones((150, 1)))


def test_a_bootstrap_of_zero_weight_rows_predicts_the_prior():
    X, y = load_iris(return_X_y=True)
    w = np.zeros(150)
    w[[0, 60]] = 1.0  # most bootstraps of 2 draws miss both weighted rows
    rf = RandomForestClassifier(n_estimators=20, max_samples=2, random_state=0)
    proba = rf.fit(X, y, sample_weight=w).predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_prints_progress_and_grows_the_same_forest(verbose, capsys):
    X, y = load_iris(return_X_y=True)
    quiet = RandomForestClassifier(n_estimators=25, random_state=0, n_jobs=2).fit(X, y)
    capsys.readouterr()
    loud = RandomForestClassifier(n_estimators=25, random_state=0, n_jobs=2,
                                  verbose=verbose).fit(X, y)
    out = capsys.readouterr().out
    assert "Done   25 out of   25" in out and out.rstrip().endswith("finished")
    assert ("building tree 25 of 25" in out) == (verbose > 1)
    np.testing.assert_array_equal(loud.predict_proba(X), quiet.predict_proba(X))


@pytest.mark.parametrize("Forest", [RandomForestClassifier, ExtraTreesRegressor])
def test_member_refitted_on_its_samples_is_the_same_tree(Forest):
    """Feature draws and bootstrap draws come from separate streams of the tree's seed."""
    from sklearn.base import clone

    X, y = load_iris(return_X_y=True)
    forest = Forest(n_estimators=3, bootstrap=True, max_features=0.5, random_state=0).fit(X, y)
    for est, rows in zip(forest.estimators_, forest.estimators_samples_):
        again = clone(est).fit(X[rows], y[rows])
        np.testing.assert_allclose(again.tree_.value, est.tree_.value)
        np.testing.assert_array_equal(again.tree_.feature, est.tree_.feature)


def test_bootstrap_draws_rows_by_weight_as_scikit_learn():
    """Bootstrap rows are drawn as the installed scikit-learn draws them.

    scikit-learn 1.9 draws them in proportion to sample_weight (its trees then
    weigh rows by their counts) and sizes a float max_samples by the weights'
    sum; earlier releases draw uniformly and weigh the drawn rows.
    """
    from gdcore._sklearn_compat import _BOOTSTRAP_TAKES_WEIGHT

    X, y = load_iris(return_X_y=True)
    w = np.where(np.arange(150) % 3 == 0, 0.0, np.where(np.arange(150) % 3 == 1, 1.0, 3.0))
    rf = RandomForestClassifier(n_estimators=30, max_samples=0.5, oob_score=True,
                                random_state=0).fit(X, y, sample_weight=w)
    ref = sk.RandomForestClassifier(n_estimators=30, max_samples=0.5,
                                    random_state=0).fit(X, y, sample_weight=w)
    assert rf._n_samples_bootstrap == ref._n_samples_bootstrap
    drawn = np.bincount(np.concatenate(rf.estimators_samples_), minlength=150)
    their = np.bincount(np.concatenate(ref.estimators_samples_), minlength=150)
    by_weight = [drawn[np.arange(150) % 3 == k].sum() for k in range(3)]
    assert (by_weight[0] == 0) == (their[::3].sum() == 0)
    if _BOOTSTRAP_TAKES_WEIGHT:
        assert by_weight[0] == 0 and 2.5 < by_weight[2] / by_weight[1] < 3.5
    est, rows = rf.estimators_[0], rf.estimators_samples_[0]
    # the tree's root weighs its drawn rows: their counts alone when drawn by weight
    expect = len(rows) if _BOOTSTRAP_TAKES_WEIGHT else w[rows].sum()
    np.testing.assert_allclose(est.tree_.weighted_n_node_samples[0], expect)
    # the out-of-bag rows are the rows no tree drew
    assert rf.oob_decision_function_.shape == (150, 3)
    unweighted = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    weighted_ones = RandomForestClassifier(n_estimators=5, random_state=0).fit(
        X, y, sample_weight=np.ones(150))
    assert unweighted._sample_weight is None and weighted_ones._sample_weight is not None

