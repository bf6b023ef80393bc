"""The Gaussian mixture kernels against their NumPy twins.

The twins are in gdcore/generative/mixture/_reference/mixture.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore._threads import single_threaded_blas
from gdcore.generative.mixture import _mixture as kernels
from gdcore.generative.mixture._reference import mixture as reference
from gdcore.tests._tolerance import rtol_for

# n = 3000 spans 2 statistics chunks of 1500 rows, each 23.4 blocks of 64 rows.
SHAPES = [(1, 1, 1), (1, 3, 2), (7, 1, 3), (5, 4, 1), (200, 3, 5), (3000, 5, 4)]


def _problem(n, d, k, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    weight = rng.uniform(0.5, 2.0, n)
    means = rng.normal(size=(k, d)).astype(dtype)
    A = rng.normal(size=(k, d, d)) * 0.3
    U = np.triu(A) + 1.5 * np.eye(d)                        # upper, positive diagonal
    log_const = np.log(rng.dirichlet(np.ones(k))) + rng.normal(size=k)
    return X, weight, means, U.astype(dtype), log_const


def _run(module, name, *args, n_threads=1):
    with single_threaded_blas():
        return getattr(module, name)(*args, n_threads)


def _outputs(n, d, k, dtype, scatter_shape):
    return (np.empty((n, k), dtype=dtype), np.empty(n), np.zeros(k), np.zeros((k, d)),
            None if scatter_shape is None else np.zeros(scatter_shape))


def _full_args(n, d, k, dtype, seed=0):
    X, w, means, U, lc = _problem(n, d, k, dtype, seed)
    cat = np.ascontiguousarray(U.transpose(1, 0, 2).reshape(d, k * d))
    mp = np.ascontiguousarray(np.einsum("kd,kde->ke", means, U))
    return X, w, cat, mp, means, lc


def _assert_outputs_close(got, want, dtype, status_got, status_want):
    rtol = rtol_for(dtype)
    assert status_got == status_want == kernels.STATUS_OK
    for a, b in zip(got, want):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_estep_full_equals_reference(n, d, k, dtype, rtol, n_threads):
    args = _full_args(n, d, k, dtype)
    got, want = _outputs(n, d, k, dtype, (k, d, d)), _outputs(n, d, k, dtype, (k, d, d))
    s1 = _run(kernels, "estep_full", *args, *got, True, n_threads=n_threads)
    s2 = _run(reference, "estep_full", *args, *want, True)
    _assert_outputs_close(got, want, dtype, s1, s2)
    np.testing.assert_allclose(got[0].sum(axis=1), 1.0, rtol=rtol)


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_estep_tied_equals_reference(n, d, k, dtype, n_threads):
    X, w, means, U, lc = _problem(n, d, k, dtype)
    args = (X, w, np.ascontiguousarray(U[0]), np.ascontiguousarray(means @ U[0]), lc)
    got, want = _outputs(n, d, k, dtype, None), _outputs(n, d, k, dtype, None)
    s1 = _run(kernels, "estep_tied", *args, *got[:4], True, n_threads=n_threads)
    s2 = _run(reference, "estep_tied", *args, *want[:4], True)
    _assert_outputs_close(got, want, dtype, s1, s2)


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_estep_diag_equals_reference(n, d, k, dtype, n_threads):
    X, w, means, U, lc = _problem(n, d, k, dtype)
    prec = np.random.default_rng(1).uniform(0.2, 3.0, (k, d))
    args = (X, w, np.ascontiguousarray(means.T, dtype=np.float64),
            np.ascontiguousarray(prec.T), lc)
    got, want = _outputs(n, d, k, dtype, (k, d)), _outputs(n, d, k, dtype, (k, d))
    s1 = _run(kernels, "estep_diag", *args, *got, True, n_threads=n_threads)
    s2 = _run(reference, "estep_diag", *args, *want, True)
    _assert_outputs_close(got, want, dtype, s1, s2)


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_stats_full_equals_reference(n, d, k, dtype, n_threads):
    X, w, means, _, _ = _problem(n, d, k, dtype)
    resp = np.random.default_rng(2).dirichlet(np.ones(k), n).astype(dtype)
    got, want = _outputs(n, d, k, dtype, (k, d, d)), _outputs(n, d, k, dtype, (k, d, d))
    s1 = _run(kernels, "stats_full", X, w, resp, means, *got[2:], n_threads=n_threads)
    s2 = _run(reference, "stats_full", X, w, resp, means, *want[2:])
    _assert_outputs_close(got[2:], want[2:], dtype, s1, s2)


def test_statistics_identical_on_any_number_of_threads(dtype):
    """Fixed chunks merged in order: bit-identical on 1 and 2 threads."""
    n, d, k = 5000, 6, 3
    args = _full_args(n, d, k, dtype, seed=3)
    runs = []
    for threads in (1, 2):
        out = _outputs(n, d, k, dtype, (k, d, d))
        _run(kernels, "estep_full", *args, *out, True, n_threads=threads)
        runs.append(out)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_estep_without_statistics_leaves_them_untouched(dtype, rtol):
    n, d, k = 50, 3, 2
    args = _full_args(n, d, k, dtype)
    out = _outputs(n, d, k, dtype, (k, d, d))
    want = _outputs(n, d, k, dtype, (k, d, d))
    assert _run(kernels, "estep_full", *args, *out, False, n_threads=2) == kernels.STATUS_OK
    _run(reference, "estep_full", *args, *want, True)
    np.testing.assert_allclose(out[0], want[0], rtol=rtol, atol=rtol)
    assert not out[2].any() and not out[4].any()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference meets inf too
@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_non_finite_row_gives_status(bad, dtype):
    n, d, k = 10, 2, 2
    X, w, cat, mp, means, lc = _full_args(n, d, k, dtype)
    X[4, 1] = bad
    out = _outputs(n, d, k, dtype, (k, d, d))
    status = _run(kernels, "estep_full", X, w, cat, mp, means, lc, *out, True, n_threads=1)
    assert status == kernels.STATUS_NOT_FINITE
    status = _run(reference, "estep_full", X, w, cat, mp, means, lc,
                  *_outputs(n, d, k, dtype, (k, d, d)), True)
    assert status == reference.STATUS_NOT_FINITE


def test_empty_input_gives_zero_statistics():
    X, w, cat, mp, means, lc = _full_args(0, 3, 2, np.float64)
    out = _outputs(0, 3, 2, np.float64, (2, 3, 3))
    out[2][:] = 7.0
    assert _run(kernels, "estep_full", X, w, cat, mp, means, lc, *out, True) == 0
    assert not out[2].any()


def test_chunking_depends_on_shape_only():
    assert kernels.n_chunks(100, 10) == 1
    assert kernels.n_chunks(3000, 10) == 2
    assert kernels.n_chunks(10**7, 10) == 64
    assert kernels.n_chunks(10**7, 2**23) == 1


def assert_rows_sum_to_one(resp, log_norm, k):
    """Rows of resp sum to 1 within what their arithmetic guarantees.

    resp_ic = exp(lp_ic - lse_i) with lse_i = log p(x_i).  Rounding the
    subtraction and lse_i each costs eps |lse_i| (plus eps |lp_ic - lse_i|,
    whose weight resp_ic makes it at most eps / e), and exp and the k-term sum
    of the logsumexp a few eps more: every term is off by a relative
    (2 |lse_i| + 3) eps at most, so the sum of k terms by k of that.  With
    data scaled by 1e3, |lse_i| reaches 1e5-1e6, hence no fixed rtol.
    """
    eps = np.finfo(np.float64).eps
    bound = k * (2 * np.abs(log_norm) + 3) * eps
    assert np.all(np.abs(resp.sum(axis=1) - 1.0) <= bound)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 150), d=st.integers(1, 6), k=st.integers(1, 5),
       seed=st.integers(0, 2**16), scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_responsibilities_are_a_distribution_and_match_reference(n, d, k, seed, scale):
    """Any shape and data scale: rows of resp sum to 1; kernel equals reference."""
    X, w, cat, mp, means, lc = _full_args(n, d, k, np.float64, seed)
    X *= scale
    got = _outputs(n, d, k, np.float64, (k, d, d))
    want = _outputs(n, d, k, np.float64, (k, d, d))
    assert _run(kernels, "estep_full", X, w, cat, mp, means, lc, *got, True, n_threads=2) == 0
    _run(reference, "estep_full", X, w, cat, mp, means, lc, *want, True)
    assert_rows_sum_to_one(got[0], got[1], k)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got[4], want[4], rtol=1e-9, atol=1e-9 * scale ** 2)


@pytest.mark.parametrize("n,d,k", SHAPES)
def test_estep_diag_marginalizes_nan_like_reference(n, d, k, dtype, n_threads):
    X, w, means, _, lc = _problem(n, d, k, dtype)
    X[np.random.default_rng(5).uniform(size=X.shape) < 0.3] = np.nan
    prec = np.random.default_rng(1).uniform(0.2, 3.0, (k, d))
    args = (X, w, np.ascontiguousarray(means.T, dtype=np.float64),
            np.ascontiguousarray(prec.T), lc)
    got, want = _outputs(n, d, k, dtype, (k, d)), _outputs(n, d, k, dtype, (k, d))
    s1 = _run(kernels, "estep_diag", *args, *got, True, n_threads=n_threads)
    s2 = _run(reference, "estep_diag", *args, *want, True)
    _assert_outputs_close(got, want, dtype, s1, s2)
