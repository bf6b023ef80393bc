"""Every family's bench cases under pytest-benchmark: ``pytest benches [-k FAMILY]``.

``GDCORE_BENCH_SIZE=quick`` runs the small variants.  The cases come from
``gdcore.bench.load_cases``, so a family added there is benched here too.
"""

import os

import pytest

from gdcore.bench import load_cases


def _params():
    """Pytest params, one per (case, side), gdcore first."""
    size = os.environ.get("GDCORE_BENCH_SIZE", "full")
    params = []
    for case in load_cases(size=size):
        for side in ("gdcore", "peer"):
            params.append(pytest.param(
                case, side, id=f"{case.family}-{case.task}[{case.shape}]-{side}"))
    return params


@pytest.mark.parametrize("case,side", _params())
def test_bench(bench_case, case, side):
    bench_case(case, side)
