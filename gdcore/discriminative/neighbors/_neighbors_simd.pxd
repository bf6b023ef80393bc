# The two innermost loops of the gemm-metric search (``_neighbors.pyx``),
# written in C so that each has AVX-512 and AVX2 (with FMA) clones that the
# loader picks where the CPU has them: the build targets baseline x86-64
# (four floats a vector), and at small d these loops, not the products, are
# the search (measured by `gdcore bench neighbors`, kneighbors k=10 at d=8).
#
# gd_knn_dots4_f: four queries' dot products with GD_KNN_COLS database rows
# of a packed tile (d x GD_KNN_COLS values, contiguous), 4 x 64 sums held in
# registers (16 AVX-512 vectors) while the d terms accumulate: each load of
# the tile feeds four FMAs; the hit chunks (below) of the four are found in
# the same pass.  For d up to FUSED_D this replaces the sgemm
# call: its packing, the zeroing of C and the trip of the product tile
# through L2 cost more than the products when d is small.
#
# gd_knn_hit_chunks_*: which chunks of GD_KNN_CHUNK values hn_j - row_j of a
# tile row pass the query's threshold (bit c for values 32c .. 32c + 31).
# Past the first tiles most chunks have none, and the branchy admission scan
# (_scan_row) visits only the flagged ones.  NaN (the excluded self) never
# passes.
#
# The clones round differently (FMA or not): the values only rank
# candidates, and every answer is verified in double afterwards, so the
# result does not depend on which clone runs.  Loop indices are long: with
# Python's -fwrapv an int index may wrap, and gcc then vectorizes nothing.
cdef extern from *:
    """
    /* target_clones needs the loader's ifunc: glibc on Linux (not musl). */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define GD_KNN_CLONES \\
        __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
    #else
    #define GD_KNN_CLONES
    #endif
    #define GD_KNN_COLS 64
    #define GD_KNN_CHUNK 32
    typedef unsigned long long gd_knn_mask_t;

    /* Position of the lowest set bit of m != 0. */
    static inline long gd_knn_lowest_bit(gd_knn_mask_t m) {
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_ctzll(m);
    #else
        long b = 0;
        while (!(m & 1)) { m >>= 1; b++; }
        return b;
    #endif
    }

    /* out[r * 64 + j] = x_r . Yt[:, j] for r < 4, j < 64; Yt is d x 64
       (row l at Yt + 64 l), x_r = X + r * d.  Returns the hit chunks: bit
       2 r + h when some hn[j] - out[r * 64 + j] < thr[r], 32 h <= j < 32 h + 32
       (hn holds 64 values; +inf where a column is padding).  GCC's vector
       extension types compile to the widest vectors of each clone (and to
       SSE in the baseline); MSVC gets the plain loops. */
    #if defined(__GNUC__) || defined(__clang__)
    typedef float gd_v16f __attribute__((vector_size(64), aligned(4)));

    GD_KNN_CLONES
    static gd_knn_mask_t gd_knn_dots4_f(const float* X, long d, const float* Yt,
                                        const float* hn, const float* thr, float* out) {
        gd_v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0},
                b3 = {0}, c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0}, e0 = {0}, e1 = {0},
                e2 = {0}, e3 = {0};
        const float* x0 = X;
        const float* x1 = X + d;
        const float* x2 = X + 2 * d;
        const float* x3 = X + 3 * d;
        for (long l = 0; l < d; l++) {
            const gd_v16f* y = (const gd_v16f*) (Yt + l * GD_KNN_COLS);
            const gd_v16f y0 = y[0], y1 = y[1], y2 = y[2], y3 = y[3];
            const float s0 = x0[l], s1 = x1[l], s2 = x2[l], s3 = x3[l];
            a0 += s0 * y0; a1 += s0 * y1; a2 += s0 * y2; a3 += s0 * y3;
            b0 += s1 * y0; b1 += s1 * y1; b2 += s1 * y2; b3 += s1 * y3;
            c0 += s2 * y0; c1 += s2 * y1; c2 += s2 * y2; c3 += s2 * y3;
            e0 += s3 * y0; e1 += s3 * y1; e2 += s3 * y2; e3 += s3 * y3;
        }
        gd_v16f* o = (gd_v16f*) out;
        o[0] = a0; o[1] = a1; o[2] = a2; o[3] = a3;
        o[4] = b0; o[5] = b1; o[6] = b2; o[7] = b3;
        o[8] = c0; o[9] = c1; o[10] = c2; o[11] = c3;
        o[12] = e0; o[13] = e1; o[14] = e2; o[15] = e3;
        /* The hit chunks from the stored sums (L1): a comparison of the
           vectors themselves makes gcc test them lane by lane. */
        gd_knn_mask_t mask = 0;
        for (long c = 0; c < 8; c++) {   /* chunk c: query c / 2, half c % 2 */
            const float* row = out + c * GD_KNN_CHUNK;
            const float* hc = hn + (c % 2) * GD_KNN_CHUNK;
            const float t = thr[c / 2];
            int hit = 0;
            for (long j = 0; j < GD_KNN_CHUNK; j++) hit |= (hc[j] - row[j] < t);
            mask |= (gd_knn_mask_t) hit << c;
        }
        return mask;
    }
    #else
    static gd_knn_mask_t gd_knn_dots4_f(const float* X, long d, const float* Yt,
                                        const float* hn, const float* thr, float* out) {
        gd_knn_mask_t mask = 0;
        for (long r = 0; r < 4; r++) {
            for (long j = 0; j < GD_KNN_COLS; j++) {
                float acc = 0.0f;
                for (long l = 0; l < d; l++) acc += X[r * d + l] * Yt[l * GD_KNN_COLS + j];
                out[r * GD_KNN_COLS + j] = acc;
                mask |= (gd_knn_mask_t) (hn[j] - acc < thr[r]) << (2 * r + j / GD_KNN_CHUNK);
            }
        }
        return mask;
    }
    #endif

    /* The hit chunks of row[0:n] (n <= 2048), the last one possibly short. */
    #define GD_KNN_HIT_CHUNKS(NAME, T) \\
        GD_KNN_CLONES \\
        static gd_knn_mask_t NAME(const T* row, const T* hn, T thr, long n) { \\
            gd_knn_mask_t mask = 0; \\
            long c = 0; \\
            int hit; \\
            for (; c + GD_KNN_CHUNK <= n; c += GD_KNN_CHUNK) { \\
                hit = 0; \\
                for (long j = c; j < c + GD_KNN_CHUNK; j++) hit |= (hn[j] - row[j] < thr); \\
                mask |= (gd_knn_mask_t) hit << (c / GD_KNN_CHUNK); \\
            } \\
            hit = 0; \\
            for (long j = c; j < n; j++) hit |= (hn[j] - row[j] < thr); \\
            return mask | ((gd_knn_mask_t) hit << (c / GD_KNN_CHUNK)); \\
        }
    GD_KNN_HIT_CHUNKS(gd_knn_hit_chunks_f, float)
    GD_KNN_HIT_CHUNKS(gd_knn_hit_chunks_d, double)
    """
    enum: GD_KNN_COLS
    enum: GD_KNN_CHUNK
    ctypedef unsigned long long gd_knn_mask_t
    long gd_knn_lowest_bit(gd_knn_mask_t m) noexcept nogil
    gd_knn_mask_t gd_knn_dots4_f(const float* X, long d, const float* Yt, const float* hn,
                                 const float* thr, float* out) noexcept nogil
    gd_knn_mask_t gd_knn_hit_chunks_f(const float* row, const float* hn, float thr,
                                      long n) noexcept nogil
    gd_knn_mask_t gd_knn_hit_chunks_d(const double* row, const double* hn, double thr,
                                      long n) noexcept nogil
