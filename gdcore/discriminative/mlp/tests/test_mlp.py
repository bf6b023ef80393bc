"""MLPClassifier / MLPRegressor against scikit-learn, and their own contracts.

Tolerances.  In float64 gdcore draws the same initial weights and the same
minibatches as scikit-learn and computes the same gradients in another order,
so loss curves agree to 1e-9 relative and scores exactly on these data.  In
float32 (the default) the trajectories drift apart by rounding; test scores
are held to within one point of scikit-learn's (0.01 accuracy, 0.02 R^2) as
the project asks.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from gdcore import MLPClassifier, MLPRegressor
from gdcore._sklearn_compat import sklearn_version_at_least


def _split(loader, **kw):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, random_state=0, **kw)


@pytest.fixture(scope="module")
def breast_cancer():
    return _split(load_breast_cancer, stratify=load_breast_cancer().target)


@pytest.fixture(scope="module")
def digits():
    return _split(load_digits, stratify=load_digits().target)


def _fit_both(ours_cls, theirs_cls, data, **kw):
    Xa, Xb, ya, yb = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = theirs_cls(**kw).fit(Xa, ya)
        ours = {dt: ours_cls(**kw, dtype=dt).fit(Xa, ya) for dt in ("float64", "float32")}
    return ours, theirs


@pytest.mark.parametrize("dataset", ["breast_cancer", "digits"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_classifier_matches_sklearn(dataset, solver, request):
    data = request.getfixturevalue(dataset)
    Xb, yb = data[1], data[3]
    kw = dict(hidden_layer_sizes=(64,), solver=solver, max_iter=60, random_state=0)
    ours, theirs = _fit_both(MLPClassifier, sk.MLPClassifier, data, **kw)
    want = theirs.score(Xb, yb)
    assert ours["float64"].score(Xb, yb) == pytest.approx(want, abs=1e-12)
    assert abs(ours["float32"].score(Xb, yb) - want) <= 0.01
    if solver != "lbfgs":
        np.testing.assert_allclose(ours["float64"].loss_curve_, theirs.loss_curve_,
                                   rtol=1e-9)
    assert ours["float64"].n_iter_ == theirs.n_iter_
    for a, b in zip(ours["float64"].coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert ours["float32"].coefs_[0].dtype == np.float32
    proba = ours["float32"].predict_proba(Xb)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_regressor_matches_sklearn_on_diabetes():
    data = _split(load_diabetes)
    Xb, yb = data[1], data[3]
    kw = dict(hidden_layer_sizes=(16,), learning_rate_init=0.05, max_iter=300,
              random_state=0)
    ours, theirs = _fit_both(MLPRegressor, sk.MLPRegressor, data, **kw)
    want = theirs.score(Xb, yb)
    assert want > 0.3
    assert ours["float64"].score(Xb, yb) == pytest.approx(want, abs=1e-9)
    assert abs(ours["float32"].score(Xb, yb) - want) <= 0.02
    np.testing.assert_allclose(ours["float64"].loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours["float32"].predict(Xb).dtype == np.float64


@pytest.mark.skipif(not sklearn_version_at_least("1.9"),
                    reason="scikit-learn 1.9's MLP (loss=, sample_weight, its message)")
def test_poisson_regressor_matches_sklearn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1]))
    kw = dict(loss="poisson", hidden_layer_sizes=(8,), max_iter=40, random_state=0)
    ours, theirs = _fit_both(MLPRegressor, sk.MLPRegressor, (X, X, y, y), **kw)
    np.testing.assert_allclose(ours["float64"].loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(ours["float64"].predict(X), theirs.predict(X), rtol=1e-8)
    assert ours["float64"].out_activation_ == "exp"
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson", max_iter=2).fit(X, -y)


@pytest.mark.skipif(not sklearn_version_at_least("1.9"),
                    reason="scikit-learn 1.9's MLP (loss=, sample_weight, its message)")
def test_sample_weight_matches_sklearn(breast_cancer):
    Xa, Xb, ya, yb = breast_cancer
    w = np.random.default_rng(0).uniform(0, 3, len(ya))
    kw = dict(hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = sk.MLPClassifier(**kw).fit(Xa, ya, sample_weight=w)
        ours = MLPClassifier(**kw, dtype="float64").fit(Xa, ya, sample_weight=w)
        lbfgs = [cls(solver="lbfgs", **kw).fit(Xa, ya, sample_weight=w)
                 for cls in (sk.MLPClassifier, lambda **k: MLPClassifier(**k, dtype="float64"))]
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert lbfgs[1].loss_ == pytest.approx(lbfgs[0].loss_, rel=1e-6)
    with pytest.raises(ValueError, match="non-zero"):
        MLPClassifier(max_iter=2).fit(Xa, ya, sample_weight=np.zeros(len(ya)))
    with pytest.raises(ValueError):
        MLPClassifier(max_iter=2).fit(Xa, ya, sample_weight=-w)


def test_early_stopping_matches_sklearn(digits):
    kw = dict(hidden_layer_sizes=(32,), max_iter=200, early_stopping=True,
              n_iter_no_change=3, tol=1e-3, random_state=0)
    ours, theirs = _fit_both(MLPClassifier, sk.MLPClassifier, digits, **kw)
    o = ours["float64"]
    assert o.n_iter_ == theirs.n_iter_ < 200
    np.testing.assert_allclose(o.validation_scores_, theirs.validation_scores_)
    assert o.best_validation_score_ == theirs.best_validation_score_
    assert o.best_loss_ is None
    # The best weights are restored, not the last ones.
    for a, b in zip(o.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert ours["float32"].n_iter_ < 200


def test_plateau_rule_and_adaptive_rate_match_sklearn(breast_cancer):
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate="adaptive",
              max_iter=300, n_iter_no_change=2, tol=1e-2, random_state=0)
    ours, theirs = _fit_both(MLPClassifier, sk.MLPClassifier, breast_cancer, **kw)
    assert ours["float64"].n_iter_ == theirs.n_iter_ < 300
    assert ours["float64"]._optimizer.learning_rate == pytest.approx(
        theirs._optimizer.learning_rate)


def test_partial_fit_matches_sklearn(digits):
    Xa, _, ya, _ = digits
    ours = MLPClassifier(hidden_layer_sizes=(16,), random_state=0, dtype="float64")
    theirs = sk.MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    classes = np.unique(ya)
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(Xa, ya)
    for chunk in np.array_split(np.arange(len(ya)), 4):
        ours.partial_fit(Xa[chunk], ya[chunk], classes=classes)
        theirs.partial_fit(Xa[chunk], ya[chunk], classes=classes)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours.t_ == theirs.t_ == len(ya)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        ours.partial_fit(Xa[:5], np.full(5, 99))
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(Xa, ya.astype(float))


def test_warm_start_continues_from_the_fitted_weights(breast_cancer):
    Xa, _, ya, _ = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, warm_start=True,
                            random_state=0).fit(Xa, ya)
        first = est.loss_curve_[-1]
        est.fit(Xa, ya)
    assert len(est.loss_curve_) == 10 and est.loss_curve_[-1] < first
    with pytest.raises(ValueError, match="same classes"):
        est.fit(Xa, np.where(ya == 1, 2, ya) + (np.arange(len(ya)) % 3 == 0))


def test_multilabel_matches_sklearn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    Y = (X[:, :3] + 0.3 * rng.normal(size=(200, 3)) > 0).astype(int)
    kw = dict(hidden_layer_sizes=(12,), max_iter=30, random_state=0)
    ours, theirs = _fit_both(MLPClassifier, sk.MLPClassifier, (X, X, Y, Y), **kw)
    np.testing.assert_allclose(ours["float64"].loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_array_equal(ours["float64"].predict(X), theirs.predict(X))
    assert ours["float32"].predict_proba(X).shape == (200, 3)


def test_verbose_reports_epoch_loss_and_time(breast_cancer, capsys):
    Xa, _, ya, _ = breast_cancer
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, early_stopping=True, verbose=True,
                  n_iter_no_change=1, tol=0.5, random_state=0).fit(Xa, ya)
    out = capsys.readouterr().out
    assert re.search(r"Iteration 1, loss = [0-9.]+, time = [0-9.]+s", out)
    assert "Validation score" in out and "did not improve" in out
    MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=3, verbose=True,
                  random_state=0).fit(Xa, ya)
    assert re.search(r"Iteration 3, loss = [0-9.]+, time", capsys.readouterr().out)


def test_same_result_on_one_and_two_threads_and_after_pickle(digits):
    Xa, Xb, ya, _ = digits
    kw = dict(hidden_layer_sizes=(300,), max_iter=2, batch_size=1000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = MLPClassifier(**kw, n_jobs=1).fit(Xa, ya)
        two = MLPClassifier(**kw, n_jobs=2).fit(Xa, ya)
    for a, b in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_):
        np.testing.assert_array_equal(a, b)
    again = pickle.loads(pickle.dumps(two))
    np.testing.assert_array_equal(again.predict_proba(Xb), one.predict_proba(Xb))


def test_dtype_parameter(breast_cancer):
    Xa, _, ya, _ = breast_cancer
    fit = lambda dt, X: MLPClassifier(hidden_layer_sizes=(4,), max_iter=1,  # noqa: E731
                                      dtype=dt).fit(X, ya).coefs_[0].dtype
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert fit("float32", Xa) == np.float32
        assert fit(np.float64, Xa.astype(np.float32)) == np.float64
        assert fit(None, Xa) == np.float64 and fit(None, Xa.astype(np.float32)) == np.float32
    with pytest.raises(ValueError, match="dtype"):
        fit("float16", Xa)
    with pytest.raises(ValueError, match="dtype"):
        fit(np.int32, Xa)


def test_no_hidden_layer_is_a_linear_model(breast_cancer):
    Xa, Xb, ya, yb = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifier(hidden_layer_sizes=[], solver="lbfgs", max_iter=50,
                            random_state=0).fit(Xa, ya)
    assert est.n_layers_ == 2 and len(est.coefs_) == 1 and est.score(Xb, yb) > 0.9


def test_diverging_training_names_the_learning_rate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)) * 100
    y = X @ [1.0, 2.0, 3.0] * 100
    with pytest.raises(ValueError, match="learning rate too high"), \
            np.errstate(all="ignore"):
        MLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=20).fit(X, y)
    # L-BFGS has no learning rate: overflowing float32 features are named instead.
    with pytest.raises(ValueError, match="Scale the input features"), \
            np.errstate(all="ignore"):
        MLPRegressor(solver="lbfgs", max_iter=5).fit(X * 1e35, y)


def _bad_fits():
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:60]
    y = y[:60]
    nan = X.copy()
    nan[3, 2] = np.nan
    inf = X.copy()
    inf[0, 0] = np.inf
    return {
        "NaN in X": (MLPClassifier(), nan, y),
        "inf in X": (MLPClassifier(), inf, y),
        "NaN in y": (MLPRegressor(), X, np.where(y == 1, np.nan, 0.0)),
        "y is None": (MLPClassifier(), X, None),
        "rows differ": (MLPClassifier(), X, y[:-1]),
        "empty X": (MLPClassifier(), X[:0], y[:0]),
        "3-D X": (MLPClassifier(), X[:, :, None], y),
        "continuous y for a classifier": (MLPClassifier(), X, X[:, 0]),
        "empty layer": (MLPClassifier(hidden_layer_sizes=(10, 0)), X, y),
        "negative layer": (MLPRegressor(hidden_layer_sizes=(-3,)), X, y),
        "batch_size 0": (MLPClassifier(batch_size=0), X, y),
        "max_iter 0": (MLPClassifier(max_iter=0), X, y),
        "negative alpha": (MLPClassifier(alpha=-1.0), X, y),
        "learning_rate_init 0": (MLPClassifier(learning_rate_init=0.0), X, y),
        "unknown activation": (MLPClassifier(activation="softplus"), X, y),
        "unknown solver": (MLPClassifier(solver="newton"), X, y),
        "validation_fraction 1": (MLPClassifier(validation_fraction=1.0), X, y),
        "momentum > 1": (MLPClassifier(solver="sgd", momentum=1.5), X, y),
        "n_jobs 0": (MLPClassifier(n_jobs=0), X, y),
        "unknown loss": (MLPRegressor(loss="huber"), X, y),
        "validation set too small": (MLPClassifier(early_stopping=True,
                                                   validation_fraction=0.01), X[:40], y[:40]),
    }


@pytest.mark.parametrize("case", list(_bad_fits()))
def test_bad_input_is_a_value_error(case):
    est, X, y = _bad_fits()[case]
    with pytest.raises(ValueError):
        est.set_params(max_iter=est.max_iter if est.max_iter != 200 else 2).fit(X, y)


def test_bad_input_at_predict_time(breast_cancer):
    Xa, _, ya, _ = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(Xa, ya)
    with pytest.raises(ValueError, match="features"):
        est.predict(Xa[:, :5])
    with pytest.raises(ValueError):
        est.predict_proba(np.where(Xa > 1, np.nan, Xa))


# ---- drop-in: what scikit-learn accepts is served --------------------------------------

def test_sparse_X_is_fitted_by_scikit_learn(caplog):
    import scipy.sparse as sp
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    X, y = load_breast_cancer(return_X_y=True)
    X = sp.csr_matrix(X[:200] / X.max(axis=0))
    y = y[:200]
    with caplog.at_level("DEBUG", logger="gdcore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(max_iter=20, random_state=0).fit(X, y)
        peer = SkMLPClassifier(max_iter=20, random_state=0).fit(X, y)
    assert "fitting through sklearn.neural_network.MLPClassifier: sparse X" in caplog.text
    np.testing.assert_array_equal(ours.predict_proba(X), peer.predict_proba(X))


def test_one_class_is_fitted_as_scikit_learn():
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    X, _ = load_breast_cancer(return_X_y=True)
    X = X[:60] / X.max(axis=0)
    y = np.full(60, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(max_iter=20, random_state=0, dtype="float64").fit(X, y)
        peer = SkMLPClassifier(max_iter=20, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), peer.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), peer.predict_proba(X), rtol=1e-7)


def test_diverging_sgd_with_early_stopping_records_nan_and_keeps_the_best_weights():
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPRegressor(solver="sgd", learning_rate_init=1.0, activation="identity",
                           early_stopping=True, max_iter=15, random_state=0).fit(X, y)
    assert np.isnan(est.validation_scores_[-1])
    assert all(np.isfinite(c).all() for c in est.coefs_)


def test_n_iter_no_change_inf_runs_max_iter_and_warns():
    X, y = load_breast_cancer(return_X_y=True)
    est = MLPClassifier(n_iter_no_change=np.inf, max_iter=5, warm_start=True, random_state=0)
    for max_iter in (5, 8):
        with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
            est.set_params(max_iter=max_iter).fit(X[:100], y[:100])
        assert est.n_iter_ == max_iter


def test_a_network_too_large_is_refused_with_its_parameter_count():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match="parameters"):
        MLPClassifier(hidden_layer_sizes=(2**31,)).fit(X[:20], y[:20])


@pytest.mark.parametrize("net_dtype", ["float32", "float64"])
def test_predictions_come_in_the_dtype_of_X(breast_cancer, net_dtype):
    """scikit-learn's rule: float32 rows give float32 answers, float64 rows float64."""
    Xa, Xb, ya, yb = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0,
                            dtype=net_dtype).fit(Xa, ya)
        reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0,
                           dtype=net_dtype).fit(Xa, ya.astype(float))
    for dtype in (np.float32, np.float64):
        X = Xb.astype(dtype)
        assert clf.predict_proba(X).dtype == dtype
        assert clf.predict_log_proba(X).dtype == dtype
        assert reg.predict(X).dtype == dtype
    assert reg.predict(np.round(Xb).astype(int)).dtype == np.float64
    np.testing.assert_allclose(clf.predict_proba(Xb.astype(np.float32)),
                               clf.predict_proba(Xb), rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(not sklearn_version_at_least("1.9"),
                    reason="scikit-learn 1.9's MLP (loss=, sample_weight, its message)")
def test_early_stopping_splits_on_the_binarized_targets_as_sklearn(breast_cancer):
    """Same held-out rows as scikit-learn (binary case), same error for a tiny class."""
    kw = dict(hidden_layer_sizes=(8,), max_iter=30, early_stopping=True, random_state=0)
    ours, theirs = _fit_both(MLPClassifier, sk.MLPClassifier, breast_cancer, **kw)
    np.testing.assert_allclose(ours["float64"].validation_scores_, theirs.validation_scores_)
    X, y = [[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1]
    with pytest.raises(ValueError, match=re.escape("Classes with too few members are: ['True']")):
        MLPClassifier(early_stopping=True).fit(X, y)
