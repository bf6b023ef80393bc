"""Gradient/hessian histograms of a boosting node (Ke et al. 2017, LightGBM, section 2).

For each feature f and bin b, ``hist[f, b] = (sum of g, sum of h, count)`` over
the node's rows whose code is b: O(rows x features) per node, after which the
split finder scans O(bins) per feature instead of sorting the node.  Codes are
feature-major (d, n) uint8 (``max_bins <= 255``) or uint32, as
``gdcore.discriminative.tree._bins`` writes them.

Layouts of the same sum, chosen by the shape and the node alone (never by
the thread count, so a result is the same on any number of threads):

- ``build``, column-wise, for the root (every row, in order): threads take
  whole features and each feature's codes are read in order, in tiles of
  rows whose gradients stay in cache while every feature reads them.  With
  fewer than ROWWISE_MAX_FEATURES features it cuts the rows in chunks of
  ROW_CHUNK instead (a partial histogram per chunk, added in chunk order),
  since a feature per thread would leave threads idle.
- ``build_rowwise``, row-wise on row-major codes, for the other nodes: their
  rows are scattered, and a row's codes are one contiguous read where the
  column layout touches one cache line per feature (LightGBM's row-wise
  histograms).  Fixed chunks of rows, a partial histogram per chunk, added
  in chunk order.

In both, the node's gradients are first gathered into contiguous arrays in
``rows`` order (scikit-learn's ordered gradients).

``subtract`` gives a child's histogram as parent minus sibling: the grower
builds the smaller child and subtracts, so a split costs the rows of its
smaller side (LightGBM's and scikit-learn's trick).
NumPy twin: ``gdcore/discriminative/boosting/_reference/boosting_hist.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, uint8_t, uint32_t
from libc.stdlib cimport calloc, free

ctypedef fused code_t:
    uint8_t
    uint32_t

cdef enum:
    # Row-wise only below this many features: from here column-wise keeps
    # every thread busy and needs no partial histograms.
    ROWWISE_MAX_FEATURES = 4
    # Rows per partial histogram of the row-wise layout: large enough that
    # the partials (chunks x features x bins) stay small beside the rows,
    # small enough that a 100,000-row node still splits in several chunks.
    ROW_CHUNK = 16384
    # Rows per tile of the column-wise layout: the tile's gradients and
    # hessians (8 bytes a row in float32) stay in L1/L2 while every feature
    # reads them, instead of streaming from memory once per feature.
    TILE_ROWS = 4096
    # Row-wise partial histograms at most: enough chunks to balance a few
    # threads, few enough that the partials (MAX_CHUNKS x d x bins x 3
    # doubles) stay a small share of a node's work to reduce.
    MAX_CHUNKS = 8
    # Rows per chunk at least: below, reducing the partials costs more than
    # the rows' own updates.
    MIN_CHUNK_ROWS = 8192
    OK = 0
    NO_MEMORY = 1

STATUS_OK = OK
STATUS_NO_MEMORY = NO_MEMORY
MAX_ROW_CHUNKS = MAX_CHUNKS


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
    """Histograms of the node's rows for the given features.

    Returns STATUS_OK or STATUS_NO_MEMORY (row-wise partials not allocated).
    Only ``hist[features]`` is written; the hessian column is 0 when
    ``constant_hessian``.
    """
    cdef Py_ssize_t m = rows.shape[0], k = features.shape[0], B = hist.shape[1]
    cdef Py_ssize_t i, j, c, f, t, n_chunks, start, stop
    cdef const floating* g = &gradients[0] if gradients.shape[0] else NULL
    cdef const floating* h = &hessians[0] if hessians.shape[0] else NULL
    cdef double* part = NULL
    cdef int status = OK
    if k == 0 or m == 0:
        for j in range(k):
            hist[features[j], :, :] = 0.0
        return OK
    n_chunks = (m + ROW_CHUNK - 1) // ROW_CHUNK
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
        if k >= ROWWISE_MAX_FEATURES or n_chunks < 2:
            # tiles of rows, all features per tile: a tile's gradients stay in
            # L1/L2 while every feature reads them
            for t in range((m + TILE_ROWS - 1) // TILE_ROWS):
                start = t * TILE_ROWS
                stop = min(start + TILE_ROWS, m)
                for j in prange(k, schedule="static", num_threads=n_threads):
                    _feature_hist(&codes[features[j], 0], &rows[0], all_rows, start, stop,
                                  g, h, constant_hessian, &hist[features[j], 0, 0])
        else:
            part = <double*> calloc(n_chunks * k * B * 3, sizeof(double))
            if part == NULL:
                status = NO_MEMORY
            else:
                for c in prange(n_chunks, schedule="static", num_threads=n_threads):
                    start = c * ROW_CHUNK
                    stop = min(start + ROW_CHUNK, m)
                    for j in range(k):
                        _feature_hist(&codes[features[j], 0], &rows[0], all_rows, start,
                                      stop, g, h, constant_hessian,
                                      part + (c * k + j) * B * 3)
                for c in range(n_chunks):
                    for j in range(k):
                        f = features[j]
                        for i in range(3 * B):
                            (&hist[f, 0, 0])[i] += part[(c * k + j) * B * 3 + i]
                free(part)
    return status


cdef void _rows_hist(const code_t* codes, Py_ssize_t d, const int32_t* rows, bint all_rows,
                     Py_ssize_t start, Py_ssize_t stop, const floating* g, const floating* h,
                     bint constant_hessian, const int32_t* features, Py_ssize_t k,
                     Py_ssize_t B, double* out) noexcept nogil:
    """Add positions start:stop into out (k, B, 3), reading each row's codes
    (row-major, contiguous) once for all k features."""
    cdef Py_ssize_t i, j, r, b
    cdef const code_t* x
    cdef double gi, hi
    for i in range(start, stop):
        r = i if all_rows else rows[i]
        x = codes + r * d
        gi = g[i]
        hi = 1.0 if constant_hessian else h[i]
        for j in range(k):
            b = 3 * (j * B + x[features[j]])
            out[b] += gi
            out[b + 1] += hi
            out[b + 2] += 1.0


def build_rowwise(
    const code_t[:, ::1] codes,        # IN (n, d) bin codes, row-major
    const int32_t[::1] rows,           # IN (m,) the node's rows
    bint all_rows,                     # rows is 0..n-1 in order (the root)
    const floating[::1] gradients,     # IN (n,)
    const floating[::1] hessians,      # IN (n,) ignored when constant_hessian
    bint constant_hessian,
    const int32_t[::1] features,       # IN (k,) features to build
    floating[::1] ordered_g,           # TMP (m,)
    floating[::1] ordered_h,           # TMP (m,)
    double[:, ::1] partials,           # TMP (MAX_CHUNKS, >= k * B * 3)
    double[:, :, ::1] hist,            # OUT (d, B, 3) rows `features` written
    int n_threads,
):
    """Histograms of the node's rows, row-wise: ``build``'s result from row-major codes.

    The rows are cut in ``chunks(m)`` chunks (a function of m only), each summed
    into its own slice of ``partials``; the chunks are then added in chunk
    order, so the result does not depend on the thread count.  A row's codes
    are one contiguous read where the column-wise layout touches one cache line
    per feature, which is what deep nodes (scattered rows) pay for.
    """
    cdef Py_ssize_t m = rows.shape[0], k = features.shape[0], B = hist.shape[1]
    cdef Py_ssize_t d = codes.shape[1], i, j, c, f, n_chunks, size, width = k * B * 3
    cdef const floating* g = &gradients[0] if gradients.shape[0] else NULL
    cdef const floating* h = &hessians[0] if hessians.shape[0] else NULL
    cdef double acc
    if k == 0:
        return OK
    n_chunks = chunks(m)
    if partials.shape[0] < n_chunks or partials.shape[1] < width:
        raise ValueError("partials is too small for this node's histograms.")
    size = (m + n_chunks - 1) // n_chunks if m else 0
    with nogil:
        if not all_rows and m:
            for i in prange(m, schedule="static", num_threads=n_threads):
                ordered_g[i] = g[rows[i]]
                if not constant_hessian:
                    ordered_h[i] = h[rows[i]]
            g = &ordered_g[0]
            h = &ordered_h[0]
        for c in prange(n_chunks, schedule="static", num_threads=n_threads):
            for i in range(width):
                partials[c, i] = 0.0
            _rows_hist(&codes[0, 0] if m else NULL, d, &rows[0] if m else NULL, all_rows,
                       c * size, min(m, (c + 1) * size), g, h, constant_hessian,
                       &features[0], k, B, &partials[c, 0])
        for j in prange(k, schedule="static", num_threads=n_threads):
            f = features[j]
            for i in range(B * 3):
                acc = 0.0
                for c in range(n_chunks):
                    acc = acc + partials[c, j * B * 3 + i]
                if constant_hessian and i % 3 == 1:
                    acc = 0.0
                (&hist[f, 0, 0])[i] = acc
    return OK


cpdef Py_ssize_t chunks(Py_ssize_t m) noexcept nogil:
    """Number of row chunks ``build_rowwise`` cuts m rows into (at most MAX_CHUNKS)."""
    return max(1, min(<Py_ssize_t> MAX_CHUNKS, m // MIN_CHUNK_ROWS))


def subtract(
    const double[:, :, ::1] parent,    # IN (d, B, 3)
    const double[:, :, ::1] child,     # IN (d, B, 3)
    const int32_t[::1] features,       # IN (k,)
    double[:, :, ::1] out,             # OUT (d, B, 3) rows `features` written
):
    """The sibling's histograms: parent minus child, for the given features."""
    cdef Py_ssize_t j, i, f, size = 3 * parent.shape[1]
    with nogil:
        for j in range(features.shape[0]):
            f = features[j]
            for i in range(size):
                (&out[f, 0, 0])[i] = (&parent[f, 0, 0])[i] - (&child[f, 0, 0])[i]
