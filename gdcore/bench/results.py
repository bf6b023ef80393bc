"""The bench's results file, and the README's tables made from it.

``gdcore bench --results FILE`` merges its rows into a JSON file (a row is
identified by family, task, data and peer, so families run at different
times accumulate in one file and a re-run replaces its own rows), with the
machine's state when each row was measured.  ``tools/readme_tables.py``
renders the README's speed and growth tables from that file, so the tables
say what the bench measured and nothing else.
"""

import json
import os
import platform
import time

import numpy as np

from gdcore._version import __version__

FORMAT = 1


def machine():
    """Return what a reader needs to judge a timing: cores, load, versions, date."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "load_1min": round(load[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "gdcore": __version__,
    }


def speed_row(result):
    """Return one ``Result`` of ``run_cases`` as a results-file row."""
    c = result.case
    return {"kind": "speed", "family": c.family, "task": c.task, "data": c.shape,
            "peer": c.peer, "gdcore_s": result.gdcore_seconds,
            "peer_s": result.peer_seconds, "agreement": result.agreement,
            "machine": machine()}


def _key(row):
    return (row["kind"], row["family"], row["task"], row["data"], row["peer"])


def load(path):
    """Return the rows of the results file at ``path`` ([] if there is none)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not a gdcore bench results file of format {FORMAT}")
    return doc["rows"]


def merge(path, rows):
    """Write ``rows`` into the results file at ``path``, replacing rows with the same key."""
    kept = {_key(r): r for r in load(path)}
    order = list(kept)
    for row in rows:
        if _key(row) not in kept:
            order.append(_key(row))
        kept[_key(row)] = row
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"format": FORMAT, "rows": [kept[k] for k in order]}, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def _seconds(s):
    """Three significant digits, as the README has always shown times."""
    return f"{s:.3g}" if s >= 0.001 else f"{s:.2g}"


def _ratio(r):
    return f"{r:.2f}×" if r < 10 else f"{r:.3g}×"


def _markdown(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x).replace("|", "\\|") for x in row) + " |"
              for row in rows]
    return "\n".join(lines)


def speed_table(rows):
    """Return the speed rows as the README's Markdown table, in file order."""
    body = [(r["family"], r["task"], r["data"], _seconds(r["gdcore_s"]), r["peer"],
             _seconds(r["peer_s"]), _ratio(r["peer_s"] / r["gdcore_s"]), r["agreement"],
             r["machine"]["load_1min"])
            for r in rows if r["kind"] == "speed"]
    return _markdown(("family", "task", "data", "gdcore s", "peer", "peer s", "speed-up",
                      "agreement", "load"), body)


def exponent(sizes, seconds):
    """Return b of the least-squares fit seconds = a * size**b (log-log), or nan."""
    sizes, seconds = np.asarray(sizes, float), np.asarray(seconds, float)
    ok = (sizes > 0) & (seconds > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes[ok]), np.log(seconds[ok]), 1)[0])


def growth_table(rows):
    """Return the growth rows as a Markdown table: one line per task and peer."""
    if not any(r["kind"] == "growth" for r in rows):
        return "(no growth run in the results file yet)"
    body = []
    for r in rows:
        if r["kind"] != "growth":
            continue
        g, p = r["gdcore"], r["peer_run"]
        body.append((
            r["family"], r["task"], r["data"],
            " / ".join(_seconds(s) for s in g["seconds"]),
            f"{exponent(r['sizes'], g['seconds']):.2f}",
            r["peer"],
            " / ".join(_seconds(s) for s in p["seconds"]),
            f"{exponent(r['sizes'], p['seconds']):.2f}",
            f"{g['added_mb'][-1]:,.0f} / {p['added_mb'][-1]:,.0f}",
            r["machine"]["load_1min"],
        ))
    return _markdown(("family", "task", "sizes", "gdcore s", "exponent", "peer", "peer s",
                      "exponent", "MB the call added at the largest, gdcore / peer", "load"),
                     body)
