"""Per-thread scratch that cannot be allocated: a MemoryError, never a crash.

Each kernel mallocs its scratch inside the parallel region; a thread that
gets NULL skips its share and the kernel returns NO_MEMORY, which the
estimator raises as MemoryError.  The tests cap the address space of a fresh
process (RLIMIT_AS) just above its inputs, so the scratch, larger than that
margin, really fails.
"""

import subprocess
import sys
import textwrap

import pytest

from gdcore.generative.hmm import (
    _hmm,
    _hmm_categorical,
    _hmm_emissions,
    _hmm_gaussian,
    _hmm_kmeans,
    _hmm_missing,
)
from gdcore.generative.hmm._base import raise_for_memory

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")

_PRELUDE = textwrap.dedent("""
    import resource
    import numpy as np
    from gdcore.generative.hmm import (_hmm, _hmm_categorical, _hmm_emissions, _hmm_gaussian,
                                       _hmm_kmeans, _hmm_missing)

    def cap_address_space(headroom):
        # The process's current size plus ``headroom`` bytes: what is allocated
        # now fits, a larger scratch does not.
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                limit = int(line.split()[1]) * 1024 + headroom
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
""")

# Every kernel that mallocs scratch, on inputs whose scratch (128 MiB per
# thread) is far above the 32 MiB left once they are allocated.
_KERNELS = textwrap.dedent("""
    K, T = 4, 1 << 22                     # one sequence: T x K doubles of scratch
    flp = np.zeros((T, K), np.float32)
    offsets = np.array([0, T], np.intp)
    sp, tm = np.full(K, 1 / K), np.full((K, K), 1 / K)
    post, lp, tr = np.empty((T, K)), np.empty(1), np.empty((K, K))
    states = np.empty(T, np.intp)
    symbols = np.zeros(T, np.int64)
    e_t = np.full((2, K), 0.5)
    counts_t, start = np.empty((2, K)), np.empty(K)
    d = 1 << 17                           # one row: 128 x d doubles of block scratch
    x = np.ones((1, d))
    means, covars, out = np.zeros((1, d)), np.ones((1, d)), np.empty((1, 1))
    w, s1 = np.ones((1, 1)), np.empty(1)
    dm = 4096                             # one row with a NaN: a d x d Cholesky factor
    xm = np.ones((1, dm))
    xm[0, 0] = np.nan
    mm, cov = np.zeros((1, dm)), np.zeros((1, dm, dm))
    obs, outer = np.empty((1, dm)), np.empty((1, dm, dm))
    calls = {
        "forward_backward": lambda: _hmm.forward_backward(flp, offsets, sp, tm, post, lp,
                                                          tr, 2),
        "viterbi": lambda: _hmm.viterbi(flp, offsets, np.log(sp), np.log(tm), states, lp, 2),
        "forward_backward_symbols": lambda: _hmm_categorical.forward_backward_symbols(
            symbols, offsets, e_t, sp, tm, lp, start, tr, counts_t, 2),
        "viterbi_symbols": lambda: _hmm_categorical.viterbi_symbols(
            symbols, offsets, np.log(e_t), np.log(sp), np.log(tm), states, lp, 2),
        "gaussian_diag_loglik": lambda: _hmm_emissions.gaussian_diag_loglik(
            x, means, covars, out, 2),
        "poisson_loglik": lambda: _hmm_emissions.poisson_loglik(
            x, means, np.zeros(1), np.zeros((1, d), np.uint8), np.zeros(1), out, 2),
        "weighted_sums": lambda: _hmm_emissions.weighted_sums(w, x, s1, means, 2),
        "gaussian_missing_loglik": lambda: _hmm_missing.gaussian_missing_loglik(
            xm, mm, cov, out, 2),
        "gaussian_missing_stats": lambda: _hmm_missing.gaussian_missing_stats(
            xm, w, mm, cov, obs, outer, False, 2),
        "forward_backward_gaussian_diag": lambda: _hmm_gaussian.forward_backward_gaussian_diag(
            flp, offsets, np.zeros((K, K)), np.ones((K, K)), sp, tm, lp, start, tr,
            np.empty((K, 2 * K + 1)), 2),
        "sq_distances": lambda: _hmm_kmeans.sq_distances(x, means, np.empty((1, 1)), 2),
        "lloyd_assign": lambda: _hmm_kmeans.STATUS_NO_MEMORY if _hmm_kmeans.lloyd_assign(
            x, means, np.empty(1, np.intp), np.empty((1, d)), np.empty(1), 2) == -1.0 else 0,
    }
    cap_address_space(32 << 20)
    print({name: call() for name, call in calls.items()})
""")


def _run(code):
    out = subprocess.run([sys.executable, "-c", _PRELUDE + code], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


def test_every_module_has_the_same_no_memory_status():
    codes = {m.STATUS_NO_MEMORY for m in (_hmm, _hmm_categorical, _hmm_emissions, _hmm_gaussian,
                                          _hmm_kmeans, _hmm_missing)}
    assert len(codes) == 1
    with pytest.raises(MemoryError, match="per-thread scratch"):
        raise_for_memory(_hmm.STATUS_NO_MEMORY)
    raise_for_memory(_hmm.STATUS_OK)


def test_kernels_whose_scratch_cannot_be_allocated_return_no_memory():
    got = eval(_run(_KERNELS))          # a dict of kernel name -> status
    assert got == dict.fromkeys(got, _hmm.STATUS_NO_MEMORY) and len(got) == 12


def test_an_estimator_raises_memory_error():
    code = textwrap.dedent("""
        from gdcore import GaussianHMM
        m = GaussianHMM(4, n_iter=1, random_state=0, n_jobs=2).fit(
            np.random.default_rng(0).normal(size=(200, 1)))
        m.decode(np.zeros((64, 1)))                # threads started before the cap
        X = np.zeros((1 << 22, 1), np.float32)
        # Room for the (n, K) log-likelihoods and the path (160 MiB), not for
        # a thread's Viterbi lattice (128 MiB) on top of them.
        cap_address_space((160 + 64) << 20)
        try:
            m.decode(X)
        except MemoryError as exc:
            print(exc)
    """)
    assert "per-thread scratch" in _run(code)
