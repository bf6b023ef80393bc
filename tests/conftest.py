"""Shared fixtures: the dtypes and thread counts every kernel test runs over."""

import numpy as np
import pytest


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def n_threads(request):
    return request.param


def rtol_for(dtype):
    """Kernel-vs-reference tolerance: float32 inputs keep ~6 significant digits."""
    return 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
