# A work team where the calling thread never waits for a helper to arrive.
#
# Why not prange.  A solver such as SMO runs thousands of short steps one
# after another (a kernel row: a fraction of a millisecond).  One OpenMP
# region per step ends in a barrier that every thread must reach: on a shared
# machine, a helper descheduled for one time slice stalls the solver for that
# slice, which can make two threads slower than one, and a helper that went
# to sleep costs a futex wake-up, a sizeable part of a step, at the start of
# every step.  `gdcore bench svm` measures the SVC fits this serves.
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
# count, then claim "chunk n_s" of s while the caller was still writing s + 1,
# and a fit could change from run to run.)  The
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
        #define GD_NAP(us) Sleep(1)
    #else
        #include <time.h>
        static void gd_nap(long us) {
            struct timespec ts = {0, us * 1000};
            nanosleep(&ts, NULL);
        }
        #define GD_NAP(us) gd_nap(us)
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
        static void gd_store64(long long* p, long long v) {
            __atomic_store_n(p, v, __ATOMIC_RELEASE);
        }
        static void gd_store32(int* p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
        static int gd_cas64(long long* p, long long* expected, long long desired) {
            return __atomic_compare_exchange_n(p, expected, desired, 0,
                                               __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        }
        static void gd_add32(int* p, int v) { __atomic_fetch_add(p, v, __ATOMIC_RELEASE); }
    #endif

    typedef void (*gd_chunk_fn)(void* ctx, int chunk);

    #ifdef _OPENMP
        #include <omp.h>
        #define GD_NOW() omp_get_wtime()
    #else
        #define GD_NOW() 0.0          /* no helpers without OpenMP */
    #endif

    typedef struct {
        long long claim;      /* job sequence | number of chunks | next chunk */
        int done;             /* chunks of the current job finished */
        /* the caller's own bookkeeping (see gd_team_run) */
        long long chunks, mine;   /* chunks run in this window, and by the caller */
        int jobs, solo_left;
        int stop;
        gd_chunk_fn fn;
        void* ctx;
    } gd_team;

    /* A helper polls (with pauses) for GD_TEAM_SPIN seconds after its last
       chunk, then naps between polls, naps that double from 50 us to 3.2 ms
       while no job comes.  A solver posts a job every few hundred
       microseconds; a napping helper costs the caller nothing but the
       helper's share of the work, while a spinning one takes a core that
       another process may need, and every wake-up from a nap preempts
       someone on a busy machine (20,000 a second at 50 us).  Measured by
       `gdcore bench svm`. */
    #define GD_TEAM_SPIN 200e-6

    /* Every GD_TEAM_WINDOW jobs the caller counts the chunks the helpers
       ran; if they ran fewer than a fifth, it runs the next GD_TEAM_SOLO
       jobs alone, then tries the team again.  On a busy machine a helper
       that shares its core with another process is descheduled for whole
       time slices and takes a core share from the caller, so the caller
       alone is then faster than the team.  The window trades the cost of
       probing the team against the time spent alone when it could help
       again; measured by `gdcore bench svm`. */
    #define GD_TEAM_WINDOW 256
    #define GD_TEAM_SOLO 4096

    static void gd_team_init(gd_team* t) {
        t->claim = 0; t->done = 0; t->stop = 0;
        t->fn = 0; t->ctx = 0;
        t->chunks = 0; t->mine = 0; t->jobs = 0; t->solo_left = 0;
    }

    #define GD_CHUNK_BITS 20
    #define GD_MAX_CHUNKS ((1LL << GD_CHUNK_BITS) - 1)
    #define GD_SEQ_SHIFT (2 * GD_CHUNK_BITS)

    /* Claim and run chunks of the job whose claim word is c; returns how
       many, when none is left to claim. */
    static int gd_team_work(gd_team* t, long long c) {
        int ran = 0;
        for (;;) {
            long long next = c & GD_MAX_CHUNKS;
            if (next >= ((c >> GD_CHUNK_BITS) & GD_MAX_CHUNKS))
                return ran;
            if (gd_cas64(&t->claim, &c, c + 1)) {
                t->fn(t->ctx, (int)next);
                gd_add32(&t->done, 1);
                c = c + 1;
                ran++;
            }
            /* on failure c holds the current claim word: retry with it */
        }
    }

    /* Run fn(ctx, 0..n_chunks-1) on the team; return when all have run. */
    static void gd_team_run(gd_team* t, gd_chunk_fn fn, void* ctx, int n_chunks) {
        long long seq, c;
        int k;
        if (n_chunks > GD_MAX_CHUNKS || t->solo_left > 0) {   /* alone */
            if (t->solo_left > 0)
                t->solo_left--;
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
        t->mine += gd_team_work(t, c);
        t->chunks += n_chunks;
        while (gd_load32(&t->done) < n_chunks)
            GD_PAUSE();
        if (++t->jobs == GD_TEAM_WINDOW) {
            if (5 * (t->chunks - t->mine) < t->chunks)
                t->solo_left = GD_TEAM_SOLO;
            t->chunks = 0; t->mine = 0; t->jobs = 0;
        }
    }

    /* The loop of every helper thread, until gd_team_stop. */
    static void gd_team_help(gd_team* t) {
        long long seen = -1;
        long nap = 50;
        int polls = 0;
        double last = GD_NOW();
        while (!gd_load32(&t->stop)) {
            long long c = gd_load64(&t->claim);
            if ((c >> GD_SEQ_SHIFT) != seen) {
                seen = c >> GD_SEQ_SHIFT;
                gd_team_work(t, c);
                nap = 50;
                last = GD_NOW();
            } else if ((++polls & 63) != 0 || GD_NOW() - last < GD_TEAM_SPIN) {
                GD_PAUSE();
            } else {
                GD_NAP(nap);
                if (nap < 3200)
                    nap *= 2;
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
    int gd_load32(int* p) noexcept nogil
    void gd_store32(int* p, int v) noexcept nogil
    void gd_team_init(gd_team* t) noexcept nogil
    void gd_team_run(gd_team* t, gd_chunk_fn fn, void* ctx, int n_chunks) noexcept nogil
    void gd_team_help(gd_team* t) noexcept nogil
    void gd_team_stop(gd_team* t) noexcept nogil
