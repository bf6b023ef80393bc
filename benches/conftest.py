"""pytest-benchmark glue: the ``bench_case`` fixture times one side of a case.

The cases live in ``gdcore/bench/cases/<family>.py`` (shared with ``gdcore
bench``).  Each case is timed twice, once per side, in the same process on the
same cached data; the session ends with a table of peer/gdcore ratios.
"""

import pytest

from gdcore.bench import Result, format_table

_MEDIANS = {}   # id(case) -> {"gdcore": seconds, "peer": seconds}
_OUTPUTS = {}   # id(case) -> {"gdcore": result, "peer": result}
_CASES = {}


@pytest.fixture
def bench_case(benchmark):
    """Time ``case`` on one side ("gdcore" or "peer") and keep its median and output."""

    def run(case, side):
        data = case.data()
        fn = case.run_gdcore if side == "gdcore" else case.run_peer
        benchmark.group = f"{case.family}: {case.task} {case.shape}"
        benchmark.extra_info["side"] = side
        out = benchmark.pedantic(fn, args=(data,), rounds=case.repeat, iterations=1)
        _CASES[id(case)] = case
        _MEDIANS.setdefault(id(case), {})[side] = benchmark.stats.stats.median
        _OUTPUTS.setdefault(id(case), {})[side] = out

    return run


def pytest_terminal_summary(terminalreporter):
    results = []
    for key, sides in _MEDIANS.items():
        if set(sides) == {"gdcore", "peer"}:
            case = _CASES[key]
            out = _OUTPUTS[key]
            agreement = case.agreement(out["gdcore"], out["peer"], case.data())
            results.append(Result(case, sides["gdcore"], sides["peer"], agreement))
    if results:
        terminalreporter.write_sep("=", "gdcore vs peer (speed-up = peer / gdcore, medians)")
        terminalreporter.write_line(format_table(results))
