"""Bayes' rule kernel (posterior from joint log-likelihoods) against its NumPy twin."""

import numpy as np
import pytest

from gdcore.generative import _bayes_rule as kernel
from gdcore.generative import _reference as reference


def _both(jll, n_threads):
    got, want = np.full(jll.shape, -1.0), np.full(jll.shape, -1.0)
    kernel.posterior_from_joint(jll, got, n_threads)
    reference.posterior_from_joint(jll, want, 1)
    return got, want


@pytest.mark.parametrize("n, k", [(1, 1), (1, 3), (5, 1), (100, 10), (20_000, 4)])
def test_kernel_equals_reference(n, k, dtype, rtol, n_threads):
    rng = np.random.default_rng(0)
    jll = (rng.normal(size=(n, k)) * 50 - 1e4).astype(dtype)  # far below exp's range
    got, want = _both(jll, n_threads)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-12)


def test_minus_infinity_and_impossible_rows():
    jll = np.array([[-np.inf, 0.0, -1.0],          # a class with zero probability
                    [-np.inf, -np.inf, -np.inf],   # impossible under every class
                    [np.nan, 0.0, 0.0]])
    got, want = _both(jll, 2)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[0], want[0])
    assert got[0, 0] == 0.0 and np.isnan(got[1]).all() and np.isnan(got[2]).all()


def test_empty():
    got, _ = _both(np.empty((0, 3)), 2)
    assert got.shape == (0, 3)
