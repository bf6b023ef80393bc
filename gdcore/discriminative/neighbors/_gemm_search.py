"""The gemm search's stages: which product ranks which queries, and what is searched again.

``kneighbors_gemm`` runs the compiled ``search`` on all or some
of the queries, with the 16-bit integer product where the CPU has it and
float32 or float64 tiles otherwise (see ``_neighbors.pyx``'s docstring),
and sends the queries a product cannot verify, all together, to the next
one.  Only whole queries move between stages, so the answer is the one
exact answer whatever the stages: the same neighbours as the NumPy twin
``_reference.kneighbors_gemm``.
"""

import numpy as np

from gdcore.discriminative.neighbors._neighbors import (
    METRIC_COSINE,
    PRODUCT_FLOAT,
    PRODUCT_INT16,
    STATUS_OK,
    int16_ready,
    n_candidates,
    search,
)

# The integer product is tried on this many queries first; if more than
# MAX_REDONE_SHARE of them fail its verification (tight clusters, rows far
# from the origin), the other queries go straight to float32 products.  A
# small pilot costs little where the integer product wins, and bounds what
# it wastes where it loses.  Measured by `gdcore bench neighbors`
# (kneighbors k=10 float32, clustered 50000x256).
PILOT_QUERIES = 256
# Candidates added for the pilot's failures (see _wider): in clusters, the
# k-th neighbour's distance is separated from the (k + slack)-th by less
# than the integer product's error, from the k + 64-th often not.  Each
# candidate costs an exact distance, and admissions.  Measured by `gdcore
# bench neighbors` (kneighbors k=10 float32, clustered 50000x256).
WIDE_SLACK = 64
# A query the integer product fails costs its integer pass and then a
# float32 one, and the integer pass costs about half the float32 one: beyond
# this share of failures it pays less and less (see PILOT_QUERIES).
MAX_REDONE_SHARE = 0.25


def kneighbors_gemm(Q, Y, shift, y_scale, yg_sqnorms, metric, exclude_self, dist, ind,
                    n_threads, product=PRODUCT_FLOAT):
    """Write the k nearest database rows of each query, by gemm tiles and verified.

    Q (n_q, d) queries and Y (n, d) database, C-contiguous, of one float
    type; shift (d,) subtracted from both sides (see below); y_scale (n,)
    for COSINE 1 / ||y_j|| (unused, may be empty, otherwise); yg_sqnorms
    (n,) squared norms of the database operand rows; metric
    METRIC_SQEUCLIDEAN or METRIC_COSINE; exclude_self: query i is database
    row i and never its own neighbour; dist (n_q, k) and ind (n_q, k) are
    written, nearest first.  Returns a STATUS_* code.

    The tiles multiply operands made on the fly, tile by tile, in the type of
    yg_sqnorms (float32 or float64): for SQEUCLIDEAN, rows minus ``shift`` (the
    estimators use the database mean, which makes the products' rounding
    small), for COSINE, rows scaled to norm 1 (``y_scale`` for the
    database, computed here for the queries; zero rows stay zero, shift is
    zero).  No operand copy of the database is ever held: a thread holds one
    tile of it.  yg_sqnorms must be the squared norms of exactly these
    operand rows.  Final distances are recomputed exactly from Q and Y
    themselves, so the operands only have to rank well; they may be float32
    for float64 data (the error bound follows).

    ``product=PRODUCT_INT16`` multiplies the operands quantized to 16-bit
    integers (``_neighbors_int16.pxd``) with a wider verification bound
    (float32 tiles where int16_ready(); float32 products otherwise).  The
    queries it cannot verify are searched again afterwards, all together,
    with float32 products, and if a pilot of the first PILOT_QUERIES shows
    more than MAX_REDONE_SHARE of them failing (tight clusters), its
    failures are tried again with WIDE_SLACK more candidates, which then
    serve the other queries if enough pass; otherwise the other queries go
    to float32 products at once: such data costs a pilot more than float32
    alone, not a rescan per query.  The queries float32 products cannot
    verify are searched again together with float64 tiles (and rescanned
    exactly only if those fail too).  The answer is the same either way.
    """
    nq = Q.shape[0]
    kc = n_candidates(dist.shape[1], Y.shape[0] - exclude_self)
    self_rows = np.arange(nq) if exclude_self else np.empty(0, dtype=np.intp)
    no_redo = np.empty(0, dtype=np.uint8)
    if np.asarray(yg_sqnorms).dtype == np.float64 or nq == 0:
        return search(Q, Y, shift, y_scale, yg_sqnorms, metric, self_rows, dist, ind,
                      n_threads, PRODUCT_FLOAT, no_redo, kc)
    redo = np.zeros(nq, dtype=np.uint8)   # failed the integer product: float32 next
    hard = np.zeros(nq, dtype=np.uint8)   # failed float32: float64 tiles next
    if product == PRODUCT_INT16 and int16_ready():
        pilot = min(nq, PILOT_QUERIES)
        status = search(Q[:pilot], Y, shift, y_scale, yg_sqnorms, metric,
                        self_rows[:pilot], dist[:pilot], ind[:pilot], n_threads,
                        PRODUCT_INT16, redo[:pilot], kc)
        wide = kc
        if status == STATUS_OK and redo[:pilot].mean() > MAX_REDONE_SHARE:
            # More candidates widen the margin the bound must fit in: the
            # pilot's failures again, with WIDE_SLACK more; if still too many
            # fail, the rest of the queries take float32 products.
            wide, product = _wider(Q, Y, shift, y_scale, yg_sqnorms, metric, self_rows, dist,
                                   ind, n_threads, redo, pilot, kc)
        if status == STATUS_OK and pilot < nq:
            status = search(Q[pilot:], Y, shift, y_scale, yg_sqnorms, metric,
                            self_rows[pilot:], dist[pilot:], ind[pilot:], n_threads, product,
                            (redo if product == PRODUCT_INT16 else hard)[pilot:], wide)
        failed = np.flatnonzero(redo)
        if status == STATUS_OK and len(failed):
            again = np.zeros(len(failed), dtype=np.uint8)
            status = _redo(Q, Y, shift, y_scale, yg_sqnorms, metric, self_rows, dist, ind,
                           n_threads, failed, PRODUCT_FLOAT, again, kc)
            hard[failed] = again
    else:
        status = search(Q, Y, shift, y_scale, yg_sqnorms, metric, self_rows, dist, ind,
                        n_threads, PRODUCT_FLOAT, hard, kc)
    failed = np.flatnonzero(hard)
    if status == STATUS_OK and len(failed):
        # float32 tiles cannot rank these (points far from the origin, tight
        # clusters): float64 tiles, all together, rather than an exact scan each.
        status = _redo(Q, Y, shift, y_scale, _float64_sqnorms(Y, shift, y_scale, metric),
                       metric, self_rows, dist, ind, n_threads, failed, PRODUCT_FLOAT,
                       no_redo, kc)
    return status


def _float64_sqnorms(Y, shift, y_scale, metric):
    """Squared norms of the float64 tiles' operand rows, as _load_tile makes them."""
    Y = np.asarray(Y)
    out = np.empty(len(Y))
    rows = max(1, 2**20 // max(1, Y.shape[1]))   # 8 MB of float64 at a time
    for start in range(0, len(Y), rows):
        c = Y[start:start + rows].astype(np.float64) - np.asarray(shift)
        if metric == METRIC_COSINE:
            c *= np.asarray(y_scale)[start:start + rows, None]
        out[start:start + len(c)] = np.einsum("ij,ij->i", c, c)
    return out


def _wider(Q, Y, shift, y_scale, yg_sqnorms, metric, self_rows, dist, ind, n_threads, redo,
           pilot, kc):
    """Search the pilot's failures again with more candidates; return the rest's kc, product."""
    failed = np.flatnonzero(redo[:pilot])
    wide = min(kc + WIDE_SLACK, Y.shape[0] - (len(self_rows) > 0))
    again = np.zeros(len(failed), dtype=np.uint8)
    if wide == kc or _redo(Q, Y, shift, y_scale, yg_sqnorms, metric, self_rows, dist, ind,
                           n_threads, failed, PRODUCT_INT16, again, wide) != STATUS_OK:
        return kc, PRODUCT_FLOAT
    redo[failed] = again
    if again.sum() > MAX_REDONE_SHARE * pilot:
        return kc, PRODUCT_FLOAT
    return wide, PRODUCT_INT16


def _redo(Q, Y, shift, y_scale, yg_sqnorms, metric, self_rows, dist, ind, n_threads, rows,
          product, redo, kc):
    """Search the queries ``rows`` again (copied together); write back those answered."""
    sub_dist = np.empty((len(rows), dist.shape[1]), dtype=np.asarray(dist).dtype)
    sub_ind = np.empty((len(rows), dist.shape[1]), dtype=np.intp)
    status = search(np.asarray(Q)[rows], Y, shift, y_scale, yg_sqnorms, metric,
                    np.asarray(self_rows)[rows] if len(self_rows) else self_rows, sub_dist,
                    sub_ind, n_threads, product, redo, kc)
    done = redo == 0 if len(redo) else slice(None)
    np.asarray(dist)[rows[done]] = sub_dist[done]
    np.asarray(ind)[rows[done]] = sub_ind[done]
    return status
