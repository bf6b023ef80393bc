"""Extreme values in the naive Bayes models: a finite answer or a clear error naming the cause."""

import numpy as np
import pytest
from sklearn.naive_bayes import ComplementNB as SkComplementNB

from gdcore import CategoricalNB, ComplementNB, GaussianNB, MultinomialNB

rng = np.random.default_rng(0)
COUNTS = rng.poisson(3.0, size=(30, 4)).astype(float)
Y = np.arange(30) % 3


@pytest.mark.parametrize("big", [1e200, 1e300, float(np.iinfo(np.uint64).max)])
def test_complement_of_a_dominant_count_is_exact(big):
    X = COUNTS.copy()
    X[7, 0] = big
    est = ComplementNB().fit(X, Y)
    assert np.isfinite(est.feature_log_prob_).all()
    proba = est.predict_proba(X)
    assert np.isfinite(proba).all()
    # The other classes' counts of feature 0, plus alpha: what cancels in
    # feature_all_ + alpha - feature_count_ for the class holding the 1e300.
    others = X[Y != Y[7], 0].sum() + 1.0
    comp = est.feature_all_ + 1.0 - est.feature_count_
    assert comp[Y[7], 0] != others          # scikit-learn's formula loses it
    logged = np.log(others / (others + (X[Y != Y[7], 1:].sum() + 3.0)))
    np.testing.assert_allclose(-est.feature_log_prob_[Y[7], 0], logged, rtol=1e-12)


def test_complement_nb_equals_scikit_learn_on_ordinary_counts():
    ours, theirs = ComplementNB().fit(COUNTS, Y), SkComplementNB().fit(COUNTS, Y)
    np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, rtol=1e-13)


@pytest.mark.parametrize("model", [MultinomialNB, ComplementNB])
def test_counts_summing_past_float64_are_refused(model):
    X = COUNTS.copy()
    X[3, 2] = X[4, 2] = 1e308
    with pytest.raises(ValueError, match="overflows at column 2"):
        model().fit(X, Y)


@pytest.mark.parametrize("big", [1e200, 1e300, -1e300])
def test_gaussian_nb_refuses_a_column_whose_variance_overflows(big):
    X = rng.normal(size=(30, 3))
    X[7, 1] = big
    with pytest.raises(ValueError, match="column 1 .* overflows"):
        GaussianNB().fit(X, Y)


def test_gaussian_nb_on_one_sample_is_finite():
    x = np.array([[5.1, 3.5, 0.0]])
    est = GaussianNB().fit(x, [0])
    # every feature constant: epsilon scales with the largest squared mean
    np.testing.assert_allclose(est.var_, 1e-9 * 5.1**2)
    assert np.isfinite(est.score_samples(x)).all()
    np.testing.assert_array_equal(est.predict_proba(x), [[1.0]])


def test_gaussian_nb_refuses_zero_variance_without_smoothing():
    X = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 1.0], [1.0, 3.0]])
    with pytest.raises(ValueError, match="feature 0 is constant within class 0.*var_smoothing"):
        GaussianNB(var_smoothing=0.0).fit(X, [0, 0, 1, 1])


@pytest.mark.parametrize("params, code", [({}, 1e12), ({"min_categories": 2**40}, 1.0)])
def test_categorical_nb_refuses_absurd_category_tables_before_allocating(params, code):
    X = np.array([[0.0, 1.0], [code, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="GiB.*OrdinalEncoder"):
        CategoricalNB(**params).fit(X, [0, 1, 1])


def test_categorical_nb_negative_codes_get_scikit_learns_message():
    est = CategoricalNB().fit([[0, 1], [1, 2], [2, 0]], [0, 1, 1])
    for X in ([[0, -1]], [[0.5, -1]]):
        with pytest.raises(ValueError, match=r"Negative values in data passed to "
                                             r"CategoricalNB \(input X\)"):
            est.predict(X)
