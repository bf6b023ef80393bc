"""The fused whole-network kernel against its NumPy twin and finite differences.

And against itself on other thread counts.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore._nn import _dense_network as kernel
from gdcore._nn._reference import dense as ref_dense
from gdcore._nn._reference import dense_network as ref
from gdcore._threads import single_threaded_blas

LOSSES = list(ref.LOSS_CODES)
# (n, layer widths): edge sizes, a batch under and one above the 2**20
# multiply-add threshold for threads, one longer than a 256-row sub-block.
# Each case with its own hidden activation, so all five are covered.
CASES = [(1, [1, 1], "identity"), (1, [3, 1, 2], "tanh"), (5, [1, 4, 1], "logistic"),
         (200, [13, 32, 16, 3], "relu"), (700, [40, 64, 48, 5], "leaky_relu"),
         (2000, [8, 6, 2], "relu")]


def _problem(n, units, loss, dtype, weighted, seed=0):
    rng = np.random.default_rng(seed + n + len(units))
    X = rng.normal(size=(n, units[0])).astype(dtype)
    k = units[-1]
    if loss == "softmax":
        Y = np.eye(k)[rng.integers(0, k, n)]
    elif loss == "logistic":
        Y = rng.integers(0, 2, (n, k))
    elif loss == "exp":
        Y = rng.poisson(1.5, (n, k))
    else:
        Y = rng.normal(size=(n, k))
    n_params = sum(p * q + q for p, q in zip(units[:-1], units[1:]))
    theta = (rng.normal(size=n_params) * 0.3).astype(dtype)
    w = rng.uniform(0.2, 2.0, n).astype(dtype) if weighted else np.empty(0, dtype)
    return X, np.ascontiguousarray(Y, dtype=dtype), w, theta


def _run(module, X, Y, w, theta, units, act, loss, n_threads, l2=0.01):
    shape_g, shape_s = kernel.workspace_shapes(X.shape[0], units)
    grad = np.full(theta.shape, np.nan, theta.dtype)
    chunk_grads = np.full(shape_g, np.nan, theta.dtype)
    scratch = np.full(shape_s, np.nan, theta.dtype)
    with single_threaded_blas():
        value = module.network_loss_grad(
            X, Y, w, theta, np.asarray(units, np.intp), act,
            ref.LOSS_CODES[loss], 1.0 / max(X.shape[0], 1), l2, grad, chunk_grads,
            scratch, n_threads)
    return value, grad


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("n,units,activation", CASES)
def test_network_loss_grad_matches_reference(n, units, activation, loss, weighted, dtype, rtol,
                                             n_threads):
    act = ref_dense.ACTIVATION_CODES[activation]
    X, Y, w, theta = _problem(n, units, loss, dtype, weighted)
    got = _run(kernel, X, Y, w, theta, units, act, loss, n_threads)
    want = _run(ref, X, Y, w, theta, units, act, loss, n_threads)
    tol = 10 * rtol
    np.testing.assert_allclose(got[0], want[0], rtol=tol)
    np.testing.assert_allclose(got[1], want[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("loss", LOSSES)
def test_result_does_not_depend_on_the_thread_count(loss, dtype):
    units = [40, 64, 48, 5]
    X, Y, w, theta = _problem(700, units, loss, dtype, weighted=True)
    act = ref_dense.ACTIVATION_CODES["relu"]
    one = _run(kernel, X, Y, w, theta, units, act, loss, 1)
    two = _run(kernel, X, Y, w, theta, units, act, loss, 2)
    assert one[0] == two[0]
    np.testing.assert_array_equal(one[1], two[1])


@pytest.mark.parametrize("act", list(ref_dense.ACTIVATION_CODES))
@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_equals_finite_differences(act, loss):
    units = [3, 4, 2]
    X, Y, w, theta = _problem(6, units, loss, np.float64, weighted=True, seed=3)
    code = ref_dense.ACTIVATION_CODES[act]
    l2 = 0.05
    _, grad = _run(kernel, X, Y, w, theta, units, code, loss, 1, l2=l2)
    n_w = sum(p * q for p, q in zip(units[:-1], units[1:]))

    def objective(t):
        value = _run(kernel, X, Y, w, t, units, code, loss, 1, l2=l2)[0] / X.shape[0]
        return value + 0.5 * l2 * np.dot(t[:n_w], t[:n_w])

    eps = 1e-6
    numeric = np.array([(objective(theta + eps * e) - objective(theta - eps * e)) / (2 * eps)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_empty_batch_gives_zero_loss_and_only_the_penalty():
    units = [3, 2]
    X, Y, w, theta = _problem(0, units, "identity", np.float64, weighted=False)
    value, grad = _run(kernel, X, Y, w, theta, units, 0, "identity", 1, l2=0.5)
    assert value == 0.0
    np.testing.assert_allclose(grad[:6], 0.5 * theta[:6])
    np.testing.assert_array_equal(grad[6:], 0.0)


def test_wrong_workspace_or_shapes_are_value_errors():
    units = [3, 4, 2]
    X, Y, w, theta = _problem(10, units, "identity", np.float64, weighted=False)
    shape_g, shape_s = kernel.workspace_shapes(10, units)
    u = np.asarray(units, np.intp)
    args = dict(grad=np.empty_like(theta), chunk_grads=np.empty(shape_g),
                scratch=np.empty(shape_s))
    bad = [dict(chunk_grads=np.empty((shape_g[0], shape_g[1] + 1))),
           dict(scratch=np.empty((shape_s[0], 1)))]
    for change in bad:
        a = {**args, **change}
        with pytest.raises(ValueError):
            kernel.network_loss_grad(X, Y, w, theta, u, 1, 2, 0.1, 0.0, a["grad"],
                                     a["chunk_grads"], a["scratch"], 1)
    with pytest.raises(ValueError):
        kernel.network_loss_grad(X, Y[:, :1].copy(), w, theta, u, 1, 2, 0.1, 0.0,
                                 *args.values(), 1)
    with pytest.raises(ValueError):
        kernel.network_loss_grad(X, Y, np.ones(3), theta, u, 1, 2, 0.1, 0.0,
                                 *args.values(), 1)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300), units=st.lists(st.integers(1, 24), min_size=2, max_size=5),
       loss=st.sampled_from(LOSSES), act=st.sampled_from(list(ref_dense.ACTIVATION_CODES)),
       weighted=st.booleans(), n_threads=st.sampled_from([1, 2]))
def test_any_network_matches_reference(n, units, loss, act, weighted, n_threads):
    X, Y, w, theta = _problem(n, units, loss, np.float64, weighted)
    code = ref_dense.ACTIVATION_CODES[act]
    got = _run(kernel, X, Y, w, theta, units, code, loss, n_threads)
    want = _run(ref, X, Y, w, theta, units, code, loss, n_threads)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-9, atol=1e-12)
