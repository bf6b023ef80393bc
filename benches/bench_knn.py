"""k-nearest neighbours vs scikit-learn and faiss (cases in gdcore/benchmarks/knn.py)."""

import pytest
from conftest import bench_case, bench_params


@pytest.mark.parametrize("case,side", bench_params("knn"))
def test_knn(benchmark, case, side):
    bench_case(benchmark, case, side)
