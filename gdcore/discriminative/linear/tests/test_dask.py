"""LogisticRegression on a Dask cluster equals LogisticRegression on one machine.

Runs on the session's LocalCluster (``gdcore/tests/dask_fixtures.py``);
skipped only when dask is not installed.
"""

import numpy as np
import pytest

from gdcore.discriminative.linear import LogisticRegression

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install 'gdcore[dask]')")


def _data(n_classes, n=600, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(n_classes, d))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def _fit_both(X, y, w, **params):
    ref = LogisticRegression(**params).fit(X, y, sample_weight=w)
    Xd = da.from_array(X, chunks=(130, X.shape[1])).persist()
    got = LogisticRegression(**params).fit(Xd, da.from_array(y, chunks=130),
                                           sample_weight=da.from_array(w, chunks=130))
    return ref, got, Xd


@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multinomial"])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_same_iterates_as_in_memory(dask_client, n_classes, class_weight):
    """After the same L-BFGS iterations, the same coefficients to 1e-10.

    At convergence L-BFGS stops where the objective stops decreasing in
    double precision, which moves with the order of the additions: the
    in-memory fit on the same rows permuted differs by ~1e-7 there.  Equal
    answers are therefore checked on a fixed number of iterations, and the
    converged fits against that bound (``test_converged_fit``).
    """
    X, y = _data(n_classes)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    with pytest.warns(Warning, match="failed to converge"):
        ref, got, Xd = _fit_both(X, y, w, C=0.5, class_weight=class_weight, max_iter=6,
                                 tol=1e-12)
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=1e-10, atol=1e-13)
    proba = got.predict_proba(Xd)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(X), rtol=1e-9, atol=1e-14)
    np.testing.assert_array_equal(got.predict(Xd).compute(), ref.predict(X))


def test_converged_fit(dask_client):
    X, y = _data(3)
    w = np.ones(len(y))
    ref, got, _ = _fit_both(X, y, w, tol=1e-10, max_iter=500)
    perm = np.random.default_rng(3).permutation(len(y))
    shuffled = LogisticRegression(tol=1e-10, max_iter=500).fit(X[perm], y[perm])
    bound = max(1e-9, 10 * np.abs(shuffled.coef_ - ref.coef_).max())
    assert np.abs(got.coef_ - ref.coef_).max() <= bound


def test_unserved_solver_is_a_clear_error(dask_client):
    X, y = _data(2, n=100)
    with pytest.raises(ValueError, match="solver='lbfgs' only"):
        LogisticRegression(solver="newton-cg").fit(da.from_array(X, chunks=50), y)


def test_ordinal_same_iterates_as_in_memory(dask_client):
    from gdcore.discriminative.linear import OrdinalLogisticRegression
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 4))
    y = np.digitize(X @ np.array([1.0, -0.5, 0.3, 0.0]) + rng.logistic(size=500),
                    [-1.0, 0.0, 1.5])
    params = dict(alpha=0.5, max_iter=6, tol=1e-12)
    with pytest.warns(Warning, match="did not converge"):
        ref = OrdinalLogisticRegression(**params).fit(X, y)
    with pytest.warns(Warning, match="did not converge"):
        got = OrdinalLogisticRegression(**params).fit(da.from_array(X, chunks=(120, 4)),
                                                      da.from_array(y, chunks=120))
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.thresholds_, ref.thresholds_, rtol=1e-10, atol=1e-13)
    proba = got.predict_proba(da.from_array(X, chunks=(120, 4)))
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(X), rtol=1e-9, atol=1e-14)
