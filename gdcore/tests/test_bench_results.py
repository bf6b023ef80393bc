"""The bench's results file, its README tables, and the growth runner's measurements."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from gdcore import bench
from gdcore.bench import growth, results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _speed(task, peer, gd, other):
    return {"kind": "speed", "family": "toy", "task": task, "data": "10x2", "peer": peer,
            "gdcore_s": gd, "peer_s": other, "agreement": "same",
            "machine": results.machine()}


def test_merge_replaces_a_row_with_the_same_key_and_keeps_the_order(tmp_path):
    path = str(tmp_path / "results.json")
    results.merge(path, [_speed("fit", "a", 1.0, 2.0), _speed("fit", "b", 1.0, 3.0)])
    results.merge(path, [_speed("fit", "a", 1.0, 5.0), _speed("predict", "a", 1.0, 1.5)])
    rows = results.load(path)
    assert [(r["task"], r["peer"], r["peer_s"]) for r in rows] == [
        ("fit", "a", 5.0), ("fit", "b", 3.0), ("predict", "a", 1.5)]
    table = results.speed_table(rows)
    assert "| toy | fit | 10x2 | 1 | a | 5 | 5.00× | same |" in table


def test_load_refuses_a_file_of_another_format(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"format": 999, "rows": []}))
    with pytest.raises(ValueError, match="format"):
        results.load(str(path))


def test_exponent_is_the_log_log_slope():
    sizes = [1_000, 4_000, 16_000, 64_000]
    assert results.exponent(sizes, [2.0 * n ** 1.5 for n in sizes]) == pytest.approx(1.5)
    assert results.exponent([1.0], [1.0]) != results.exponent([1.0], [1.0])  # nan


TOY = """
    import numpy as np

    from gdcore.bench import Case

    MB = 2 ** 20

    def _alloc(megabytes):
        a = np.ones(int(megabytes * MB) // 8)   # written, so resident
        return float(a.sum())

    def growth_cases():
        return [Case("toy", "allocate", f"{n} MB", "twice as much", lambda: None,
                     lambda d, n=n: _alloc(n), lambda d, n=n: _alloc(2 * n),
                     lambda a, b, d: "", size=n)
                for n in (64, 256)]
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the peak of one call is measured on Linux (/proc/self/clear_refs)")
def test_growth_measures_the_memory_each_call_adds(tmp_path, monkeypatch):
    (tmp_path / "gdcore_toy_growth.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), ROOT]))
    monkeypatch.setitem(bench.FAMILIES, "toy", "gdcore_toy_growth")
    monkeypatch.setattr(growth, "FAMILIES", bench.FAMILIES)
    (row,) = growth.growth_rows(["toy"])
    assert row["sizes"] == [64, 256]
    # Each call holds its array once: what it added is its size, within the
    # interpreter's own small allocations.
    for side, factor in (("gdcore", 1), ("peer_run", 2)):
        added = row[side]["added_mb"]
        assert added == pytest.approx([64 * factor, 256 * factor], abs=16)
    assert "| toy | allocate | 64 MB → 256 MB |" in results.growth_table([row])
@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "tools", "readme_tables.py")),
                    reason="tools/ is in the source tree, not in the installed package")
def test_readme_tables_are_the_ones_the_results_file_gives():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "readme_tables.py"),
                          "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
