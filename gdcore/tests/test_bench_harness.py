"""The bench harness skips a family whose peer is not installed, and says how to get it.

The families here are real modules written to a temporary folder and
registered in ``gdcore.bench.FAMILIES`` the way ``cases/`` modules are; their
peer is a package that does not exist.
"""

import sys
import textwrap

import pytest

from gdcore import bench, cli

MISSING = "gdcore_test_peer_that_is_not_installed"

MODULES = {
    # The peer is imported at the top of the case module (hmm.py imports hmmlearn so).
    "peer_at_import": f"""
        import {MISSING}

        def cases(size):
            raise AssertionError("never reached: the import above fails")
    """,
    # The peer is imported only when its case runs (linear.py imports statsmodels so);
    # a second case on the same peer, and a case whose peer exists.
    "peer_at_run": f"""
        from gdcore.bench import Case

        def _peer(data):
            import {MISSING}.sub

        def cases(size):
            ok = Case("peer_at_run", "sum", "3", "builtins", lambda: [1, 2, 3],
                      sum, sum, lambda a, b, d: "equal" if a == b else "differ",
                      repeat=1, min_seconds=0.0)
            missing = [Case("peer_at_run", task, "3", "the missing peer", lambda: [1, 2, 3],
                            sum, _peer, lambda a, b, d: "", repeat=1, min_seconds=0.0)
                       for task in ("first", "second")]
            return [missing[0], ok, missing[1]]
    """,
    # gdcore's own ImportError is a bug, never a skipped peer.
    "gdcore_bug": """
        import gdcore._no_such_module_in_gdcore

        def cases(size):
            return []
    """,
}


@pytest.fixture
def families(tmp_path, monkeypatch):
    pkg = tmp_path / "gdcore_test_bench_cases"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, source in MODULES.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(source))
        monkeypatch.setitem(bench.FAMILIES, name, f"{pkg.name}.{name}")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for mod in [m for m in sys.modules if m.startswith(pkg.name)]:
        del sys.modules[mod]


def test_family_whose_peer_fails_at_import_is_skipped(families):
    skipped = []
    cases = bench.load_cases(["peer_at_import", "peer_at_run"], size="quick",
                             on_skip=skipped.append)
    assert [c.task for c in cases] == ["first", "sum", "second"]
    assert skipped == [bench.skip_message("peer_at_import", MISSING)]
    assert MISSING in skipped[0] and f"pip install {MISSING}" in skipped[0]


def test_case_whose_peer_fails_at_run_is_skipped_once(families):
    skipped = []
    cases = bench.load_cases(["peer_at_run"], size="quick", on_skip=skipped.append)
    results = bench.run_cases(cases, on_skip=skipped.append)
    assert [r.case.task for r in results] == ["sum"]
    assert results[0].agreement == "equal"
    # The second case on the missing peer is not tried again, nor reported twice.
    assert skipped == [bench.skip_message("peer_at_run", MISSING)]


def test_gdcore_import_error_is_not_skipped(families):
    with pytest.raises(ImportError, match="_no_such_module_in_gdcore"):
        bench.load_cases(["gdcore_bug"], on_skip=pytest.fail)


def test_pip_name_of_a_peer_whose_import_name_differs():
    assert "pip install faiss-cpu" in bench.skip_message("neighbors", "faiss")
    assert "pip install hmmlearn" in bench.skip_message("hmm", "hmmlearn")


def test_gdcore_bench_names_the_skipped_families(families, capsys):
    status = cli.main(["bench", "peer_at_import", "peer_at_run", "--quick",
                       "--repeat", "1", "--quiet"])
    assert status == 0
    captured = capsys.readouterr()
    for family in ("peer_at_import", "peer_at_run"):
        line = bench.skip_message(family, MISSING)
        assert line in captured.out       # under the table, for the record
        assert line in captured.err       # as it happens
    assert "| sum " in captured.out
