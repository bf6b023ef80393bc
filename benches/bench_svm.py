"""SVC vs scikit-learn (cases in gdcore/benchmarks/svm.py)."""

import pytest
from conftest import bench_case, bench_params


@pytest.mark.parametrize("case,side", bench_params("svm"))
def test_svm(benchmark, case, side):
    bench_case(benchmark, case, side)
