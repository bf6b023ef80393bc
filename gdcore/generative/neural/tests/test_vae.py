"""VAE: exact ELBO gradients, quality on digits, interface, bad input."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from gdcore import VAE
from gdcore._nn.network import DenseNetwork
from gdcore.generative.neural import _vae_objective as obj

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _flat_loss(enc, dec, log_var, X, eps, likelihood, l2):
    rec, kl, g_lv = obj.loss_and_grad(enc, dec, log_var, X, eps, likelihood, l2, 1)
    loss = rec + kl
    n_w = sum(c.size for c in enc.coefs), sum(c.size for c in dec.coefs)
    penalty = 0.5 * l2 * (float(enc.theta[:n_w[0]] @ enc.theta[:n_w[0]])
                          + float(dec.theta[:n_w[1]] @ dec.theta[:n_w[1]]))
    return loss + penalty, g_lv


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_elbo_gradient_equals_finite_differences(likelihood):
    rng = np.random.RandomState(0)
    n, d, L = 7, 5, 3
    X = rng.uniform(size=(n, d))
    eps = rng.standard_normal((n, L))
    enc = DenseNetwork([d, 6, 2 * L], "tanh", "identity", np.float64)
    dec = DenseNetwork([L, 4, d], "tanh", "identity", np.float64)
    enc.init_glorot(rng)
    dec.init_glorot(rng)
    log_var = rng.uniform(-0.5, 0.5, d)
    l2 = 0.01
    _, g_lv = _flat_loss(enc, dec, log_var, X, eps, likelihood, l2)
    g_enc, g_dec = enc.grad.copy(), dec.grad.copy()
    h = 1e-6
    for theta, grad in ((enc.theta, g_enc), (dec.theta, g_dec), (log_var, g_lv)):
        if likelihood == "bernoulli" and theta is log_var:
            assert np.all(grad == 0)
            continue
        fd = np.empty_like(theta)
        for i in range(theta.size):
            old = theta[i]
            theta[i] = old + h
            up = _flat_loss(enc, dec, log_var, X, eps, likelihood, l2)[0]
            theta[i] = old - h
            down = _flat_loss(enc, dec, log_var, X, eps, likelihood, l2)[0]
            theta[i] = old
            fd[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)


@pytest.fixture(scope="module")
def digits_split():
    """Digits dequantized (pixel + U[0, 1)), so every model has a density on R^64.

    Dequantized log-densities lower-bound the log-probability of the integer
    pixels (Theis et al. 2016), so a VAE and a diagonal Gaussian are compared
    on the same scale: nats per image of the same continuous data.
    """
    X = load_digits().data
    X = X + np.random.RandomState(0).uniform(size=X.shape)
    return train_test_split(X, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def digits_vae(digits_split):
    X_train, _ = digits_split
    return VAE(latent_dim=8, hidden_layer_sizes=(128,), max_iter=60, early_stopping=True,
               n_iter_no_change=60, random_state=0, n_jobs=1).fit(X_train)


def test_digits_held_out_elbo_improves_and_beats_diagonal_gaussian(digits_split, digits_vae):
    X_train, X_test = digits_split
    curve = np.asarray(digits_vae.validation_scores_)
    # Improves in expectation: each tenth of training beats the one before
    # (epoch-to-epoch noise from the Monte Carlo ELBO is allowed).
    tenths = [chunk.mean() for chunk in np.array_split(curve, 10)]
    assert np.all(np.diff(tenths) > 0), tenths
    mean, var = X_train.mean(axis=0), X_train.var(axis=0)
    diag = (-0.5 * ((X_test - mean) ** 2 / var + np.log(2 * np.pi * var))).sum(axis=1)
    elbo = digits_vae.score_samples(X_test, n_draws=50)
    iwae = digits_vae.score_samples(X_test, method="iwae", n_draws=50)
    # Measured: diagonal Gaussian -150.6 nats, VAE ELBO about -135, IWAE above it.
    assert elbo.mean() > diag.mean() + 5
    assert iwae.mean() >= elbo.mean()


def test_transform_inverse_transform_and_sample(digits_split, digits_vae):
    _, X_test = digits_split
    Z = digits_vae.transform(X_test)
    assert Z.shape == (len(X_test), 8) and Z.dtype == np.float32
    recon = digits_vae.inverse_transform(Z)
    assert recon.shape == X_test.shape
    # Reconstructions are closer to their own rows than the mean image is.
    assert np.mean((recon - X_test) ** 2) < 0.5 * np.mean((X_test - X_test.mean(0)) ** 2)
    S = digits_vae.sample(5)
    assert S.shape == (5, 64) and np.all(np.isfinite(S))
    np.testing.assert_array_equal(S, digits_vae.sample(5))
    assert not np.array_equal(S, digits_vae.sample(5, random_state=1))


def test_scores_do_not_depend_on_batching(digits_split, digits_vae):
    _, X_test = digits_split
    full = digits_vae.score_samples(X_test[:20], method="iwae", n_draws=5)
    parts = np.r_[digits_vae.score_samples(X_test[:7], method="iwae", n_draws=5),
                  digits_vae.score_samples(X_test[7:20], method="iwae", n_draws=5)]
    np.testing.assert_allclose(full, parts, rtol=1e-6)


def test_bernoulli_decoder_on_binary_pixels():
    X = (load_digits().data > 7).astype(np.float64)
    vae = VAE(decoder="bernoulli", latent_dim=4, hidden_layer_sizes=(64,), max_iter=30,
              batch_size=64, random_state=0, n_jobs=1).fit(X)
    p = X.mean(axis=0).clip(1e-3, 1 - 1e-3)
    independent = (X * np.log(p) + (1 - X) * np.log(1 - p)).sum(axis=1).mean()
    # Measured: independent pixels -25.1 nats, VAE ELBO -20.5 (IWAE, 100 draws: -20.1).
    assert vae.score(X) > independent + 2
    S = vae.sample(10)
    assert set(np.unique(S)) <= {0.0, 1.0}
    P = vae.inverse_transform(vae.transform(X[:5]))
    assert np.all((P >= 0) & (P <= 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threads_and_dtypes_agree(dtype):
    X = np.random.RandomState(1).standard_normal((300, 6))
    fits = [VAE(hidden_layer_sizes=(16,), max_iter=5, random_state=0, dtype=dtype,
                n_jobs=k).fit(X) for k in (1, 2)]
    assert fits[0].encoder_coefs_[0].dtype == dtype
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(fits[0].score_samples(X), fits[1].score_samples(X), rtol=rtol)


def test_pickle_clone_and_params():
    X = np.random.RandomState(2).standard_normal((80, 4))
    vae = VAE(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(vae))
    np.testing.assert_array_equal(vae.score_samples(X), again.score_samples(X))
    np.testing.assert_array_equal(vae.sample(3), again.sample(3))
    params = clone(vae).set_params(latent_dim=3).get_params()
    assert params["latent_dim"] == 3 and params["hidden_layer_sizes"] == (8,)


def test_verbose_and_plateau_stop(capsys):
    X = np.random.RandomState(3).standard_normal((100, 3))
    vae = VAE(hidden_layer_sizes=(4,), max_iter=500, tol=10.0, n_iter_no_change=2,
              verbose=True, random_state=0).fit(X)
    assert vae.n_iter_ == 4  # 1 epoch sets the best loss, 3 > n_iter_no_change fail tol
    out = capsys.readouterr().out
    assert "Epoch 1, loss = " in out and "KL" in out and "time = " in out
    assert "Stopping." in out


@pytest.mark.parametrize("params, match", [
    ({"hidden_layer_sizes": (0,)}, "empty layer"),
    ({"hidden_layer_sizes": (10, 0)}, "empty layer"),
    ({"batch_size": 0}, "batch_size"),
    ({"latent_dim": 0}, "latent_dim"),
    ({"learning_rate_init": -1.0}, "learning_rate_init"),
    ({"decoder": "poisson"}, "decoder"),
    ({"dtype": np.int64}, "dtype"),
])
def test_bad_parameters(params, match):
    X = np.random.RandomState(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match=match):
        VAE(**params).fit(X)


@pytest.mark.parametrize("bad", ["nan", "inf", "empty", "1d"])
def test_bad_input(bad):
    X = np.random.RandomState(0).standard_normal((20, 3))
    if bad == "nan":
        X[3, 1] = np.nan
    elif bad == "inf":
        X[0, 0] = np.inf
    elif bad == "empty":
        X = X[:0]
    else:
        X = X[:, 0]
    with pytest.raises(ValueError):
        VAE(max_iter=2).fit(X)


def test_bad_input_after_fit():
    X = np.random.RandomState(0).uniform(size=(30, 3))
    vae = VAE(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        vae.score_samples(X[:, :2])
    with pytest.raises(ValueError, match="latent"):
        vae.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="method"):
        vae.score_samples(X, method="exact")
    with pytest.raises(ValueError, match="n_samples"):
        vae.sample(0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        VAE(decoder="bernoulli", max_iter=2).fit(X * 3)


def test_diverging_training_names_the_learning_rate():
    X = np.random.RandomState(0).standard_normal((200, 5)) * 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="learning rate too high"):
            VAE(learning_rate_init=1e4, max_iter=50, random_state=0,
                dtype=np.float32).fit(X)


@pytest.mark.parametrize("n, d, latent_dim", [(1, 3, 2), (10, 1, 1), (30, 4, 1)])
def test_edge_sizes(n, d, latent_dim):
    X = np.random.RandomState(0).standard_normal((n, d))
    vae = VAE(latent_dim=latent_dim, hidden_layer_sizes=(3,), max_iter=3,
              random_state=0).fit(X)
    assert vae.transform(X).shape == (n, latent_dim)
    assert vae.inverse_transform(vae.transform(X)).shape == (n, d)
    assert np.all(np.isfinite(vae.score_samples(X, method="iwae", n_draws=3)))
    assert vae.sample(2).shape == (2, d)


def test_feature_names_out_and_pandas_output_in_a_pipeline():
    """Latent columns are named vae0..vae{K-1}, so set_output(transform="pandas") works."""
    rng = np.random.RandomState(0)
    df = pd.DataFrame(rng.normal(size=(80, 4)), columns=["a", "b", "c", "d"])
    vae = VAE(latent_dim=3, hidden_layer_sizes=(8,), max_iter=5, random_state=0, n_jobs=1)
    with pytest.raises(NotFittedError):
        vae.get_feature_names_out()
    pipe = make_pipeline(StandardScaler(), vae).set_output(transform="pandas")
    Z = pipe.fit_transform(df)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == ["vae0", "vae1", "vae2"]
    assert list(pipe.get_feature_names_out()) == ["vae0", "vae1", "vae2"]
    np.testing.assert_array_equal(Z.index, df.index)
    np.testing.assert_allclose(Z.to_numpy(), pipe[-1].transform(pipe[0].transform(df)))


def test_sample_returns_the_fitted_frame():
    """A fit on a DataFrame samples a DataFrame: same columns and dtypes, ints rounded."""
    rng = np.random.RandomState(0)
    n = 300
    df = pd.DataFrame({"x": rng.normal(size=n), "count": rng.poisson(5, size=n),
                       "small": rng.normal(size=n).astype(np.float32),
                       "flag": rng.uniform(size=n) < 0.3})
    vae = VAE(hidden_layer_sizes=(16,), max_iter=30, random_state=0, n_jobs=1).fit(df)
    S = vae.sample(500)
    assert isinstance(S, pd.DataFrame)
    assert list(S.columns) == list(df.columns)
    assert list(S.dtypes) == list(df.dtypes)
    assert abs(S["count"].mean() - 5) < 1.5
    assert 0.05 < S["flag"].mean() < 0.6
    # Same draws as an array fit: the frame only changes the container.
    arrays = VAE(hidden_layer_sizes=(16,), max_iter=30, random_state=0, n_jobs=1)
    raw = arrays.fit(df.to_numpy(dtype=np.float64)).sample(500)
    np.testing.assert_allclose(S["x"], raw[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(S["count"], np.rint(raw[:, 1]))
    # Scores and transforms read the frame as fit did (the bool column coded 0/1).
    np.testing.assert_allclose(vae.score_samples(df.iloc[:20]),
                               arrays.score_samples(df.iloc[:20].to_numpy(dtype=np.float64)),
                               rtol=1e-5)
    assert isinstance(VAE(max_iter=2).fit(df.to_numpy()).sample(3), np.ndarray)


def test_non_numeric_frame_columns_are_refused_clearly():
    df = pd.DataFrame({"x": np.arange(10.0), "kind": list("ab") * 5})
    with pytest.raises(ValueError, match=r"\['kind'\] are not numeric.*GAN or TabularDiffusion"):
        VAE(max_iter=2).fit(df)
