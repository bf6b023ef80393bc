"""GaussianMixture: scikit-learn checks and agreement, weights, bad input, degenerate data."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from gdcore import GaussianMixture

COV_TYPES = ["full", "tied", "diag", "spherical"]
# Same start, same iterations: float64 results agree to this relative tolerance.
RTOL = 1e-8


def _load(name):
    X = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer,
         "digits": load_digits}[name]().data
    if name == "digits":
        X = X[:600]            # keeps the full-covariance fit on 64 features quick
    # Standardize: wine and breast_cancer span 5 orders of magnitude, which
    # makes their covariances so ill-conditioned that both libraries' rounding
    # (not their algorithms) decides the later iterations.
    return (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)


def _both(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(**params).fit(X), SkGaussianMixture(**params).fit(X)


def _assert_same_model(ours, theirs, X, rtol=RTOL):
    if hasattr(theirs, "lower_bounds_"):     # scikit-learn 1.8+
        np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=rtol)
    else:
        np.testing.assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=rtol)
    assert ours.n_iter_ == theirs.n_iter_ and ours.converged_ == theirs.converged_
    for name in ("weights_", "means_", "covariances_", "precisions_",
                 "precisions_cholesky_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max(),
                                   err_msg=name)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               rtol=rtol, atol=1e-10)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=rtol)


@pytest.mark.parametrize("dataset", ["iris", "wine", "breast_cancer", "digits"])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_equals_sklearn_on_real_data(dataset, covariance_type):
    X = _load(dataset)
    params = dict(n_components=3, covariance_type=covariance_type, random_state=0,
                  max_iter=15, tol=1e-6)
    ours, theirs = _both(X, **params)
    _assert_same_model(ours, theirs, X)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=RTOL)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=RTOL)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("max_iter", [0, 1, 2])
def test_equals_sklearn_iteration_by_iteration(covariance_type, max_iter):
    X = _load("iris")
    ours, theirs = _both(X, n_components=3, covariance_type=covariance_type,
                         init_params="random", random_state=1, max_iter=max_iter)
    if max_iter == 0:   # scikit-learn leaves covariances_ unset with max_iter=0
        np.testing.assert_allclose(ours.means_, theirs.means_, rtol=RTOL)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                                   rtol=RTOL, atol=1e-12)
    else:
        _assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random",
                                         "random_from_data"])
def test_same_initializations_as_sklearn(init_params):
    X = _load("wine")
    ours, theirs = _both(X, n_components=4, init_params=init_params, random_state=3,
                         n_init=2, covariance_type="diag", max_iter=30)
    _assert_same_model(ours, theirs, X)
    np.testing.assert_array_equal(
        GaussianMixture(4, init_params=init_params, random_state=3, n_init=2,
                        covariance_type="diag", max_iter=30).fit_predict(X),
        ours.predict(X))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_user_initial_parameters_and_warm_start(covariance_type):
    X = _load("iris")
    start = SkGaussianMixture(2, covariance_type=covariance_type, max_iter=0,
                              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start.fit(X)
    params = dict(n_components=2, covariance_type=covariance_type, max_iter=3,
                  warm_start=True, weights_init=start.weights_ / start.weights_.sum(),
                  means_init=start.means_, precisions_init=start.precisions_)
    ours, theirs = GaussianMixture(**params), SkGaussianMixture(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(2):          # the second fit continues from the first
            ours.fit(X)
            theirs.fit(X)
    _assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_float32_stays_float32_and_close(covariance_type):
    X = _load("iris")
    ours = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(
        X.astype(np.float32))
    theirs = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert getattr(ours, name).dtype == np.float32
    assert ours.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-4)


def test_threads_do_not_change_the_answer():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, (2500, 5)) for c in (-3, 0, 3)])
    fits = [GaussianMixture(3, random_state=0, n_jobs=t).fit(X) for t in (1, 2)]
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
    np.testing.assert_array_equal(fits[0].covariances_, fits[1].covariances_)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_integer_sample_weight_equals_repeated_rows(covariance_type):
    X = _load("iris")
    w = np.random.default_rng(0).integers(0, 4, len(X))
    start = GaussianMixture(3, covariance_type=covariance_type, max_iter=0,
                            random_state=0).fit(X)
    params = dict(n_components=3, covariance_type=covariance_type, max_iter=20,
                  weights_init=start.weights_ / start.weights_.sum(),
                  means_init=start.means_, precisions_init=start.precisions_)
    weighted = GaussianMixture(**params).fit(X, sample_weight=w)
    repeated = GaussianMixture(**params).fit(np.repeat(X, w, axis=0))
    assert weighted.lower_bound_ == pytest.approx(repeated.lower_bound_, rel=1e-10)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-9)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-9)


def test_pickle_round_trip():
    X = _load("iris")
    est = GaussianMixture(3, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(again.score_samples(X), est.score_samples(X))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_sample_matches_sklearn(covariance_type):
    X = _load("iris")
    ours, theirs = _both(X, n_components=3, covariance_type=covariance_type,
                         random_state=0)
    Xs, ys = ours.sample(500)
    Xt, yt = theirs.sample(500)
    assert Xs.shape == (500, 4) and Xs.dtype == np.float64
    np.testing.assert_array_equal(ys, yt)
    np.testing.assert_allclose(Xs, Xt, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="positive integer"):
        ours.sample(0)


def test_verbose_reports_progress(capsys):
    GaussianMixture(2, verbose=2, verbose_interval=1, random_state=0).fit(_load("iris"))
    out = capsys.readouterr().out
    assert "Initialization 0" in out and "Iteration 1" in out and "lower bound" in out


def test_convergence_warning():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        GaussianMixture(3, max_iter=1, random_state=0).fit(_load("iris"))


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("params,match", [
    ({"n_components": 0}, "n_components"),
    ({"covariance_type": "bogus"}, "covariance_type"),
    ({"tol": -1.0}, "tol"),
    ({"reg_covar": -1e-3}, "reg_covar"),
    ({"max_iter": -1}, "max_iter"),
    ({"n_init": 0}, "n_init"),
    ({"init_params": "bogus"}, "init_params"),
    ({"n_jobs": 0}, "n_jobs"),
    ({"n_components": 2, "weights_init": [0.7, 0.7]}, "normalized"),
    ({"n_components": 2, "weights_init": [1.0]}, "shape"),
    ({"n_components": 2, "weights_init": [1.5, -0.5]}, "range"),
    ({"n_components": 2, "means_init": np.zeros((3, 4))}, "shape"),
    ({"n_components": 1, "precisions_init": -np.eye(4)[None]}, "positive-definite"),
    ({"n_components": 1, "covariance_type": "diag",
      "precisions_init": -np.ones((1, 4))}, "positive"),
    ({"n_components": 1, "covariance_type": "tied",
      "precisions_init": np.ones((3, 3))}, "shape"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**params).fit(_load("iris"))


@pytest.mark.parametrize("X,match", [
    (np.array([[1.0, np.inf], [0.0, 1.0], [2.0, 3.0]]), "infinity"),
    (np.array([[np.nan, np.nan], [0.0, 1.0], [2.0, 3.0]]), "every value missing"),
    (np.array([[np.nan, 1.0], [np.nan, 1.0], [np.nan, 3.0]]), "column"),
    (np.zeros((0, 3)), "0 sample"),
    (np.zeros((1, 3)), "1 sample"),
    (np.arange(5.0), "2D array"),
    (np.array([["a", "b"], ["c", "d"]]), "convert"),
])
def test_bad_X(X, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(1).fit(X)


def test_more_components_than_samples():
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(5).fit(np.random.default_rng(0).normal(size=(4, 2)))


def test_bad_sample_weight():
    X = _load("iris")
    with pytest.raises(ValueError, match="Negative"):
        GaussianMixture(2).fit(X, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="non-zero"):
        GaussianMixture(2).fit(X, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError):
        GaussianMixture(2).fit(X, sample_weight=np.ones(3))


def test_bad_X_after_fit():
    est = GaussianMixture(2, random_state=0).fit(_load("iris"))
    with pytest.raises(ValueError, match="features"):
        est.predict(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="infinity"):
        est.score_samples(np.full((2, 4), np.inf))


# ------------------------------------------------------------ degenerate data

def _finite(est):
    return all(np.isfinite(getattr(est, n)).all()
               for n in ("weights_", "means_", "covariances_", "precisions_cholesky_"))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_degenerate_data_gives_finite_parameters(covariance_type):
    rng = np.random.default_rng(0)
    cases = {
        "duplicated rows": np.repeat(rng.normal(size=(5, 3)), 20, axis=0),
        "d > n": rng.normal(size=(8, 20)),
        "zero-variance feature": np.column_stack([rng.normal(size=(60, 2)),
                                                  np.full(60, 3.0)]),
        "collapsing component": np.vstack([rng.normal(size=(60, 2)), [[50.0, 50.0]]]),
    }
    for name, X in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = GaussianMixture(3, covariance_type=covariance_type,
                                  random_state=0).fit(X)
        assert _finite(est), name
        assert np.isfinite(est.score_samples(X)).all(), name


def test_singular_covariance_without_regularization_is_an_error():
    X = np.repeat(np.random.default_rng(0).normal(size=(4, 3)), 10, axis=0)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        GaussianMixture(4, reg_covar=0.0, random_state=0).fit(X)
