"""The compiled naive Bayes kernels equal their NumPy reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore.generative.naive_bayes import _naive_bayes as kern
from gdcore.generative.naive_bayes import _reference as ref

SHAPES = [(1, 1, 1), (7, 1, 3), (1, 5, 1), (50, 4, 3), (5000, 9, 4)]


def _data(n, d, k, dtype, seed=0, missing=0.1, counts=False):
    rng = np.random.default_rng(seed)
    X = rng.poisson(3.0, (n, d)) if counts else rng.normal(2.0, 3.0, (n, d))
    X = X.astype(dtype)
    X[rng.random((n, d)) < missing] = np.nan
    y = rng.integers(0, k, n).astype(np.int32)
    w = rng.uniform(0.5, 2.0, n)
    return np.ascontiguousarray(X), y, w


def _both(name, *args):
    """Run kernel and reference on copies of the OUT arrays; return both outputs."""
    outs = []
    for impl in (kern, ref):
        copies = [a.copy() if isinstance(a, np.ndarray) and a.flags.writeable else a
                  for a in args]
        status = getattr(impl, name)(*copies)
        outs.append((status, copies))
    return outs


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_gaussian_class_stats(n, d, k, dtype, n_threads):
    X, y, w = _data(n, d, k, dtype)
    out = [np.full((k, d), -1.0) for _ in range(3)]
    (sk, ak), (sr, ar) = _both("gaussian_class_stats", X, y, w, *out, n_threads)
    assert sk == sr == 0
    for a, b in zip(ak[3:6], ar[3:6]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_stats_identical_on_any_thread_count():
    X, y, w = _data(300_000, 3, 2, np.float64, missing=0.0)
    results = []
    for t in (1, 2, 3):
        out = [np.empty((2, 3)) for _ in range(3)]
        kern.gaussian_class_stats(X, y, w, *out, t)
        results.append(out)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)  # fixed chunking: bit-identical


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_gaussian_jll(n, d, k, dtype, n_threads):
    X, _, _ = _data(n, d, k, dtype, seed=1)
    rng = np.random.default_rng(2)
    mean_t = rng.normal(size=(d, k))
    var_t = rng.uniform(0.5, 3.0, (d, k))
    prior = np.log(rng.dirichlet(np.ones(k)))
    (sk, ak), (sr, ar) = _both("gaussian_jll", X, mean_t, var_t, prior,
                               np.empty((n, k)), n_threads)
    assert sk == sr == 0
    np.testing.assert_allclose(ak[4], ar[4], rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("n,d,k", SHAPES)
@pytest.mark.parametrize("binarize", [False, True])
def test_discrete_class_counts(n, d, k, binarize, dtype, n_threads):
    X, y, w = _data(n, d, k, dtype, counts=True)
    outs = [np.empty((k, d)), np.empty((k, d))]
    (sk, ak), (sr, ar) = _both("discrete_class_counts", X, y, w, *outs, True, True,
                               binarize, 2.5, n_threads)
    assert sk == sr == 0
    np.testing.assert_allclose(ak[3], ar[3], rtol=1e-10)
    np.testing.assert_allclose(ak[4], ar[4], rtol=1e-10)


@pytest.mark.parametrize("n,d,k", SHAPES + [(300, 257, 5)])
@pytest.mark.parametrize("binarize", [False, True])
def test_linear_jll(n, d, k, binarize, dtype, rtol, n_threads):
    X, _, _ = _data(n, d, k, dtype, counts=True, seed=3)
    rng = np.random.default_rng(4)
    W = rng.normal(size=(k, d)).astype(dtype)
    offset = rng.normal(size=k)
    missing_offset = rng.normal(size=(k, d))
    (sk, ak), (sr, ar) = _both("linear_jll", X, W, offset, missing_offset,
                               np.empty((n, k), dtype=dtype), True, binarize, 2.5,
                               n_threads)
    assert sk == sr == 0
    np.testing.assert_allclose(ak[4], ar[4], rtol=rtol, atol=rtol * 10)


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_categorical_kernels(n, d, k, dtype, n_threads):
    rng = np.random.default_rng(5)
    n_cat = rng.integers(1, 5, d)
    offsets = np.concatenate([[0], np.cumsum(n_cat)]).astype(np.intp)
    X = (rng.random((n, d)) * n_cat).astype(int).astype(dtype)
    X[rng.random((n, d)) < 0.1] = np.nan
    y = rng.integers(0, k, n).astype(np.int32)
    w = rng.uniform(0.5, 2.0, n)
    (sk, ak), (sr, ar) = _both("categorical_class_counts", X, y, w, offsets,
                               np.empty((k, offsets[-1])), n_threads)
    assert sk == sr == 0
    np.testing.assert_allclose(ak[4], ar[4], rtol=1e-12)
    log_prob_t = np.log(rng.uniform(0.1, 1.0, (offsets[-1], k)))
    prior = np.log(np.full(k, 1.0 / k))
    (sk, ak), (sr, ar) = _both("categorical_jll", X, log_prob_t, offsets, prior,
                               np.empty((n, k)), n_threads)
    assert sk == sr == 0
    np.testing.assert_allclose(ak[4], ar[4], rtol=1e-12)


@pytest.mark.parametrize("bad,status", [(np.inf, ref.STATUS_INF), (-1.0, ref.STATUS_NEGATIVE),
                                        (np.nan, ref.STATUS_NAN)])
def test_count_status_codes(bad, status):
    X, y, w = _data(20, 3, 2, np.float64, missing=0.0, counts=True)
    X[7, 1] = bad
    for impl in (kern, ref):
        got = impl.discrete_class_counts(X, y, w, np.empty((2, 3)), np.empty((2, 3)),
                                         False, True, False, 0.0, 2)
        assert got == status


@pytest.mark.parametrize("bad", [np.inf, -1.0, 1.5, 3.0])
def test_category_status_codes(bad):
    X = np.zeros((4, 2))
    X[2, 1] = bad
    offsets = np.array([0, 3, 6], dtype=np.intp)
    expect = (ref.STATUS_INF if np.isinf(bad) else ref.STATUS_NEGATIVE if bad < 0
              else ref.STATUS_BAD_CATEGORY)
    for impl in (kern, ref):
        assert impl.categorical_jll(X, np.zeros((6, 2)), offsets, np.zeros(2),
                                    np.empty((4, 2)), 1) == expect


def test_gaussian_jll_rejects_inf():
    X = np.array([[0.0, np.inf]])
    for impl in (kern, ref):
        assert impl.gaussian_jll(X, np.zeros((2, 1)), np.ones((2, 1)), np.zeros(1),
                                 np.empty((1, 1)), 1) == ref.STATUS_INF


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), d=st.integers(1, 12), k=st.integers(1, 4),
       seed=st.integers(0, 2**16), threads=st.sampled_from([1, 2]))
def test_gaussian_jll_property(n, d, k, seed, threads):
    X, _, _ = _data(n, d, k, np.float64, seed=seed, missing=0.3)
    rng = np.random.default_rng(seed)
    mean_t, var_t = rng.normal(size=(d, k)), rng.uniform(0.1, 5.0, (d, k))
    a, b = np.empty((n, k)), np.empty((n, k))
    assert kern.gaussian_jll(X, mean_t, var_t, np.zeros(k), a, threads) == 0
    ref.gaussian_jll(X, mean_t, var_t, np.zeros(k), b, threads)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)


SPECIAL = [np.inf, -np.inf, np.nan, -np.nan, -1.0, -0.0, 1e308, -5e-324, 5e-324, 0.0]


@pytest.mark.filterwarnings("ignore:overflow encountered")  # 1e308 as float32, squared
@pytest.mark.parametrize("value", SPECIAL)
@pytest.mark.parametrize("d", [1, 4, 33])
def test_fast_finiteness_tests_are_exact(value, d, dtype):
    """The bit-pattern finiteness tests agree with the reference on every special value."""
    X = np.ones((3, d), dtype=dtype)
    X[1, d // 2] = value
    y, w = np.zeros(3, dtype=np.int32), np.ones(3)
    for allow_nan in (False, True):
        args = (y, w, np.empty((1, d)), np.empty((1, d)), allow_nan, True, False, 0.0, 1)
        assert kern.discrete_class_counts(X, *args) == ref.discrete_class_counts(X, *args)
    args = (np.ones((1, d), dtype=dtype), np.zeros(1), np.zeros((1, d)),
            np.empty((3, 1), dtype=dtype), False, False, 0.0, 1)
    assert kern.linear_jll(X, *args) == ref.linear_jll(X, *args)
    stats = [np.empty((1, d)) for _ in range(3)]
    assert (kern.gaussian_class_stats(X, y, w, *stats, 1)
            == ref.gaussian_class_stats(X, y, w, *[s.copy() for s in stats], 1))
