"""What a reader needs to rerun a comparison: versions, threads, the command; and the JSON.

results.json holds only what the seed determines (no timings, no dates), so
two runs with the same command and seed on the same installation write the
same file byte for byte; timings go to timings.json.
"""

import json
import math
import os
import platform
import shlex

import numpy as np


def environment(n_jobs, command=None):
    """Versions, cores, workers and threads per worker, and the command line."""
    from joblib import cpu_count, effective_n_jobs

    import gdcore

    versions = {"gdcore": gdcore.__version__, "python": platform.python_version()}
    for mod in ("numpy", "scipy", "sklearn", "pandas", "joblib", "matplotlib"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = None
    cores = cpu_count()
    workers = max(1, min(effective_n_jobs(n_jobs), cores))
    return {
        "versions": versions,
        "cores": int(cores),
        "workers": int(workers),
        # loky gives each of its workers cores // workers OpenMP/BLAS threads;
        # one worker (--jobs 1) runs in this process with OpenMP's default.
        "threads_per_worker": int(max(1, cores // workers)),
        "command": command or "gdcore.compare.run(...)",
    }


def command_line(argv):
    """Return the exact command as a shell would take it."""
    return "gdcore compare " + " ".join(shlex.quote(a) for a in argv)


def equivalent_command(dataset, target, out_dir, seed, n_splits, n_sizes, models, sep,
                       features, drop, categorical, n_jobs):
    """Return the ``gdcore compare`` command that repeats a ``run(...)`` call."""
    args = ["--dataset", str(dataset)]
    for flag, value in (("--target", target), ("--sep", sep)):
        if value is not None:
            args += [flag, str(value)]
    for flag, values in (("--features", features), ("--drop", drop),
                         ("--categorical", categorical), ("--models", models)):
        if values:
            args += [flag, *map(str, values)]
    args += ["--seed", str(seed), "--splits", str(n_splits), "--sizes", str(n_sizes),
             "--jobs", str(n_jobs), "--out", str(out_dir)]
    return command_line(args)


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None  # JSON has no NaN
    return value


def write_json(results, out_dir, name="results.json"):
    """Write ``results`` (NaN as null) to ``name`` in ``out_dir``; return its path."""
    path = os.path.join(out_dir, name)
    with open(path, "w") as f:
        json.dump(_clean(results), f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")
    return path

