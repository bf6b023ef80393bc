"""How many threads a kernel call gets, and keeping BLAS out of its way."""

from contextlib import contextmanager
from numbers import Integral

import joblib
from threadpoolctl import ThreadpoolController

from gdcore._cy._openmp_info import openmp_enabled, openmp_max_threads


def cpu_count():
    """Return the cores this process may use.

    joblib's count honours the affinity mask and a cgroup's CPU quota (a
    container or a memory-capped batch job given 2 of 64 cores gets 2), where
    ``os.sched_getaffinity`` sees only the mask.
    """
    return max(1, int(joblib.cpu_count()))


def effective_n_threads(n_jobs=None):
    """Return the number of OpenMP threads for a kernel call, from an estimator's ``n_jobs``.

    - ``None``: OpenMP's default, which honours ``OMP_NUM_THREADS`` and
      ``threadpoolctl.threadpool_limits``.
    - ``-1``: all usable cores; ``-2`` all but one, and so on (joblib's rule).
    - a positive integer: that many.
    - ``0``: an error, as in joblib and scikit-learn.

    Every answer is capped at the usable cores (:func:`cpu_count`): the
    kernels split fixed work among threads, so a thread beyond the cores only
    waits for one, and a request such as ``n_jobs=1000`` in a process with an
    address-space limit would make OpenMP fail to create the threads and end
    the process.  The thread count never changes a result, so the cap changes
    only the time.  Without OpenMP every answer is 1.
    """
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral)
    ):
        raise ValueError(f"n_jobs must be None or an integer, got {n_jobs!r}.")
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a positive int.")
    if not openmp_enabled():
        return 1
    n_cpu = cpu_count()
    if n_jobs is None:
        n = openmp_max_threads()
    elif n_jobs < 0:
        n = n_cpu + 1 + n_jobs
    else:
        n = n_jobs
    return int(max(1, min(n, n_cpu)))


_CONTROLLER = None


@contextmanager
def single_threaded_blas():
    """Hold BLAS to one thread while OpenMP threads each call it (no oversubscription).

    The controller is made once, on first use (after the kernels have loaded
    SciPy's BLAS): building one scans the loaded libraries, which costs about
    a hundred times as much as setting a limit on an existing one.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield
