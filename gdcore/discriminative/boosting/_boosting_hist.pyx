"""Gradient/hessian histograms of a boosting node (Ke et al. 2017, LightGBM, section 2).

For each feature f and bin b, ``hist[f, b] = (sum of g, sum of h, count)`` over
the node's rows whose code is b: O(rows x features) per node, after which the
split finder scans O(bins) per feature instead of sorting the node.  Codes are
feature-major (d, n) uint8 (``max_bins <= 255``) or uint32, as
``gdcore.discriminative.tree._bins`` writes them.

Layouts of the same sum, chosen by the shape alone (``rowwise``).  Each
adds a bin's sums in the node's row order, so every layout, the NumPy twin
and any number of threads give the same bits; threads own whole features.

- ``build_rowwise``, row-wise on row-major codes (LightGBM's row-wise
  histograms), when the k histograms fit in ROWWISE_MAX_BYTES: a row's
  codes are one contiguous read, its gradient is read once for all of a
  thread's features, and each bin's sums are one vector update into 64-byte
  aligned scratch.
- ``build_root``, a tree's root on every row: the bins' counts are the same
  for every tree, so only the gradient (and hessian) sums are added,
  column-wise over tiles of rows.
- ``build``, column-wise, when the histograms are too large for the row-wise
  layout (many features or bins): each feature's histogram stays in L1
  while its codes are read, in tiles of rows whose gradients (first
  gathered in ``rows`` order, scikit-learn's ordered gradients) stay in
  cache while every feature reads them.

``subtract`` turns the parent's histogram into a child's, parent minus
sibling: the grower builds the smaller child and subtracts, so a split costs
the rows of its smaller side (LightGBM's and scikit-learn's trick).
NumPy twin: ``gdcore/discriminative/boosting/_reference/boosting_hist.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, uint8_t, uint32_t

from gdcore._cy._prefetch cimport GDCORE_PREFETCH

ctypedef fused code_t:
    uint8_t
    uint32_t

cdef enum:
    # Largest set of row-wise histograms (k x B x 2 or 4 doubles):
    # above, their updates miss L2 and the column-wise layout, whose one
    # histogram at a time stays in L1, is faster.  `gdcore bench boosting`
    # (binary 1,000,000 x 40, 255 bins: 164 KiB with a constant hessian,
    # 328 KiB without) is row-wise; 100 features of 255 bins are not.
    ROWWISE_MAX_BYTES = 384 * 1024
    # Rows per tile of the column-wise layout: the tile's gradients and
    # hessians (8 bytes a row in float32) stay in L1/L2 while every feature
    # reads them, instead of streaming from memory once per feature.
    TILE_ROWS = 4096
    # Updates (rows x features) of a node below which one thread builds
    # it: sharing the features wakes a second thread, which costs more than
    # the ~65 microseconds of updates it would take over.  `gdcore bench
    # boosting` (binary 1,000,000 x 40): a tree's smallest nodes.
    MIN_SHARED_UPDATES = 1 << 16
    # Rows ahead whose codes and gradients the row-wise layout prefetches:
    # enough to cover a memory access behind one row's k updates.
    PREFETCH_ROWS = 16


cdef void _feature_hist(const code_t* col, const int32_t* rows, bint all_rows,
                        Py_ssize_t start, Py_ssize_t stop,
                        const floating* g, const floating* h, bint constant_hessian,
                        double* out) noexcept nogil:
    """Add rows[start:stop] (or start:stop itself when all_rows) of one feature
    into out (bins x 3); g and h are indexed by position, not by row."""
    cdef Py_ssize_t i, b
    if all_rows:
        if constant_hessian:
            for i in range(start, stop):
                b = 3 * col[i]
                out[b] += g[i]
                out[b + 2] += 1.0
        else:
            for i in range(start, stop):
                b = 3 * col[i]
                out[b] += g[i]
                out[b + 1] += h[i]
                out[b + 2] += 1.0
    else:
        if constant_hessian:
            for i in range(start, stop):
                b = 3 * col[rows[i]]
                out[b] += g[i]
                out[b + 2] += 1.0
        else:
            for i in range(start, stop):
                b = 3 * col[rows[i]]
                out[b] += g[i]
                out[b + 1] += h[i]
                out[b + 2] += 1.0


def build(
    const code_t[:, ::1] codes,        # IN (d, n) bin codes, feature-major
    const int32_t[::1] rows,           # IN (m,) the node's rows
    bint all_rows,                     # rows is 0..n-1 in order (the root)
    const floating[::1] gradients,     # IN (n,)
    const floating[::1] hessians,      # IN (n,) ignored when constant_hessian
    bint constant_hessian,             # hessians all 1: their sum is the count
    const int32_t[::1] features,       # IN (k,) features to build
    floating[::1] ordered_g,           # TMP (m,)
    floating[::1] ordered_h,           # TMP (m,)
    double[:, :, ::1] hist,            # OUT (d, B, 3) rows `features` written
    int n_threads,
):
    """Histograms of the node's rows for the given features, column-wise.

    Only ``hist[features]`` is written; the hessian column is 0 when
    ``constant_hessian``.
    """
    cdef Py_ssize_t m = rows.shape[0], k = features.shape[0], B = hist.shape[1]
    cdef Py_ssize_t i, j, f, t, start, stop, team, n_teams
    cdef const floating* g = &gradients[0] if gradients.shape[0] else NULL
    cdef const floating* h = &hessians[0] if hessians.shape[0] else NULL
    if k == 0 or m == 0:
        for j in range(k):
            hist[features[j], :, :] = 0.0
        return
    with nogil:
        for j in range(k):
            f = features[j]
            for i in range(3 * B):
                (&hist[f, 0, 0])[i] = 0.0
        if not all_rows:
            for i in prange(m, schedule="static", num_threads=n_threads):
                ordered_g[i] = g[rows[i]]
                if not constant_hessian:
                    ordered_h[i] = h[rows[i]]
            g = &ordered_g[0]
            h = &ordered_h[0]
        # each thread owns a fixed range of features and walks the tiles of
        # rows, all its features per tile: a tile's gradients stay in L1/L2
        # while its features read them, and no thread waits for another
        # between tiles
        n_teams = max(1, min(<Py_ssize_t> n_threads, k))
        for team in prange(n_teams, schedule="static", num_threads=n_teams):
            for t in range((m + TILE_ROWS - 1) // TILE_ROWS):
                start = t * TILE_ROWS
                stop = min(start + TILE_ROWS, m)
                for j in range(team * k // n_teams, (team + 1) * k // n_teams):
                    _feature_hist(&codes[features[j], 0], &rows[0], all_rows, start, stop,
                                  g, h, constant_hessian, &hist[features[j], 0, 0])


cdef extern from *:
    """
    /* out[0] += a; out[1] += b as one 16-byte read-modify-write (SSE2, the
       x86-64 baseline; NEON on arm64): the row-wise histograms are bound by
       their updates, and a bin's pair of sums is one update instead of two.
       Both halves are exact IEEE additions, the same bits as the scalar
       code that MSVC gets. */
    #if defined(__GNUC__) || defined(__clang__)
    typedef double gd_hist_pair __attribute__((vector_size(16), aligned(8), may_alias));
    static inline void gd_hist_add2(double* out, double a, double b) {
        gd_hist_pair v = {a, b};
        *(gd_hist_pair*) out += v;
    }
    /* out[0:2] += src[0:2], the pair already in doubles */
    static inline void gd_hist_add_pair(double* out, const double* src) {
        *(gd_hist_pair*) out += *(const gd_hist_pair*) src;
    }
    #else
    static inline void gd_hist_add2(double* out, double a, double b) {
        out[0] += a;
        out[1] += b;
    }
    static inline void gd_hist_add_pair(double* out, const double* src) {
        out[0] += src[0];
        out[1] += src[1];
    }
    #endif
    """
    void gd_hist_add2(double* out, double a, double b) noexcept nogil
    void gd_hist_add_pair(double* out, const double* src) noexcept nogil


cdef extern from *:
    """
    /* Rows start..stop-1 (rows[i], or i itself when rows is NULL) added into
       k histograms of (g, h, count, unused) quads, stride doubles apart: one
       32-byte read-modify-write a feature, which the x86-64-v3 clone (AVX2,
       picked by the loader where the CPU has it) does in one instruction and
       the baseline in two.  Every lane is an exact IEEE addition (the unused
       lane adds 0), so each clone and the scalar code MSVC gets give the
       same bits.  One function per (code, gradient) type pair. */
    /* target_clones needs the loader's ifunc: glibc on Linux (not musl). */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define GD_HIST_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
    #else
    #define GD_HIST_CLONES
    #endif
    #if defined(__GNUC__) || defined(__clang__)
    typedef double gd_hist_quad __attribute__((vector_size(32), aligned(8), may_alias));
    #define GD_HIST_ROW(gi, hi) const gd_hist_quad gd_v = {(gi), (hi), 1.0, 0.0}
    #define GD_HIST_ADD(p) (*(gd_hist_quad*) (p) += gd_v)
    #define GD_HIST_PREFETCH(p) __builtin_prefetch((p), 0, 3)
    #else
    #define GD_HIST_ROW(gi, hi) const double gd_g = (gi), gd_h = (hi)
    #define GD_HIST_ADD(p) ((p)[0] += gd_g, (p)[1] += gd_h, (p)[2] += 1.0)
    #define GD_HIST_PREFETCH(p) ((void) (p))
    #endif
    /* rows ahead whose codes and gradients are prefetched: a node's rows are
       scattered, and a later row's lines arrive while this row is added */
    #define GD_HIST_AHEAD 16
    #define GD_HIST_ROWS_FULL(NAME, CODE_T, FLOAT_T)                               \
        GD_HIST_CLONES                                                             \
        static void NAME(const CODE_T* codes, long d, const int32_t* rows,         \
                         long start, long stop, const FLOAT_T* g, const FLOAT_T* h, \
                         const int32_t* features, int dense, long k, long stride,  \
                         double* out) {                                            \
            for (long i = start; i < stop; i++) {                                  \
                long r = i;                                                        \
                if (rows) {                                                        \
                    r = rows[i];                                                   \
                    if (i + GD_HIST_AHEAD < stop) {                                \
                        long a = rows[i + GD_HIST_AHEAD];                          \
                        GD_HIST_PREFETCH(codes + a * d);                           \
                        GD_HIST_PREFETCH(codes + a * d + d - 1);                   \
                        GD_HIST_PREFETCH(g + a);                                   \
                        GD_HIST_PREFETCH(h + a);                                   \
                    }                                                              \
                }                                                                  \
                const CODE_T* x = codes + r * d;                                   \
                double* o = out;                                                   \
                GD_HIST_ROW((double) g[r], (double) h[r]);                         \
                if (dense) {                                                       \
                    for (long j = 0; j < k; j++, o += stride)                      \
                        GD_HIST_ADD(o + 4 * (long) x[j]);                          \
                } else {                                                           \
                    for (long j = 0; j < k; j++, o += stride)                      \
                        GD_HIST_ADD(o + 4 * (long) x[features[j]]);                \
                }                                                                  \
            }                                                                      \
        }
    GD_HIST_ROWS_FULL(gd_hist_rows_u8_f, uint8_t, float)
    GD_HIST_ROWS_FULL(gd_hist_rows_u8_d, uint8_t, double)
    GD_HIST_ROWS_FULL(gd_hist_rows_u32_f, uint32_t, float)
    GD_HIST_ROWS_FULL(gd_hist_rows_u32_d, uint32_t, double)
    """
    void gd_hist_rows_u8_f(const uint8_t* codes, long d, const int32_t* rows, long start,
                           long stop, const float* g, const float* h,
                           const int32_t* features, int dense, long k, long stride,
                           double* out) noexcept nogil
    void gd_hist_rows_u8_d(const uint8_t* codes, long d, const int32_t* rows, long start,
                           long stop, const double* g, const double* h,
                           const int32_t* features, int dense, long k, long stride,
                           double* out) noexcept nogil
    void gd_hist_rows_u32_f(const uint32_t* codes, long d, const int32_t* rows, long start,
                            long stop, const float* g, const float* h,
                            const int32_t* features, int dense, long k, long stride,
                            double* out) noexcept nogil
    void gd_hist_rows_u32_d(const uint32_t* codes, long d, const int32_t* rows, long start,
                            long stop, const double* g, const double* h,
                            const int32_t* features, int dense, long k, long stride,
                            double* out) noexcept nogil


cdef inline void _row_const(const code_t* x, const int32_t* features, bint dense,
                            Py_ssize_t k, Py_ssize_t stride, double gi,
                            double* out) noexcept nogil:
    """Add one row's gradient into k histograms of (g, count) pairs, stride apart."""
    cdef Py_ssize_t j
    if dense:
        for j in range(k):
            gd_hist_add2(out + 2 * x[j], gi, 1.0)
            out += stride
    else:
        for j in range(k):
            gd_hist_add2(out + 2 * x[features[j]], gi, 1.0)
            out += stride


cdef void _rows_hist(const code_t* codes, Py_ssize_t d, const int32_t* rows, bint all_rows,
                     Py_ssize_t start, Py_ssize_t stop, const floating* g, const floating* h,
                     bint constant_hessian, const int32_t* features, bint dense,
                     Py_ssize_t k, Py_ssize_t B, double* out) noexcept nogil:
    """Add positions start:stop into out, reading each row's codes (row-major,
    contiguous) once for all k features; g and h are indexed by row.

    out is (k, B, 2) of (g, count) when constant_hessian (the hessian sum
    is the count), else (k, B, 4) of (g, h, count, unused): each bin's sums
    are added in one update (``gd_hist_add2``, ``GD_HIST_ROWS_FULL``).
    """
    cdef Py_ssize_t i, r, ahead
    cdef const int32_t* which = rows
    if all_rows:
        which = NULL
    if not constant_hessian:
        if code_t is uint8_t and floating is float:
            gd_hist_rows_u8_f(codes, d, which, start, stop, g, h, features, dense, k, 4 * B, out)
        elif code_t is uint8_t:
            gd_hist_rows_u8_d(codes, d, which, start, stop, g, h, features, dense, k, 4 * B, out)
        elif floating is float:
            gd_hist_rows_u32_f(codes, d, which, start, stop, g, h, features, dense, k, 4 * B,
                               out)
        else:
            gd_hist_rows_u32_d(codes, d, which, start, stop, g, h, features, dense, k, 4 * B,
                               out)
        return
    for i in range(start, stop):
        if all_rows:
            r = i
        else:
            r = rows[i]
            if i + PREFETCH_ROWS < stop:
                # a node's rows are scattered: ask for a later row's codes and
                # gradient now, so they arrive while this row is added
                ahead = rows[i + PREFETCH_ROWS]
                GDCORE_PREFETCH(codes + ahead * d, 3)
                GDCORE_PREFETCH(codes + ahead * d + d - 1, 3)
                GDCORE_PREFETCH(g + ahead, 3)
        _row_const(codes + r * d, features, dense, k, 2 * B, g[r], out)


cdef inline double* _aligned(double* p) noexcept nogil:
    """The first 64-byte boundary at or after p (p is 8-byte aligned): a bin's
    sums then never straddle two cache lines."""
    return p + ((64 - <size_t> p % 64) % 64) // 8


cdef inline int _team(Py_ssize_t m, Py_ssize_t k, int n_threads) noexcept nogil:
    """Threads sharing a node's k features: one below MIN_SHARED_UPDATES."""
    if m * k < MIN_SHARED_UPDATES:
        return 1
    return <int> max(1, min(<Py_ssize_t> n_threads, k))


def build_rowwise(
    const code_t[:, ::1] codes,        # IN (n, d) bin codes, row-major
    const int32_t[::1] rows,           # IN (m,) the node's rows
    bint all_rows,                     # rows is 0..n-1 in order (the root)
    const floating[::1] gradients,     # IN (n,)
    const floating[::1] hessians,      # IN (n,) ignored when constant_hessian
    bint constant_hessian,
    const int32_t[::1] features,       # IN (k,) features to build
    double[::1] scratch,               # TMP (>= k * B * 4 + 8,)
    double[:, :, ::1] hist,            # OUT (d, B, 3) rows `features` written
    int n_threads,
):
    """Histograms of the node's rows, row-wise: ``build``'s result from row-major codes.

    Each thread owns a contiguous share of the features and reads every row
    of the node in order, adding into its own share of ``scratch``; a
    bin's sums therefore run in row order on any number of threads (the same
    bits as ``build`` and the NumPy twin).  A row's codes are one contiguous
    read where the column-wise layout touches one cache line per feature,
    which is what nodes with scattered rows pay for.  Gradients are read at
    the rows themselves (prefetched ahead), without an ordered copy.
    """
    cdef Py_ssize_t m = rows.shape[0], k = features.shape[0], B = hist.shape[1]
    cdef Py_ssize_t d = codes.shape[1], j, j0, j1, b, f, i
    cdef int team, n_teams
    cdef Py_ssize_t width = 2 if constant_hessian else 4
    cdef const floating* g = &gradients[0] if gradients.shape[0] else NULL
    cdef const floating* h = &hessians[0] if hessians.shape[0] else NULL
    cdef const double* p
    cdef double* part
    cdef bint dense = k == d
    if k == 0:
        return
    if scratch.shape[0] < k * B * 4 + 8:
        raise ValueError("scratch is too small for this node's histograms.")
    for j in range(k):
        dense = dense and features[j] == j
    n_teams = _team(m, k, n_threads)
    with nogil:
        for team in prange(n_teams, schedule="static", num_threads=n_teams):
            j0 = team * k // n_teams
            j1 = (team + 1) * k // n_teams
            part = _aligned(&scratch[0]) + j0 * B * width
            for i in range((j1 - j0) * B * width):
                part[i] = 0.0
            if m:
                # dense: the share's codes start j0 bytes into each row
                _rows_hist(&codes[0, j0 if dense else 0], d, &rows[0], all_rows, 0, m, g, h,
                           constant_hessian, &features[j0], dense, j1 - j0, B, part)
            for j in range(j0, j1):
                f = features[j]
                for b in range(B):
                    p = part + ((j - j0) * B + b) * width
                    hist[f, b, 0] = p[0]
                    if constant_hessian:
                        hist[f, b, 1] = 0.0
                        hist[f, b, 2] = p[1]
                    else:
                        hist[f, b, 1] = p[1]
                        hist[f, b, 2] = p[2]


cdef inline void _root_four(const code_t* c0, const code_t* c1, const code_t* c2,
                            const code_t* c3, Py_ssize_t m, const double* gh,
                            bint constant_hessian, double* o0, double* o1, double* o2,
                            double* o3) noexcept nogil:
    """Add m rows of four features (codes c0..c3) into their histograms o0..o3.

    A row's gradient (and hessian) is read once for the four updates: the
    root is bound by its loads, and a feature at a time reads the pair once
    an update.  Each histogram still adds its rows in order.
    """
    cdef Py_ssize_t i
    cdef double a, b
    if constant_hessian:
        for i in range(m):
            a = gh[i]
            o0[c0[i]] += a
            o1[c1[i]] += a
            o2[c2[i]] += a
            o3[c3[i]] += a
    else:
        for i in range(m):
            a = gh[2 * i]
            b = gh[2 * i + 1]
            gd_hist_add2(o0 + 2 * c0[i], a, b)
            gd_hist_add2(o1 + 2 * c1[i], a, b)
            gd_hist_add2(o2 + 2 * c2[i], a, b)
            gd_hist_add2(o3 + 2 * c3[i], a, b)


cdef void _root_share(const code_t* codes, Py_ssize_t n, const int32_t* features,
                      Py_ssize_t k, const floating* g, const floating* h,
                      bint constant_hessian, Py_ssize_t B, double* part) noexcept nogil:
    """Add every row into k features' histograms (part: k x B x 1 or 2), a tile at a time.

    A tile's gradients (and hessians) are converted to doubles once, into
    this call's own buffer, for all k features to read, four features at a
    time (``_root_four``): an update is then a code and the histogram's
    read-modify-write, with no conversion and a quarter of a pair's load.
    """
    cdef double gh[2 * TILE_ROWS]
    cdef Py_ssize_t t, i, j, start, m, width = 1 if constant_hessian else 2
    cdef const code_t* col
    cdef double* out
    for t in range((n + TILE_ROWS - 1) // TILE_ROWS):
        start = t * TILE_ROWS
        m = min(TILE_ROWS, n - start)
        if constant_hessian:
            for i in range(m):
                gh[i] = g[start + i]
        else:
            for i in range(m):
                gh[2 * i] = g[start + i]
                gh[2 * i + 1] = h[start + i]
        j = 0
        while j + 4 <= k:
            _root_four(codes + features[j] * n + start, codes + features[j + 1] * n + start,
                       codes + features[j + 2] * n + start, codes + features[j + 3] * n + start,
                       m, gh, constant_hessian, part + j * B * width,
                       part + (j + 1) * B * width, part + (j + 2) * B * width,
                       part + (j + 3) * B * width)
            j += 4
        for j in range(j, k):
            col = codes + features[j] * n + start
            out = part + j * B * width
            if constant_hessian:
                for i in range(m):
                    out[col[i]] += gh[i]
            else:
                for i in range(m):
                    gd_hist_add_pair(out + 2 * col[i], gh + 2 * i)


def build_root(
    const code_t[:, ::1] codes,        # IN (d, n) bin codes, feature-major
    const floating[::1] gradients,     # IN (n,)
    const floating[::1] hessians,      # IN (n,) ignored when constant_hessian
    bint constant_hessian,
    const int32_t[::1] features,       # IN (k,) features to build
    const double[:, ::1] counts,       # IN (d, B) rows per bin (every row: fixed per fit)
    double[::1] scratch,               # TMP (>= k * B * 2 + 8,)
    double[:, :, ::1] hist,            # OUT (d, B, 3) rows `features` written
    int n_threads,
):
    """Histograms of every row (a tree's root), its counts given: ``build``'s result.

    Every tree's root counts the same rows, so only the gradient sums (and
    hessian sums) are added: one 16-byte update a row and feature (8 bytes
    with a constant hessian) instead of ``build_rowwise``'s 32.  Column-wise:
    each thread owns a contiguous share of the features and walks tiles of
    TILE_ROWS rows, whose gradients stay in cache while its features read
    them; a bin's sums run in row order, the same bits as the other layouts.
    """
    cdef Py_ssize_t n = codes.shape[1], k = features.shape[0], B = hist.shape[1]
    cdef Py_ssize_t j, j0, j1, b, f, i
    cdef int team, n_teams
    cdef Py_ssize_t width = 1 if constant_hessian else 2
    cdef const floating* g = &gradients[0] if gradients.shape[0] else NULL
    cdef const floating* h = &hessians[0] if hessians.shape[0] else NULL
    cdef double* part
    cdef double* out
    if k == 0:
        return
    if scratch.shape[0] < k * B * 2 + 8:
        raise ValueError("scratch is too small for this node's histograms.")
    n_teams = _team(n, k, n_threads)
    with nogil:
        for team in prange(n_teams, schedule="static", num_threads=n_teams):
            j0 = team * k // n_teams
            j1 = (team + 1) * k // n_teams
            part = _aligned(&scratch[0]) + j0 * B * 2
            for i in range((j1 - j0) * B * width):
                part[i] = 0.0
            _root_share(&codes[0, 0], n, &features[j0], j1 - j0, g, h, constant_hessian, B,
                        part)
            for j in range(j0, j1):
                f = features[j]
                out = part + (j - j0) * B * width
                for b in range(B):
                    hist[f, b, 0] = out[b * width]
                    hist[f, b, 1] = 0.0 if constant_hessian else out[2 * b + 1]
                    hist[f, b, 2] = counts[f, b]


cpdef bint rowwise(Py_ssize_t k, Py_ssize_t B, bint constant_hessian) noexcept nogil:
    """Whether k features of B bins take ``build_rowwise`` (else ``build``)."""
    return k * B * (2 if constant_hessian else 4) * sizeof(double) <= ROWWISE_MAX_BYTES


def subtract(
    double[:, :, ::1] parent,          # IN/OUT (d, B, 3) rows `features`: become the sibling's
    const double[:, :, ::1] child,     # IN (d, B, 3)
    const int32_t[::1] features,       # IN (k,)
    int n_threads,
):
    """The sibling's histograms, in place of the parent's: parent - child, for the features.

    In place, because the grower drops the parent's histograms after the
    split: the sibling's lines are then the parent's, already in cache,
    instead of a third array to bring in.
    """
    cdef Py_ssize_t j, i, f, k = features.shape[0], size = 3 * parent.shape[1]
    cdef int team = _team(k, size, n_threads)
    with nogil:
        for j in prange(k, schedule="static", num_threads=team):
            f = features[j]
            for i in range(size):
                (&parent[f, 0, 0])[i] = (&parent[f, 0, 0])[i] - (&child[f, 0, 0])[i]
