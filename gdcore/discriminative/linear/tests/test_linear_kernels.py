"""Logistic kernels against their NumPy reference: dtypes, threads, edge sizes."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from gdcore._threads import single_threaded_blas
from gdcore.discriminative.linear import _linear as K
from gdcore.discriminative.linear import _reference as R

# (n, d, n_out): binary, multinomial, edge sizes, n spanning several chunks
# and a ragged last block (5000 rows = 2 chunks of 2500 = 9.8 blocks), and
# work enough (n d n_out >= 2**21) for the kernel to wake a second thread.
SHAPES = [(1, 1, 1), (1, 3, 4), (7, 1, 3), (300, 5, 1), (300, 4, 3), (5000, 6, 5),
          (30000, 12, 6), (70000, 32, 1)]


def _problem(n, d, n_out, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = rng.integers(0, max(2, n_out), n).astype(np.intc)
    sw = rng.uniform(0.1, 2.0, n)
    W = (rng.standard_normal((n_out, d)) * 2.0).astype(dtype)
    b = rng.standard_normal(n_out)
    return X, y, sw, W, b


def _loss_grad(mod, X, y, sw, W, b, n_threads):
    n_out, d = W.shape
    gW, gb = np.empty((n_out, d)), np.empty(n_out)
    P = np.empty((X.shape[0], n_out))
    with single_threaded_blas():
        loss = mod.loss_grad(X, y, sw, W, b, gW, gb, P, n_threads)
    return loss, gW, gb, P


@pytest.mark.parametrize("n,d,n_out", SHAPES)
def test_loss_grad_matches_reference(n, d, n_out, dtype, rtol, n_threads):
    X, y, sw, W, b = _problem(n, d, n_out, dtype)
    got = _loss_grad(K, X, y, sw, W, b, n_threads)
    want = _loss_grad(R, X, y, sw, W, b, 1)
    np.testing.assert_allclose(got[0], want[0], rtol=rtol)
    for a, e in zip(got[1:], want[1:]):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * np.abs(e).max())


@pytest.mark.parametrize("n,d,n_out", SHAPES)
def test_hessp_matches_reference(n, d, n_out, dtype, rtol, n_threads):
    X, y, sw, W, b = _problem(n, d, n_out, dtype)
    P = _loss_grad(R, X, y, sw, W, b, 1)[3]
    rng = np.random.default_rng(1)
    V = rng.standard_normal(W.shape).astype(dtype)
    vb = rng.standard_normal(n_out)
    out = []
    for mod in (K, R):
        hv, hb = np.empty(W.shape), np.empty(n_out)
        with single_threaded_blas():
            mod.hessp(X, sw, P, V, vb, hv, hb, n_threads)
        out.append((hv, hb))
    for a, e in zip(out[0], out[1]):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * np.abs(e).max())


def test_threads_give_identical_results():
    X, y, sw, W, b = _problem(40000, 16, 4, np.float64)
    one = _loss_grad(K, X, y, sw, W, b, 1)
    two = _loss_grad(K, X, y, sw, W, b, 2)
    assert one[0] == two[0]
    np.testing.assert_array_equal(one[1], two[1])


def test_skip_proba():
    X, y, sw, W, b = _problem(50, 3, 3, np.float64)
    gW, gb = np.empty(W.shape), np.empty(3)
    loss = K.loss_grad(X, y, sw, W, b, gW, gb, np.empty((0, 3)), 1)
    assert loss == pytest.approx(_loss_grad(R, X, y, sw, W, b, 1)[0], rel=1e-12)


def test_gradient_and_hessian_are_derivatives():
    """Gradient = finite difference of the loss; Hv = finite difference of the gradient."""
    X, y, sw, W, b = _problem(200, 3, 3, np.float64)

    def f(w):
        return _loss_grad(K, X, y, sw, w[:9].reshape(3, 3).copy(), w[9:].copy(), 1)[0]

    def g(w):
        _, gW, gb, _ = _loss_grad(K, X, y, sw, w[:9].reshape(3, 3).copy(), w[9:].copy(), 1)
        return np.concatenate([gW.ravel(), gb])

    w0 = np.concatenate([W.ravel(), b])
    assert check_grad(f, g, w0) < 1e-5 * np.linalg.norm(g(w0))
    v = np.random.default_rng(3).standard_normal(12)
    P = _loss_grad(K, X, y, sw, W, b, 1)[3]
    hv, hb = np.empty((3, 3)), np.empty(3)
    K.hessp(X, sw, P, v[:9].reshape(3, 3).copy(), v[9:].copy(), hv, hb, 1)
    eps = 1e-6
    fd = (g(w0 + eps * v) - g(w0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(np.concatenate([hv.ravel(), hb]), fd, rtol=1e-5, atol=1e-6)


def test_extreme_scores_stay_finite():
    X = np.array([[1.0], [1.0]])
    y = np.array([0, 1], dtype=np.intc)
    for n_out in (1, 3):
        W = np.full((n_out, 1), 800.0)
        W[0] = -800.0
        loss, gW, gb, P = _loss_grad(K, X, y, np.ones(2), W, np.zeros(n_out), 1)
        assert np.isfinite(loss) and np.isfinite(gW).all() and np.isfinite(P).all()
        assert loss == pytest.approx(_loss_grad(R, X, y, np.ones(2), W, np.zeros(n_out), 1)[0])


@pytest.mark.parametrize("n_out", [1, 3])
def test_pointwise_matches_reference(n_out, n_threads):
    rng = np.random.default_rng(2)
    raw = rng.standard_normal((3000, n_out)) * 3
    y = rng.integers(0, max(2, n_out), 3000).astype(np.intc)
    sw = rng.uniform(0.5, 1.5, 3000)
    h = rng.standard_normal(raw.shape)
    outs = []
    for mod in (K, R):
        r, P = raw.copy(), np.empty_like(raw)
        loss = mod.pointwise_loss_grad(r, y, sw, P, n_threads)
        hr = h.copy()
        mod.pointwise_hessp(hr, sw, P, n_threads)
        outs.append((loss, r, P, hr))
    for a, e in zip(outs[0], outs[1]):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


ORD_SHAPES = [(1, 1, 2), (9, 2, 3), (400, 3, 5), (5000, 4, 4), (70000, 32, 4)]


def _ordinal(mod, X, y, sw, beta, theta, n_threads):
    gW, gt = np.empty((1, X.shape[1])), np.empty(len(theta))
    with single_threaded_blas():
        loss = mod.ordinal_loss_grad(X, y, sw, beta, theta, gW, gt, n_threads)
    return loss, gW, gt


@pytest.mark.parametrize("n,d,levels", ORD_SHAPES)
def test_ordinal_matches_reference(n, d, levels, dtype, rtol, n_threads):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = rng.integers(0, levels, n).astype(np.intc)
    y[0] = levels - 1
    sw = rng.uniform(0.1, 2.0, n)
    # |eta| of a few units: deeper in the tails the reference's textbook
    # difference of sigmoids, not the kernel, loses the digits
    beta = (rng.standard_normal((1, d)) / np.sqrt(d)).astype(dtype)
    theta = np.sort(rng.standard_normal(levels - 1) * 2) + np.arange(levels - 1) * 0.1
    got = _ordinal(K, X, y, sw, beta, theta, n_threads)
    want = _ordinal(R, X, y, sw, beta, theta, 1)
    for a, e in zip(got, want):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * np.abs(e).max())


def test_ordinal_tail_rows_stay_finite():
    """A row 60 logits beyond the thresholds: the textbook formula gives log(0)."""
    X = np.array([[60.0], [-60.0], [0.0]])
    y = np.array([0, 2, 1], dtype=np.intc)
    loss, gW, gt = _ordinal(K, X, y, np.ones(3), np.ones((1, 1)), np.array([-1e-3, 1e-3]), 1)
    assert np.isfinite(loss) and loss > 100
    assert np.isfinite(gW).all() and np.isfinite(gt).all()
