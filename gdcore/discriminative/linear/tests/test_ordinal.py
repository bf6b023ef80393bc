"""OrdinalLogisticRegression against statsmodels' OrderedModel and known parameters.

Tolerances: coefficients and thresholds equal statsmodels' to 1e-5 at tight
convergence (gtol 1e-10 on both sides); log-likelihoods to 1e-7 relative.
"""

import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from statsmodels.miscmodels.ordinal_model import OrderedModel

from gdcore import OrdinalLogisticRegression
from gdcore.discriminative.linear import _reference as R


def _ucla():
    """UCLA's graduate-school application data, shipped with statsmodels' tests."""
    import statsmodels.miscmodels.tests.results as results

    df = pd.read_csv(os.path.join(os.path.dirname(results.__file__), "ologit_ucla.csv"))
    levels = {"unlikely": 0, "somewhat likely": 1, "very likely": 2}
    return df[["pared", "public", "gpa"]].to_numpy(), df["apply"].map(levels).to_numpy()


def _simulate(n, beta, theta, seed=0):
    """Draw y from the proportional-odds model through a latent logistic variable."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, len(beta)))
    latent = X @ beta + rng.logistic(size=n)
    return X, np.searchsorted(theta, latent)  # y = k when theta_{k-1} < latent <= theta_k


def _statsmodels(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = OrderedModel(y, X, distr="logit")
        res = model.fit(method="bfgs", disp=0, gtol=1e-10, maxiter=5000)
    d = X.shape[1]
    return res.params[:d], model.transform_threshold_params(res.params)[1:-1], res.llf


def _loglik(m, X, y):
    return -R.ordinal_loss_grad(X, np.searchsorted(m.classes_, y), np.ones(len(y)),
                                m.coef_[None, :], m.thresholds_, np.empty((1, X.shape[1])),
                                np.empty(len(m.thresholds_)), 1)


def test_equals_statsmodels_on_ucla():
    X, y = _ucla()
    m = OrdinalLogisticRegression(tol=1e-10).fit(X, y)
    coef, theta, llf = _statsmodels(X, y)
    np.testing.assert_allclose(m.coef_, coef, atol=1e-5)
    np.testing.assert_allclose(m.thresholds_, theta, atol=1e-5)
    assert _loglik(m, X, y) == pytest.approx(llf, rel=1e-7)
    # the published answer (UCLA IDRE, R's polr): pared 1.0477, public -0.0587, gpa 0.6159
    np.testing.assert_allclose(m.coef_, [1.04766, -0.05868, 0.61574], atol=1e-4)


def test_recovers_simulated_parameters_and_equals_statsmodels():
    beta, theta = np.array([1.0, -0.5, 0.25]), np.array([-1.5, 0.0, 0.5, 2.0])
    X, y = _simulate(4000, beta, theta)
    m = OrdinalLogisticRegression(tol=1e-10).fit(X, y)
    # sampling standard errors at n = 4000 are ~0.03-0.05: allow four of them
    np.testing.assert_allclose(m.coef_, beta, atol=0.15)
    np.testing.assert_allclose(m.thresholds_, theta, atol=0.2)
    coef, th, llf = _statsmodels(X, y)
    np.testing.assert_allclose(m.coef_, coef, atol=1e-5)
    np.testing.assert_allclose(m.thresholds_, th, atol=1e-5)


def test_thresholds_strictly_ordered_with_a_rare_level():
    X, y = _simulate(500, np.array([2.0]), np.array([-1.0, -0.99, 1.0]), seed=3)
    assert np.bincount(y, minlength=4).min() <= 3  # level 1 is almost empty
    m = OrdinalLogisticRegression().fit(X, y)
    assert np.all(np.diff(m.thresholds_) > 0)
    cum = m.predict_cumulative_proba(X)
    assert np.all(np.diff(cum, axis=1) >= 0)


def test_probabilities_and_labels():
    X, y = _ucla()
    labels = np.array(["a-low", "b-mid", "c-high"])[y]  # sorted order = level order
    m = OrdinalLogisticRegression().fit(X, labels)
    np.testing.assert_array_equal(m.classes_, ["a-low", "b-mid", "c-high"])
    P = m.predict_proba(X)
    np.testing.assert_allclose(P.sum(1), 1.0)
    assert (P > 0).all()
    cum = m.predict_cumulative_proba(X)
    np.testing.assert_allclose(cum[:, 0], expit(m.thresholds_[0] - X @ m.coef_))
    np.testing.assert_array_equal(m.predict(X), m.classes_[P.argmax(1)])
    assert 0 <= m.score(X, labels) <= 1


def test_alpha_is_the_l2_penalty():
    X, y = _ucla()
    m0 = OrdinalLogisticRegression(tol=1e-10).fit(X, y)
    m = OrdinalLogisticRegression(alpha=50.0, tol=1e-10).fit(X, y)
    assert np.linalg.norm(m.coef_) < np.linalg.norm(m0.coef_)
    # stationarity of -loglik + alpha/2 |beta|^2 in beta
    g = np.empty((1, 3))
    R.ordinal_loss_grad(X, y, np.ones(len(y)), m.coef_[None, :], m.thresholds_, g,
                        np.empty(2), 1)
    np.testing.assert_allclose(g[0] + 50.0 * m.coef_, 0.0, atol=1e-6)


def test_sample_weight_equals_repetition():
    X, y = _ucla()
    reps = np.random.default_rng(0).integers(0, 3, len(y))
    a = OrdinalLogisticRegression(tol=1e-10).fit(X, y, sample_weight=reps)
    b = OrdinalLogisticRegression(tol=1e-10).fit(np.repeat(X, reps, 0), np.repeat(y, reps))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-6)
    np.testing.assert_allclose(a.thresholds_, b.thresholds_, atol=1e-6)


def test_float32_threads_and_pickle():
    # n d >= 2**21: enough work for the kernel to wake a second thread
    X, y = _simulate(70000, np.linspace(-1, 1, 32), np.array([-1.0, 1.0]), seed=5)
    a = OrdinalLogisticRegression(tol=1e-8, n_jobs=1).fit(X, y)
    b = OrdinalLogisticRegression(tol=1e-8, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    c = OrdinalLogisticRegression(tol=1e-6).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(c.coef_, a.coef_, atol=1e-4)
    d = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(d.predict_proba(X), a.predict_proba(X))


def test_bad_input():
    X, y = _ucla()
    with pytest.raises(ValueError, match="only one class"):
        OrdinalLogisticRegression().fit(X, np.ones(len(y)))
    Xn = X.astype(float)
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        OrdinalLogisticRegression().fit(Xn, y)
    Xn[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        OrdinalLogisticRegression().fit(Xn, y)
    for params in ({"alpha": -1.0}, {"tol": -1}, {"max_iter": 0}, {"alpha": "big"}):
        with pytest.raises(ValueError, match=list(params)[0]):
            OrdinalLogisticRegression(**params).fit(X, y)
    with pytest.raises(ValueError, match="n_jobs"):
        OrdinalLogisticRegression(n_jobs=0).fit(X, y)
    with pytest.raises(ValueError):
        OrdinalLogisticRegression().fit(X, y[:-1])
    with pytest.raises(ValueError):
        OrdinalLogisticRegression().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="Unknown label type"):
        OrdinalLogisticRegression().fit(X, y + 0.5)
    m = OrdinalLogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :2])
