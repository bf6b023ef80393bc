"""Where gdcore's SVMs must behave as scikit-learn's: fallback, coef_, weights, warnings."""

import logging
import warnings

import numpy as np
import pytest
import sklearn.svm as sks
from scipy import sparse
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from gdcore import SVC, SVR
from gdcore._sklearn_compat import sklearn_version_at_least
from gdcore.discriminative.svm import _svm


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def test_sparse_callable_kernel_is_fitted_by_sklearn(iris, caplog):
    X, y = iris
    Xs = sparse.csr_matrix(X)
    with caplog.at_level(logging.DEBUG, logger="gdcore"):
        ours = SVC(kernel=lambda a, b: a @ b.T).fit(Xs, y)
    assert ("fitting through sklearn.svm.SVC: sparse X with a precomputed or callable kernel"
            in caplog.text)
    ref = sks.SVC(kernel=lambda a, b: a @ b.T).fit(Xs, y)
    np.testing.assert_allclose(ours.decision_function(Xs), ref.decision_function(Xs))
    np.testing.assert_array_equal(ours.n_support_, ref.n_support_)
    ours.fit(X, y)  # a dense refit is native again
    assert "_peer" not in vars(ours)
    reg = SVR().fit(Xs, X[:, 0])    # sparse X with a built-in kernel is native
    assert "_peer" not in vars(reg)
    np.testing.assert_allclose(reg.predict(Xs), sks.SVR().fit(Xs, X[:, 0]).predict(Xs),
                               atol=1e-3)


@pytest.mark.parametrize("classes", [2, 3])
def test_coef_equals_sklearn_and_is_read_only(iris, classes):
    X, y = iris
    keep = y < classes
    ours = SVC(kernel="linear").fit(X[keep], y[keep])
    ref = sks.SVC(kernel="linear").fit(X[keep], y[keep])
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose((X @ ours.coef_.T + ours.intercept_).squeeze(),
                               ours.decision_function(X) if classes == 2 else
                               SVC(kernel="linear", decision_function_shape="ovo")
                               .fit(X[keep], y[keep]).decision_function(X), rtol=1e-8)
    with pytest.raises(ValueError):
        ours.coef_[0, 0] = 1.0
    reg = SVR(kernel="linear").fit(X, y)
    np.testing.assert_allclose(reg.coef_, sks.SVR(kernel="linear").fit(X, y).coef_,
                               rtol=1e-3, atol=1e-4)
    # scikit-learn's message is "coef_ is only available when using a linear
    # kernel"; PeerFallbackMixin.__getattr__ re-raises it as a plain "no attribute".
    with pytest.raises(AttributeError, match="coef_"):
        getattr(SVC().fit(X, y), "coef_")  # noqa: B009


def test_negative_weights_mask_rows(iris):
    X, y = iris
    w = np.where(np.arange(len(y)) % 3 == 0, -1.0, 1.0)
    masked = SVC(kernel="linear").fit(X, y, sample_weight=w)
    dropped = SVC(kernel="linear").fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(masked.decision_function(X), dropped.decision_function(X))


def test_infinite_C_is_a_hard_margin(iris):
    X, y = iris
    keep = y < 2
    ours = SVC(kernel="linear", C=np.inf).fit(X[keep], y[keep])
    ref = sks.SVC(kernel="linear", C=np.inf).fit(X[keep], y[keep])
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X),
                               rtol=1e-3, atol=1e-3)


@pytest.mark.skipif(not sklearn_version_at_least("1.9"),
                    reason="probability is deprecated from scikit-learn 1.9")
def test_probability_warnings_and_switch_after_fit(iris):
    X, y = iris
    with pytest.warns(FutureWarning, match="`probability` parameter was deprecated"):
        est = SVC(probability=False).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = SVC().fit(X, y)
    assert not hasattr(est, "predict_proba")
    est.probability = True
    with pytest.raises(NotFittedError, match="fitted with probability=False"):
        est.predict_proba(X)
    with pytest.warns(FutureWarning, match="Attribute `probA_` was deprecated"):
        getattr(est, "probA_")  # noqa: B009


def test_convergence_warning_is_sklearns_text(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"\(max_iter=2\)\.  Consider pre-processing"):
        SVC(max_iter=2).fit(X, y)


@pytest.mark.parametrize("value", [1e200, -1e300])
def test_overflowing_values_are_refused_naming_the_column(iris, value):
    X, y = iris
    Xb = X.copy()
    Xb[7, 2] = value
    for est in (SVC(), SVR()):
        with pytest.raises(ValueError, match="column 2"):
            est.fit(Xb, y)
        with pytest.raises(ValueError, match="column 2"):
            est.fit(X, y).predict(Xb)


def test_huge_gamma_gives_finite_decisions(iris):
    X, y = iris
    dec = SVC(gamma=1e300).fit(X, y).decision_function(X)
    assert np.isfinite(dec).all()


def test_dimensions_past_c_int_are_refused():
    _svm.check_int_dims(2**31 - 1, 10, 2**31 - 1)
    for dims in ((2**31, 10, 5), (5, 2**31, 5), (5, 10, 2**40)):
        with pytest.raises(ValueError, match="at most 2147483647"):
            _svm.check_int_dims(*dims)
