"""GenerativeClassifier: Bayes' rule over one density per class."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from gdcore import GaussianMixture, GaussianNB, GenerativeClassifier


def test_one_diagonal_gaussian_per_class_is_gaussian_nb():
    X, y = load_wine(return_X_y=True)
    nb = GaussianNB().fit(X, y)
    density = GaussianMixture(1, covariance_type="diag", reg_covar=nb.epsilon_)
    clf = GenerativeClassifier(density).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), nb.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(clf.score_samples(X), nb.score_samples(X), rtol=1e-8)
    np.testing.assert_allclose(clf.class_prior_, nb.class_prior_)


def test_joint_log_likelihood_is_density_plus_prior():
    X, y = load_iris(return_X_y=True)
    clf = GenerativeClassifier(GaussianMixture(2), random_state=0).fit(X, y)
    jll = clf.predict_joint_log_proba(X[:5])
    for c, density in enumerate(clf.densities_):
        np.testing.assert_allclose(jll[:, c], density.score_samples(X[:5])
                                   + np.log(clf.class_prior_[c]))
    assert (clf.predict(X) == y).mean() > 0.95


def test_missing_values_are_marginalized_by_the_density():
    X, y = load_iris(return_X_y=True)
    clf = GenerativeClassifier(GaussianMixture(1, covariance_type="full")).fit(X, y)
    row = X[:1].copy()
    row[0, 1] = np.nan
    on_observed = GenerativeClassifier(GaussianMixture(1)).fit(X[:, [0, 2, 3]], y)
    np.testing.assert_allclose(clf.predict_proba(row),
                               on_observed.predict_proba(row[:, [0, 2, 3]]), rtol=1e-6)
    with pytest.raises(ValueError, match="NaN"):
        GenerativeClassifier(SkGaussianMixture()).fit(np.where(X > 7, np.nan, X), y)


def test_sampling_is_class_conditional_and_seeded():
    X, y = load_iris(return_X_y=True)
    clf = GenerativeClassifier(GaussianMixture(2), random_state=0).fit(X, y)
    Xs, ys = clf.sample(600, y=np.repeat([0, 1, 2], 200), random_state=3)
    for c in range(3):
        np.testing.assert_allclose(Xs[ys == c].mean(0), X[y == c].mean(0), atol=0.15)
    again, _ = clf.sample(600, y=np.repeat([0, 1, 2], 200), random_state=3)
    np.testing.assert_array_equal(Xs, again)
    assert (clf.predict(Xs) == ys).mean() > 0.9


def test_bad_parameters_and_densities():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="score_samples"):
        GenerativeClassifier(object()).fit(X, y)
    with pytest.raises(ValueError, match="Number of priors"):
        GenerativeClassifier(priors=[0.5, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="sum to 1"):
        GenerativeClassifier(priors=[0.5, 0.5, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        GenerativeClassifier(SkGaussianMixture()).fit(X, y, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError):
        GenerativeClassifier().fit(X, np.linspace(0, 1, len(y)))


def test_pickle_round_trip():
    X, y = load_iris(return_X_y=True)
    clf = GenerativeClassifier(GaussianMixture(2), random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
