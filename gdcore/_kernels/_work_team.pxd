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
# The claim word packs the job's sequence number (high 32 bits) with the next
# unclaimed chunk (low 32 bits), so a compare-and-swap can only claim a chunk
# of the job it read: a helper late from job s cannot take a chunk of s + 1.
# The job's fields are written before the claim word is published (release)
# and read after a successful claim (acquire); the caller changes them only
# after every chunk of the job is done.

cdef extern from *:
    """
    #if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
        #include <immintrin.h>
        #define GD_PAUSE() _mm_pause()
    #else
        #define GD_PAUSE() ((void)0)
    #endif
    #ifdef _WIN32
        #include <windows.h>
        #define GD_NAP() Sleep(0)
    #else
        #include <time.h>
        static void gd_nap(void) {
            struct timespec ts = {0, 50000};   /* 50 us */
            nanosleep(&ts, NULL);
        }
        #define GD_NAP() gd_nap()
    #endif
    #if defined(_MSC_VER) && !defined(__clang__)
        #error "gdcore's work team needs GCC or Clang atomics"
    #endif

    typedef void (*gd_chunk_fn)(void* ctx, int chunk);

    typedef struct {
        long long claim;      /* (job sequence << 32) | next chunk to claim */
        int done;             /* chunks of the current job finished */
        int n_chunks;
        int stop;
        gd_chunk_fn fn;
        void* ctx;
    } gd_team;

    /* A helper polls with pauses for about this many rounds (~0.1-0.3 ms)
       after its last chunk, then naps 50 us between polls: a solver posts a
       job every few hundred microseconds, and a napping helper costs the
       caller nothing but the helper's share of the work. */
    #define GD_TEAM_SPINS 20000

    static void gd_team_init(gd_team* t) {
        t->claim = 0; t->done = 0; t->n_chunks = 0; t->stop = 0;
        t->fn = 0; t->ctx = 0;
    }

    /* Claim and run chunks of the job whose claim word is c; returns when
       none is left to claim. */
    static void gd_team_work(gd_team* t, long long c) {
        for (;;) {
            int next = (int)(c & 0xffffffffLL);
            if (next >= __atomic_load_n(&t->n_chunks, __ATOMIC_ACQUIRE))
                return;
            if (__atomic_compare_exchange_n(&t->claim, &c, c + 1, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                t->fn(t->ctx, next);
                __atomic_fetch_add(&t->done, 1, __ATOMIC_RELEASE);
                c = c + 1;
            }
            /* on failure c holds the current claim word: retry with it */
        }
    }

    /* Run fn(ctx, 0..n_chunks-1) on the team; return when all have run. */
    static void gd_team_run(gd_team* t, gd_chunk_fn fn, void* ctx, int n_chunks) {
        long long seq = (__atomic_load_n(&t->claim, __ATOMIC_RELAXED) >> 32) + 1;
        long long c = seq << 32;
        t->fn = fn;
        t->ctx = ctx;
        __atomic_store_n(&t->done, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&t->n_chunks, n_chunks, __ATOMIC_RELAXED);
        __atomic_store_n(&t->claim, c, __ATOMIC_RELEASE);
        gd_team_work(t, c);
        while (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) < n_chunks)
            GD_PAUSE();
    }

    /* The loop of every helper thread, until gd_team_stop. */
    static void gd_team_help(gd_team* t) {
        long long seen = -1;
        int idle = 0;
        while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
            long long c = __atomic_load_n(&t->claim, __ATOMIC_ACQUIRE);
            if ((c >> 32) != seen) {
                seen = c >> 32;
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
        __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
    }
    """
    ctypedef void (*gd_chunk_fn)(void* ctx, int chunk) noexcept nogil
    ctypedef struct gd_team:
        pass
    void gd_team_init(gd_team* t) noexcept nogil
    void gd_team_run(gd_team* t, gd_chunk_fn fn, void* ctx, int n_chunks) noexcept nogil
    void gd_team_help(gd_team* t) noexcept nogil
    void gd_team_stop(gd_team* t) noexcept nogil
