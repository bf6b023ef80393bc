"""LogisticRegression against scikit-learn and known answers; bad input; options.

Tolerances: at convergence (tol 1e-10 on both sides) the objective values
agree to 1e-8 relative and the coefficients to 1e-5 (absolute, on
standardized data where the coefficients are O(1)).
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from gdcore import LogisticRegression
from gdcore._sklearn_compat import sklearn_version_at_least
from gdcore.discriminative.linear._logistic_loss import LogisticLoss

# scikit-learn 1.8 made l1_ratio choose the penalty (and deprecated `penalty`);
# before it, the default penalty is 'l2' and l1_ratio alone changes nothing.
L1_RATIO_SELECTS_PENALTY = pytest.mark.skipif(
    not sklearn_version_at_least("1.8"), reason="scikit-learn >= 1.8's penalty/l1_ratio API")

LOADERS = {"breast_cancer": load_breast_cancer, "iris": load_iris, "wine": load_wine,
           "digits": load_digits}


def _data(name):
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective(X, y, coef, intercept, C, l1_ratio):
    """scikit-learn's scaled objective at (coef, intercept), on gdcore's loss."""
    classes, y_idx = np.unique(y, return_inverse=True)
    n_out = coef.shape[0]
    S = len(y)
    alpha = 0.0 if np.isinf(C) else (1 - l1_ratio) / (C * S)
    loss = LogisticLoss(np.ascontiguousarray(X), y_idx, np.ones(S), n_out, True, alpha, 1)
    f, _ = loss.loss_grad(np.concatenate([coef.ravel(), intercept]))
    return f + (0.0 if np.isinf(C) else l1_ratio / (C * S) * np.abs(coef).sum())


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Hold the peers' BLAS to one thread.

    Their BLAS threads fight the other jobs of a busy CI runner, which can
    make scikit-learn's lbfgs on digits many times slower than on one thread.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def sklearn_l2():
    """Fit scikit-learn at tol 1e-10, once per dataset.

    Its newton-cg, not its lbfgs: on digits lbfgs stops on the objective's
    relative change with a gradient of 3e-9, 1.5e-5 away from the optimum in
    one intercept.
    """
    out = {}
    for name in LOADERS:
        X, y = _data(name)
        out[name] = sk.LogisticRegression(C=1.0, l1_ratio=0.0, tol=1e-10, solver="newton-cg",
                                          max_iter=5000).fit(X, y)
    return out


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
@pytest.mark.parametrize("name", list(LOADERS))
def test_l2_equals_sklearn(name, solver, sklearn_l2):
    X, y = _data(name)
    ours = LogisticRegression(solver=solver, tol=1e-10, max_iter=5000).fit(X, y)
    peer = sklearn_l2[name]
    f_ours = _objective(X, y, ours.coef_, ours.intercept_, 1.0, 0.0)
    f_peer = _objective(X, y, peer.coef_, peer.intercept_, 1.0, 0.0)
    assert f_ours == pytest.approx(f_peer, rel=1e-8)
    np.testing.assert_allclose(ours.coef_, peer.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, peer.intercept_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), peer.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), peer.predict(X))


@L1_RATIO_SELECTS_PENALTY
@pytest.mark.parametrize("penalty,l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
@pytest.mark.parametrize("name", ["breast_cancer", "iris", "wine"])
def test_l1_elasticnet_equal_sklearn_saga(name, penalty, l1_ratio):
    X, y = _data(name)
    ours = LogisticRegression(penalty=penalty, l1_ratio=l1_ratio, solver="fista", C=0.5,
                              tol=1e-9, max_iter=10000).fit(X, y)
    peer = sk.LogisticRegression(l1_ratio=l1_ratio, solver="saga", C=0.5, tol=1e-10,
                                 max_iter=100000).fit(X, y)
    f_ours = _objective(X, y, ours.coef_, ours.intercept_, 0.5, l1_ratio)
    f_peer = _objective(X, y, peer.coef_, peer.intercept_, 0.5, l1_ratio)
    assert f_ours == pytest.approx(f_peer, rel=1e-8)
    assert f_ours <= f_peer * (1 + 1e-12)
    np.testing.assert_allclose(ours.coef_, peer.coef_, atol=1e-5)
    np.testing.assert_array_equal(ours.coef_ == 0, peer.coef_ == 0)


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_no_intercept_equals_sklearn(name):
    X, y = _data(name)
    for solver in ("lbfgs", "newton-cg"):
        ours = LogisticRegression(fit_intercept=False, solver=solver, tol=1e-10).fit(X, y)
        peer = sk.LogisticRegression(fit_intercept=False, l1_ratio=0.0, tol=1e-10,
                                     solver="newton-cg").fit(X, y)
        np.testing.assert_allclose(ours.coef_, peer.coef_, atol=1e-5)
        np.testing.assert_array_equal(ours.intercept_, 0.0)


def test_unpenalized_equals_sklearn():
    X, y = _data("iris")
    X, y = X[50:], y[50:]  # versicolor vs virginica overlap: the MLE exists
    ours = LogisticRegression(penalty=None, tol=1e-10, max_iter=5000).fit(X, y)
    peer = sk.LogisticRegression(C=np.inf, tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, peer.coef_, rtol=1e-5, atol=1e-5)


def test_spector_mazzeo_known_answer():
    """Greene's textbook logit: GRADE ~ GPA + TUCE + PSI (statsmodels' spector data)."""
    from statsmodels.datasets import spector

    data = spector.load_pandas()
    X, y = data.exog.to_numpy(), data.endog.to_numpy()
    for solver in ("lbfgs", "newton-cg"):
        m = LogisticRegression(penalty=None, solver=solver, tol=1e-10, max_iter=1000).fit(X, y)
        np.testing.assert_allclose(m.coef_[0], [2.82611, 0.09516, 2.37869], atol=1e-4)
        assert m.intercept_[0] == pytest.approx(-13.02135, abs=1e-4)
        loglik = -_objective(X, y, m.coef_, m.intercept_, np.inf, 0.0) * len(y)
        assert loglik == pytest.approx(-12.88963, abs=1e-4)


def test_float32_close_to_float64():
    X, y = _data("wine")
    a = LogisticRegression(tol=1e-8, max_iter=1000).fit(X, y)
    b = LogisticRegression(tol=1e-6, max_iter=1000).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(b.coef_, a.coef_, atol=1e-4)


def test_sparse_equals_dense():
    X, y = _data("iris")
    X[np.abs(X) < 0.5] = 0.0
    for solver in ("lbfgs", "newton-cg"):
        dense = LogisticRegression(solver=solver, tol=1e-10).fit(X, y)
        csr = LogisticRegression(solver=solver, tol=1e-10).fit(sp.csr_matrix(X), y)
        np.testing.assert_allclose(csr.coef_, dense.coef_, atol=1e-7)
        np.testing.assert_allclose(csr.predict_proba(sp.csr_matrix(X)),
                                   dense.predict_proba(X), atol=1e-8)
    l1 = LogisticRegression(penalty="l1", solver="fista", tol=1e-9, max_iter=5000)
    dense = clone(l1).fit(X, y)
    csr = clone(l1).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(csr.coef_, dense.coef_, atol=1e-6)


def test_sample_weight_equals_repetition_and_class_weight():
    X, y = _data("wine")
    rng = np.random.default_rng(0)
    reps = rng.integers(0, 3, len(y))
    a = LogisticRegression(tol=1e-10, C=10.0).fit(X, y, sample_weight=reps)
    b = LogisticRegression(tol=1e-10, C=10.0).fit(np.repeat(X, reps, 0), np.repeat(y, reps))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-6)
    cw = {0: 2.0, 1: 0.5, 2: 1.0}
    c = LogisticRegression(tol=1e-10, class_weight=cw).fit(X, y)
    d = LogisticRegression(tol=1e-10).fit(X, y, sample_weight=np.vectorize(cw.get)(y))
    np.testing.assert_allclose(c.coef_, d.coef_, atol=1e-8)
    peer = sk.LogisticRegression(l1_ratio=0.0, tol=1e-10, class_weight="balanced").fit(X, y)
    ours = LogisticRegression(tol=1e-10, class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(ours.coef_, peer.coef_, atol=1e-5)


def test_warm_start_resumes():
    X, y = _data("digits")
    cold = LogisticRegression(tol=1e-6, max_iter=500).fit(X, y)
    warm = LogisticRegression(tol=1e-6, max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
    warm.set_params(max_iter=500).fit(X, y)
    assert warm.n_iter_[0] < cold.n_iter_[0]
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-3)


def test_threads_agree():
    X, y = make_big()
    one = LogisticRegression(n_jobs=1, tol=1e-8).fit(X, y)
    two = LogisticRegression(n_jobs=2, tol=1e-8).fit(X, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)


def make_big():
    """Work enough (n d >= 2**21) for the kernel to use 2 threads, over 19 chunks."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40000, 60))
    y = (X @ rng.standard_normal(60) + rng.logistic(size=40000) > 0).astype(int)
    return X, y


def test_separable_without_penalty_warns():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    with pytest.warns(ConvergenceWarning, match="separable"):
        m = LogisticRegression(penalty=None).fit(X, y)
    assert np.isfinite(m.coef_).all()
    assert np.isfinite(m.predict_proba(X)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression().fit(X, y)  # penalized: a finite optimum, no warning


def test_verbose_prints(capsys):
    X, y = _data("iris")
    LogisticRegression(verbose=1).fit(X, y)
    assert "objective" in capsys.readouterr().out


def test_pickle_round_trip():
    X, y = _data("iris")
    m = LogisticRegression().fit(X, y)
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(m2.predict_proba(X), m.predict_proba(X))


def test_log_proba_and_decision_shapes():
    X, y = _data("breast_cancer")
    m = LogisticRegression().fit(X, y)
    assert m.decision_function(X).shape == (len(y),)
    np.testing.assert_allclose(np.exp(m.predict_log_proba(X)), m.predict_proba(X), atol=1e-12)
    X, y = _data("iris")
    m = LogisticRegression().fit(X, y)
    assert m.decision_function(X).shape == (len(y), 3)
    np.testing.assert_allclose(m.predict_proba(X).sum(1), 1.0)


BAD_PARAMS = [
    ({"C": 0.0}, "'C' parameter"),
    ({"C": -1.0}, "'C' parameter"),
    ({"penalty": "l3"}, "'penalty' parameter"),
    pytest.param({"l1_ratio": 1.0}, "supports only 'l2' or None",
                 marks=L1_RATIO_SELECTS_PENALTY),
    ({"solver": "newton"}, "'solver' parameter"),
    ({"l1_ratio": None, "penalty": "elasticnet", "solver": "fista"}, "l1_ratio must be"),
    ({"l1_ratio": 1.5, "solver": "fista"}, "l1_ratio"),
    ({"max_iter": -1}, "max_iter"),
    ({"tol": -1.0}, "tol"),
    ({"n_jobs": 0}, "n_jobs"),
]


@pytest.mark.parametrize("params,match", BAD_PARAMS)
@pytest.mark.filterwarnings("ignore:'penalty' was deprecated:FutureWarning")
def test_bad_parameters(params, match):
    X, y = _data("iris")
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**params).fit(X, y)


def test_bad_data():
    X, y = _data("iris")
    with pytest.raises(ValueError, match="only one\\s+class"):
        LogisticRegression().fit(X, np.zeros(len(y)))
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(Xn, y)
    Xn[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        LogisticRegression().fit(Xn, y)
    with pytest.raises(ValueError):
        LogisticRegression().fit(X[:, 0], y)
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, y[:-1])
    with pytest.raises(ValueError):
        LogisticRegression().fit(X[:0], y[:0])
    # scikit-learn >= 1.7 refuses all-zero weights in its check ("non-zero");
    # before it, gdcore's own check says there is nothing to fit.
    with pytest.raises(ValueError, match="non-zero|sum to zero"):
        LogisticRegression().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="sum to zero"):
        LogisticRegression(class_weight={0: 0.0, 1: 0.0, 2: 0.0}).fit(X, y)
    with pytest.raises(ValueError, match="[Nn]egative"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        LogisticRegression().fit(X, y + 0.5)
    m = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        m.predict(Xn.clip(-1, 1) * np.nan)


@pytest.mark.parametrize("l1_ratio", [2.0, -0.5, "half"])
def test_l1_ratio_outside_0_1_is_refused_whatever_the_penalty(l1_ratio):
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match="l1_ratio"):
        LogisticRegression(l1_ratio=l1_ratio).fit(X[:50], y[:50])


# ---- drop-in: what scikit-learn 1.9 accepts is served ----------------------------------

@pytest.mark.parametrize("params", [{"solver": "saga", "l1_ratio": 1.0, "max_iter": 2000},
                                    {"solver": "liblinear"}, {"solver": "newton-cholesky"},
                                    {"solver": "liblinear", "dual": True},
                                    {"solver": "liblinear", "intercept_scaling": 2.0}])
def test_peer_solvers_are_fitted_by_scikit_learn(params, caplog):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with caplog.at_level("DEBUG", logger="gdcore"):
        ours = LogisticRegression(**params, random_state=0).fit(X, y)
    peer = sk.LogisticRegression(**params, random_state=0).fit(X, y)
    assert "fitting through sklearn.linear_model.LogisticRegression" in caplog.text
    np.testing.assert_array_equal(ours.coef_, peer.coef_)
    np.testing.assert_array_equal(ours.predict_proba(X), peer.predict_proba(X))
    # a native refit forgets the peer
    ours.set_params(solver="lbfgs", dual=False, intercept_scaling=1, l1_ratio=0.0).fit(X, y)
    assert "_peer" not in vars(ours)


@L1_RATIO_SELECTS_PENALTY
def test_deprecations_and_ignored_parameters_warn_as_scikit_learn():
    X, y = _data("iris")
    with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
        LogisticRegression(penalty="l2").fit(X, y)
    with pytest.warns(FutureWarning, match="'l1_ratio=None' was deprecated"):
        LogisticRegression(l1_ratio=None).fit(X, y)
    with pytest.warns(UserWarning, match="l1_ratio parameter is only used"):
        LogisticRegression(penalty="l2", l1_ratio=0.5).fit(X, y)
    with pytest.warns(UserWarning, match="Setting penalty=None will ignore"):
        LogisticRegression(penalty=None, C=2.0).fit(X, y)


@L1_RATIO_SELECTS_PENALTY
def test_l1_ratio_selects_the_penalty_natively():
    X, y = _data("breast_cancer")
    new = LogisticRegression(l1_ratio=1.0, solver="fista", C=0.1).fit(X, y)
    with pytest.warns(FutureWarning):
        old = LogisticRegression(penalty="l1", l1_ratio=1.0, solver="fista", C=0.1).fit(X, y)
    np.testing.assert_array_equal(new.coef_, old.coef_)
    assert (new.coef_ == 0).any()


@pytest.mark.parametrize("make", [np.asarray, sp.csr_matrix])
def test_float32_gives_float32_coefficients(make):
    X, y = _data("iris")
    m = LogisticRegression().fit(make(X.astype(np.float32)), y)
    assert m.coef_.dtype == np.float32 and m.intercept_.dtype == np.float32


def test_zero_max_iter_and_convergence_warning_text():
    X, y = _data("iris")
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        m = LogisticRegression(max_iter=0).fit(X, y == 2)
    assert m.n_iter_[0] == 0
    with pytest.warns(ConvergenceWarning):
        assert LogisticRegression(solver="newton-cg", max_iter=0).fit(X, y).n_iter_[0] == 0
    with pytest.warns(ConvergenceWarning,
                      match="newton-cg failed to converge.* Increase the number of iterations"):
        LogisticRegression(solver="newton-cg", max_iter=1, tol=1e-15).fit(X, y)


def test_sparsify_densify_keep_predictions():
    X, y = _data("iris")
    m = LogisticRegression().fit(X, y)
    want = m.predict_proba(X)
    assert sp.issparse(m.sparsify().coef_)
    np.testing.assert_allclose(m.predict_proba(X), want, rtol=1e-12)
    assert isinstance(m.densify().coef_, np.ndarray)
    np.testing.assert_allclose(m.predict_proba(X), want, rtol=1e-12)


@pytest.mark.parametrize("solver", ["newton-cg", "fista"])
def test_zero_max_iter_returns_the_starting_point(solver):
    X, y = _data("breast_cancer")
    with pytest.warns(ConvergenceWarning):
        clf = LogisticRegression(solver=solver, max_iter=0).fit(X, y)
    assert clf.n_iter_[0] == 0
    np.testing.assert_array_equal(clf.coef_, 0.0)
    np.testing.assert_allclose(clf.predict_proba(X), 0.5)


@pytest.mark.parametrize("solver", ["saga", "newton-cholesky"])
def test_warm_start_continues_the_peer_fit(solver):
    """A fallback refit with warm_start continues from the previous peer's coefficients."""
    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(solver=solver, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = clf.fit(X, y).coef_.copy()
        clf.set_params(max_iter=1).fit(X, y)
    assert np.abs(clf.coef_ - first).sum() < 2.0
