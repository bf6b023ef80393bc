"""Row bookkeeping of a boosting tree: partition, leaf updates, binned walks.

``partition`` writes a node's rows into another array, the rows going left
first, stably (each side keeps its order), in O(rows) with one read and one
write of each row: the split already counted its left rows, so every row
goes straight to its place.  A stable partition is unique, so the result
does not depend on the number of chunks or threads.

``add_leaf_values`` adds each leaf's value to the raw predictions of the
training rows that reached it, read off the final partition (each leaf owns
a slice of the row array), with no walk down the tree (scikit-learn's
``_update_raw_predictions``).  ``predict_binned`` walks rows the tree did
not partition (rows left out by ``subsample``, the validation set) on their
bin codes.  NumPy twin: ``gdcore/discriminative/boosting/_reference/boosting_rows.py``.
"""

import numpy as np

from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t

from gdcore._cy._prefetch cimport GDCORE_PREFETCH

ctypedef fused code_t:
    uint8_t
    uint32_t

cdef enum:
    # Rows below which a partition runs as one chunk: a few microseconds of
    # work, less than starting a parallel region.
    MIN_PARALLEL_ROWS = 16384
    # Rows ahead whose code the partition prefetches: a node's rows are
    # sorted, so nearby rows share a line of the column, and a memory access
    # (the column is out of cache after the histograms stream every code)
    # must be asked for hundreds of rows early to arrive in time.  `gdcore
    # bench boosting` (binary 1,000,000 x 40); 16 left the load waiting.
    PREFETCH_ROWS = 256


cdef inline bint _goes_left(uint32_t code, uint32_t bin_, uint32_t missing_code,
                            bint missing_left, const uint32_t* bits) noexcept nogil:
    """Numerical split (bits NULL): code <= bin_; categorical: bit ``code`` of bits."""
    cdef uint32_t missing = code == missing_code
    if bits != NULL:
        if missing:
            return missing_left
        return code < 256 and (bits[code >> 5] >> (code & 31)) & 1
    # numerical: select without a branch (``partition`` writes both sides)
    return (missing & missing_left) | ((1 - missing) & (code <= bin_))


cdef extern from *:
    """
    /* Whole blocks of 16 rows of a partition, in AVX-512 where the CPU has
       it (asked at run time): a block's codes are one gather, its decisions
       one mask (a categorical split's bits are one permute of its 8 words),
       and each side's rows one compressed store of exactly that side's
       count, in the block's order: about four times fewer instructions a
       row than the scalar walk, which finishes what the blocks leave.
       Forward, rows lo.. are placed at *left and *right counting up;
       backward, rows ..hi-1 at *left and *right counting down, each block's
       rows still in order.  A block whose places would
       leave out[0:m] (a wrong left count) stops the blocks, and the scalar
       walk, clamped, lets the caller see the count is wrong.  Returns the
       rows placed; gd_place_vector = 0 turns the blocks off (the tests run
       both paths).  GCC only, as the histograms' clones: it has the
       run-time CPU check (libgcc's) on every x86-64 target; elsewhere (MSVC,
       clang on macOS) the scalar walk does all the rows. */
    static int gd_place_vector = -1;
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    #include <immintrin.h>
    #define GD_PLACE_BLOCKS(NAME, CODE_T, SCALE, MASK)                                 \
        __attribute__((target("avx512f,popcnt")))                                      \
        static Py_ssize_t NAME##_avx512(                                               \
                const CODE_T* col, Py_ssize_t n_col, const int32_t* rows, Py_ssize_t lo, \
                Py_ssize_t hi, int32_t* out, Py_ssize_t m, Py_ssize_t* left,          \
                Py_ssize_t* right, int backward, uint32_t bin_, uint32_t missing_code,  \
                int missing_left, const uint32_t* bits, Py_ssize_t ahead) {            \
            const __m512i vbits = bits ? _mm512_maskz_loadu_epi32(0x00FF, bits)        \
                                       : _mm512_setzero_si512();                       \
            const __m512i v31 = _mm512_set1_epi32(31), v256 = _mm512_set1_epi32(256);  \
            const __m512i vone = _mm512_set1_epi32(1);                                 \
            const __m512i vbin = _mm512_set1_epi32((int) bin_);                        \
            const __m512i vmiss = _mm512_set1_epi32((int) missing_code);               \
            const __m512i vmask = _mm512_set1_epi32((int) MASK);                       \
            /* the last rows a 4-byte gather of 1-byte codes may not read whole */     \
            const __m512i vsafe = _mm512_set1_epi32((int) (n_col - (4 / SCALE - 1)));  \
            Py_ssize_t l = *left, r = *right, done = 0, b, nb = (hi - lo) / 16;        \
            for (b = 0; b < nb; b++) {                                                 \
                Py_ssize_t i = backward ? hi - 16 * (b + 1) : lo + 16 * b;             \
                Py_ssize_t a = backward ? i - ahead : i + ahead;                       \
                if (a >= lo && a + 16 <= hi)                                           \
                    for (int q = 0; q < 16; q += 4)                                    \
                        __builtin_prefetch(col + rows[a + q], 0, 3);                   \
                __m512i R = _mm512_loadu_si512((const void*) (rows + i));             \
                __mmask16 safe = _mm512_cmplt_epi32_mask(R, vsafe);                    \
                __m512i C = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), safe,  \
                                                        R, (const void*) col, SCALE);  \
                if (safe != 0xFFFF) {                                                  \
                    int32_t rr[16], cc[16];                                            \
                    _mm512_storeu_si512((void*) rr, R);                                \
                    _mm512_storeu_si512((void*) cc, C);                                \
                    for (int q = 0; q < 16; q++)                                       \
                        if (!((safe >> q) & 1)) cc[q] = (int32_t) col[rr[q]];          \
                    C = _mm512_loadu_si512((const void*) cc);                          \
                }                                                                      \
                C = _mm512_and_si512(C, vmask);                                        \
                __mmask16 miss = _mm512_cmpeq_epi32_mask(C, vmiss);                    \
                __mmask16 in;                                                          \
                if (bits) {  /* bit c % 32 of word c / 32, for c < 256 */              \
                    __m512i word = _mm512_permutexvar_epi32(_mm512_srli_epi32(C, 5),   \
                                                            vbits);                    \
                    __m512i bit = _mm512_srlv_epi32(word, _mm512_and_si512(C, v31));   \
                    in = _mm512_test_epi32_mask(bit, vone)                             \
                         & _mm512_cmplt_epu32_mask(C, v256);                           \
                } else {                                                               \
                    in = _mm512_cmple_epu32_mask(C, vbin);                             \
                }                                                                      \
                __mmask16 go = (__mmask16) ((in & ~miss) | (missing_left ? miss : 0)); \
                int nl = __builtin_popcount(go), nr = 16 - nl;                         \
                Py_ssize_t at_l = backward ? l - nl + 1 : l;                           \
                Py_ssize_t at_r = backward ? r - nr + 1 : r;                           \
                if (at_l < 0 || at_l + nl > m || at_r < 0 || at_r + nr > m)            \
                    break;                                                             \
                _mm512_mask_storeu_epi32(out + at_l, (__mmask16) ((1u << nl) - 1),     \
                                         _mm512_maskz_compress_epi32(go, R));          \
                _mm512_mask_storeu_epi32(out + at_r, (__mmask16) ((1u << nr) - 1),     \
                                         _mm512_maskz_compress_epi32((__mmask16) ~go, R)); \
                l += backward ? -nl : nl;                                              \
                r += backward ? -nr : nr;                                              \
                done += 16;                                                            \
            }                                                                          \
            *left = l;                                                                 \
            *right = r;                                                                \
            return done;                                                               \
        }                                                                              \
        static Py_ssize_t NAME(const CODE_T* col, Py_ssize_t n_col, const int32_t* rows, \
                               Py_ssize_t lo, Py_ssize_t hi, int32_t* out, Py_ssize_t m, \
                               Py_ssize_t* left, Py_ssize_t* right, int backward,     \
                               uint32_t bin_, uint32_t missing_code, int missing_left, \
                               const uint32_t* bits, Py_ssize_t ahead) {               \
            if (gd_place_vector < 0)                                                   \
                gd_place_vector = __builtin_cpu_supports("avx512f");                   \
            if (!gd_place_vector || n_col < 4)                                         \
                return 0;                                                              \
            return NAME##_avx512(col, n_col, rows, lo, hi, out, m, left, right,        \
                                 backward, bin_, missing_code, missing_left, bits,     \
                                 ahead);                                               \
        }
    #else
    #define GD_PLACE_BLOCKS(NAME, CODE_T, SCALE, MASK)                                 \
        static Py_ssize_t NAME(const CODE_T* col, Py_ssize_t n_col, const int32_t* rows, \
                               Py_ssize_t lo, Py_ssize_t hi, int32_t* out, Py_ssize_t m, \
                               Py_ssize_t* left, Py_ssize_t* right, int backward,     \
                               uint32_t bin_, uint32_t missing_code, int missing_left, \
                               const uint32_t* bits, Py_ssize_t ahead) {               \
            return 0;                                                                  \
        }
    #endif
    GD_PLACE_BLOCKS(gd_place_blocks_u8, uint8_t, 1, 0xFF)
    GD_PLACE_BLOCKS(gd_place_blocks_u32, uint32_t, 4, 0xFFFFFFFF)
    """
    int gd_place_vector
    Py_ssize_t gd_place_blocks_u8(const uint8_t* col, Py_ssize_t n_col, const int32_t* rows,
                                  Py_ssize_t lo, Py_ssize_t hi, int32_t* out, Py_ssize_t m,
                                  Py_ssize_t* left, Py_ssize_t* right, int backward,
                                  uint32_t bin_, uint32_t missing_code, int missing_left,
                                  const uint32_t* bits, Py_ssize_t ahead) noexcept nogil
    Py_ssize_t gd_place_blocks_u32(const uint32_t* col, Py_ssize_t n_col, const int32_t* rows,
                                   Py_ssize_t lo, Py_ssize_t hi, int32_t* out, Py_ssize_t m,
                                   Py_ssize_t* left, Py_ssize_t* right, int backward,
                                   uint32_t bin_, uint32_t missing_code, int missing_left,
                                   const uint32_t* bits, Py_ssize_t ahead) noexcept nogil


def vector_blocks(bint enabled):
    """Turn the AVX-512 blocks of ``partition`` on (where the CPU has them) or off.

    Returns whether they were on.  The tests run both paths; nothing else
    needs to call it.
    """
    cdef bint was
    if gd_place_vector < 0:
        gd_place_blocks_u8(NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, 0, 0, NULL, 0)
    was = gd_place_vector > 0
    global gd_place_vector
    gd_place_vector = -1 if enabled else 0
    return was


cdef Py_ssize_t _count_left(const code_t* col, const int32_t* rows, Py_ssize_t lo,
                            Py_ssize_t hi, uint32_t bin_, uint32_t missing_code,
                            bint missing_left, const uint32_t* bits) noexcept nogil:
    """Rows of rows[lo:hi] going left."""
    cdef Py_ssize_t i, k = 0
    for i in range(lo, hi):
        if i + PREFETCH_ROWS < hi:
            GDCORE_PREFETCH(col + rows[i + PREFETCH_ROWS], 3)
        k += _goes_left(col[rows[i]], bin_, missing_code, missing_left, bits)
    return k


cdef Py_ssize_t _place(const code_t* col, Py_ssize_t n_col, const int32_t* rows,
                       Py_ssize_t lo, Py_ssize_t hi,
                       int32_t* out, Py_ssize_t m, Py_ssize_t left, Py_ssize_t right,
                       bint backward, uint32_t bin_, uint32_t missing_code, bint missing_left,
                       const uint32_t* bits) noexcept nogil:
    """Write rows[lo:hi] into out: a left row at ``left``, another at ``right``.

    Forward, both positions count up; backward (rows read from hi - 1 down),
    both count down, so each side still ends in row order.  One store a row
    at a selected position, no branch on the split's outcome, which is a
    coin flip the predictor misses about every other row.  Positions are
    clamped to out[0:m], so a wrong count can only misplace rows (which the
    caller detects), never write outside the node.  Whole blocks of 16 rows
    go first, in AVX-512 where the CPU has it (``gd_place_blocks_*``).
    Returns the next left position.
    """
    cdef Py_ssize_t t, go, at, step, first, done = 0
    cdef Py_ssize_t last = m - 1
    cdef int32_t r
    if code_t is uint8_t:
        done = gd_place_blocks_u8(col, n_col, rows, lo, hi, out, m, &left, &right, backward,
                                  bin_, missing_code, missing_left, bits, PREFETCH_ROWS)
    else:
        done = gd_place_blocks_u32(col, n_col, rows, lo, hi, out, m, &left, &right, backward,
                                   bin_, missing_code, missing_left, bits, PREFETCH_ROWS)
    if backward:
        hi -= done
    else:
        lo += done
    step = 1 - 2 * backward
    first = hi - 1 if backward else lo
    for t in range(hi - lo):
        if t + PREFETCH_ROWS < hi - lo:
            # scattered rows: ask for a later row's code now
            GDCORE_PREFETCH(col + rows[first + step * (t + PREFETCH_ROWS)], 3)
        r = rows[first + step * t]
        go = _goes_left(col[r], bin_, missing_code, missing_left, bits)
        at = right + go * (left - right)    # arithmetic select: no branch to miss
        at = at if at > 0 else 0
        out[at if at < last else last] = r
        left += step * go
        right += step * (1 - go)
    return left


def partition(
    const code_t[:, ::1] codes,        # IN (d, n)
    const int32_t[::1] rows,           # IN (m,) the node's rows
    int32_t[::1] out,                  # OUT (m,) its rows going left first, then the others
    Py_ssize_t feature, Py_ssize_t bin_, Py_ssize_t missing_code, bint missing_left,
    const uint32_t[::1] left_bits,     # IN (8,) categories going left, or (0,) if numerical
    Py_ssize_t n_left,                 # rows going left when the split counted them, else -1
    int n_threads,
):
    """Write the rows going left (code <= bin_, or missing when missing_left) first.

    A categorical split (``left_bits`` of 8 words) sends code c left when bit
    ``c % 32`` of word ``c // 32`` is set.  Returns the number of rows going left.
    Stable: each side keeps the order of ``rows``, which is unique, so the
    result does not depend on the number of threads.  Each row is read and
    written once, straight to its place in ``out`` (the grower keeps a node's
    rows in one of two arrays and its children's in the other).  With the
    left count known, one thread walks the rows forward and, on two threads,
    the other walks backward from the end, filling each side from its far
    end; otherwise each chunk's left rows are counted first.
    """
    cdef Py_ssize_t m = rows.shape[0], c, e, lo, hi, n_chunks, size, left_at
    cdef Py_ssize_t n_col = codes.shape[1]
    cdef const code_t* col = &codes[feature, 0]
    cdef const uint32_t* bits = &left_bits[0] if left_bits.shape[0] == 8 else NULL
    cdef int64_t[::1] lefts, ends
    cdef bint counted = n_left < 0, ok = True
    if out.shape[0] != m:
        raise ValueError("out must have one place per row.")
    if m == 0:
        return 0
    n_chunks = max(1, n_threads) if m >= MIN_PARALLEL_ROWS else 1
    size = (m + n_chunks - 1) // n_chunks
    lefts = np.zeros(n_chunks, dtype=np.int64)
    ends = np.zeros(n_chunks, dtype=np.int64)
    with nogil:
        if n_chunks == 2 and not counted:
            for c in prange(2, schedule="static", num_threads=2):
                if c == 0:
                    ends[0] = _place(col, n_col, &rows[0], 0, size, &out[0], m, 0, n_left, False,
                                     bin_, missing_code, missing_left, bits)
                else:
                    ends[1] = _place(col, n_col, &rows[0], size, m, &out[0], m, n_left - 1, m - 1,
                                     True, bin_, missing_code, missing_left, bits) + 1
            # the walks meet (the forward's next left place is the backward's
            # last) exactly when n_left rows go left
            ok = ends[0] == ends[1]
        else:
            if counted or n_chunks > 1:
                for c in prange(n_chunks, schedule="static", num_threads=n_chunks):
                    lefts[c] = _count_left(col, &rows[0], c * size, min(m, (c + 1) * size),
                                           bin_, missing_code, missing_left, bits)
                left_at = 0
                for c in range(n_chunks):
                    left_at = left_at + lefts[c]
                if counted:
                    n_left = left_at
                ok = left_at == n_left
            else:
                lefts[0] = n_left
            if ok:
                for c in prange(n_chunks, schedule="static", num_threads=n_chunks):
                    left_at = 0
                    for e in range(c):
                        left_at = left_at + lefts[e]
                    lo = c * size
                    hi = min(m, lo + size)
                    ends[c] = _place(col, n_col, &rows[0], lo, hi, &out[0], m, left_at,
                                     n_left + lo - left_at, False, bin_, missing_code,
                                     missing_left, bits) - left_at
                for c in range(n_chunks):
                    ok = ok and ends[c] == lefts[c]
    if not ok:
        raise RuntimeError(f"partition: the split counted {n_left} rows going left, "
                           "and its rows do not.")
    return n_left


def add_leaf_values(
    double[::1] raw,                   # IN/OUT (n,) raw predictions of one output
    const int32_t[::1] rows,           # IN (m,) the partitioned rows
    const int64_t[::1] starts,         # IN (L,) each leaf's slice of rows
    const int64_t[::1] stops,          # IN (L,)
    const double[::1] values,          # IN (L,) leaf values (already shrunk)
    int n_threads,
):
    """raw[rows[starts[l]:stops[l]]] += values[l] for every leaf l (disjoint rows)."""
    cdef Py_ssize_t leaf, i
    with nogil:
        for leaf in prange(starts.shape[0], schedule="dynamic", num_threads=n_threads):
            for i in range(starts[leaf], stops[leaf]):
                raw[rows[i]] += values[leaf]


def predict_binned(
    const code_t[:, ::1] codes,        # IN (d, n) bin codes
    const int32_t[::1] rows,           # IN (m,) rows to walk
    const int32_t[::1] left,           # IN (nodes,) left child, -1 at leaves
    const int32_t[::1] right,          # IN (nodes,)
    const int32_t[::1] feature,        # IN (nodes,)
    const uint32_t[::1] bin_,          # IN (nodes,) last bin going left
    const uint8_t[::1] missing_left,   # IN (nodes,)
    const uint32_t[::1] missing_code,  # IN (d,) code of NaN per feature
    const uint8_t[::1] is_cat,         # IN (nodes,) 1 where the split is categorical
    const uint32_t[:, ::1] cat_bits,   # IN (nodes, 8) categories going left
    const double[::1] value,           # IN (nodes,)
    double[::1] raw,                   # IN/OUT (n,) raw[rows[i]] += leaf value
    int n_threads,
):
    """Add the tree's leaf value to raw for each of the given rows."""
    cdef Py_ssize_t i, r, node, f
    with nogil:
        for i in prange(rows.shape[0], schedule="static", num_threads=n_threads):
            r = rows[i]
            node = 0
            while left[node] >= 0:
                f = feature[node]
                if _goes_left(codes[f, r], bin_[node], missing_code[f], missing_left[node],
                              &cat_bits[node, 0] if is_cat[node] else NULL):
                    node = left[node]
                else:
                    node = right[node]
            raw[r] += value[node]
