"""Log every test outcome as one JSON line; copied as ``conftest.py`` beside the upstream copies.

``tools/upstream_suites.py`` runs scikit-learn's and hmmlearn's test modules in a
subprocess and needs per-test outcomes back. JUnit XML would do, but pytest
writes it only when the session ends, so a module killed by the per-module
timeout would report nothing; a line written as each test finishes keeps
what ran. The log path comes from the ``UPSTREAM_SUITES_LOG`` environment
variable.
"""

import json
import os


def _message(report):
    """Return the one line that says why a test failed, errored or was skipped."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    lines = [line for line in str(longrepr).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _write(record):
    with open(os.environ["UPSTREAM_SUITES_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def pytest_runtest_logreport(report):
    """Log each phase (setup, call, teardown) of each test."""
    _write(
        {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"),
            "message": _message(report) if report.outcome != "passed" else "",
        }
    )


def pytest_collectreport(report):
    """Log a module that fails to import: none of its tests will run."""
    if report.failed:
        _write(
            {
                "nodeid": report.nodeid,
                "when": "collect",
                "outcome": "failed",
                "xfail": False,
                "message": _message(report),
            }
        )
