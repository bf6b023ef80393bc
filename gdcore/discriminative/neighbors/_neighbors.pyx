"""Exact k-nearest-neighbour search by blocked brute force.

Two entry points, one per way of computing distances:

``search`` (squared Euclidean, cosine; run by ``_gemm_search.kneighbors_gemm``,
which picks the product and searches again what it cannot verify).  Queries are cut into
blocks of QUERY_BLOCK rows and the database into tiles of DB_TILE rows; each
(block, tile) pair is one BLAS gemm, Q_b @ Y_t^T, into a per-thread buffer,
so memory is bounded by the tiles (QUERY_BLOCK * DB_TILE values per thread),
never by n_queries * n_database.  The operands (rows shifted, or scaled to
norm 1 for cosine) are made tile by tile in a per-thread buffer, so no
operand copy of the database is held.  Up to FUSED_D the gemm is replaced by
``gd_knn_dots4_f`` (``_neighbors_simd.pxd``): 4 queries x 64 rows of dot
products in registers, tested against the thresholds in the same pass, with
no product tile in memory.  From the dot products a *reduced* distance
is formed, ||y||^2 - 2 x.y (the query's own ||x||^2 is the same for every
candidate, so it is left out) or -x.y for cosine on unit rows, and each query
keeps its best ``kc = k + slack`` candidates below a threshold.  Work is
O(n_q * n * d) flops plus O(n_q * n) comparisons, tested 32 at a time
branch-free (vectorized C with AVX-512 / AVX2 clones); a value is only
stored when it beats the threshold,
which a partial selection (quickselect) lowers once a batch has been
admitted (``_scan_row``).  The tiling is the scheme of faiss' ``IndexFlatL2``
(Johnson, Douze, Jegou, "Billion-scale similarity search with GPUs", 2017,
section 4); faiss keeps a heap per query and tests each value with a branch.

The gemm trick ||x||^2 + ||y||^2 - 2 x.y cancels catastrophically when x
and y are close relative to their norms (scikit-learn's float32 path is known
for it).  So the ``kc`` candidates' distances are recomputed exactly, as
sum (x_j - y_j)^2 in double, and the answer is *verified*: the dot product of
length d carries an error of at most gamma_d ||x|| ||y|| (Higham, Accuracy and
Stability of Numerical Algorithms, 2nd ed., eq. 3.5), so every reduced
value is within delta = (2 d + 8) u (||x||^2 + max ||y||^2) of the truth.  If
the k-th exact distance is below the largest candidate value minus delta,
no point outside the candidates can be closer and the answer is exact;
otherwise (rare: points far from the origin, tight clusters, huge ties)
float32 tiles' failures are searched again all together with float64
tiles, and a query that fails those too (huge ties) by a direct exact scan.
Where the CPU has AVX-512 VNNI, float32 tiles are multiplied as 16-bit
integers instead (``_neighbors_int16.pxd``, 8 queries x 32 rows in
registers): each row is scaled by its own largest value, rounded, and the
products summed exactly in int32, twice float32's multiply-adds per
instruction.  Its error is bounded from the rows' scales and 1-norms
(``_int16_error``), so the same verification applies with a wider delta;
the queries it fails are searched again together with float32 products
(``_gemm_search.kneighbors_gemm``), and where a pilot of queries mostly fails (tight
clusters) the rest skip the integer pass.  Rows as a scale times small
integers are the splitting of the Ozaki scheme (Ozaki, Ogita, Oishi and
Rump, "Error-free transformations of matrix multiplication by using fast
routines of matrix multiplication and its applications", 2012), here with
one slice only: a screen need not be exact, only bounded, since the
verification makes the answer exact.
The estimators center the data on the database mean where it is far from
the origin, which keeps delta small and the fallback rare, and give float64
data float32 tiles
(``gemm_t``): the verification makes the answer exact all the same, at
float32's speed (twice the flops per SIMD instruction, half the bytes;
measured by `gdcore bench neighbors`, kneighbors k=10 float64).

``kneighbors_direct`` (Manhattan, Chebyshev, Minkowski with any p).  No
product structure to exploit: the same blocking, with the distance computed
in double (``_neighbors_exact.pxd``, which also holds the exact distances
and rescan of the gemm kernel), and a heap of exactly k.

Ties are broken by index everywhere: the final k are sorted by (distance,
index) (heaps in ``_neighbors_select.pxd``), and each query's scan visits the
database in the same order whatever the query blocks, so results are
deterministic and independent of the number of threads.  Query blocks are
spread over threads with prange; BLAS must be held to one thread by the
caller.  Both entry points return a status code (0 = ok, see STATUS_*).
NumPy twin: ``gdcore/discriminative/neighbors/_reference.py``.
"""


from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, NAN, pow, sqrt
from libc.stdint cimport int32_t
from libc.stdlib cimport calloc, free, malloc

from gdcore._cy._blas cimport blas_dims_fit, gemm
from gdcore._cy._prefetch cimport GDCORE_PREFETCH
from gdcore.discriminative.neighbors._neighbors_exact cimport (
    CHEBYSHEV, COSINE, MANHATTAN, MINKOWSKI, SQEUCLIDEAN, _chebyshev, _dot, _exact,
    _exact_scan, _manhattan, _minkowski_reduced, _write_row,
)
from gdcore.discriminative.neighbors._neighbors_int16 cimport (
    GD_KNN_I16_COLS, GD_KNN_I16_QUERIES, gd_knn_i16_ready, _dots8, _int16_error, _int16_levels,
    _pack_int16, _query_int16, _row_scale,
)
from gdcore.discriminative.neighbors._neighbors_select cimport (
    gemm_t, _heap_init, _heap_offer, _heap_sort, _keep_smallest,
)
from gdcore.discriminative.neighbors._neighbors_simd cimport (
    GD_KNN_CHUNK, GD_KNN_COLS, gd_knn_mask_t, gd_knn_dots4_f, gd_knn_hit_chunks_d,
    gd_knn_hit_chunks_f, gd_knn_lowest_bit,
)

cdef enum:
    OK = 0
    OUT_OF_MEMORY = 1
    TOO_MANY_ROWS = 2
    # Candidates' rows are stored as C int (4 bytes, not 8): the scan's
    # buffers are 512 queries x 2 kc entries per thread and compete with the
    # product tile for L2.
    MAX_ROWS = 2147483647

    # At most 512 queries x 512 database rows: a 1 MiB product tile (float32)
    # per thread, which stays in a typical 1-2 MiB per-core L2 while it is
    # scanned.  Square tiles rather than short, wide ones: a taller gemm
    # amortizes OpenBLAS' packing of the database tile, so the scan adds
    # little to the bare gemm calls.  Measured by `gdcore bench neighbors`
    # (kneighbors k=10 float32).  DB_TILE is at most 2048: a tile row's hit
    # chunks are the bits of one 64-bit mask (_scan_row).
    QUERY_BLOCK = 512
    DB_TILE = 512
    # The integer product has no product tile (8 x 32 sums in registers), so
    # its query blocks are larger: each group of database rows is quantized
    # and packed once per block, and a larger block shares that among more
    # queries, against 2 kc candidates per query in L2.  Measured by
    # `gdcore bench neighbors` (kneighbors k=10 float32, d = 64 and 512).
    INT16_QUERY_BLOCK = 1024
    # Up to this d the dot products are computed by gd_knn_dots4_f (4
    # queries x 64 rows in registers, scanned at once: no product tile in
    # memory) rather than by sgemm, whose packing, zeroing of C and product
    # tile cost more than the products when d is small.  Beyond it a packed
    # group of the tile (d x 64 floats, 32 KiB at d = 128) no longer stays
    # in L1.  Measured by `gdcore bench neighbors` (kneighbors k=10 float32,
    # d = 8, 64 and 512).
    FUSED_D = 128
    # Values tested together within a hit chunk of GD_KNN_CHUNK (32, see
    # _scan_row) before any is stored.
    SUB_CHUNK = 8
    # The candidates' rows are scattered over the database: each one read
    # for its exact distance is a cache miss (a main-memory latency, a large
    # share of the search when k is large), so the rows PREFETCH_AHEAD
    # places ahead are asked for early, up to PREFETCH_BYTES each (the
    # hardware streams the rest).  Measured by `gdcore bench neighbors`
    # (kneighbors k=100).
    PREFETCH_AHEAD = 4
    PREFETCH_BYTES = 512
    # Fewest admissions between two selections of the kc best (see _scan_row).
    MIN_BATCH = 64
    # Direct metrics: 32 queries against 256 database rows, so the tile of
    # the database (256 * d values) is reused 32 times from L1/L2.
    DIRECT_QUERY_BLOCK = 32
    DIRECT_DB_TILE = 256

    # The products of search (its ``product`` argument).
    FLOAT_PRODUCT = 0
    INT16_PRODUCT = 1

STATUS_OK = OK
STATUS_OUT_OF_MEMORY = OUT_OF_MEMORY
STATUS_TOO_MANY_ROWS = TOO_MANY_ROWS
METRIC_SQEUCLIDEAN = SQEUCLIDEAN
METRIC_COSINE = COSINE
METRIC_MANHATTAN = MANHATTAN
METRIC_CHEBYSHEV = CHEBYSHEV
METRIC_MINKOWSKI = MINKOWSKI
PRODUCT_FLOAT = FLOAT_PRODUCT
PRODUCT_INT16 = INT16_PRODUCT


def n_candidates(Py_ssize_t k, Py_ssize_t n_available):
    """Candidates kept by the gemm search: k plus a slack that absorbs rounding.

    The slack (k / 8, at least 8) makes the verification fail only when more
    than that many points sit within delta of the k-th neighbour (then that
    query is searched again, see _gemm_search).  Every candidate costs admissions and an
    exact distance, so a larger slack (such as k / 2) slows large k
    measurably.  Measured by `gdcore bench neighbors` (kneighbors k=100).
    """
    return min(n_available, k + max(8, k // 8))


# ---------------------------------------------------------------- gemm metrics

def int16_ready():
    """Whether PRODUCT_INT16 can run on this CPU (AVX-512 with VNNI, x86-64 GCC/clang build)."""
    return bool(gd_knn_i16_ready())


def search(
    const floating[:, ::1] Q,
    const floating[:, ::1] Y,
    const double[::1] shift,
    const double[::1] y_scale,
    const gemm_t[::1] yg_sqnorms,
    int metric,
    const Py_ssize_t[::1] self_rows,  # IN query q is database row self_rows[q]; empty: none is
    floating[:, ::1] dist,
    Py_ssize_t[:, ::1] ind,
    int n_threads,
    int product,
    unsigned char[::1] redo,          # OUT 1 for a query not verified (unwritten); empty: rescan
    Py_ssize_t kc,                    # candidates kept per query (n_candidates, or more)
):
    """The gemm search of the queries Q with the product given (see the module docstring).

    A query whose answer cannot be verified is flagged in ``redo`` and left
    for _gemm_search.kneighbors_gemm to search again; without ``redo``, it is rescanned
    exactly on the spot.
    """
    cdef Py_ssize_t nq = Q.shape[0], n = Y.shape[0], d = Q.shape[1], k = dist.shape[1]
    cdef bint has_self = self_rows.shape[0] > 0
    cdef Py_ssize_t qblock, n_blocks
    cdef double u = 5.97e-8 if gemm_t is float else 1.12e-16  # unit roundoff of the tiles
    cdef double max_ny = 0.0
    cdef int status = OK
    cdef int* failed = &status   # shared: written by a thread whose malloc failed
    cdef Py_ssize_t cap = kc + max(kc, MIN_BATCH)   # candidates kept + arrivals between selections
    cdef Py_ssize_t b, q0, q1, nb, tile, t0, t1, nt, qi, j, grp, g0, m, r, oct
    # The integer product: float32 tiles only, its operands as pairs of int16.
    cdef bint int16 = (gemm_t is float and product == INT16_PRODUCT and nq > 0
                       and gd_knn_i16_ready())
    # Fewer queries than threads * QUERY_BLOCK: smaller blocks, all threads busy.
    qblock = min(INT16_QUERY_BLOCK if int16 else QUERY_BLOCK,
                 max(1, (nq + n_threads - 1) // n_threads))
    n_blocks = (nq + qblock - 1) // qblock
    cdef Py_ssize_t dp2 = (d + 1) // 2
    cdef float levels = _int16_levels(dp2)
    # Small d: the dot products by gd_knn_dots4_f on a packed tile, not gemm.
    cdef bint fused = gemm_t is float and d <= FUSED_D and not int16
    # Unshifted Euclidean rows in the tiles' type are their own operands:
    # gemm (or the integer packing) reads Y itself, and no tile is copied.
    cdef bint plain = False
    cdef bint own
    cdef gemm_t* qg       # the block's query operands (nb, d), room to a multiple of 8 rows
    cdef gemm_t* yt       # one database tile's operands: (nt, d), or packed if fused
    cdef gemm_t* prod
    cdef gemm_t* cv       # per query of the block: cap candidate values...
    cdef int* ci          # ...and their database rows (see MAX_ROWS)
    cdef Py_ssize_t* cnt  # per query: candidates held
    cdef double* thr      # per query: admission threshold
    cdef float* thr4      # the same as float, padded to a multiple of 8 (fused, int16)
    cdef double* fd       # one query's kc exact distances...
    cdef Py_ssize_t* fi   # ...and rows, while it is finished
    cdef gemm_t* row
    cdef gd_knn_mask_t hits
    cdef bint complete = kc == n - has_self
    # The scan's norm terms, halved (exact: a power of two) so that a value
    # is hn_j - x.y_j without a multiply; zero for cosine.  +inf past n:
    # gd_knn_dots4_f tests whole groups of GD_KNN_COLS.
    cdef gemm_t* hn
    # int16 only: per database row its scale s_y and 1 / s_y (0 past n), the
    # largest s_y and ||y||_1 (for the error bound); per query of a block its
    # pairs, scale and ||x||_1; one packed group of the database.
    cdef float* ysc = NULL
    cdef float* yinv = NULL
    cdef double* yl1 = NULL
    cdef double max_sy = 0.0, max_l1 = 0.0
    cdef int32_t* qp
    cdef float* qsx
    cdef double* ql1
    cdef int32_t* yq
    cdef int32_t* tmp
    cdef unsigned char* flags = NULL   # &redo[0], if given
    # Rows index as C ints (ci), and d goes to gemm as BLAS's int.
    if n > MAX_ROWS or not blas_dims_fit(d):
        return TOO_MANY_ROWS
    hn = <gemm_t*> malloc((n + GD_KNN_COLS) * sizeof(gemm_t))
    if hn == NULL:
        return OUT_OF_MEMORY
    for j in range(n):
        max_ny = max(max_ny, <double> yg_sqnorms[j])
        hn[j] = yg_sqnorms[j] / 2 if metric == SQEUCLIDEAN else 0
    for j in range(n, n + GD_KNN_COLS):
        hn[j] = INFINITY
    if (gemm_t is float and floating is float) or (gemm_t is double and floating is double):
        plain = metric == SQEUCLIDEAN
        for j in range(d):
            plain = plain and shift[j] == 0
    own = plain and not fused and not int16
    if redo.shape[0] > 0:
        flags = &redo[0]
    if int16:
        ysc = <float*> calloc(n + GD_KNN_COLS, sizeof(float))
        yinv = <float*> malloc((n + 1) * sizeof(float))
        yl1 = <double*> malloc((n + 1) * sizeof(double))
        if ysc == NULL or yinv == NULL or yl1 == NULL:
            free(ysc)
            free(yinv)
            free(yl1)
            free(hn)
            return OUT_OF_MEMORY
        for j in prange(n, nogil=True, num_threads=n_threads, schedule="static"):
            _row_scale(metric, Y, j, shift, y_scale, levels, &ysc[j], &yinv[j], &yl1[j])
        for j in range(n):
            max_sy = max(max_sy, <double> ysc[j])
            max_l1 = max(max_l1, yl1[j])
        free(yl1)

    with nogil, parallel(num_threads=n_threads):
        qg = <gemm_t*> calloc((qblock + 7) * d, sizeof(gemm_t))
        yt = <gemm_t*> malloc(DB_TILE * d * sizeof(gemm_t))
        prod = <gemm_t*> malloc((GD_KNN_I16_QUERIES * GD_KNN_I16_COLS if int16 else
                                 4 * GD_KNN_COLS if fused else qblock * DB_TILE)
                                * sizeof(gemm_t))
        cv = <gemm_t*> malloc(qblock * cap * sizeof(gemm_t))
        ci = <int*> malloc(qblock * cap * sizeof(int))
        cnt = <Py_ssize_t*> malloc(qblock * sizeof(Py_ssize_t))
        thr = <double*> malloc(qblock * sizeof(double))
        thr4 = <float*> malloc((qblock + 7) * sizeof(float))
        fd = <double*> malloc(kc * sizeof(double))
        fi = <Py_ssize_t*> malloc(kc * sizeof(Py_ssize_t))
        qp = <int32_t*> calloc((qblock + 7) * dp2 if int16 else 1, sizeof(int32_t))
        qsx = <float*> calloc(qblock + 7, sizeof(float))
        ql1 = <double*> malloc(qblock * sizeof(double))
        yq = <int32_t*> malloc((GD_KNN_I16_COLS * dp2 if int16 else 1) * sizeof(int32_t))
        tmp = <int32_t*> malloc(dp2 * sizeof(int32_t))
        if (qg == NULL or yt == NULL or prod == NULL or cv == NULL or ci == NULL
                or cnt == NULL or thr == NULL or thr4 == NULL or fd == NULL or fi == NULL
                or qp == NULL or qsx == NULL or ql1 == NULL or yq == NULL or tmp == NULL):
            failed[0] = OUT_OF_MEMORY
        else:
            for b in prange(n_blocks, schedule="dynamic"):
                q0 = b * qblock
                q1 = min(nq, q0 + qblock)
                nb = q1 - q0
                _load_queries(metric, Q, q0, nb, shift, qg)
                if int16:
                    for qi in range(nb):
                        _query_int16(qg + qi * d, d, dp2, levels, qp + qi * dp2, &qsx[qi],
                                     &ql1[qi])
                for qi in range(nb):
                    cnt[qi] = 0
                    thr[qi] = INFINITY
                for qi in range(qblock + 7):
                    thr4[qi] = INFINITY
                for tile in range((n + DB_TILE - 1) // DB_TILE):
                    t0 = tile * DB_TILE
                    t1 = min(n, t0 + DB_TILE)
                    nt = t1 - t0
                    if int16:
                        # Database rows in groups of 32, packed one at a time (the
                        # group stays in L1 while every query of the block meets
                        # it), queries 8 at a time.
                        for grp in range((nt + GD_KNN_I16_COLS - 1) // GD_KNN_I16_COLS):
                            g0 = t0 + grp * GD_KNN_I16_COLS
                            m = min(<Py_ssize_t> GD_KNN_I16_COLS, t1 - g0)
                            if not plain:
                                _load_tile(metric, Y, g0, m, shift, y_scale, False, yt)
                            _pack_int16(<const gemm_t*> &Y[g0, 0] if plain else yt, d, m,
                                        yinv + g0, dp2, tmp, yq)
                            for oct in range((nb + GD_KNN_I16_QUERIES - 1) // GD_KNN_I16_QUERIES):
                                qi = oct * GD_KNN_I16_QUERIES
                                hits = _dots8(qp + qi * dp2, dp2, yq, qsx + qi, ysc + g0,
                                              hn + g0, thr4 + qi, prod)
                                for r in range(min(<Py_ssize_t> GD_KNN_I16_QUERIES, nb - qi)):
                                    if (hits >> r) & 1:
                                        cnt[qi + r] = _admit(
                                            prod + r * GD_KNN_I16_COLS, hn, g0, m,
                                            _own_row(self_rows, q0 + qi + r), 1,
                                            cv + (qi + r) * cap, ci + (qi + r) * cap,
                                            cnt[qi + r], kc, cap, &thr[qi + r])
                                        thr4[qi + r] = <float> thr[qi + r]
                    elif fused:
                        _load_tile(metric, Y, t0, nt, shift, y_scale, True, yt)
                        # Database rows in groups of 64, queries 4 at a time; each
                        # query still meets the rows in order.
                        for grp in range((nt + GD_KNN_COLS - 1) // GD_KNN_COLS):
                            g0 = grp * GD_KNN_COLS
                            m = min(<Py_ssize_t> GD_KNN_COLS, nt - g0)
                            for qi in range(0, nb, 4):
                                hits = _dots4(qg + qi * d, d, yt + g0 * d, hn + t0 + g0,
                                              thr4 + qi, prod)
                                for r in range(min(4, nb - qi)):
                                    if (hits >> (2 * r)) & 3:
                                        cnt[qi + r] = _admit(
                                            prod + r * GD_KNN_COLS, hn, t0 + g0, m,
                                            _own_row(self_rows, q0 + qi + r),
                                            (hits >> (2 * r)) & 3,
                                            cv + (qi + r) * cap, ci + (qi + r) * cap,
                                            cnt[qi + r], kc, cap, &thr[qi + r])
                                        thr4[qi + r] = <float> thr[qi + r]
                    else:
                        if not own:
                            _load_tile(metric, Y, t0, nt, shift, y_scale, False, yt)
                        # prod (nb, nt) = Q_b @ Y_t^T, row stride nt
                        gemm(False, True, nb, nt, d, 1.0, qg, d,
                             <const gemm_t*> &Y[t0, 0] if own else yt, d, 0.0, prod, nt)
                        for qi in range(nb):
                            row = prod + qi * nt
                            hits = _hit_chunks(row, hn + t0, <gemm_t> thr[qi], nt)
                            if hits:
                                cnt[qi] = _admit(row, hn, t0, nt, _own_row(self_rows, q0 + qi),
                                                 hits, cv + qi * cap, ci + qi * cap, cnt[qi],
                                                 kc, cap, &thr[qi])
                for qi in range(nb):
                    _finish_query(metric, Q, Y, qg + qi * d, q0 + qi,
                                  _own_row(self_rows, q0 + qi), complete, cv + qi * cap,
                                  ci + qi * cap, cnt[qi], fd, fi, kc, k, u, max_ny,
                                  _int16_error(max_sy, max_l1, qsx[qi], ql1[qi], d)
                                  if int16 else 0.0, flags,
                                  &dist[q0 + qi, 0], &ind[q0 + qi, 0])
        free(qg)
        free(yt)
        free(prod)
        free(cv)
        free(ci)
        free(cnt)
        free(thr)
        free(thr4)
        free(fd)
        free(fi)
        free(qp)
        free(qsx)
        free(ql1)
        free(yq)
        free(tmp)
    free(hn)
    free(ysc)
    free(yinv)
    return status


cdef inline Py_ssize_t _own_row(const Py_ssize_t[::1] self_rows, Py_ssize_t q) noexcept nogil:
    """The database row query q must not return (itself), or -1."""
    return self_rows[q] if self_rows.shape[0] > 0 else -1


cdef inline Py_ssize_t _admit(gemm_t* row, const gemm_t* hn, Py_ssize_t j0, Py_ssize_t m,
                              Py_ssize_t skip, gd_knn_mask_t hits,
                              gemm_t* cv, int* ci, Py_ssize_t count, Py_ssize_t kc,
                              Py_ssize_t cap, double* threshold) noexcept nogil:
    """Admit a query's dot products row[:m] with database rows j0.. (see _scan_row).

    ``hits`` flags the chunks to visit; the excluded row ``skip`` (the query
    itself, or -1) may have flagged one, and is made NaN first.
    """
    if j0 <= skip < j0 + m:
        row[skip - j0] = NAN   # NaN is never admitted
    return _scan_row(row, hn + j0, j0, m, hits, cv, ci, count, kc, cap, threshold)


cdef inline gd_knn_mask_t _hit_chunks(const gemm_t* row, const gemm_t* hn, gemm_t thr,
                                      Py_ssize_t nt) noexcept nogil:
    if gemm_t is float:
        return gd_knn_hit_chunks_f(row, hn, thr, nt)
    return gd_knn_hit_chunks_d(row, hn, thr, nt)


cdef inline gd_knn_mask_t _dots4(const gemm_t* x, Py_ssize_t d, const gemm_t* yt,
                                 const gemm_t* hn, const float* thr4,
                                 gemm_t* out) noexcept nogil:
    """out (4, 64) = four queries' dot products with a packed group, and their hit
    chunks (float tiles only)."""
    if gemm_t is float:
        return gd_knn_dots4_f(x, d, yt, hn, thr4, out)
    return 0


cdef inline void _load_queries(int metric, const floating[:, ::1] Q, Py_ssize_t q0,
                               Py_ssize_t nb, const double[::1] shift,
                               gemm_t* qg) noexcept nogil:
    """qg (nb, d) = the operands of queries q0..q0+nb: shifted, or unit rows for COSINE."""
    cdef Py_ssize_t d = Q.shape[1], qi, f
    cdef double s
    for qi in range(nb):
        s = 1.0
        if metric == COSINE:
            s = _dot(&Q[q0 + qi, 0], &Q[q0 + qi, 0], d)
            s = 1.0 / sqrt(s) if s > 0 else 1.0
        for f in range(d):
            qg[qi * d + f] = <gemm_t> ((<double> Q[q0 + qi, f] - shift[f]) * s)


cdef inline void _load_tile(int metric, const floating[:, ::1] Y, Py_ssize_t t0,
                            Py_ssize_t nt, const double[::1] shift,
                            const double[::1] y_scale, bint packed,
                            gemm_t* yt) noexcept nogil:
    """The operands of database rows t0..t0+nt: (nt, d), or packed.

    Packed (for gd_knn_dots4_f), each group of GD_KNN_COLS rows is stored
    transposed, d x GD_KNN_COLS contiguous, so that a group stays in L1
    (columns of one transposed tile would be DB_TILE values apart, and
    alias in the cache); the columns past nt in the last group are zeroed.
    """
    cdef Py_ssize_t d = Y.shape[1], j, f, pad, g
    cdef double s = 1.0
    if packed:
        pad = (nt + GD_KNN_COLS - 1) // GD_KNN_COLS * GD_KNN_COLS
        for j in range(nt):
            if metric == COSINE:
                s = y_scale[t0 + j]
            g = (j // GD_KNN_COLS) * GD_KNN_COLS * d + j % GD_KNN_COLS
            for f in range(d):
                yt[g + f * GD_KNN_COLS] = <gemm_t> ((<double> Y[t0 + j, f] - shift[f]) * s)
        for j in range(nt, pad):
            g = (j // GD_KNN_COLS) * GD_KNN_COLS * d + j % GD_KNN_COLS
            for f in range(d):
                yt[g + f * GD_KNN_COLS] = 0
        return
    for j in range(nt):
        if metric == COSINE:
            s = y_scale[t0 + j]
        for f in range(d):
            yt[j * d + f] = <gemm_t> ((<double> Y[t0 + j, f] - shift[f]) * s)


cdef inline Py_ssize_t _scan_row(const gemm_t* row, const gemm_t* hn, Py_ssize_t t0,
                                 Py_ssize_t nt, gd_knn_mask_t hits, gemm_t* cv, int* ci,
                                 Py_ssize_t count, Py_ssize_t kc, Py_ssize_t cap,
                                 double* threshold) noexcept nogil:
    """Admit one query's values hn_j - x.y_j of a tile below its threshold.

    hn_j is half the reduced distance's norm term (||y_j||^2 / 2, or 0 for
    cosine), so a value is one subtraction in the tile's own precision.
    Past the first tiles few values pass, so each GD_KNN_CHUNK values are
    first tested together, branch-free, by the caller (``hits``: bit c for
    values 32c .. 32c + 31, from gd_knn_hit_chunks_* or gd_knn_dots_mask_f,
    vectorized); only a chunk with a hit is walked.  (A scalar loop with a
    branch per value and a float->double round trip costs about as much as
    the sgemm that made the tile.)  The threshold only falls during the
    scan, so a chunk without a hit at the start has none later.

    A chunk with a hit is tested again by sub-chunks of SUB_CHUNK (at large
    k a good fraction of a query's chunks hit, mostly in the first tiles,
    and walking them whole would cost as much as the vector test of all),
    and a sub-chunk with a hit is compacted without branches (each value stored,
    the count advanced by the comparison's 0 or 1): hits are rare and
    random, so a branch per value would mispredict at every one.  When
    fewer than GD_KNN_CHUNK free slots remain, a selection keeps the kc
    smallest and their largest becomes the threshold.  This replaces a heap
    of kc, whose every admission sifts through log2(kc) levels of
    unpredictable branches (a large share of the scan at large k); here an
    admission is two stores and a selection costs O(cap) per cap - kc
    admissions.  The threshold only falls, and every value not held was at
    least the threshold when it left, so after the scan every outsider's
    value is >= the largest value held.  NaN (the excluded self) never
    passes.  Returns the new count.
    """
    cdef Py_ssize_t c, s, j, end, send
    cdef gemm_t v, thr = <gemm_t> threshold[0]   # exact: a held gemm_t value, or inf
    cdef bint hit
    while hits:   # the flagged chunks, in order
        c = gd_knn_lowest_bit(hits) * GD_KNN_CHUNK
        hits &= hits - 1
        end = min(nt, c + GD_KNN_CHUNK)
        if count > cap - GD_KNN_CHUNK:   # make room for a whole chunk
            thr = _keep_smallest(cv, ci, count, kc)
            count = kc
        s = c
        while s < end:   # the same test on sub-chunks, then compaction
            send = min(end, s + SUB_CHUNK)
            hit = send - s < SUB_CHUNK
            if not hit:
                for j in range(s, s + SUB_CHUNK):
                    hit = hit | (hn[j] - row[j] < thr)
            if hit:
                for j in range(s, send):   # store every value, keep those below thr
                    v = hn[j] - row[j]
                    cv[count] = v
                    ci[count] = <int> (t0 + j)
                    count += v < thr
            s = send
    threshold[0] = thr
    return count


cdef inline void _prefetch_row(const void* row, Py_ssize_t nbytes) noexcept nogil:
    """Ask for the first PREFETCH_BYTES of a row, a cache line at a time."""
    cdef Py_ssize_t off
    for off in range(0, min(nbytes, PREFETCH_BYTES), 64):
        GDCORE_PREFETCH(<const char*> row + off, 1)


cdef inline void _finish_query(int metric, const floating[:, ::1] Q,
                               const floating[:, ::1] Y, const gemm_t* xg,
                               Py_ssize_t q, Py_ssize_t skip, bint complete,
                               gemm_t* cv, int* ci, Py_ssize_t count,
                               double* fd, Py_ssize_t* fi,
                               Py_ssize_t kc, Py_ssize_t k, double u, double max_ny,
                               double extra, unsigned char* redo,
                               floating* dist, Py_ssize_t* ind) noexcept nogil:
    """Exact distances of the kc best candidates; verify them or rescan exactly.

    Every outsider's value was >= root, the largest value held (halved for
    SQEUCLIDEAN), so its true reduced distance is >= root - delta; the exact
    k-th distance (reduced: minus ||xg||^2, or minus 1 for cosine) strictly
    below that proves no outsider can displace the k found, ties included.
    ``extra`` widens delta by the products' own error beyond float rounding
    (the integer product's, _int16_error).  Fewer than kc held (values that
    overflowed to inf) also fails.  A query that fails is rescanned exactly
    here, or, given ``redo``, flagged there (redo[q] = 1) and left unwritten.
    """
    cdef Py_ssize_t d = Q.shape[1], t
    cdef const floating* x = &Q[q, 0]
    cdef double root, nxg, off, delta
    if count < kc:
        if redo != NULL:
            redo[q] = 1
            return
        _exact_scan(metric, x, Y, 0.0, skip, fd, fi, k)
        _write_row(fd, fi, k, dist, ind)
        return
    root = _keep_smallest(cv, ci, count, kc)
    if metric == SQEUCLIDEAN:
        root *= 2
    for t in range(min(kc, PREFETCH_AHEAD)):
        _prefetch_row(&Y[ci[t], 0], d * sizeof(floating))
    for t in range(kc):
        if t + PREFETCH_AHEAD < kc:
            _prefetch_row(&Y[ci[t + PREFETCH_AHEAD], 0], d * sizeof(floating))
        fi[t] = ci[t]
        fd[t] = _exact(metric, x, &Y[fi[t], 0], d, 0.0)
    _heap_sort(fd, fi, kc)
    if not complete:
        nxg = _dot(xg, xg, d)
        off = nxg if metric == SQEUCLIDEAN else 1.0
        delta = (2 * d + 8) * u * (nxg + max_ny) + extra
        if not (fd[k - 1] - off < root - delta):
            if redo != NULL:
                redo[q] = 1
                return
            _exact_scan(metric, x, Y, 0.0, skip, fd, fi, k)
    _write_row(fd, fi, k, dist, ind)


# ---------------------------------------------------------------- direct metrics

def kneighbors_direct(
    const floating[:, ::1] Q,         # IN (n_q, d) queries
    const floating[:, ::1] Y,         # IN (n, d) database
    int metric,                       # MANHATTAN, CHEBYSHEV or MINKOWSKI
    double p,                         # Minkowski's p (> 0); ignored otherwise
    bint exclude_self,                # query i is database row i: never its own neighbour
    floating[:, ::1] dist,            # OUT (n_q, k) distances
    Py_ssize_t[:, ::1] ind,           # OUT (n_q, k) database rows, nearest first
    int n_threads,
):
    """The k nearest database rows of each query, distances computed directly."""
    cdef Py_ssize_t nq = Q.shape[0], n = Y.shape[0], k = dist.shape[1]
    cdef Py_ssize_t n_blocks = (nq + DIRECT_QUERY_BLOCK - 1) // DIRECT_QUERY_BLOCK
    cdef int status = OK
    cdef int* failed = &status   # shared: written by a thread whose malloc failed
    cdef Py_ssize_t b, q0, q1, qi, q, tile, t0, t1, t
    cdef double* hd
    cdef Py_ssize_t* hi
    cdef double* h
    cdef Py_ssize_t* hidx

    with nogil, parallel(num_threads=n_threads):
        hd = <double*> malloc(DIRECT_QUERY_BLOCK * k * sizeof(double))
        hi = <Py_ssize_t*> malloc(DIRECT_QUERY_BLOCK * k * sizeof(Py_ssize_t))
        if hd == NULL or hi == NULL:
            failed[0] = OUT_OF_MEMORY
        else:
            for b in prange(n_blocks, schedule="dynamic"):
                q0 = b * DIRECT_QUERY_BLOCK
                q1 = min(nq, q0 + DIRECT_QUERY_BLOCK)
                for qi in range(q1 - q0):
                    _heap_init(hd + qi * k, hi + qi * k, k, n)
                for tile in range((n + DIRECT_DB_TILE - 1) // DIRECT_DB_TILE):
                    t0 = tile * DIRECT_DB_TILE
                    t1 = min(n, t0 + DIRECT_DB_TILE)
                    for qi in range(q1 - q0):
                        q = q0 + qi
                        _direct_tile(metric, p, &Q[q, 0], Y, t0, t1,
                                     q if exclude_self else -1,
                                     hd + qi * k, hi + qi * k, k)
                for qi in range(q1 - q0):
                    h = hd + qi * k
                    hidx = hi + qi * k
                    _heap_sort(h, hidx, k)
                    if metric == MINKOWSKI:
                        for t in range(k):
                            h[t] = pow(h[t], 1.0 / p)
                    _write_row(h, hidx, k, &dist[q0 + qi, 0], &ind[q0 + qi, 0])
        free(hd)
        free(hi)
    return status


cdef inline void _direct_tile(int metric, double p, const floating* x,
                              const floating[:, ::1] Y, Py_ssize_t t0, Py_ssize_t t1,
                              Py_ssize_t skip, double* hd, Py_ssize_t* hi,
                              Py_ssize_t k) noexcept nogil:
    """One query against database rows [t0, t1); the metric chosen once per tile."""
    cdef Py_ssize_t d = Y.shape[1], j
    if metric == MANHATTAN:
        for j in range(t0, t1):
            if j != skip:
                _heap_offer(hd, hi, k, _manhattan(x, &Y[j, 0], d), j)
    elif metric == CHEBYSHEV:
        for j in range(t0, t1):
            if j != skip:
                _heap_offer(hd, hi, k, _chebyshev(x, &Y[j, 0], d), j)
    else:
        for j in range(t0, t1):
            if j != skip:
                _heap_offer(hd, hi, k, _minkowski_reduced(x, &Y[j, 0], d, p), j)
