"""pytest-benchmark glue: each bench file hands its family's cases to ``bench_case``.

The cases themselves live in ``gdcore/benchmarks/<family>.py`` (shared with
``python -m gdcore bench``).  Each case is timed twice, once per side, in
the same process on the same cached data; the session ends with a table of
peer/gdcore ratios.  ``GDCORE_BENCH_SIZE=quick`` runs the small variants.
"""

import os

import pytest

from gdcore.benchmarks import Result, format_table, load_cases

_MEDIANS = {}   # id(case) -> {"gdcore": seconds, "peer": seconds}
_OUTPUTS = {}   # id(case) -> {"gdcore": result, "peer": result}
_CASES = {}


def bench_params(family):
    """pytest params, one per (case, side), gdcore first, for one family."""
    size = os.environ.get("GDCORE_BENCH_SIZE", "full")
    params = []
    for case in load_cases([family], size=size):
        for side in ("gdcore", "peer"):
            params.append(pytest.param(case, side, id=f"{case.task}[{case.shape}]-{side}"))
    return params


def bench_case(benchmark, case, side):
    data = case.data()
    fn = case.run_gdcore if side == "gdcore" else case.run_peer
    benchmark.group = f"{case.family}: {case.task} {case.shape}"
    benchmark.extra_info["side"] = side
    out = benchmark.pedantic(fn, args=(data,), rounds=case.repeat, iterations=1)
    _CASES[id(case)] = case
    _MEDIANS.setdefault(id(case), {})[side] = benchmark.stats.stats.median
    _OUTPUTS.setdefault(id(case), {})[side] = out


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
