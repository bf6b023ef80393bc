# malloc and free that tracemalloc sees.
#
# Python's tracemalloc traces what Python and NumPy allocate, not a kernel's
# own malloc.  A buffer whose size grows with n (a kernel cache, a copy of
# the data) is allocated here instead, so that the memory-growth test
# (gdcore/tests/test_memory_growth.py) and a user's tracemalloc see it.
# PyTraceMalloc_Track and _Untrack take the GIL themselves, so these are
# callable from nogil code; with tracemalloc off they return at once.
from libc.stdint cimport uintptr_t
from libc.stdlib cimport free, malloc


cdef extern from "Python.h":
    int PyTraceMalloc_Track(unsigned int domain, uintptr_t ptr, size_t size) nogil
    int PyTraceMalloc_Untrack(unsigned int domain, uintptr_t ptr) nogil


# The tracemalloc domain of gdcore's kernel buffers (any number other than
# Python's 0; tracemalloc's totals count every domain).
cdef enum:
    GDCORE_DOMAIN = 0x6764


cdef inline void* traced_malloc(size_t size) noexcept nogil:
    cdef void* p = malloc(size)
    if p != NULL:
        PyTraceMalloc_Track(GDCORE_DOMAIN, <uintptr_t> p, size)
    return p


cdef inline void traced_free(void* p) noexcept nogil:
    if p != NULL:
        PyTraceMalloc_Untrack(GDCORE_DOMAIN, <uintptr_t> p)
        free(p)
