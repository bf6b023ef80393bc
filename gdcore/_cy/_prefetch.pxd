# A software prefetch that compiles everywhere the wheels are built.
#
# GDCORE_PREFETCH(p, locality) asks for the cache line holding p for reading;
# locality is a literal 0-3, __builtin_prefetch's meaning (3: keep in every
# cache level, 0: no temporal locality).  GCC and Clang have
# __builtin_prefetch; MSVC (Windows wheels) does not, but on x86/x64 has
# _mm_prefetch with the matching _MM_HINT_*; anywhere else the hint is
# dropped, which costs speed, never correctness.
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
        #define GDCORE_PREFETCH(p, locality) __builtin_prefetch((p), 0, (locality))
    #elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
        #include <xmmintrin.h>
        #define GDCORE_PREFETCH(p, locality) _mm_prefetch((const char*)(p), \\
            (locality) >= 3 ? _MM_HINT_T0 : (locality) == 2 ? _MM_HINT_T1 : \\
            (locality) == 1 ? _MM_HINT_T2 : _MM_HINT_NTA)
    #else
        #define GDCORE_PREFETCH(p, locality) ((void)(p))
    #endif
    """
    void GDCORE_PREFETCH(const void* p, int locality) noexcept nogil
