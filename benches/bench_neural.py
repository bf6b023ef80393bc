import pytest
from conftest import bench_case, bench_params


@pytest.mark.parametrize("case,side", bench_params("neural"))
def test_neural(benchmark, case, side):
    bench_case(benchmark, case, side)
