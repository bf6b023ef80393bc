"""Naive Bayes on a Dask cluster equals naive Bayes on one machine.

Runs on the session's LocalCluster (``gdcore/tests/dask_fixtures.py``);
skipped only when dask is not installed.
"""

import numpy as np
import pytest

from gdcore.generative.naive_bayes import (
    BernoulliNB,
    CategoricalNB,
    ComplementNB,
    GaussianNB,
    MultinomialNB,
)

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install 'gdcore[dask]')")

RTOL = 1e-10


def _data(kind, n=500, d=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array(["a", "b", "c"]), size=n)
    shift = (y == "b") * 1.5 + (y == "c") * 3.0
    if kind == "gaussian":
        X = rng.normal(size=(n, d)) + shift[:, None]
        X[rng.random(X.shape) < 0.05] = np.nan      # missing values, marginalized
    elif kind == "counts":
        X = rng.poisson(1.0 + shift[:, None], size=(n, d)).astype(float)
    else:
        X = rng.integers(0, 4, size=(n, d)) + (y == "c")[:, None]
    return X, y


CASES = [
    (GaussianNB, "gaussian", ("theta_", "var_", "class_prior_", "epsilon_", "class_count_")),
    (MultinomialNB, "counts", ("feature_log_prob_", "class_log_prior_", "feature_count_")),
    (ComplementNB, "counts", ("feature_log_prob_", "feature_count_")),
    (BernoulliNB, "counts", ("feature_log_prob_", "class_log_prior_")),
    (CategoricalNB, "categorical", ("class_log_prior_", "n_categories_")),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("Estimator, kind, names", CASES, ids=[c[0].__name__ for c in CASES])
def test_fit_equals_in_memory(dask_client, Estimator, kind, names, weighted):
    X, y = _data(kind)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    ref = Estimator().fit(X, y, sample_weight=w)
    Xd = da.from_array(X, chunks=(117, X.shape[1])).persist()
    got = Estimator().fit(Xd, da.from_array(y, chunks=117),
                          sample_weight=None if w is None else da.from_array(w, chunks=117))
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    for name in names:
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=RTOL)
    if Estimator is CategoricalNB:
        for a, b in zip(got.feature_log_prob_, ref.feature_log_prob_):
            np.testing.assert_allclose(a, b, rtol=RTOL)
    proba = got.predict_proba(Xd)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(X), rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(got.predict(Xd).compute(), ref.predict(X))


def test_dataframe_and_score_samples(dask_client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = _data("gaussian", n=300, d=3)
    frame = pd.DataFrame(X, columns=["u", "v", "w"])
    ref = GaussianNB().fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=3)
    got = GaussianNB().fit(ddf, dd.from_pandas(pd.Series(y), npartitions=3))
    np.testing.assert_allclose(got.theta_, ref.theta_, rtol=RTOL)
    assert list(got.feature_names_in_) == ["u", "v", "w"]
    np.testing.assert_allclose(got.score_samples(ddf).compute(), ref.score_samples(frame),
                               rtol=1e-10)


def test_negative_counts_are_a_clear_error(dask_client):
    X, y = _data("counts", n=100)
    X[7, 2] = -1
    with pytest.raises(ValueError, match="Negative values"):
        MultinomialNB().fit(da.from_array(X, chunks=30), da.from_array(y, chunks=30))


@pytest.mark.parametrize("chunk", [50, 117, 500])
def test_gaussian_blocks_with_different_classes(dask_client, chunk):
    # y sorted: most blocks hold one or two of the classes, merged class by class.
    X, y = _data("gaussian")
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    ref = GaussianNB().fit(X, y)
    got = GaussianNB().fit(da.from_array(X, chunks=(chunk, X.shape[1])),
                           da.from_array(y, chunks=chunk))
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    for name in ("theta_", "var_", "class_prior_", "epsilon_", "class_count_"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=RTOL)


def test_gaussian_continuous_y_is_a_clear_error(dask_client):
    X, _ = _data("gaussian", n=100)
    y = np.linspace(0.0, 1.0, 100)
    with pytest.raises(ValueError, match="Unknown label type"):
        GaussianNB().fit(da.from_array(X, chunks=(30, X.shape[1])), da.from_array(y, chunks=30))
