"""A per-thread buffer the kernels cannot allocate is a MemoryError, never a crash.

Each case runs in a subprocess whose address space is capped
(``resource.RLIMIT_AS``) just above what it holds before the kernel runs, so
the kernel's per-thread mallocs (the d x d Cholesky and covariance scratch of
1500 features: 18 MB each) fail.  The subprocess must exit normally, having
seen a MemoryError, not die by a signal.
"""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/statm and caps RLIMIT_AS")

CODE = textwrap.dedent("""
    import os, resource
    import numpy as np
    from gdcore.generative.mixture import _em, _missing
    from gdcore.generative.mixture import _mixture as full, _mixture_missing as missing
    from gdcore._threads import single_threaded_blas

    n, d, k = 30, 1500, 1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    w, log_w = np.ones(n), np.zeros(k)
    means = np.zeros((k, d))
    if CASE == "missing":
        X[3, : d // 2] = np.nan
        args = (X, w, log_w, means, np.eye(d)[None].copy(), means, np.empty((n, k)),
                np.empty(n), np.empty((0, d)), np.zeros(k), np.zeros((k, d)),
                np.zeros((k, d, d)), False, False)
        kernel, module, messages = missing.estep_missing, missing, _missing._STATUS
    else:
        args = (X, w, np.eye(d), means, means, log_w, np.empty((n, k)), np.empty(n),
                np.zeros(k), np.zeros((k, d)), np.zeros((k, d, d)), False)
        kernel, module, messages = full.estep_full, full, _em._STATUS

    def run(n_rows):
        with single_threaded_blas():
            status = kernel(*[a[:n_rows] if i == 0 else a for i, a in enumerate(args)], 2)
        _em.raise_kernel_status(status, module.STATUS_NO_MEMORY, messages)

    run(2)   # warm up: the OpenMP thread pool and BLAS exist before the cap
    used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    # 8 MiB of headroom: less than one thread's d x d scratch (17 MiB).
    resource.setrlimit(resource.RLIMIT_AS, (used + 8 * 2**20, resource.RLIM_INFINITY))
    try:
        run(n)
    except MemoryError as exc:
        print("MemoryError:", exc)
    else:
        print("no error")
""")


@pytest.mark.parametrize("case", ["missing", "full"])
def test_failed_scratch_allocation_is_a_memory_error(case):
    out = subprocess.run([sys.executable, "-c", f"CASE = {case!r}\n" + CODE],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"died with {out.returncode}: {out.stderr[-2000:]}"
    assert out.stdout.startswith("MemoryError:"), out.stdout + out.stderr[-2000:]
    assert "per-thread buffers" in out.stdout, out.stdout
