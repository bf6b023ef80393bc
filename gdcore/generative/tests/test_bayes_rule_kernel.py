"""Bayes' rule kernel (posterior from joint log-likelihoods) against its NumPy twin."""

import numpy as np
import pytest

from gdcore.generative import _bayes_rule as kernel
from gdcore.generative import _reference as reference


def _both(jll, n_threads):
    got, want = np.full(jll.shape, -1.0), np.full(jll.shape, -1.0)
    n_got = kernel.posterior_from_joint(jll, got, n_threads)
    n_want = reference.posterior_from_joint(jll, want, 1)
    assert n_got == n_want
    return got, want


@pytest.mark.parametrize("n, k", [(1, 1), (1, 3), (5, 1), (100, 10), (20_000, 4)])
def test_kernel_equals_reference(n, k, dtype, rtol, n_threads):
    rng = np.random.default_rng(0)
    jll = (rng.normal(size=(n, k)) * 50 - 1e4).astype(dtype)  # far below exp's range
    got, want = _both(jll, n_threads)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("dtype_", [np.float32, np.float64])
def test_undefined_rows_are_counted_and_never_divided(dtype_, n_threads):
    # Rows 1-4 are undefined: all -inf (0 / 0, a ZeroDivisionError in the
    # bounds-checked build before), a NaN, +inf; row 0 has one impossible class.
    jll = np.array([[-np.inf, 0.0, -1.0],
                    [-np.inf, -np.inf, -np.inf],
                    [np.nan, 0.0, 0.0],
                    [0.0, np.nan, 0.0],
                    [np.inf, 0.0, 0.0],
                    [-1e30, -1e30 - 1e16, -np.inf]], dtype=dtype_)
    got, want = _both(jll, n_threads)
    assert kernel.posterior_from_joint(jll, np.empty(jll.shape), n_threads) == 4
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[[0, 5]], want[[0, 5]])
    assert got[0, 0] == 0.0 and np.isnan(got[1:5]).all()


def test_empty():
    got, _ = _both(np.empty((0, 3)), 2)
    assert got.shape == (0, 3)
