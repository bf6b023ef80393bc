"""A per-thread buffer the scoring kernel cannot allocate is a MemoryError, never a crash.

The subprocess caps its address space (``resource.RLIMIT_AS``) just above
what it holds, then scores rows that need the kernel's rewrite buffer (NaN
in BernoulliNB: 16 rows of 2**20 features, 128 MiB per thread).  It must
exit normally having seen a MemoryError, not die by a signal.
"""

import subprocess
import sys
import textwrap

import pytest

CODE = textwrap.dedent("""
    import os, resource
    import numpy as np
    from gdcore import BernoulliNB
    from gdcore.generative.naive_bayes import _naive_bayes as kernels
    from gdcore._threads import single_threaded_blas

    def problem(d, k=2):
        X = np.zeros((2, d))
        X[:, 0] = np.nan
        return (X, np.zeros((k, d)), np.zeros(k), np.zeros((k, d)), np.empty((2, k)),
                True, False, 0.0, 2)

    est = BernoulliNB()
    args = problem(2**20)
    with single_threaded_blas():   # warm up: the OpenMP thread pool exists before the cap
        assert kernels.linear_jll(*problem(8)) == 0
    used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (used + 8 * 2**20, resource.RLIM_INFINITY))
    with single_threaded_blas():
        status = kernels.linear_jll(*args)
    try:
        est._raise_for_status(status)
    except MemoryError as exc:
        print("MemoryError:", exc)
    else:
        print("no error", status)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="reads /proc/self/statm and caps RLIMIT_AS")
def test_failed_buffer_allocation_is_a_memory_error():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, f"died with {out.returncode}: {out.stderr[-2000:]}"
    assert out.stdout.startswith("MemoryError:"), out.stdout + out.stderr[-2000:]
