# The gemm-metric search's integer product (``_neighbors.pyx``, PRODUCT_INT16):
# dot products of rows quantized to 16-bit integers, by AVX-512 VNNI
# (``vpdpwssd``: 16 lanes x 2 products per instruction, exact in int32), twice
# the multiply-adds per instruction of float32 FMA at the same throughput.
# The products only rank candidates: their error is bounded (_int16_error,
# below) and every answer is verified in double as for float32 tiles.
#
# A row x (float32 operand) is stored as x ~ s * a, a = rint(x / s) in
# [-levels, levels], s = max |x_i| / levels (_scale_of, below): one
# scale per row, so the error |x_i - s a_i| <= s / 2 (plus float rounding of
# x / s) follows the row's own magnitude.  levels is chosen by the caller so
# that no int32 sum can wrap (2 * pairs * levels^2 < 2^31).
#
# gd_knn_dots8_i16: 8 queries x GD_KNN_I16_COLS (32) database rows of a packed
# group (pairs of int16 per dword: the group is dp2 x 32 dwords, dword
# (l, r) = row r's values 2l and 2l + 1), 16 int32 accumulators in registers,
# each load of the group feeding 8 vpdpwssd.  The sums are turned into
# s_x s_y a.b in float, stored (8 x 32) and tested against the queries'
# thresholds as gd_knn_dots4_f does (bit r: query r has a hit).
#
# Why 16-bit integers rather than bf16 (AVX-512 BF16 or AMX): a float32 value
# needs two bf16 halves and three products per term to rank well (bf16x3),
# where one int16 per value, scaled per row, ranks well enough within a
# wider bound; and vpdpwssd needs nothing from the OS beyond AVX-512, where
# AMX tiles need the kernel to grant their state (which virtual machines may
# not do even where the CPU has them).
#
# Compiled for AVX-512 VNNI through target attributes, on GCC or clang for
# x86-64 only; the caller asks gd_knn_i16_ready() first (elsewhere it is 0 and
# the functions are empty stubs, never called).
from cython cimport floating
from libc.math cimport fabs, floor, sqrt
from libc.stdint cimport int32_t

from gdcore.discriminative.neighbors._neighbors_exact cimport COSINE
from gdcore.discriminative.neighbors._neighbors_select cimport gemm_t
from gdcore.discriminative.neighbors._neighbors_simd cimport gd_knn_mask_t


cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #define GD_KNN_I16_COLS 32
    #define GD_KNN_I16_QUERIES 8
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #include <immintrin.h>
    #define GD_KNN_I16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

    static int gd_knn_i16_ready(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    }

    /* out (dp2 dwords: 2 dp2 int16) = rint(x[0:d] * inv), zeros past d. */
    GD_KNN_I16_TARGET
    static void gd_knn_i16_pairs(const float* x, long d, float inv, int32_t* out, long dp2) {
        int16_t* o = (int16_t*) out;
        const __m512 s = _mm512_set1_ps(inv);
        for (long f = 0; f < 2 * dp2; f += 16) {
            long left = d - f, room = 2 * dp2 - f;
            __mmask16 m = left >= 16 ? 0xffff : left <= 0 ? 0 : (__mmask16) ((1u << left) - 1);
            __mmask16 w = room >= 16 ? 0xffff : (__mmask16) ((1u << room) - 1);
            __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + f), s);
            __m512i q = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm256_mask_storeu_epi16(o + f, w, _mm512_cvtsepi32_epi16(q));
        }
    }

    /* The group of rows y[0:n] (n <= 32, row stride ldy) packed as dp2 x 32
       dwords; rows n..31 zero.  inv[r] is row r's 1 / scale. */
    GD_KNN_I16_TARGET
    static void gd_knn_i16_pack(const float* y, long ldy, long n, long d, const float* inv,
                                long dp2, int32_t* tmp, int32_t* out) {
        for (long r = 0; r < GD_KNN_I16_COLS; r++) {
            if (r < n) gd_knn_i16_pairs(y + r * ldy, d, inv[r], tmp, dp2);
            else memset(tmp, 0, dp2 * sizeof(int32_t));
            for (long l = 0; l < dp2; l++) out[l * GD_KNN_I16_COLS + r] = tmp[l];
        }
    }

    /* vpdpwssd by inline asm: GCC 12 copies all 16 accumulators through
       other registers (and the stack) at every step around its intrinsic,
       a quarter of the loop's time. */
    #define GD_KNN_I16_DP(ACC, B, Y) __asm__("vpdpwssd %2, %1, %0" : "+v"(ACC) : "v"(B), "v"(Y))
    #define GD_KNN_I16_ROW(R) \\
        b = _mm512_set1_epi32(X[(R) * dp2 + l]); \\
        GD_KNN_I16_DP(a##R##0, b, y0); \\
        GD_KNN_I16_DP(a##R##1, b, y1);
    #define GD_KNN_I16_OUT(R) { \\
        const __m512 c = _mm512_set1_ps(sx[R]); \\
        const __m512 p0 = _mm512_mul_ps(_mm512_cvtepi32_ps(a##R##0), _mm512_mul_ps(c, s0)); \\
        const __m512 p1 = _mm512_mul_ps(_mm512_cvtepi32_ps(a##R##1), _mm512_mul_ps(c, s1)); \\
        const __m512 t = _mm512_set1_ps(thr[R]); \\
        _mm512_storeu_ps(out + (R) * GD_KNN_I16_COLS, p0); \\
        _mm512_storeu_ps(out + (R) * GD_KNN_I16_COLS + 16, p1); \\
        if (_mm512_cmp_ps_mask(_mm512_sub_ps(h0, p0), t, _CMP_LT_OQ) \\
                | _mm512_cmp_ps_mask(_mm512_sub_ps(h1, p1), t, _CMP_LT_OQ)) \\
            mask |= 1u << (R); }

    /* out[r * 32 + j] = sx[r] sy[j] (X_r . Yg[:, j]) for r < 8, j < 32; X_r = X +
       r * dp2 (dwords).  Returns bit r when some hn[j] - out[r * 32 + j] < thr[r]. */
    GD_KNN_I16_TARGET
    static unsigned long long gd_knn_dots8_i16(const int32_t* X, long dp2, const int32_t* Yg,
                                               const float* sx, const float* sy,
                                               const float* hn, const float* thr, float* out) {
        __m512i a00 = _mm512_setzero_si512(), a01 = a00, a10 = a00, a11 = a00, a20 = a00,
                a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00,
                a60 = a00, a61 = a00, a70 = a00, a71 = a00, b;
        for (long l = 0; l < dp2; l++) {
            const __m512i y0 = _mm512_loadu_si512(Yg + l * GD_KNN_I16_COLS);
            const __m512i y1 = _mm512_loadu_si512(Yg + l * GD_KNN_I16_COLS + 16);
            GD_KNN_I16_ROW(0) GD_KNN_I16_ROW(1) GD_KNN_I16_ROW(2) GD_KNN_I16_ROW(3)
            GD_KNN_I16_ROW(4) GD_KNN_I16_ROW(5) GD_KNN_I16_ROW(6) GD_KNN_I16_ROW(7)
        }
        const __m512 s0 = _mm512_loadu_ps(sy), s1 = _mm512_loadu_ps(sy + 16);
        const __m512 h0 = _mm512_loadu_ps(hn), h1 = _mm512_loadu_ps(hn + 16);
        unsigned long long mask = 0;
        GD_KNN_I16_OUT(0) GD_KNN_I16_OUT(1) GD_KNN_I16_OUT(2) GD_KNN_I16_OUT(3)
        GD_KNN_I16_OUT(4) GD_KNN_I16_OUT(5) GD_KNN_I16_OUT(6) GD_KNN_I16_OUT(7)
        return mask;
    }
    #else
    static int gd_knn_i16_ready(void) { return 0; }
    static void gd_knn_i16_pack(const float* y, long ldy, long n, long d, const float* inv,
                                long dp2, int32_t* tmp, int32_t* out) {}
    static void gd_knn_i16_pairs(const float* x, long d, float inv, int32_t* out, long dp2) {}
    static unsigned long long gd_knn_dots8_i16(const int32_t* X, long dp2, const int32_t* Yg,
                                               const float* sx, const float* sy,
                                               const float* hn, const float* thr,
                                               float* out) { return 0; }
    #endif
    """
    enum: GD_KNN_I16_COLS
    enum: GD_KNN_I16_QUERIES
    int gd_knn_i16_ready() noexcept nogil
    void gd_knn_i16_pairs(const float* x, long d, float inv, int32_t* out,
                          long dp2) noexcept nogil
    void gd_knn_i16_pack(const float* y, long ldy, long n, long d, const float* inv, long dp2,
                         int32_t* tmp, int32_t* out) noexcept nogil
    unsigned long long gd_knn_dots8_i16(const int32_t* X, long dp2, const int32_t* Yg,
                                        const float* sx, const float* sy, const float* hn,
                                        const float* thr, float* out) noexcept nogil


# ---------------------------------------------------------------- for _neighbors.pyx
# The integer product's steps in _neighbors.pyx's search, inlined there.

cdef inline float _int16_levels(Py_ssize_t dp2) noexcept nogil:
    """Largest |a_i| of the quantized operands: 2 dp2 levels^2 < 2^31, so no int32 sum wraps."""
    return <float> min(32767.0, floor(sqrt(2147483647.0 / (2 * dp2))))


cdef inline void _scale_of(double peak, float levels, float* scale, float* inv) noexcept nogil:
    """A row of largest |value| ``peak`` is stored as scale * rint(value * inv).

    The scale is at least 2^-60, so that 1 / scale is finite and a product
    of two scales (>= 2^-120) a normal float32 (its rounding relative, as
    the bound assumes); a row below levels * 2^-60 then rounds coarser than
    its own size, which the bound (through the largest scale) still covers.
    """
    scale[0] = <float> max(peak / levels, 8.673617379884035e-19)   # 2^-60
    inv[0] = <float> (1.0 / scale[0])


cdef inline void _row_scale(int metric, const floating[:, ::1] Y, Py_ssize_t j,
                            const double[::1] shift, const double[::1] y_scale, float levels,
                            float* scale, float* inv, double* l1) noexcept nogil:
    """Database row j's scale and ||y||_1, of its float32 operand as _load_tile makes it."""
    cdef Py_ssize_t f
    cdef double s = y_scale[j] if metric == COSINE else 1.0, v, peak = 0.0, total = 0.0
    for f in range(Y.shape[1]):
        v = fabs(<float> ((<double> Y[j, f] - shift[f]) * s))
        peak = max(peak, v)
        total += v
    _scale_of(peak, levels, scale, inv)
    l1[0] = total


cdef inline void _query_int16(const gemm_t* x, Py_ssize_t d, Py_ssize_t dp2, float levels,
                              int32_t* pairs, float* scale, double* l1) noexcept nogil:
    """A query operand's int16 pairs, scale and ||x||_1 (float32 tiles only)."""
    cdef Py_ssize_t f
    cdef double v, peak = 0.0, total = 0.0
    cdef float inv
    if gemm_t is float:
        for f in range(d):
            v = fabs(x[f])
            peak = max(peak, v)
            total += v
        _scale_of(peak, levels, scale, &inv)
        l1[0] = total
        gd_knn_i16_pairs(x, d, inv, pairs, dp2)


cdef inline void _pack_int16(const gemm_t* y, Py_ssize_t d, Py_ssize_t m, const float* inv,
                             Py_ssize_t dp2, int32_t* tmp, int32_t* out) noexcept nogil:
    """Rows y[:m] (stride d) as one packed group of gd_knn_dots8_i16 (float32 tiles only)."""
    if gemm_t is float:
        gd_knn_i16_pack(y, d, m, d, inv, dp2, tmp, out)


cdef inline gd_knn_mask_t _dots8(const int32_t* x, Py_ssize_t dp2, const int32_t* yq,
                                 const float* sx, const float* sy, const gemm_t* hn,
                                 const float* thr, gemm_t* out) noexcept nogil:
    """out (8, 32) = eight queries' products with a packed group, and their hits."""
    if gemm_t is float:
        return gd_knn_dots8_i16(x, dp2, yq, sx, sy, hn, thr, out)
    return 0


cdef inline double _int16_error(double max_sy, double max_l1, double sx, double l1x,
                                Py_ssize_t d) noexcept nogil:
    """Bound on the integer product's error in a reduced distance, beyond float rounding.

    With |x_i - s_x a_i| <= E s_x and |y_i - s_y b_i| <= E s_y,
    |x.y - s_x s_y a.b| <= E s_y ||x||_1 + E s_x (||y||_1 + d E s_y); the
    reduced distance is ||y||^2 - 2 x.y, so twice that, with the database's
    largest s_y and ||y||_1.  E = 0.51: 1/2 from rint, plus the float
    rounding of x / s and of s itself, at most 3.1 u levels s < 0.006 s for
    levels < 2^15 (_scale_of).  The float rounding of s_x s_y a.b and of
    the scan's subtraction is within the float32 delta.
    """
    cdef double e = 0.51
    return 2 * e * (max_sy * l1x + sx * (max_l1 + d * e * max_sy))
