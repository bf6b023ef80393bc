"""scikit-learn's HistGradientBoosting* API beyond predictions: fit parameters, inputs, attrs."""

import inspect

import numpy as np
import pytest
from sklearn import ensemble as ske
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split

from gdcore.discriminative.boosting import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)

PAIRS = [(HistGradientBoostingClassifier, ske.HistGradientBoostingClassifier),
         (HistGradientBoostingRegressor, ske.HistGradientBoostingRegressor)]

# scikit-learn's fit takes X_val from 1.7 on; before, gdcore is held to its own split only
SKLEARN_TAKES_X_VAL = "X_val" in inspect.signature(PAIRS[0][1].fit).parameters


def _problem(Est, n=300, seed=0):
    if Est is HistGradientBoostingClassifier:
        return make_classification(n_samples=n, random_state=seed)
    return make_regression(n_samples=n, noise=5.0, random_state=seed)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("Est, Ref", PAIRS)
def test_X_val_equals_the_validation_split_and_sklearn(Est, Ref, weighted):
    X, y = _problem(Est)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y)) if weighted else None
    seed = np.random.RandomState(3).randint(np.iinfo(np.uint32).max, dtype="u8")
    stratify = y if Est is HistGradientBoostingClassifier else None
    parts = train_test_split(X, y, *([sw] if weighted else []), test_size=0.3,
                             stratify=stratify, random_state=seed)
    X_tr, X_val, y_tr, y_val = parts[:4]
    sw_tr, sw_val = parts[4:] if weighted else (None, None)
    kw = dict(early_stopping=True, random_state=3, n_iter_no_change=3)
    split = Est(validation_fraction=0.3, **kw).fit(X, y, sample_weight=sw)
    given = Est(**kw).fit(X_tr, y_tr, sample_weight=sw_tr, X_val=X_val, y_val=y_val,
                          sample_weight_val=sw_val)
    assert given.n_iter_ == split.n_iter_
    np.testing.assert_allclose(given.validation_score_, split.validation_score_, rtol=1e-10)
    np.testing.assert_allclose(given.predict(X), split.predict(X), rtol=1e-10)
    if SKLEARN_TAKES_X_VAL:
        ref = Ref(**kw).fit(X_tr, y_tr, sample_weight=sw_tr, X_val=X_val, y_val=y_val,
                            sample_weight_val=sw_val)
        assert given.n_iter_ == ref.n_iter_
        np.testing.assert_allclose(given.validation_score_, ref.validation_score_, rtol=1e-6)


def test_X_val_errors_say_what_to_pass():
    X, y = _problem(HistGradientBoostingClassifier, n=60)
    with pytest.raises(ValueError, match="y_val was not provided"):
        HistGradientBoostingClassifier().fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="X_val was not provided"):
        HistGradientBoostingClassifier().fit(X, y, y_val=y)
    with pytest.raises(ValueError, match="early_stopping is False"):
        HistGradientBoostingClassifier(early_stopping=False).fit(X, y, X_val=X, y_val=y)
    with pytest.raises(ValueError, match="labels not in y"):
        HistGradientBoostingClassifier(early_stopping=True).fit(X, y, X_val=X, y_val=y + 5)


@pytest.mark.parametrize("Est, Ref", PAIRS)
def test_infinite_values_fall_in_the_extreme_bins(Est, Ref):
    X, y = _problem(Est)
    X[::7, 0], X[3::7, 1], X[5::11, 1] = np.inf, -np.inf, np.nan
    kw = dict(max_iter=10, **dict(early_stopping=False, random_state=0))
    ours, ref = Est(**kw).fit(X, y), Ref(**kw).fit(X, y)
    np.testing.assert_allclose(ours._raw_predict(X), ref._raw_predict(X).T, rtol=1e-10)


def test_one_class_fits_as_sklearn():
    X, y = _problem(HistGradientBoostingClassifier)
    y = np.full(len(y), 7)
    ours = HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    ref = ske.HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    assert all(len(p[0].nodes) == 1 for p in ours._predictors)


@pytest.mark.parametrize("Est, Ref", PAIRS)
def test_private_attributes_read_as_sklearn(Est, Ref):
    X, y = _problem(Est, n=2000)
    X[:20, 2] = np.nan
    X[:, 3] = np.arange(len(X)) % 4  # a categorical feature
    kw = dict(max_iter=3, max_depth=3, max_leaf_nodes=5, categorical_features=[3],
              early_stopping=False, random_state=0)
    ours, ref = Est(**kw).fit(X, y), Ref(**kw).fit(X, y)
    np.testing.assert_array_equal(ours.is_categorical_, ref.is_categorical_)
    assert Est(early_stopping=False).fit(X, y).is_categorical_ is None
    np.testing.assert_array_equal(
        ours._preprocessor.named_transformers_["encoder"].categories_[0],
        ref._preprocessor.named_transformers_["encoder"].categories_[0])
    np.testing.assert_array_equal(ours._bin_mapper.n_bins_non_missing_,
                                  ref._bin_mapper.n_bins_non_missing_)
    for a, b in zip(ours._bin_mapper.bin_thresholds_, ref._bin_mapper.bin_thresholds_):
        np.testing.assert_allclose(a, b)
    for it_ours, it_ref in zip(ours._predictors, ref._predictors, strict=True):
        for p, q in zip(it_ours, it_ref, strict=True):
            assert (p.get_n_leaf_nodes(), p.get_max_depth()) == (
                q.get_n_leaf_nodes(), q.get_max_depth())
            for field in ("count", "feature_idx", "left", "right", "depth", "is_leaf",
                          "is_categorical", "bitset_idx", "missing_go_to_left"):
                np.testing.assert_array_equal(p.nodes[field], q.nodes[field], err_msg=field)
            leaf = q.nodes["is_leaf"] == 1
            np.testing.assert_allclose(p.nodes["value"][leaf], q.nodes["value"][leaf])
            np.testing.assert_array_equal(p.raw_left_cat_bitsets, q.raw_left_cat_bitsets)
    X_small, y_small, _, idx = ours._get_small_trainset(np.tile(X, (6, 1)), np.tile(y, 6),
                                                        None, seed=0)
    assert X_small.shape == (10_000, X.shape[1]) and len(idx) == len(y_small) == 10_000


def test_scorers_during_fit_see_the_trees_so_far():
    X, y = _problem(HistGradientBoostingRegressor)
    calls = []

    def scorer(est, X, y):
        calls.append(est.predict(X))
        return get_scorer("r2")(est, X, y)

    kw = dict(max_iter=4, early_stopping=True, random_state=0, n_iter_no_change=10)
    custom = HistGradientBoostingRegressor(scoring=scorer, **kw).fit(X, y)
    named = HistGradientBoostingRegressor(scoring="r2", **kw).fit(X, y)
    ref = ske.HistGradientBoostingRegressor(scoring=scorer, **kw).fit(X, y)
    assert len(calls) == 2 * 2 * (4 + 1)  # ours and scikit-learn's: train, val per stage
    np.testing.assert_allclose(custom.validation_score_, named.validation_score_, rtol=1e-10)
    np.testing.assert_allclose(custom.validation_score_, ref.validation_score_, rtol=1e-8)
    assert "_in_fit" not in vars(custom) and "_raw_predict" not in vars(named)


def test_warm_start_with_early_stopping_continues_the_scores():
    X, y = _problem(HistGradientBoostingClassifier)
    est = HistGradientBoostingClassifier(max_iter=1, warm_start=True, early_stopping=True,
                                         n_iter_no_change=1, validation_fraction=None)
    est.fit(X, y)
    est.set_params(max_iter=2).fit(X, y)
    assert est.n_iter_ == 2 and est.train_score_.shape == (3,)


@pytest.mark.parametrize("n", [300, 5000])
def test_weighted_bins_equal_scikit_learns(n):
    """With sample_weight, the bin thresholds are scikit-learn's weighted ones (1.8+)."""
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper

    from gdcore._sklearn_compat import sklearn_version_at_least
    from gdcore.discriminative.boosting._binning import Bins

    if not sklearn_version_at_least("1.8"):
        pytest.skip("scikit-learn < 1.8 bins without weights")
    rng = np.random.RandomState(0)
    X = rng.randn(n, 3)
    sw = rng.randint(0, 5, n).astype(np.float64)
    ours = Bins(X, 63, np.random.RandomState(0), sample_weight=sw)
    theirs = _BinMapper(n_bins=64).fit(X, sample_weight=sw)
    for f in range(3):
        np.testing.assert_allclose(ours.edges[f, : ours.n_bins[f] - 1],
                                   theirs.bin_thresholds_[f], rtol=1e-12)


def test_bins_are_the_same_on_any_thread_count():
    """Features' thresholds found in threads equal the one-thread ones, in feature order."""
    from gdcore.discriminative.boosting._binning import Bins

    rng = np.random.RandomState(0)
    X = np.c_[rng.randn(3000, 5), rng.randint(0, 7, (3000, 2)).astype(float)]
    X[rng.rand(3000) < 0.1, 1] = np.nan
    one = Bins(X, 63, np.random.RandomState(0), n_threads=1)
    two = Bins(X, 63, np.random.RandomState(0), n_threads=2)
    np.testing.assert_array_equal(one.edges, two.edges)
    np.testing.assert_array_equal(one.n_bins, two.n_bins)
    assert len(set(one.n_bins.tolist())) > 1
