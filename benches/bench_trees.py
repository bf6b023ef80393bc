"""Trees and forests vs scikit-learn (cases in gdcore/benchmarks/trees.py)."""

import pytest
from conftest import bench_case, bench_params


@pytest.mark.parametrize("case,side", bench_params("trees"))
def test_trees(benchmark, case, side):
    bench_case(benchmark, case, side)
