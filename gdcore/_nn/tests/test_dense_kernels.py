"""Dense-layer kernels against their NumPy twin, and gradients against finite differences."""

import numpy as np
import pytest

from gdcore._nn import _dense
from gdcore._nn._reference import dense as ref
from gdcore._nn.network import DenseNetwork
from gdcore._threads import single_threaded_blas

ACTS = list(ref.ACTIVATION_CODES)
# The last shape is above the kernels' 2**20 multiply-add threshold for threads.
SHAPES = [(1, 1, 1), (7, 1, 3), (1, 5, 1), (300, 13, 9), (1100, 31, 40)]


def _rand(rng, shape, dtype, scale=1.0):
    return np.ascontiguousarray(rng.normal(0, scale, shape).astype(dtype))


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("n,p,q", SHAPES)
def test_dense_forward_matches_reference(act, n, p, q, dtype, rtol, n_threads):
    rng = np.random.default_rng(n * 100 + p * 10 + q)
    X, W, b = _rand(rng, (n, p), dtype), _rand(rng, (p, q), dtype), _rand(rng, q, dtype)
    code = ref.ACTIVATION_CODES[act]
    got = np.full((n, q), np.nan, dtype=dtype)
    want = np.empty((n, q), dtype=dtype)
    with single_threaded_blas():
        _dense.dense_forward(X, W, b, got, code, n_threads)
    ref.dense_forward(X, W, b, want, code, n_threads)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("n,p,q", SHAPES + [(0, 3, 2)])
def test_dense_backward_matches_reference(act, n, p, q, dtype, rtol, n_threads):
    rng = np.random.default_rng(n + 7 * p + 31 * q)
    code = ref.ACTIVATION_CODES[act]
    X = ref.activate(_rand(rng, (n, p), dtype), code).astype(dtype)
    W, delta = _rand(rng, (p, q), dtype), _rand(rng, (n, q), dtype)
    outs = [np.full((p, q), np.nan, dtype), np.full(q, np.nan, dtype),
            np.full((n, p), np.nan, dtype)]
    wants = [np.empty_like(o) for o in outs]
    with single_threaded_blas():
        _dense.dense_backward(X, W, delta, *outs, code, 0.3, n_threads)
    ref.dense_backward(X, W, delta, *wants, code, 0.3, n_threads)
    tol = 10 * rtol
    for got, want in zip(outs, wants):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_dense_backward_can_skip_input_gradient(dtype, rtol):
    rng = np.random.default_rng(0)
    X, W, delta = _rand(rng, (5, 3), dtype), _rand(rng, (3, 2), dtype), _rand(rng, (5, 2), dtype)
    gW, gb = np.empty((3, 2), dtype), np.empty(2, dtype)
    _dense.dense_backward(X, W, delta, gW, gb, np.empty((0, 0), dtype), 0, 0.0, 1)
    np.testing.assert_allclose(gW, X.T @ delta, rtol=rtol)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "sigmoid_cross_entropy",
                                  "squared_error"])
@pytest.mark.parametrize("n,k", [(1, 1), (1, 4), (50, 1), (257, 5)])
def test_losses_match_reference(loss, n, k, dtype, rtol, n_threads):
    rng = np.random.default_rng(n * k)
    Z = _rand(rng, (n, k), dtype, scale=30.0)  # large logits: overflow-safe?
    if loss == "softmax_cross_entropy":
        Y = np.eye(k, dtype=dtype)[rng.integers(0, k, n)]
    else:
        Y = rng.uniform(0, 1, (n, k)).astype(dtype)
    got_delta, want_delta = np.empty_like(Z), np.empty_like(Z)
    got = getattr(_dense, loss)(Z, Y, got_delta, 0.25, n_threads)
    want = getattr(ref, loss)(Z, Y, want_delta, 0.25, n_threads)
    assert np.isfinite(got)
    assert got == pytest.approx(want, rel=rtol, abs=rtol)
    np.testing.assert_allclose(got_delta, want_delta, rtol=rtol,
                               atol=rtol)


def test_loss_delta_may_overwrite_logits(dtype, rtol):
    rng = np.random.default_rng(1)
    Z = _rand(rng, (20, 3), dtype)
    Y = np.eye(3, dtype=dtype)[rng.integers(0, 3, 20)]
    want_delta = np.empty_like(Z)
    want = ref.softmax_cross_entropy(Z, Y, want_delta, 1.0, 1)
    got = _dense.softmax_cross_entropy(Z, Y, Z, 1.0, 2)
    assert got == pytest.approx(want, rel=rtol)
    np.testing.assert_allclose(Z, want_delta, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("m", [1, 1000])
def test_optimizer_steps_match_reference(m, nesterov, dtype, rtol, n_threads):
    rng = np.random.default_rng(m)
    state = [_rand(rng, m, dtype) for _ in range(3)]
    state[2] = np.abs(state[2])  # second moment is non-negative
    grad = _rand(rng, m, dtype)
    got, want = [s.copy() for s in state], [s.copy() for s in state]
    _dense.adam_step(*got[:1], grad, *got[1:], 0.01, 0.9, 0.999, 1e-8, n_threads)
    ref.adam_step(*want[:1], grad, *want[1:], 0.01, 0.9, 0.999, 1e-8, n_threads)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    got, want = [s.copy() for s in state[:2]], [s.copy() for s in state[:2]]
    _dense.sgd_step(got[0], grad, got[1], 0.1, 0.9, nesterov, n_threads)
    ref.sgd_step(want[0], grad, want[1], 0.1, 0.9, nesterov, n_threads)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def _network_loss(net, X, Y, loss, l2, n_threads):
    """Mean loss + l2/2 ||W||^2 and its gradient (in net.grad)."""
    acts = net.forward(X, n_threads)
    Z = acts[-1].copy()
    delta = np.empty_like(Z)
    value = getattr(_dense, loss)(Z, Y, delta, 1.0 / len(X), n_threads) / len(X)
    net.backward(acts, delta, l2, n_threads)
    return value + 0.5 * l2 * net.squared_weight_norm()


@pytest.mark.parametrize("act", ["identity", "tanh", "logistic", "relu", "leaky_relu"])
@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "sigmoid_cross_entropy",
                                  "squared_error"])
def test_gradient_equals_finite_differences(act, loss):
    # One thread: the kernels' thread handling is covered above, and the
    # 2 x 137 passes here are dominated by call overhead.
    n_threads = 1
    rng = np.random.default_rng(3)
    n, units = 9, [4, 6, 5, 3]
    net = DenseNetwork(units, act, "identity", np.float64)
    net.init_glorot(rng)
    X = rng.normal(size=(n, units[0]))
    Y = np.eye(3)[rng.integers(0, 3, n)]
    _network_loss(net, X, Y, loss, 0.1, n_threads)
    analytic = net.grad.copy()
    theta0 = net.theta.copy()
    numeric = np.empty_like(theta0)
    h = 1e-6
    for i in range(theta0.size):
        net.theta[:] = theta0
        net.theta[i] += h
        up = _network_loss(net, X, Y, loss, 0.1, n_threads)
        net.theta[i] -= 2 * h
        down = _network_loss(net, X, Y, loss, 0.1, n_threads)
        numeric[i] = (up - down) / (2 * h)
    # relu kinks are measure-zero for Gaussian inputs; 1e-5 bounds the O(h^2) error.
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_input_gradient_equals_finite_differences():
    rng = np.random.default_rng(4)
    net = DenseNetwork([3, 5, 2], "tanh", "identity", np.float64)
    net.init_glorot(rng)
    X, Y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))

    def loss_at(X):
        Z = net.forward(X, 1)[-1].copy()
        return _dense.squared_error(Z, Y, np.empty_like(Z), 1.0, 1)

    acts = net.forward(X, 1)
    Z = acts[-1].copy()
    delta = np.empty_like(Z)
    _dense.squared_error(Z, Y, delta, 1.0, 1)
    dX = net.backward(acts, delta, 0.0, 1, input_grad=True).copy()
    numeric = np.empty_like(X)
    for idx in np.ndindex(*X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += 1e-6
        Xm[idx] -= 1e-6
        numeric[idx] = (loss_at(Xp) - loss_at(Xm)) / 2e-6
    np.testing.assert_allclose(dX, numeric, rtol=1e-6, atol=1e-8)


def test_results_do_not_depend_on_threads():
    rng = np.random.default_rng(5)
    X, W = _rand(rng, (3000, 40), np.float64), _rand(rng, (40, 30), np.float64)
    b = _rand(rng, 30, np.float64)
    outs = []
    for t in (1, 2):
        out = np.empty((3000, 30))
        _dense.dense_forward(X, W, b, out, 3, t)
        Y = np.zeros_like(out)
        loss = _dense.squared_error(out, Y, np.empty_like(out), 1.0, t)
        outs.append((out, loss))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-13)
    assert outs[0][1] == outs[1][1]
