"""Naive Bayes estimators: scikit-learn's answers, plus missing values and sampling."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.naive_bayes as sk
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine

import gdcore

NAMES = ["GaussianNB", "MultinomialNB", "BernoulliNB", "ComplementNB", "CategoricalNB"]
DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer,
            "digits": load_digits}

def _dataset_for(name, X):
    """Each model's kind of data, derived from a real dataset."""
    if name == "CategoricalNB":
        return np.floor(3 * (X - X.min(0)) / (np.ptp(X, axis=0) + 1e-12)).astype(int)
    if name in ("MultinomialNB", "ComplementNB"):
        return X - X.min(0)
    return X


def _params(name, X):
    return {"binarize": float(np.median(X))} if name == "BernoulliNB" else {}


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", NAMES)
def test_equals_sklearn(name, dataset):
    X, y = DATASETS[dataset](return_X_y=True)
    X = _dataset_for(name, X)
    ours = getattr(gdcore, name)(**_params(name, X)).fit(X, y)
    theirs = getattr(sk, name)(**_params(name, X)).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.predict_joint_log_proba(X),
                               theirs.predict_joint_log_proba(X), rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.class_count_, theirs.class_count_)
    for attr in ("theta_", "var_", "class_prior_", "class_log_prior_"):
        if hasattr(theirs, attr):
            np.testing.assert_allclose(getattr(ours, attr), getattr(theirs, attr),
                                       rtol=1e-10)
    if name != "GaussianNB":
        for a, b in zip(list(ours.feature_log_prob_), list(theirs.feature_log_prob_)):
            np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_partial_fit_and_sample_weight_equal_sklearn(name):
    X, y = load_wine(return_X_y=True)
    X = _dataset_for(name, X)
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    ours = getattr(gdcore, name)(**_params(name, X))
    theirs = getattr(sk, name)(**_params(name, X))
    for part in np.array_split(np.random.default_rng(1).permutation(len(y)), 3):
        ours.partial_fit(X[part], y[part], classes=np.unique(y), sample_weight=w[part])
        theirs.partial_fit(X[part], y[part], classes=np.unique(y), sample_weight=w[part])
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["MultinomialNB", "ComplementNB", "BernoulliNB"])
def test_sparse_csr_equals_dense(name):
    X, y = load_digits(return_X_y=True)
    dense = getattr(gdcore, name)().fit(X, y)
    sparse = getattr(gdcore, name)().fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.feature_log_prob_, dense.feature_log_prob_, rtol=1e-12)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)),
                               dense.predict_proba(X), rtol=1e-9, atol=1e-12)


# --- NaN means missing -------------------------------------------------------

def _with_missing(X, frac, seed=0):
    X = X.astype(float).copy()
    X[np.random.default_rng(seed).random(X.shape) < frac] = np.nan
    return X


@pytest.mark.parametrize("name", ["GaussianNB", "BernoulliNB", "CategoricalNB"])
def test_predict_with_nan_equals_model_on_observed_columns(name):
    X, y = load_breast_cancer(return_X_y=True)
    X = _dataset_for(name, X)
    params = {**_params(name, X), **({"var_smoothing": 0.0} if name == "GaussianNB" else {})}
    model = getattr(gdcore, name)(**params).fit(X, y)
    observed = np.array([0, 3, 7, 12, 20])
    x_missing = np.full((5, X.shape[1]), np.nan)
    x_missing[:, observed] = X[:5, observed]
    on_observed = getattr(sk, name)(**params).fit(X[:, observed], y)
    np.testing.assert_allclose(model.predict_proba(x_missing),
                               on_observed.predict_proba(X[:5, observed]), rtol=1e-9)


@pytest.mark.parametrize("name", ["GaussianNB", "BernoulliNB", "CategoricalNB"])
def test_fit_with_nan_equals_each_feature_fitted_on_its_observed_rows(name):
    X, y = load_iris(return_X_y=True)
    X = _dataset_for(name, X)
    Xm = _with_missing(X, 0.25)
    params = {**_params(name, X), **({"var_smoothing": 0.0} if name == "GaussianNB" else {})}
    model = getattr(gdcore, name)(**params).fit(Xm, y)
    for j in range(X.shape[1]):
        rows = ~np.isnan(Xm[:, j])
        col = getattr(sk, name)(**params).fit(X[rows][:, [j]], y[rows])
        if name == "GaussianNB":
            np.testing.assert_allclose(model.theta_[:, j], col.theta_[:, 0], rtol=1e-12)
            np.testing.assert_allclose(model.var_[:, j], col.var_[:, 0], rtol=1e-12)
        else:
            ours = model.feature_log_prob_[j] if name == "CategoricalNB" else (
                model.feature_log_prob_[:, j])
            theirs = col.feature_log_prob_[0][:, : ours.shape[-1]] if (
                name == "CategoricalNB") else col.feature_log_prob_[:, 0]
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_no_nan_path_unchanged_by_missing_support():
    X, y = load_digits(return_X_y=True)
    a = gdcore.BernoulliNB(binarize=4.0).fit(X, y)
    np.testing.assert_array_equal(a.missing_count_, 0)


def test_gaussian_class_never_observed_on_a_feature_borrows_pooled_stats():
    X = np.array([[0.0, 1.0], [0.2, 1.2], [5.0, np.nan], [5.2, np.nan]])
    y = np.array([0, 0, 1, 1])
    model = gdcore.GaussianNB().fit(X, y)
    assert np.all(np.isfinite(model.theta_)) and np.all(model.var_ > 0)
    proba = model.predict_proba([[5.1, 1.1]])
    assert proba[0, 1] > 0.99  # feature 1 says nothing about class 1


# --- generative interface ----------------------------------------------------

def test_score_samples_is_log_marginal_likelihood():
    X, y = load_iris(return_X_y=True)
    model = gdcore.GaussianNB().fit(X, y)
    x = X[:4]
    by_hand = logsumexp(
        [np.log(model.class_prior_[c])
         + norm.logpdf(x, model.theta_[c], np.sqrt(model.var_[c])).sum(axis=1)
         for c in range(3)], axis=0)
    np.testing.assert_allclose(model.score_samples(x), by_hand, rtol=1e-12)
    assert model.score(X, y) == pytest.approx((model.predict(X) == y).mean())


@pytest.mark.parametrize("name", ["GaussianNB", "MultinomialNB", "BernoulliNB", "CategoricalNB"])
def test_sample_follows_the_fitted_model(name):
    X, y = load_digits(return_X_y=True)
    X = _dataset_for(name, X)
    model = getattr(gdcore, name)(**_params(name, X)).fit(X, y)
    Xs, ys = model.sample(4000, random_state=0)
    assert Xs.shape == (4000, X.shape[1]) and ys.shape == (4000,)
    freq = np.bincount(ys, minlength=10) / len(ys)
    np.testing.assert_allclose(freq, np.exp(model.class_log_prior_), atol=0.03)
    if name == "BernoulliNB":  # samples are the binarized features
        X = (X > model.binarize).astype(float)
        refit = gdcore.BernoulliNB(binarize=0.5).fit(Xs, ys)
    else:
        refit = getattr(gdcore, name)().fit(Xs, ys)
    assert (refit.predict(X) == y).mean() > 0.7  # samples carry the class structure
    again, _ = model.sample(4000, random_state=0)
    np.testing.assert_array_equal(Xs, again)


def test_sample_given_labels():
    X, y = load_iris(return_X_y=True)
    model = gdcore.GaussianNB().fit(X, y)
    Xs, ys = model.sample(500, y=2, random_state=1)
    assert np.all(ys == 2)
    np.testing.assert_allclose(Xs.mean(0), model.theta_[2], atol=0.1)
    with pytest.raises(ValueError, match="not fitted on"):
        model.sample(3, y=[0, 1, 7])
    with pytest.raises(ValueError, match="positive integer"):
        model.sample(0)


def test_complement_nb_is_not_generative():
    X, y = load_digits(return_X_y=True)
    model = gdcore.ComplementNB().fit(X, y)
    assert not hasattr(model, "sample") and not hasattr(model, "score_samples")


# --- threads, dtypes, layouts, pickling --------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_threads_dtypes_layouts_and_pickle(name):
    X, y = load_digits(return_X_y=True)
    X = _dataset_for(name, X)
    base = getattr(gdcore, name)(n_jobs=1).fit(X, y)
    expected = base.predict_proba(X)
    two = getattr(gdcore, name)(n_jobs=2).fit(X, y)
    np.testing.assert_allclose(two.predict_proba(X), expected, rtol=1e-12, atol=1e-15)
    fortran = np.asfortranarray(X)
    np.testing.assert_allclose(base.predict_proba(fortran), expected, rtol=1e-12)
    np.testing.assert_allclose(base.predict_proba(np.hstack([X, X])[:, : X.shape[1]]),
                               expected, rtol=1e-12)
    f32 = getattr(gdcore, name)().fit(X.astype(np.float32), y)
    assert (f32.predict(X.astype(np.float32)) == base.predict(X)).mean() > 0.99
    clone = pickle.loads(pickle.dumps(base))
    np.testing.assert_array_equal(clone.predict_proba(X), expected)


# --- bad input -----------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_a_clear_value_error(name):
    X, y = load_iris(return_X_y=True)
    X = _dataset_for(name, X).astype(float)
    model = getattr(gdcore, name)().fit(X, y)
    with pytest.raises(ValueError, match="inf"):
        getattr(gdcore, name)().fit(np.where(X == X[3, 1], np.inf, X), y)
    with pytest.raises(ValueError, match="inf"):
        model.predict(np.full((2, 4), np.inf))
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="0 sample"):
        getattr(gdcore, name)().fit(X[:0], y[:0])
    with pytest.raises(ValueError):
        getattr(gdcore, name)().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        getattr(gdcore, name)().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="n_jobs"):
        getattr(gdcore, name)(n_jobs=0).fit(X, y)
    with pytest.raises(ValueError):
        getattr(gdcore, name)().fit(np.array([["a", "b"]] * 4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="Unknown label type|continuous"):
        getattr(gdcore, name)().fit(X, np.linspace(0, 1, len(y)))


@pytest.mark.parametrize("name", ["MultinomialNB", "ComplementNB"])
def test_count_models_reject_nan_and_negative(name):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="NaN"):
        getattr(gdcore, name)().fit(_with_missing(X, 0.1), y)
    with pytest.raises(ValueError, match="Negative values"):
        getattr(gdcore, name)().fit(X - 3.0, y)
    with pytest.raises(ValueError, match="Negative values"):
        getattr(gdcore, name)().fit(sp.csr_matrix(X - 3.0), y)
    model = getattr(gdcore, name)().fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        model.predict(_with_missing(X, 0.1))


def test_categorical_rejects_bad_codes():
    X = np.array([[0, 1], [1, 2], [2, 0], [1, 1]])
    y = np.array([0, 1, 0, 1])
    model = gdcore.CategoricalNB().fit(X, y)
    with pytest.raises(ValueError, match="category code"):
        model.predict([[3, 0]])  # unseen category
    with pytest.raises(ValueError, match="category code"):
        gdcore.CategoricalNB().fit(X + 0.5, y)
    with pytest.raises(ValueError, match="Negative"):
        gdcore.CategoricalNB().fit(X - 1, y)
    ok = gdcore.CategoricalNB(min_categories=4).fit(X, y)
    assert ok.predict([[3, 3]]).shape == (1,)


def test_priors_are_checked():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="Number of priors"):
        gdcore.GaussianNB(priors=[0.5, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="sum of the priors"):
        gdcore.GaussianNB(priors=[0.5, 0.5, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        gdcore.MultinomialNB(class_prior=[1.5, -0.5, 0.0]).fit(X, y)
    with pytest.raises(ValueError, match="var_smoothing"):
        gdcore.GaussianNB(var_smoothing=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        gdcore.MultinomialNB(alpha=np.ones(3)).fit(X, y)


def test_partial_fit_needs_classes_and_known_labels():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="classes must be passed"):
        gdcore.GaussianNB().partial_fit(X, y)
    model = gdcore.GaussianNB().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match="do not exist"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :2], np.zeros(len(y), dtype=int))
