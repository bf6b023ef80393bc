"""Naive Bayes vs scikit-learn (cases in gdcore/benchmarks/naive_bayes.py)."""

import pytest
from conftest import bench_case, bench_params


@pytest.mark.parametrize("case,side", bench_params("naive_bayes"))
def test_naive_bayes(benchmark, case, side):
    bench_case(benchmark, case, side)
