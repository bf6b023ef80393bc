# Python-visible facts about the OpenMP runtime the kernels were built with.
from gdcore._cy._openmp cimport GDCORE_OPENMP_ENABLED, omp_get_max_threads


def openmp_enabled():
    """True when the kernels were compiled with OpenMP."""
    return bool(GDCORE_OPENMP_ENABLED)


def openmp_max_threads():
    """omp_get_max_threads(): honours OMP_NUM_THREADS and threadpoolctl limits."""
    return omp_get_max_threads()
