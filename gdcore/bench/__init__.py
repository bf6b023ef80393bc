"""Benchmark cases: gdcore against its peer on the same data, in one process.

Each family has a module in ``cases/`` with ``cases(size)`` returning ``Case`` objects;
``python -m gdcore bench`` runs them through ``run_cases`` and prints a table,
and ``benches/bench_cases.py`` hands the same cases to pytest-benchmark.
One definition of each benchmark therefore serves both.

``size`` is ``"full"`` (the sizes the project's speed claims are made at) or
``"quick"`` (bundled datasets, seconds in all: a smoke run, not a claim).

A peer is an optional dependency (the ``test`` extra installs them all): a
family whose peer cannot be imported, when its cases load or when one runs,
is skipped with a line naming the missing package and the command that
installs it, and the other families still run.
"""

import importlib
import pkgutil
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from gdcore.bench import cases as cases_package

# One module per family in gdcore/bench/cases/, named as the family's folder.
FAMILIES = {
    m.name: f"{cases_package.__name__}.{m.name}"
    for m in pkgutil.iter_modules(cases_package.__path__)
    if not m.name.startswith("_")
}


# A case repeats at least case.repeat times, and more while both sides
# together have run under case.min_seconds (at most MAX_REPEAT times).  A
# millisecond case timed only three times gives a ratio that scheduling noise
# on a shared machine can move by half its value (digits' SVC fit in
# `gdcore bench svm`); a second of alternating repeats gives a median that
# holds, at a cost of at most a second per fast case.
MIN_SECONDS = 1.0
MAX_REPEAT = 50


@dataclass
class Case:
    """One timed task: gdcore and its peer doing the same thing to the same data."""

    family: str
    task: str
    shape: str
    peer: str
    make_data: Callable[[], Any]
    run_gdcore: Callable[[Any], Any]
    run_peer: Callable[[Any], Any]
    # (gdcore result, peer result, data) -> short text such as "acc 0.912 = 0.912"
    agreement: Callable[[Any, Any, Any], str]
    repeat: int = 3
    min_seconds: float = MIN_SECONDS     # 0: exactly `repeat` runs
    # The quantity a growth case grows (rows, sequences, database size): the
    # x of the fitted time exponent in ``gdcore bench --growth``; 0 elsewhere.
    size: float = 0
    _data: Any = field(default=None, repr=False)

    def data(self):
        """Return the case's data, made on first use and kept until ``release``."""
        if self._data is None:
            self._data = self.make_data()
        return self._data

    def release(self):
        """Drop the case's data, so that its memory can be freed."""
        self._data = None


@dataclass
class Result:
    """A case's median time on each side and how the two outputs agree."""

    case: Case
    gdcore_seconds: float
    peer_seconds: float
    agreement: str

    @property
    def ratio(self):
        """Peer time / gdcore time: above 1 means gdcore is faster."""
        return self.peer_seconds / self.gdcore_seconds


_LATEST = {}


def cached(key, make):
    """One dataset at a time, shared by the cases (fit, predict) that use it.

    Holding only the latest keeps memory at one dataset: the full-size data
    reach 4 GB (500,000 x 1,000 float64).
    """
    if key not in _LATEST:
        _LATEST.clear()
        _LATEST[key] = make()
    return _LATEST[key]


def split_train_test(X, y, train_fraction=0.8):
    """Split into the first rows for training, the rest for testing (data already shuffled)."""
    k = int(train_fraction * len(y))
    return {"X": X[:k], "y": y[:k], "Xt": X[k:], "yt": y[k:]}


# The pip name of a peer whose import name differs from it.
PIP_NAMES = {
    "dask_ml": "dask-ml",
    "distributed": "dask[distributed]",
    "faiss": "faiss-cpu",
    "sklearn": "scikit-learn",
    "sklearnex": "scikit-learn-intelex",
}


def missing_peer(exc):
    """Return the top-level package an ImportError says is missing, or None if it is gdcore's."""
    name = getattr(exc, "name", None)
    if not name:
        # An ImportError without a module name ("cannot import name X from Y"
        # or a broken compiled peer): the message is the best there is.
        return str(exc) or type(exc).__name__
    top = name.split(".")[0]
    return None if top == "gdcore" else top


def skip_message(family, package):
    """Return the line that says a family was skipped and how to get its peer."""
    pip_name = PIP_NAMES.get(package, package)
    return (f"skipped {family}: its peer {package} is not installed "
            f"(pip install {pip_name}, or pip install 'gdcore[bench]' for every peer)")


def _print_skip(message):
    print(message, file=sys.stderr, flush=True)


def load_cases(families=None, size="full", on_skip=_print_skip):
    """Return the cases of ``families`` (default: all) at ``size``, "full" or "quick".

    A family whose case module cannot import its peer is left out and
    ``on_skip`` is called with a line saying which package is missing and
    how to install it (default: printed to stderr).  An ImportError from
    gdcore itself is a bug and propagates.
    """
    names = list(FAMILIES) if not families else list(families)
    unknown = [f for f in names if f not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown bench families {unknown}; choose from {sorted(FAMILIES)}")
    cases = []
    for name in names:
        try:
            cases.extend(importlib.import_module(FAMILIES[name]).cases(size))
        except ImportError as exc:
            package = missing_peer(exc)
            if package is None:
                raise
            on_skip(skip_message(name, package))
    return cases


def _median(xs):
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else 0.5 * (xs[mid - 1] + xs[mid])


def time_case(case):
    """Median wall time of gdcore and of the peer, alternating runs on one dataset."""
    data = case.data()
    gd_times, peer_times = [], []
    gd_out = peer_out = None
    while len(gd_times) < case.repeat or (
            sum(gd_times) + sum(peer_times) < case.min_seconds and len(gd_times) < MAX_REPEAT):
        t0 = time.perf_counter()
        gd_out = case.run_gdcore(data)
        t1 = time.perf_counter()
        peer_out = case.run_peer(data)
        t2 = time.perf_counter()
        gd_times.append(t1 - t0)
        peer_times.append(t2 - t1)
    agreement = case.agreement(gd_out, peer_out, data)
    return Result(case, _median(gd_times), _median(peer_times), agreement)


def format_table(results):
    """Return the results as a Markdown table, one row per case."""
    header = ("task", "data", "gdcore s", "peer", "peer s", "speed-up", "agreement")
    rows = [
        (
            r.case.task,
            r.case.shape,
            f"{r.gdcore_seconds:.4f}",
            r.case.peer,
            f"{r.peer_seconds:.4f}",
            f"{r.ratio:.2f}x",
            r.agreement,
        )
        for r in results
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        lines.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |")
    return "\n".join(lines)


def run_cases(cases, progress=None, on_skip=_print_skip):
    """Time every case (freeing each dataset before the next) and return Results.

    A case whose peer is imported only when it runs, and is missing, is
    skipped through ``on_skip`` as in ``load_cases``; so are the family's
    later cases on the same peer, without trying again.
    """
    results = []
    missing = {}   # (family, peer label) -> package
    for case in cases:
        if (case.family, case.peer) in missing:
            continue
        if progress:
            progress(f"{case.family}: {case.task} on {case.shape} ...")
        try:
            results.append(time_case(case))
        except ImportError as exc:
            package = missing_peer(exc)
            if package is None:
                raise
            missing[(case.family, case.peer)] = package
            on_skip(skip_message(case.family, package))
        finally:
            case.release()
    return results
