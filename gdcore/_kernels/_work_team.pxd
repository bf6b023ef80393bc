# A work team where the calling thread never waits for a helper to arrive.
#
# Why not prange.  A solver such as SMO runs thousands of short steps one
# after another (a kernel row: ~0.3 ms at 16,000 x 50).  One OpenMP region
# per step ends in a barrier that every thread must reach: on a shared
# machine, a helper descheduled for one time slice stalls the solver for that
# slice (SVC fit 20,000 x 50: 4.6 s on one thread, 14.8 s on two at load 3 on
# 2 cores), and a helper that went to sleep costs a futex wake-up (~180 us on
# these VMs) at the start of every step.
#
# Here one OpenMP region spans the whole solve: thread 0 runs the solver and
# the others run gd_team_help until gd_team_stop.  The solver posts a job
# (a function of a chunk index, and a number of chunks), then claims chunks
# itself like any helper.  A helper that is asleep or descheduled simply
# claims nothing: the caller never waits for a thread to arrive, only for a
# chunk a helper has already started (chunks are a few microseconds).  Which
# thread ran a chunk cannot change a result as long as each chunk writes its
# own outputs, so callers fix their chunks from the problem size alone.
#
# The claim word packs the job's sequence number (24 bits), its number of
# chunks and the next unclaimed chunk (20 bits each), so one compare-and-swap
# both checks that a chunk is left and claims it, in the job it read: a
# helper late from job s cannot take a chunk of s + 1, nor one past the end
# of s.  (With the count in a separate word, a helper could read job s + 1's
# count, then claim "chunk n_s" of s while the caller was still writing s + 1;
# SVC fits then differed by a few support vectors from run to run.)  The
# job's fields are written before the claim word is published (release) and
# read after a successful claim (acquire); the caller changes them only after
# every chunk of the job is done.

cdef extern from *:
    """
    #if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
        #include <immintrin.h>
        #define GD_PAUSE() _mm_pause()
    #elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
        #define GD_PAUSE() __asm__ __volatile__("yield")
    #else
        #define GD_PAUSE() ((void)0)
    #endif
    #ifdef _WIN32
        #include <windows.h>
        #define GD_NAP() Sleep(1)
    #else
        #include <time.h>
        static void gd_nap(void) {
            struct timespec ts = {0, 50000};   /* 50 us */
            nanosleep(&ts, NULL);
        }
        #define GD_NAP() gd_nap()
    #endif
    #if defined(_MSC_VER) && !defined(__clang__)
        /* MSVC on x86-64: volatile accesses are acquire loads and release
           stores (/volatile:ms, the default there); interlocked calls are
           full barriers. */
        #include <intrin.h>
        static long long gd_load64(long long* p) { return *(volatile long long*)p; }
        static int gd_load32(int* p) { return *(volatile int*)p; }
        static void gd_store64(long long* p, long long v) { *(volatile long long*)p = v; }
        static void gd_store32(int* p, int v) { *(volatile int*)p = v; }
        static int gd_cas64(long long* p, long long* expected, long long desired) {
            long long old = _InterlockedCompareExchange64(p, desired, *expected);
            if (old == *expected) return 1;
            *expected = old;
            return 0;
        }
        static void gd_add32(int* p, int v) { _InterlockedExchangeAdd((volatile long*)p, v); }
    #else
        static long long gd_load64(long long* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
        static int gd_load32(int* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
        static void gd_store64(long long* p, long long v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
        static void gd_store32(int* p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
        static int gd_cas64(long long* p, long long* expected, long long desired) {
            return __atomic_compare_exchange_n(p, expected, desired, 0,
                                               __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        }
        static void gd_add32(int* p, int v) { __atomic_fetch_add(p, v, __ATOMIC_RELEASE); }
    #endif

    typedef void (*gd_chunk_fn)(void* ctx, int chunk);

    typedef struct {
        long long claim;      /* job sequence | number of chunks | next chunk */
        int done;             /* chunks of the current job finished */
        int stop;
        gd_chunk_fn fn;
        void* ctx;
    } gd_team;

    /* A helper polls with pauses for this many rounds (~1 ms with x86's
       ~140-cycle pause) after its last chunk, then naps 50 us between polls:
       a solver posts a job every few hundred microseconds, and a napping
       helper costs the caller nothing but the helper's share of the work.
       2,000 rounds: 16,000 x 50 SVC fit 1.86 s; 20,000 rounds: 1.75 s. */
    #define GD_TEAM_SPINS 20000

    static void gd_team_init(gd_team* t) {
        t->claim = 0; t->done = 0; t->stop = 0;
        t->fn = 0; t->ctx = 0;
    }

    #define GD_CHUNK_BITS 20
    #define GD_MAX_CHUNKS ((1LL << GD_CHUNK_BITS) - 1)
    #define GD_SEQ_SHIFT (2 * GD_CHUNK_BITS)

    /* Claim and run chunks of the job whose claim word is c; returns when
       none is left to claim. */
    static void gd_team_work(gd_team* t, long long c) {
        for (;;) {
            long long next = c & GD_MAX_CHUNKS;
            if (next >= ((c >> GD_CHUNK_BITS) & GD_MAX_CHUNKS))
                return;
            if (gd_cas64(&t->claim, &c, c + 1)) {
                t->fn(t->ctx, (int)next);
                gd_add32(&t->done, 1);
                c = c + 1;
            }
            /* on failure c holds the current claim word: retry with it */
        }
    }

    /* Run fn(ctx, 0..n_chunks-1) on the team; return when all have run. */
    static void gd_team_run(gd_team* t, gd_chunk_fn fn, void* ctx, int n_chunks) {
        long long seq, c;
        int k;
        if (n_chunks > GD_MAX_CHUNKS) {          /* too many to publish: alone */
            for (k = 0; k < n_chunks; k++)
                fn(ctx, k);
            return;
        }
        seq = ((gd_load64(&t->claim) >> GD_SEQ_SHIFT) + 1) & 0xffffff;
        c = (seq << GD_SEQ_SHIFT) | ((long long)n_chunks << GD_CHUNK_BITS);
        t->fn = fn;
        t->ctx = ctx;
        gd_store32(&t->done, 0);
        gd_store64(&t->claim, c);      /* publishes the job */
        gd_team_work(t, c);
        while (gd_load32(&t->done) < n_chunks)
            GD_PAUSE();
    }

    /* The loop of every helper thread, until gd_team_stop. */
    static void gd_team_help(gd_team* t) {
        long long seen = -1;
        int idle = 0;
        while (!gd_load32(&t->stop)) {
            long long c = gd_load64(&t->claim);
            if ((c >> GD_SEQ_SHIFT) != seen) {
                seen = c >> GD_SEQ_SHIFT;
                gd_team_work(t, c);
                idle = 0;
            } else if (++idle < GD_TEAM_SPINS) {
                GD_PAUSE();
            } else {
                GD_NAP();
            }
        }
    }

    static void gd_team_stop(gd_team* t) {
        gd_store32(&t->stop, 1);
    }
    """
    ctypedef void (*gd_chunk_fn)(void* ctx, int chunk) noexcept nogil
    ctypedef struct gd_team:
        pass
    void gd_team_init(gd_team* t) noexcept nogil
    void gd_team_run(gd_team* t, gd_chunk_fn fn, void* ctx, int n_chunks) noexcept nogil
    void gd_team_help(gd_team* t) noexcept nogil
    void gd_team_stop(gd_team* t) noexcept nogil
