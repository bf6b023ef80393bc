# The one place gdcore's kernels reach OpenMP.
#
# Every kernel cimports OpenMP routines from here, never from `openmp`, so a
# build without OpenMP (GDCORE_DISABLE_OPENMP=1, or a compiler without it)
# still compiles: the macros below stand in, and `prange` runs serially.
# Modelled on scikit-learn's sklearn/utils/_openmp_helpers.pxd.

cdef extern from *:
    """
    #ifdef _OPENMP
        #include <omp.h>
        #define GDCORE_OPENMP_ENABLED 1
    #else
        #define GDCORE_OPENMP_ENABLED 0
        #define omp_get_thread_num() 0
        #define omp_get_max_threads() 1
    #endif
    """
    bint GDCORE_OPENMP_ENABLED

    int omp_get_thread_num() noexcept nogil
    int omp_get_max_threads() noexcept nogil
