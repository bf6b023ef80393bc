"""Shared fixtures: the dtypes, thread counts and tolerances every kernel test runs over."""

import numpy as np
import pytest

from gdcore.tests._tolerance import rtol_for
from gdcore.tests.dask_fixtures import dask_client  # noqa: F401 (a fixture)


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def n_threads(request):
    return request.param


@pytest.fixture
def rtol(dtype):
    """Kernel-vs-reference tolerance: float32 inputs keep ~6 significant digits."""
    return rtol_for(dtype)
