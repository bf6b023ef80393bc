"""GaussianMixture on incomplete data (NaN = missing), impute(), and partial_fit."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning

from gdcore import GaussianMixture
from gdcore.generative.mixture import _em as em
from gdcore.generative.mixture import _missing as missing

COV_TYPES = ["full", "tied", "diag", "spherical"]


def _correlated_mixture(n=1500, seed=0):
    """Three components in 4-D with strongly correlated features."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-3.0, 0, 1, 2], [0, 3, -1, 0], [3, 0, 0, -2]])
    A = np.array([[1.0, 0.9, 0.8, 0.7], [0, 0.5, 0.3, 0.2], [0, 0, 0.4, 0.3],
                  [0, 0, 0, 0.3]])
    z = rng.integers(0, 3, n)
    return centres[z] + rng.standard_normal((n, 4)) @ A


def _remove(X, fraction, seed=1):
    """X with about ``fraction`` of its values NaN, no row left empty."""
    rng = np.random.default_rng(seed)
    Xm = X.copy()
    mask = rng.uniform(size=X.shape) < fraction
    mask[mask.all(axis=1), 0] = False
    Xm[mask] = np.nan
    return Xm, mask


def _fitted(covariance_type, X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixture(3, covariance_type=covariance_type, random_state=0,
                               **params).fit(X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_missing_e_step_on_complete_rows_equals_the_kernel(covariance_type):
    """The missing-data E-step with nothing missing is the complete-data one."""
    X = _correlated_mixture(300)
    est = _fitted(covariance_type, X, max_iter=3)
    params = est._params()
    w = np.random.default_rng(0).uniform(0.5, 2, len(X))
    resp, log_norm, stats = em.e_step(X, w, est.weights_, est.means_,
                                      est.precisions_cholesky_, covariance_type, 1)
    centre = X.mean(axis=0)
    r2, l2, s2, _ = missing.e_step(X, w, params, covariance_type, centres=stats.centres,
                                   tied_centre=centre, want_stats=True)
    np.testing.assert_allclose(r2, resp, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(l2, log_norm, rtol=1e-10)
    np.testing.assert_allclose(s2.nk, stats.nk, rtol=1e-10)
    np.testing.assert_allclose(s2.sx, stats.sx, rtol=1e-9, atol=1e-9)
    if covariance_type == "tied":
        D = X - centre
        np.testing.assert_allclose(s2.tied_extra, (D * w[:, None]).T @ D, rtol=1e-10)
    else:
        np.testing.assert_allclose(s2.scatter, stats.scatter, rtol=1e-9, atol=1e-9)


def test_fit_without_nan_is_the_complete_data_fit():
    X = _correlated_mixture(400)
    Xm = X.copy()
    Xm[0, 0] = np.nan                    # one missing value: the split path
    a, b = _fitted("full", X), _fitted("full", Xm)
    assert a.n_iter_ > 1 and np.isfinite(b.lower_bound_)
    # and with the NaN row's value restored by its own imputation, nothing moves
    np.testing.assert_allclose(a.means_, b.means_, atol=0.05)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_score_samples_marginalizes_missing_values(covariance_type):
    X = _correlated_mixture(300)
    est = _fitted(covariance_type, X)
    Xm, mask = _remove(X[:40], 0.4)
    covs = missing.full_covariances(est.covariances_, covariance_type, 3, 4)
    want = []
    for x, miss in zip(Xm, mask):
        o = ~miss
        dens = sum(w * multivariate_normal(m[o], S[np.ix_(o, o)]).pdf(x[o])
                   for w, m, S in zip(est.weights_, est.means_, covs))
        want.append(np.log(dens))
    np.testing.assert_allclose(est.score_samples(Xm), want, rtol=1e-8)
    proba = est.predict_proba(Xm)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_em_with_missing_values_never_decreases_the_likelihood(covariance_type):
    Xm, _ = _remove(_correlated_mixture(400), 0.3)
    est = _fitted(covariance_type, Xm, max_iter=12, tol=0.0)
    bounds = np.array(est.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.isfinite(getattr(est, name)).all()


def test_fit_approaches_complete_fit_as_missing_fraction_shrinks():
    X = _correlated_mixture(1500)
    start = _fitted("full", X, max_iter=0)
    params = dict(weights_init=start.weights_ / start.weights_.sum(),
                  means_init=start.means_, precisions_init=start.precisions_,
                  tol=1e-6, max_iter=100)
    complete = _fitted("full", X, **params)
    errors = []
    for fraction in (0.3, 0.1, 0.02):
        est = _fitted("full", _remove(X, fraction)[0], **params)
        errors.append(np.abs(est.means_ - complete.means_).max()
                      + np.abs(est.covariances_ - complete.covariances_).max())
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.05


def test_impute_beats_column_means():
    X = _correlated_mixture(2000)
    Xm, mask = _remove(X, 0.2)
    est = _fitted("full", Xm)
    filled = est.impute(Xm)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[~mask], X[~mask])
    rmse = np.sqrt(np.mean((filled[mask] - X[mask]) ** 2))
    column_means = np.where(mask, np.nanmean(Xm, axis=0), Xm)
    rmse_means = np.sqrt(np.mean((column_means[mask] - X[mask]) ** 2))
    assert rmse < 0.5 * rmse_means
    np.testing.assert_array_equal(est.impute(X), X)


def test_weights_with_missing_values_equal_repeated_rows():
    Xm, _ = _remove(_correlated_mixture(200), 0.2)
    w = np.random.default_rng(0).integers(0, 3, len(Xm))
    start = _fitted("full", np.nan_to_num(Xm), max_iter=0)
    params = dict(weights_init=start.weights_ / start.weights_.sum(),
                  means_init=start.means_, precisions_init=start.precisions_,
                  max_iter=10)
    a = GaussianMixture(3, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a.fit(Xm, sample_weight=w)
    b = _fitted("full", np.repeat(Xm, w, axis=0), **params)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-9)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_partial_fit_approaches_the_batch_fit(covariance_type):
    X = _correlated_mixture(6000)
    est = GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    for batch in np.array_split(X, 30):
        est.partial_fit(batch)
    assert est.n_iter_ == 30 and len(est.lower_bounds_) == 30
    full = _fitted(covariance_type, X)
    assert est.score(X) == pytest.approx(full.score(X), abs=0.02)


def test_partial_fit_with_missing_values_and_feature_check():
    Xm, _ = _remove(_correlated_mixture(3000), 0.2)
    est = GaussianMixture(3, random_state=0)
    for batch in np.array_split(Xm, 10):
        est.partial_fit(batch)
    assert np.isfinite(est.means_).all() and np.isfinite(est.score(Xm))
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(np.zeros((5, 3)))
    est.fit(Xm)                  # fit starts over: partial_fit initializes again
    est.partial_fit(Xm[:500])
    assert est.n_iter_ == 1


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_diagonal_kernel_missing_path_equals_the_general_one(covariance_type):
    """The kernel's in-place NaN handling is the general missing-data E-step."""
    Xm, _ = _remove(_correlated_mixture(400), 0.3)
    est = _fitted(covariance_type, Xm, max_iter=3)
    resp, log_norm, stats = em.e_step(Xm, None, est.weights_, est.means_,
                                      est.precisions_cholesky_, covariance_type, 2)
    r2, l2, s2, _ = missing.e_step(Xm, None, est._params(), covariance_type,
                                   centres=stats.centres, want_stats=True)
    np.testing.assert_allclose(r2, resp, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(l2, log_norm, rtol=1e-10)
    np.testing.assert_allclose(s2.sx, stats.sx, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(s2.scatter, stats.scatter, rtol=1e-9, atol=1e-9)


def test_partial_fit_after_fit_continues_from_the_fit():
    X = _correlated_mixture(3000)
    est = _fitted("full", X)
    means = est.means_.copy()
    est.partial_fit(X[:1000])
    assert est.n_iter_ == 1
    np.testing.assert_allclose(est.means_, means, atol=0.2)   # one small step away
