"""Diffusion kernels against their NumPy twins; the objective's gradient by finite differences."""

import numpy as np
import pytest

from gdcore.generative.neural import _diffusion_kernels as kernels
from gdcore.generative.neural import _diffusion_objective as obj
from gdcore.generative.neural import _reference as ref

# (rows, numeric columns, block widths): edge sizes included (one row, no
# numeric part, no block, a two-level block); 1500 rows split over threads.
LAYOUTS = [(1, 1, []), (1, 0, [2]), (7, 3, []), (9, 0, [3, 2]), (40, 2, [4, 2, 5]),
           (1500, 4, [3, 6])]


def _layout(d, widths):
    starts = np.array(np.cumsum([d] + widths[:-1]) if widths else [], dtype=np.intp)
    stops = np.array(np.cumsum([d] + widths)[1:] if widths else [], dtype=np.intp)
    return starts, stops, d + sum(widths)


def _one_hot_rows(rng, n, d, widths, dtype):
    starts, stops, e = _layout(d, widths)
    X = np.zeros((n, e), dtype=dtype)
    X[:, :d] = rng.standard_normal((n, d))
    for s0, s1 in zip(starts, stops):
        X[np.arange(n), s0 + rng.randint(s1 - s0, size=n)] = 1.0
    return X, starts, stops


@pytest.mark.parametrize("n,d,widths", LAYOUTS)
@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_noise_rows_matches_reference(n, d, widths, schedule, dtype, rtol, n_threads):
    rng = np.random.RandomState(n + d)
    T = 50
    _, alpha_bar = obj.make_schedule(schedule, T)
    X0, starts, stops = _one_hot_rows(rng, n, d, widths, dtype)
    t = rng.randint(1, T + 1, size=n).astype(np.intp)
    eps = rng.standard_normal((n, d)).astype(dtype)
    U = rng.uniform(size=(n, len(widths)))
    got = np.full_like(X0, np.nan)
    want = np.empty_like(X0)
    kernels.noise_rows(X0, t, alpha_bar, eps, U, starts, stops, got, n_threads)
    ref.noise_rows(X0, t, alpha_bar, eps, U, starts, stops, want, n_threads)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    # Categorical blocks are exact one-hots, and identical on any thread count.
    one = np.empty_like(X0)
    kernels.noise_rows(X0, t, alpha_bar, eps, U, starts, stops, one, 1)
    np.testing.assert_array_equal(got, one)


@pytest.mark.parametrize("n,d,widths", LAYOUTS)
@pytest.mark.parametrize("t,s,sigma", [(50, 40, 0.3), (10, 0, 0.0), (1, 0, 0.0), (50, 1, 0.9)])
def test_reverse_step_matches_reference(n, d, widths, t, s, sigma, dtype, rtol, n_threads):
    rng = np.random.RandomState(7 * n + d + t)
    _, alpha_bar = obj.make_schedule("cosine", 50)
    Xt, starts, stops = _one_hot_rows(rng, n, d, widths, dtype)
    out = (3 * rng.standard_normal(Xt.shape)).astype(dtype)
    Z = rng.standard_normal((n, d)).astype(dtype)
    U = rng.uniform(size=(n, len(widths)))
    work = np.empty((n, max(widths, default=1)))
    got, want = np.full_like(Xt, np.nan), np.empty_like(Xt)
    args = (alpha_bar[t], alpha_bar[s], sigma, 2.5)
    kernels.reverse_step(Xt, out, *args, Z, U, starts, stops, work, got, n_threads)
    ref.reverse_step(Xt, out, *args, Z, U, starts, stops, work, want, n_threads)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=10 * rtol)
    one = np.empty_like(Xt)
    kernels.reverse_step(Xt, out, *args, Z, U, starts, stops, work, one, 1)
    np.testing.assert_array_equal(got, one)


def test_noising_draws_the_right_marginals():
    """Categories follow abar_t x0 + (1 - abar_t) / K, numerics N(sqrt(abar_t) x0, 1 - abar_t)."""
    rng = np.random.RandomState(0)
    n, T, t = 200_000, 20, 12
    _, alpha_bar = obj.make_schedule("linear", T)
    X0 = np.zeros((n, 4))
    X0[:, 0] = 1.5
    X0[:, 1] = 1.0  # category 0 of a 3-level block in columns 1..3
    starts, stops = np.array([1], dtype=np.intp), np.array([4], dtype=np.intp)
    Xt = np.empty_like(X0)
    kernels.noise_rows(X0, np.full(n, t, dtype=np.intp), alpha_bar,
                       rng.standard_normal((n, 1)), rng.uniform(size=(n, 1)), starts, stops,
                       Xt, 2)
    ab = alpha_bar[t]
    assert abs(Xt[:, 0].mean() - np.sqrt(ab) * 1.5) < 0.01
    assert abs(Xt[:, 0].var() - (1 - ab)) < 0.01
    np.testing.assert_allclose(Xt[:, 1:].mean(axis=0),
                               [ab + (1 - ab) / 3, (1 - ab) / 3, (1 - ab) / 3], atol=0.005)


@pytest.mark.parametrize("t", [1, 2, 7, 30])
def test_categorical_kl_gradient_equals_finite_differences(t):
    rng = np.random.RandomState(t)
    beta, alpha_bar = obj.make_schedule("cosine", 30)
    n, k = 5, 4
    X0 = np.eye(k)[rng.randint(k, size=n)]
    Xt = np.eye(k)[rng.randint(k, size=n)]
    L = 2 * rng.standard_normal((n, k))
    jump = (np.full(n, 1 - beta[t]), np.full(n, alpha_bar[t - 1]))
    kl, grad = obj.categorical_kl(L, X0, Xt, *jump)
    assert np.all(kl >= -1e-12)
    fd, h = np.empty_like(L), 1e-6
    for idx in np.ndindex(L.shape):
        Lp, Lm = L.copy(), L.copy()
        Lp[idx] += h
        Lm[idx] -= h
        fd[idx] = (obj.categorical_kl(Lp, X0, Xt, *jump)[0][idx[0]]
                   - obj.categorical_kl(Lm, X0, Xt, *jump)[0][idx[0]]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)


def test_categorical_kl_is_cross_entropy_at_t1_and_zero_when_exact():
    beta, alpha_bar = obj.make_schedule("cosine", 10)
    X0 = np.eye(3)[[0, 2]]
    L = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    kl, _ = obj.categorical_kl(L, X0, X0, 1 - beta[[1, 1]], alpha_bar[[0, 0]])
    # p(x0 | x1) proportional to (alpha_1 [x1] + (1 - alpha_1) / 3) * p0.
    c = (1 - beta[1]) * X0 + beta[1] / 3
    p = c * np.exp(L)
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(kl, -np.log(p[[0, 1], [0, 2]]))
    # Logits that put all mass on x0 reproduce q exactly at any t.
    kl, _ = obj.categorical_kl(np.log(X0 + 1e-300), X0, X0[::-1], 1 - beta[[5, 5]],
                               alpha_bar[[4, 4]])
    np.testing.assert_allclose(kl, 0.0, atol=1e-12)


def test_no_huge_logits_give_nan():
    beta, alpha_bar = obj.make_schedule("cosine", 10)
    X0 = np.eye(3)[[0, 1]]
    L = np.array([[-1e4, 1e4, 0.0], [1e4, -1e4, 0.0]])
    kl, grad = obj.categorical_kl(L, X0, X0, 1 - beta[[1, 1]], alpha_bar[[0, 0]])
    assert np.all(np.isfinite(kl)) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("kind", ["cosine", "linear"])
@pytest.mark.parametrize("T", [1, 2, 100, 1000])
def test_schedules(kind, T):
    beta, alpha_bar = obj.make_schedule(kind, T)
    assert beta.shape == alpha_bar.shape == (T + 1,)
    assert beta[0] == 0 and alpha_bar[0] == 1
    assert np.all((beta[1:] > 0) & (beta[1:] < 1)) and np.all(np.diff(alpha_bar) < 0)
    times = obj.sampling_times(T, 10)
    assert times[0] == T and times[-1] == 0 and np.all(np.diff(times) < 0)
    assert obj.timestep_embedding(T, 32).shape == (T + 1, 32)
