"""How time and memory grow with the data: ``gdcore bench --growth``.

A family's case module may define ``growth_cases()``: Case objects of one
task at sizes growing 4x at a time (``Case.size`` is the quantity that
grows).  Each size runs once per side, each run in a fresh process, so that
the memory one side's call needs is measured without the other side's
libraries, caches or freed-but-held pages: the child builds the data, then
records its resident memory, runs the call and reads the peak resident
memory reached during it (Linux resets the peak with ``/proc/self/clear_refs``;
elsewhere the peak since the process started is the best there is, and
includes making the data).  The row keeps each size's time and the memory
the call added, and the table fits the time exponent by least squares on the
log-log points.
"""

import gc
import importlib
import json
import subprocess
import sys
import time

from gdcore.bench import FAMILIES, missing_peer, skip_message
from gdcore.bench.results import machine

MB = 2.0 ** 20


def _status_kb(field):
    """Return a ``/proc/self/status`` field in kB (VmRSS, VmHWM), or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak():
    """Make the peak resident memory the current one; return whether it could."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_bytes():
    hwm = _status_kb("VmHWM")
    if hwm is not None:
        return hwm * 1024.0
    try:
        import resource
    except ImportError:  # Windows: the peak is not measured
        return float("nan")
    scale = 1.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, kB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure(module, index, side):
    """Run one growth case of a case module on one side; return seconds and memory in MB."""
    case = importlib.import_module(module).growth_cases()[index]
    run = case.run_gdcore if side == "gdcore" else case.run_peer
    data = case.data()
    gc.collect()
    rss = _status_kb("VmRSS")
    before = rss * 1024.0 if rss is not None and _reset_peak() else 0.0
    t0 = time.perf_counter()
    run(data)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "added_mb": (_peak_bytes() - before) / MB}


def _child(module, index, side):
    cmd = [sys.executable, "-m", "gdcore.bench.growth", module, str(index), side]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"growth case {module}[{index}] on {side} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def growth_rows(families, progress=None, on_skip=print):
    """Run every growth case of ``families``; return one results row per task and peer."""
    rows = []
    for family in families:
        module = importlib.import_module(FAMILIES[family])
        if not hasattr(module, "growth_cases"):
            continue
        groups = {}
        for i, c in enumerate(module.growth_cases()):
            groups.setdefault((c.task, c.peer), []).append((i, c))
        for (task, peer), members in groups.items():
            sides = {"gdcore": {"seconds": [], "added_mb": []},
                     "peer_run": {"seconds": [], "added_mb": []}}
            try:
                for i, c in members:
                    if progress:
                        progress(f"{family}: {task} on {c.shape} ...")
                    for side, key in (("gdcore", "gdcore"), ("peer", "peer_run")):
                        m = _child(FAMILIES[family], i, side)
                        sides[key]["seconds"].append(m["seconds"])
                        sides[key]["added_mb"].append(m["added_mb"])
            except RuntimeError as exc:
                package = missing_peer(ImportError(name=_missing_module(str(exc))))
                if package is None:
                    raise
                on_skip(skip_message(family, package))
                continue
            rows.append({"kind": "growth", "family": family, "task": task,
                         "data": f"{members[0][1].shape} → {members[-1][1].shape}",
                         "peer": peer, "sizes": [c.size for _, c in members],
                         **sides, "machine": machine()})
    return rows


def _missing_module(stderr):
    """Return the module a child's ModuleNotFoundError names, or "gdcore" (a bug: re-raise)."""
    marker = "No module named '"
    if marker in stderr:
        return stderr.split(marker, 1)[1].split("'", 1)[0]
    return "gdcore"


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), sys.argv[3])))
