"""TabularDiffusion: ring of 8 Gaussians, mixed tables, pandas, labels, the bound, bad input."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from gdcore.generative.neural import TabularDiffusion
from gdcore.generative.neural._quantile import NormalQuantileMap

SMALL = dict(n_steps=40, n_sampling_steps=10, hidden_layer_sizes=(16,), max_iter=3,
             random_state=0)
RING_RADIUS, RING_STD = 2.0, 0.2
RING_CENTERS = RING_RADIUS * np.c_[np.cos(np.arange(8) * np.pi / 4),
                                   np.sin(np.arange(8) * np.pi / 4)]


@pytest.mark.slow
def test_ring_of_eight_gaussians():
    """All 8 modes covered and >= 90% of samples within 3 sd of one (sd 0.2).

    The diagonal modes take a diffusion model many Adam steps (four
    axis-aligned modes on a 2 x 2 grid: 99.4% after 300 epochs of a (128, 128)
    denoiser).  Steps count more than width: a (128, 128) denoiser on batches
    of 32 (63 steps an epoch) holds 92.1% within 3 sd after 900 epochs (seed
    0; 91.1%, 90.6% and 92.7% with seeds 0, 1, 2 after 600, every mode 8% or
    more), close to the default (256, 256, 256) one on batches of 256 after 800
    (93.3%), with a seventh of the multiply-adds per row; batches of 64 for
    600 epochs gave 89.9% and 90.1% (seeds 0, 1).
    """
    rng = np.random.RandomState(0)
    X = RING_CENTERS[rng.randint(8, size=2000)] + RING_STD * rng.standard_normal((2000, 2))
    model = TabularDiffusion(hidden_layer_sizes=(128, 128), batch_size=32, max_iter=900,
                             random_state=0, n_jobs=1).fit(X)
    S = model.sample(2000)
    dist = np.sqrt(((S[:, None, :] - RING_CENTERS[None]) ** 2).sum(axis=2))
    near = dist.min(axis=1) < 3 * RING_STD
    counts = np.bincount(dist.argmin(axis=1)[near], minlength=8)
    assert near.mean() >= 0.9, (near.mean(), counts)
    assert np.all(counts >= 0.05 * len(S)), counts
    # The bound prefers real rows to rows off the ring.
    assert model.score(X[:100]) > model.score(0.5 * X[:100])


def _mixed_frame(n, rng):
    """Build a 3-level string column shifting a float column, an int column, a bool column."""
    cat = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    shift = pd.Series(cat).map({"a": 0.0, "b": 3.0, "c": 6.0}).to_numpy()
    return pd.DataFrame({
        "x": shift + 0.3 * rng.standard_normal(n),
        "kind": pd.Categorical(cat, categories=["c", "b", "a"]),
        "count": rng.poisson(4, size=n).astype(np.int32),
        "flag": rng.uniform(size=n) < 0.3,
        "label": cat.astype(object),
    })


def test_mixed_frame_round_trip_and_frequencies():
    rng = np.random.RandomState(0)
    df = _mixed_frame(1500, rng)
    model = TabularDiffusion(hidden_layer_sizes=(128, 128), max_iter=150, batch_size=128,
                             random_state=0, n_jobs=1).fit(df)
    S = model.sample(2000)
    assert list(S.columns) == list(df.columns)
    assert list(S.dtypes) == list(df.dtypes)
    assert S["kind"].cat.categories.tolist() == ["c", "b", "a"]
    assert set(S["label"]) <= {"a", "b", "c"}
    freq = S["kind"].value_counts(normalize=True)
    np.testing.assert_allclose([freq["a"], freq["b"], freq["c"]], [0.6, 0.3, 0.1], atol=0.06)
    np.testing.assert_allclose(S["flag"].mean(), 0.3, atol=0.06)
    # The numeric column follows its category: means near 0, 3 and 6.
    means = S.groupby("kind", observed=True)["x"].mean()
    np.testing.assert_allclose([means["a"], means["b"], means["c"]], [0, 3, 6], atol=0.5)
    # Two categorical columns that are the same variable stay consistent.
    assert (S["kind"].astype(str) == S["label"]).mean() > 0.9
    scores = model.score_samples(df.iloc[:50])
    assert scores.shape == (50,) and np.all(np.isfinite(scores))
    unseen = df.iloc[:2].copy()
    unseen["label"] = ["z", "a"]
    assert np.isneginf(model.score_samples(unseen)[0])


def test_conditional_sampling_and_scores():
    rng = np.random.RandomState(0)
    y = rng.randint(2, size=1000)
    X = np.c_[3.0 * y + 0.3 * rng.standard_normal(1000), rng.standard_normal(1000)]
    model = TabularDiffusion(hidden_layer_sizes=(64, 64), max_iter=60, random_state=0,
                             n_jobs=1).fit(X, y)
    S, labels = model.sample(400, y=np.r_[np.zeros(200), np.ones(200)])
    assert np.abs(S[labels == 0, 0].mean()) < 0.5 and np.abs(S[labels == 1, 0].mean() - 3) < 0.5
    S, labels = model.sample(10)
    assert set(labels) <= {0, 1}
    right = model.score_samples(X[:50], y[:50])
    wrong = model.score_samples(X[:50], 1 - y[:50])
    assert np.mean(right > wrong) > 0.9
    marginal = model.score_samples(X[:50])
    assert np.all(marginal >= right + np.log(0.4))
    with pytest.raises(ValueError, match="not fitted on"):
        model.sample(2, y=[5, 5])


def test_bound_is_consistent_and_deterministic():
    """Scores do not depend on batching, threads or repetition; the Jacobian is the map's."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.standard_normal(300), rng.exponential(size=300), rng.randint(3, size=300)]
    model = TabularDiffusion(categorical_features=[2], **SMALL).fit(X)
    full = model.score_samples(X)
    np.testing.assert_allclose(model.score_samples(X[:7]), full[:7], rtol=1e-6)
    np.testing.assert_allclose(model.score_samples(X), full)
    two = clone(model).set_params(n_jobs=2).fit(X)
    np.testing.assert_allclose(two.score_samples(X), full, rtol=1e-5)
    np.testing.assert_allclose(two.sample(20), model.sample(20), rtol=1e-5)
    # Rescaling a numeric column by 10 shifts its density by -log 10.
    X10 = X.copy()
    X10[:, 1] *= 10
    scaled = TabularDiffusion(categorical_features=[2], **SMALL).fit(X10)
    np.testing.assert_allclose(scaled.score_samples(X10), full - np.log(10), rtol=1e-4)


def test_quantile_map_round_trip_and_jacobian():
    rng = np.random.RandomState(0)
    X = np.c_[rng.exponential(size=500), rng.randint(5, size=500)]
    qm = NormalQuantileMap().fit(X)
    Z, log_jac = qm.transform(X)
    assert abs(Z[:, 0].mean()) < 0.05 and abs(Z[:, 0].std() - 1) < 0.05
    np.testing.assert_allclose(qm.inverse_transform(Z), X, atol=1e-9)
    outside = np.array([[100.0, -3.0]])
    np.testing.assert_allclose(qm.inverse_transform(qm.transform(outside)[0]), outside)
    # log_jac is the log of the (right) slope in every column: a forward
    # difference (but at the last knot, where the slope changes to the tail's).
    h = 1e-7
    Zp, _ = qm.transform(X + h)
    inside = X[:, 0] < X[:, 0].max()
    np.testing.assert_allclose(log_jac[inside], np.log((Zp - Z) / h).sum(axis=1)[inside],
                               rtol=1e-5, atol=1e-5)


def test_degenerate_columns_are_held_fixed():
    rng = np.random.RandomState(0)
    X = np.c_[rng.standard_normal(100), np.full(100, 7.5), np.full(100, 2.0)]
    model = TabularDiffusion(categorical_features=[2], **SMALL).fit(X)
    S = model.sample(30)
    assert np.all(S[:, 1] == 7.5) and np.all(S[:, 2] == 2.0)
    scores = model.score_samples(np.r_[X[:2], [[0.0, 7.0, 2.0]]])
    assert np.all(np.isfinite(scores[:2])) and np.isneginf(scores[2])
    # Every column constant (a single row): nothing to learn, samples repeat it.
    one = TabularDiffusion(**SMALL).fit(X[:1])
    np.testing.assert_array_equal(one.sample(3), np.repeat(X[:1], 3, axis=0))
    np.testing.assert_array_equal(one.score_samples(X[:1]), [0.0])


def test_verbose_early_stopping_and_pickle(capsys):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 3))
    model = TabularDiffusion(early_stopping=True, n_iter_no_change=2, tol=10.0,
                             **dict(SMALL, max_iter=50, verbose=True)).fit(X)
    out = capsys.readouterr().out
    assert "Epoch 1, loss = " in out and "validation loss = " in out and "time = " in out
    assert "Stopping" in out and model.n_iter_ == 3
    assert model.best_validation_loss_ == min(model.validation_scores_)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.sample(5), model.sample(5))
    np.testing.assert_array_equal(again.score_samples(X[:5]), model.score_samples(X[:5]))


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_schedules_dtypes_and_step_counts(schedule, dtype):
    X = np.random.RandomState(0).standard_normal((50, 2))
    for n_steps, n_sampling in [(1, None), (5, 100), (30, 3)]:
        model = TabularDiffusion(**dict(SMALL, schedule=schedule, dtype=dtype, n_steps=n_steps,
                                        n_sampling_steps=n_sampling, eta=0.5)).fit(X)
        assert model.coefs_[0].dtype == dtype
        assert np.all(np.isfinite(model.sample(5)))
        assert np.all(np.isfinite(model.score_samples(X[:5])))


@pytest.mark.parametrize("params, match", [
    ({"n_steps": 0}, "n_steps"),
    ({"n_sampling_steps": 0}, "n_sampling_steps"),
    ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
    ({"schedule": "quadratic"}, "schedule"),
    ({"categorical_features": [5]}, "outside"),
    ({"dtype": np.int32}, "dtype"),
])
def test_bad_parameters(params, match):
    X = np.random.RandomState(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match=match):
        TabularDiffusion(max_iter=1, **params).fit(X)


def test_nan_is_refused_with_a_remedy():
    X = np.random.RandomState(0).standard_normal((20, 3))
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TabularDiffusion(max_iter=1).fit(X)
    df = pd.DataFrame({"a": np.arange(5.0), "b": ["x", None, "y", "x", "y"]})
    with pytest.raises(ValueError, match="NaN"):
        TabularDiffusion(max_iter=1).fit(df)


def test_bad_input_after_fit():
    X = np.random.RandomState(0).standard_normal((30, 3))
    model = TabularDiffusion(**SMALL).fit(X)
    with pytest.raises(ValueError, match="without labels"):
        model.sample(2, y=1)
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)
    with pytest.raises(ValueError, match="features"):
        model.score_samples(X[:, :2])


def test_diverging_training_names_the_learning_rate():
    X = np.random.RandomState(0).standard_normal((256, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="learning rate too high"):
            TabularDiffusion(learning_rate_init=1e12, max_iter=20, hidden_layer_sizes=(16,),
                             random_state=0).fit(X)


def test_categorical_features_apply_to_list_input():
    """A list has no dtypes: its categorical columns are still the ones named."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=60), rng.randint(3, size=60)].tolist()
    model = TabularDiffusion(categorical_features=[1], **SMALL).fit(X)
    assert set(model.sample(50)[:, 1]) <= {0, 1, 2}
    with pytest.raises(ValueError, match="outside"):
        TabularDiffusion(categorical_features=[5], **SMALL).fit(X)
