"""The package's shared pieces: threads, configuration report, command line, bench harness."""

import os
import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import gdcore
from gdcore._cy._openmp_info import openmp_enabled
from gdcore._threads import cpu_count, effective_n_threads
from gdcore.bench import format_table, load_cases, run_cases
from gdcore.cli import main
from gdcore.generative._base import log_sum_exp_rows


def test_effective_n_threads_rules():
    n_cpu = cpu_count()
    assert effective_n_threads(1) == 1
    assert effective_n_threads(-1) == (n_cpu if openmp_enabled() else 1)
    assert effective_n_threads(-(n_cpu + 5)) == 1
    # More threads than usable cores are never asked of OpenMP, however large
    # the request (2**40 does not fit the kernels' C int).
    for many in (n_cpu + 1, 1000, 2**40):
        assert effective_n_threads(many) == (n_cpu if openmp_enabled() else 1)
    assert effective_n_threads(-(2**40)) == 1
    assert 1 <= effective_n_threads(None) <= max(n_cpu, 1)
    for bad in (0, 1.5, "2", True):
        with pytest.raises(ValueError, match="n_jobs"):
            effective_n_threads(bad)


@pytest.mark.skipif(not openmp_enabled(), reason="built without OpenMP")
def test_n_jobs_none_honours_threadpoolctl():
    with threadpool_limits(limits=1, user_api="openmp"):
        assert effective_n_threads(None) == 1


def test_omp_num_threads_is_honoured():
    code = "from gdcore._threads import effective_n_threads as e; print(e(None))"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "1"


@pytest.mark.parametrize("variable, preset, expected", [
    ("OMP_WAIT_POLICY", None, "PASSIVE"), ("OMP_WAIT_POLICY", "active", "active"),
    ("GOMP_SPINCOUNT", None, "1000"), ("GOMP_SPINCOUNT", "0", "0"),
])
def test_openmp_waiting_defaults_unless_the_user_chose(variable, preset, expected):
    code = f"import os, gdcore; print(os.environ['{variable}'])"
    env = {k: v for k, v in os.environ.items() if k != variable}
    if preset is not None:
        env[variable] = preset
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == expected


def test_show_config_and_info_command(capsys):
    gdcore.show_config()
    text = capsys.readouterr().out
    assert gdcore.__version__ in text and "openmp" in text and "threads" in text
    assert main(["info"]) == 0
    assert "blas" in capsys.readouterr().out


def test_bench_command_prints_the_comparison_table(capsys):
    assert main(["bench", "naive_bayes", "--quick", "--repeat", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    for word in ("task", "speed-up", "GaussianNB fit", "MultinomialNB predict_proba", "acc"):
        assert word in out
    assert main(["bench", "no_such_family"]) == 2


def test_bench_harness_times_both_sides():
    cases = load_cases(["naive_bayes"], size="quick")[:1]
    cases[0].repeat, cases[0].min_seconds = 1, 0.0
    (result,) = run_cases(cases)
    assert result.gdcore_seconds > 0 and result.peer_seconds > 0
    assert "max |dP|" in result.agreement
    assert "speed-up" in format_table([result])


def test_bench_harness_repeats_fast_cases():
    """A case faster than min_seconds repeats until then, and never past MAX_REPEAT.

    Three repeats of a 10 ms case (digits' SVC fit) give too noisy a median.
    """
    from gdcore.bench import MAX_REPEAT, Case, time_case
    runs = []
    case = Case("f", "t", "s", "peer", lambda: 0, runs.append, lambda d: None,
                lambda a, b, d: "", repeat=2, min_seconds=0.05)
    time_case(case)
    assert 2 < len(runs) <= MAX_REPEAT
    runs.clear()
    case.min_seconds = 0.0
    time_case(case)
    assert len(runs) == 2


def test_log_sum_exp_rows_is_stable():
    a = np.array([[1000.0, 1000.0], [-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_allclose(log_sum_exp_rows(a)[:, 0],
                               [1000.0 + np.log(2), -np.inf, 0.0])
