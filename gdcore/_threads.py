"""How many threads a kernel call gets, and keeping BLAS out of its way."""

import os
from contextlib import contextmanager
from numbers import Integral

from threadpoolctl import ThreadpoolController

from gdcore._cy._openmp_info import openmp_enabled, openmp_max_threads


def cpu_count():
    """Cores this process may run on (affinity and cgroup masks respected)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def effective_n_threads(n_jobs=None):
    """Number of OpenMP threads for a kernel call, from an estimator's ``n_jobs``.

    - ``None``: OpenMP's default, which honours ``OMP_NUM_THREADS`` and
      ``threadpoolctl.threadpool_limits``; capped at the usable cores unless
      ``OMP_NUM_THREADS`` asks for more explicitly.
    - ``-1``: all usable cores; ``-2`` all but one, and so on (joblib's rule).
    - a positive integer: exactly that many.
    - ``0``: an error, as in joblib and scikit-learn.

    Without OpenMP every answer is 1.
    """
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral)
    ):
        raise ValueError(f"n_jobs must be None or an integer, got {n_jobs!r}.")
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a positive int.")
    if not openmp_enabled():
        return 1
    if n_jobs is None:
        n = openmp_max_threads()
        if os.environ.get("OMP_NUM_THREADS") is None:
            n = min(n, cpu_count())
        return max(1, n)
    if n_jobs < 0:
        return max(1, cpu_count() + 1 + n_jobs)
    return int(n_jobs)


_CONTROLLER = None


@contextmanager
def single_threaded_blas():
    """Hold BLAS to one thread while OpenMP threads each call it (no oversubscription).

    The controller is made once, on first use (after the kernels have loaded
    SciPy's BLAS): building one scans the loaded libraries and costs ~3 ms,
    against ~0.03 ms for a limit on an existing one.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield
