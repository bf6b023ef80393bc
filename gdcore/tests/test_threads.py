"""n_jobs and OMP_NUM_THREADS: capped at the usable cores, and never a change in the answer."""

import inspect
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gdcore.tests._estimators import default_estimator, fit_problem, outputs
from gdcore.tests.test_common import INSTANCES

WITH_N_JOBS = sorted(
    name for name in INSTANCES
    if "n_jobs" in inspect.signature(type(INSTANCES[name][0])).parameters
)


def _answers(name, n_jobs):
    est, p = fit_problem(name, n_jobs=n_jobs)
    return outputs(est, p["X"], p["lengths"])


@pytest.mark.parametrize("name", WITH_N_JOBS)
def test_n_jobs_beyond_the_cores_is_capped_and_changes_nothing(name):
    one = _answers(name, 1)
    for n_jobs in (2, 1000, 2**40, -1):
        got = _answers(name, n_jobs)
        assert got.keys() == one.keys()
        for method in one:
            np.testing.assert_array_equal(got[method], one[method], err_msg=f"{n_jobs} {method}")


_ALL_ANSWERS = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    from gdcore.tests._estimators import fit_problem, outputs
    result = {}
    for name in sys.argv[1:]:
        # Enough rows that scikit-learn's k-means (HMM initialization) and
        # every kernel cut their work into several chunks.
        est, p = fit_problem(name, n=3000)
        result[name] = {k: np.asarray(v, dtype=float).tolist()
                        for k, v in outputs(est, p["X"], p["lengths"]).items()}
    print(json.dumps(result))
""")


def _answers_with_omp_threads(names, n):
    env = {**os.environ, "OMP_NUM_THREADS": str(n)}
    out = subprocess.run([sys.executable, "-c", _ALL_ANSWERS, *names], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_omp_num_threads_changes_no_answer():
    # Every public estimator, fitted and queried in a fresh process under
    # OMP_NUM_THREADS=1 and =4: the same numbers to the last bit (NaN = NaN).
    names = sorted(INSTANCES)
    one, four = _answers_with_omp_threads(names, 1), _answers_with_omp_threads(names, 4)
    differ = [f"{name}.{method}" for name in names for method, value in one[name].items()
              if not np.array_equal(four[name][method], value, equal_nan=True)]
    assert not differ, f"answers that change with OMP_NUM_THREADS: {differ}"


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_n_jobs_1000_under_an_address_space_limit():
    """A memory-capped job (ulimit -v 6 GiB) asking for 1000 threads still fits.

    Uncapped, OpenMP cannot create 1000 thread stacks there and libgomp
    aborts the interpreter.
    """
    code = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
        import sys
        from gdcore.tests._estimators import fit_problem, outputs
        for name in sys.argv[1:]:
            est, p = fit_problem(name, n_jobs=1000)
            outputs(est, p["X"], p["lengths"])
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code, *WITH_N_JOBS], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


def test_default_estimators_exist():
    assert all(default_estimator(name) is not None for name in WITH_N_JOBS)
