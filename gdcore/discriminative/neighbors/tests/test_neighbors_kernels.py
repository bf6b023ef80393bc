"""The k-nearest kernels against their NumPy reference, and the gemm trick's trap."""

import numpy as np
import pytest

from gdcore._threads import single_threaded_blas
from gdcore.discriminative.neighbors import _base, _gemm_search, _neighbors, _neighbors_fit
from gdcore.discriminative.neighbors import _reference as ref
from gdcore.tests._tolerance import rtol_for

GEMM = [_neighbors.METRIC_SQEUCLIDEAN, _neighbors.METRIC_COSINE]
DIRECT = [_neighbors.METRIC_MANHATTAN, _neighbors.METRIC_CHEBYSHEV, _neighbors.METRIC_MINKOWSKI]
# (n_queries, n_database, d, k): edge sizes, one tile, several tiles, query
# blocks and groups of 4 queries x 64 rows cut short; d up to the fused
# kernel's limit (128) and past it (gemm: on copied tiles, or on the rows
# themselves when unshifted).
SHAPES = [(1, 1, 1, 1), (4, 9, 1, 9), (7, 50, 3, 1), (130, 2100, 17, 12),
          (33, 1100, 128, 7), (9, 600, 130, 4)]


def _run(module, metric, Q, Y, k, exclude_self, n_threads, p=3.0, shift=None, tiles=None,
         product=_neighbors.PRODUCT_FLOAT):
    """Run a kernel; gemm metrics take the operands' ``shift``, ``tiles`` dtype and product."""
    dist = np.empty((Q.shape[0], k), dtype=Q.dtype)
    ind = np.empty((Q.shape[0], k), dtype=np.intp)
    if metric in GEMM:
        shift = np.zeros(Y.shape[1]) if shift is None else shift
        y_scale = np.empty(0)
        Yg = Y.astype(np.float64) - shift
        if metric == _neighbors.METRIC_COSINE:
            norms = np.sqrt((Yg**2).sum(axis=1))
            y_scale = 1.0 / np.where(norms == 0, 1.0, norms)
            Yg *= y_scale[:, None]
        Yg = Yg.astype(Y.dtype if tiles is None else tiles)
        sq = np.einsum("ij,ij->i", Yg, Yg, dtype=np.float64).astype(Yg.dtype)
        with single_threaded_blas():
            gemm = _gemm_search if module is _neighbors else module
            status = gemm.kneighbors_gemm(Q, Y, shift, y_scale, sq, metric, exclude_self,
                                          dist, ind, n_threads, product)
    else:
        status = module.kneighbors_direct(Q, Y, metric, p, exclude_self, dist, ind, n_threads)
    assert status == _neighbors.STATUS_OK
    return dist, ind


def _check_equal(metric, Q, Y, k, exclude_self, n_threads, dtype, **kw):
    rtol = rtol_for(dtype)
    d_k, i_k = _run(_neighbors, metric, Q, Y, k, exclude_self, n_threads, **kw)
    d_r, i_r = _run(ref, metric, Q, Y, k, exclude_self, n_threads, **kw)
    np.testing.assert_array_equal(i_k, i_r)
    np.testing.assert_allclose(d_k, d_r, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("metric", GEMM + DIRECT)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_kernel_equals_reference(metric, shape, dtype, n_threads):
    nq, n, d, k = shape
    rng = np.random.default_rng(nq + n + d + k)
    Q = rng.standard_normal((nq, d)).astype(dtype)
    Y = rng.standard_normal((n, d)).astype(dtype)
    _check_equal(metric, Q, Y, k, False, n_threads, dtype)


@pytest.mark.parametrize("metric", GEMM + DIRECT)
def test_exclude_self_and_ties_by_index(metric, dtype, n_threads):
    # Integer grid data: many exactly equal distances, so the tie rule matters.
    rng = np.random.default_rng(1)
    X = rng.integers(0, 3, (300, 2)).astype(dtype)
    _check_equal(metric, X, X, 6, True, n_threads, dtype)
    _check_equal(metric, X[:40], X, 6, False, n_threads, dtype)


@pytest.mark.parametrize("k", [1, 50])
def test_many_ties_through_the_candidate_selection(k, dtype, n_threads):
    """Few distinct distances over several tiles.

    The selections that lower the admission threshold meet long runs of
    equal values, and the answer must still follow the tie rule (and the
    kernel must not stall).
    """
    rng = np.random.default_rng(6)
    Y = rng.integers(0, 2, (1500, 3)).astype(dtype)
    Q = rng.integers(0, 2, (30, 3)).astype(dtype)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q, Y, k, False, n_threads, dtype)


@pytest.mark.parametrize("p", [0.5, 1.5, 4.0])
def test_minkowski_any_p(p, dtype):
    rng = np.random.default_rng(2)
    Q, Y = rng.random((20, 5)).astype(dtype), rng.random((90, 5)).astype(dtype)
    _check_equal(_neighbors.METRIC_MINKOWSKI, Q, Y, 4, False, 2, dtype, p=p)


def test_cosine_zero_vectors_are_at_distance_one(dtype):
    Y = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], dtype=dtype)
    Q = np.array([[0.0, 0.0], [3.0, 0.1]], dtype=dtype)
    _check_equal(_neighbors.METRIC_COSINE, Q, Y, 3, False, 1, dtype)
    dist, _ = _run(_neighbors, _neighbors.METRIC_COSINE, Q, Y, 3, False, 1)
    np.testing.assert_array_equal(dist[0], [1.0, 1.0, 1.0])


def test_close_points_where_the_gemm_trick_fails(n_threads):
    """Points far from the origin and close together: float32's gemm trick errs.

    ||x||^2 + ||y||^2 - 2 x.y in float32 has an error ~1e-7 * 3e6 = 0.3 here,
    far more than the squared gaps (~1e-2) between the candidates, so the
    naive answer picks a wrong nearest neighbour; the kernel, given the raw
    (unshifted) points as gemm operands, must still return the exact answer.
    """
    rng = np.random.default_rng(3)
    base = np.full(3, 1000.0)
    Y = (base + rng.uniform(-0.5, 0.5, (400, 3))).astype(np.float32)
    Q = (base + rng.uniform(-0.5, 0.5, (50, 3))).astype(np.float32)

    Q64, Y64 = Q.astype(np.float64), Y.astype(np.float64)
    exact = ((Q64[:, None, :] - Y64[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    naive = ((Q**2).sum(1)[:, None] + (Y**2).sum(1)[None, :] - 2 * Q @ Y.T).argmin(axis=1)
    assert (naive != exact).any(), "the trap must actually catch the naive trick"

    dist, ind = _run(_neighbors, _neighbors.METRIC_SQEUCLIDEAN, Q, Y, 1, False, n_threads)
    np.testing.assert_array_equal(ind[:, 0], exact)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q, Y, 5, False, n_threads, np.float32)


def test_float32_failures_are_searched_again_with_float64_tiles(n_threads):
    """Far from the origin, unshifted: float32 tiles cannot verify most queries.

    ``search`` flags them rather than rescanning each exactly, and
    kneighbors_gemm answers them together with float64 tiles.
    """
    rng = np.random.default_rng(3)
    Y = (1000.0 + rng.uniform(-0.5, 0.5, (700, 5))).astype(np.float32)
    Q = (1000.0 + rng.uniform(-0.5, 0.5, (90, 5))).astype(np.float32)
    sq = np.einsum("ij,ij->i", Y, Y, dtype=np.float64).astype(np.float32)
    dist = np.empty((len(Q), 4), dtype=np.float32)
    ind = np.full((len(Q), 4), -1, dtype=np.intp)
    redo = np.zeros(len(Q), dtype=np.uint8)
    with single_threaded_blas():
        _neighbors.search(Q, Y, np.zeros(5), np.empty(0), sq, _neighbors.METRIC_SQEUCLIDEAN,
                           np.empty(0, dtype=np.intp), dist, ind, n_threads,
                           _neighbors.PRODUCT_FLOAT, redo, _neighbors.n_candidates(4, len(Y)))
    assert redo.mean() > 0.5
    assert (ind[redo == 1] == -1).all()
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q, Y, 4, False, n_threads, np.float32)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Y[:90], Y, 4, True, n_threads, np.float32)


@pytest.mark.parametrize("product", [_neighbors.PRODUCT_FLOAT, _neighbors.PRODUCT_INT16])
@pytest.mark.parametrize("d", [8, 130])
def test_shifted_operands_do_not_change_the_answer(d, dtype, product):
    # The estimators shift both sides by the database mean; any shift is allowed.
    rng = np.random.default_rng(4)
    Q, Y = rng.standard_normal((60, d)).astype(dtype), rng.standard_normal((500, d)).astype(dtype)
    shift = rng.standard_normal(d)
    int16 = product == _neighbors.PRODUCT_INT16   # on float32 tiles, which it needs
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q, Y, 7, False, 2, dtype, shift=shift,
                 tiles=np.float32 if int16 else None, product=product)


def test_n_candidates():
    assert _neighbors.n_candidates(10, 5) == 5
    assert _neighbors.n_candidates(1, 1000) == 9
    assert _neighbors.n_candidates(100, 1000) == 112
    assert ref.n_candidates(100, 1000) == 112


@pytest.mark.parametrize("metric", GEMM)
def test_float32_tiles_for_float64_data(metric, n_threads):
    """float64 data searched with float32 tiles is still answered exactly.

    Pairs of points here differ by eps, far below float32's resolution (but
    not below double's resolution of the metric: cosine distances are
    ~eps^2), so the verification fails and the exact rescan must answer.
    """
    eps = 1e-9 if metric == _neighbors.METRIC_SQEUCLIDEAN else 1e-6
    rng = np.random.default_rng(5)
    Y = rng.standard_normal((300, 4))
    Y[1::2] = Y[::2] + eps * rng.standard_normal((150, 4))
    Q = Y[:40] + eps * rng.standard_normal((40, 4))
    _check_equal(metric, Q, Y, 3, False, n_threads, np.float64, tiles=np.float32)
    X = rng.standard_normal((500, 9))
    _check_equal(metric, X[:70], X, 5, False, n_threads, np.float64, tiles=np.float32)


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (4096, 7), (9000, 64)], ids=str)
def test_database_stats_equal_reference(shape, dtype, n_threads):
    # Blocks of 4096 rows: one row, one block exactly, and blocks cut short.
    rng = np.random.default_rng(shape[0])
    X = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    out = {}
    for name, module in (("kernel", _neighbors_fit), ("reference", ref)):
        sq, sums, peak = np.empty(shape[0]), np.empty(shape[1]), np.zeros(1)
        assert module.database_stats(X, sq, sums, peak, n_threads) == _neighbors.STATUS_OK
        out[name] = (sq, sums, peak)
    for got, want in zip(out["kernel"], out["reference"]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    assert out["kernel"][2][0] == np.abs(X).max()


def test_database_stats_do_not_depend_on_threads():
    X = np.random.default_rng(3).standard_normal((20_000, 9)).astype(np.float32)
    runs = []
    for n_threads in (1, 2):
        sq, sums, peak = np.empty(len(X)), np.empty(9), np.zeros(1)
        _neighbors_fit.database_stats(X, sq, sums, peak, n_threads)
        runs.append(np.concatenate([sq, sums, peak]))
    np.testing.assert_array_equal(runs[0], runs[1])


# ---------------------------------------------------------------- integer product
# PRODUCT_INT16 runs where the CPU has AVX-512 VNNI (int16_ready); elsewhere
# the kernel takes float32 products for it, and these tests check that path.
INT16 = {"product": _neighbors.PRODUCT_INT16, "tiles": np.float32}


def test_int16_dispatch():
    """The estimators ask for the integer product exactly where it can run."""
    ready = _neighbors.int16_ready()
    expected = _neighbors.PRODUCT_INT16 if ready else _neighbors.PRODUCT_FLOAT
    assert _base._GEMM_PRODUCT == expected, f"int16_ready() = {ready}"


@pytest.mark.parametrize("metric", GEMM)
@pytest.mark.parametrize("shape", SHAPES + [(5, 5, 33, 5), (40, 31, 2, 30), (70, 300, 47, 9)],
                         ids=str)
def test_int16_product_equals_reference(metric, shape, dtype, n_threads):
    # Past SHAPES: k = n and n below one group of 32 rows, odd d (a zero pair).
    nq, n, d, k = shape
    rng = np.random.default_rng(nq + n + d + k)
    Q = rng.standard_normal((nq, d)).astype(dtype)
    Y = rng.standard_normal((n, d)).astype(dtype)
    _check_equal(metric, Q, Y, k, False, n_threads, dtype, **INT16)
    _check_equal(metric, Y[:nq], Y, min(k, n - 1) or 1, n > 1, n_threads, dtype, **INT16)


def _clusters(n, nq, d, spread, seed=0):
    """Points in tight clusters: distances within a cluster far below the norms."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((20, d))
    Y = centers[rng.integers(0, 20, n)] + spread * rng.standard_normal((n, d))
    Q = centers[rng.integers(0, 20, nq)] + spread * rng.standard_normal((nq, d))
    return Q.astype(np.float32), Y.astype(np.float32)


def test_int16_unverified_queries_are_flagged_then_answered(n_threads):
    """Tight clusters fail the integer bound; those queries are redone with float32.

    ``search`` flags them (and only writes the others); kneighbors_gemm
    answers all: after a pilot that mostly fails, with more candidates, or
    with float32 products.  Either way the answer is the reference's.
    """
    Q, Y = _clusters(1500, 600, 24, 1e-3)
    sq = np.einsum("ij,ij->i", Y, Y, dtype=np.float64).astype(np.float32)
    dist = np.full((len(Q), 5), -1.0, dtype=np.float32)
    ind = np.full((len(Q), 5), -1, dtype=np.intp)
    redo = np.zeros(len(Q), dtype=np.uint8)
    with single_threaded_blas():
        status = _neighbors.search(Q, Y, np.zeros(24), np.empty(0), sq,
                                    _neighbors.METRIC_SQEUCLIDEAN, np.empty(0, dtype=np.intp),
                                    dist, ind, n_threads, _neighbors.PRODUCT_INT16, redo,
                                    _neighbors.n_candidates(5, len(Y)))
    assert status == _neighbors.STATUS_OK
    d_r, i_r = _run(ref, _neighbors.METRIC_SQEUCLIDEAN, Q, Y, 5, False, n_threads)
    done = redo == 0
    if _neighbors.int16_ready():
        assert redo.mean() > 0.5, "the clusters must defeat the integer bound"
        assert (ind[~done] == -1).all()
    np.testing.assert_array_equal(ind[done], i_r[done])
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q, Y, 5, False, n_threads, np.float32, **INT16)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Y[:300], Y, 5, True, n_threads, np.float32,
                 **INT16)


def test_int16_more_candidates_pass_in_clusters(n_threads):
    """Clusters of ~100 points: most queries fail with kc candidates, pass with kc + 64.

    kneighbors_gemm's pilot then retries with more candidates and keeps them
    for the other queries; the answer stays the float32 product's (itself
    the reference's, checked on some queries: the reference's distance
    tensor is large).
    """
    rng = np.random.default_rng(1)
    centers = rng.standard_normal((20, 128))
    Y = (centers[rng.integers(0, 20, 2000)] + 0.1 * rng.standard_normal((2000, 128)))
    Q = (centers[rng.integers(0, 20, 300)] + 0.1 * rng.standard_normal((300, 128)))
    Y, Q = Y.astype(np.float32), Q.astype(np.float32)
    sq = np.einsum("ij,ij->i", Y, Y, dtype=np.float64).astype(np.float32)
    kc = _neighbors.n_candidates(5, len(Y))
    share = []
    for candidates in (kc, kc + 64):
        dist = np.empty((len(Q), 5), dtype=np.float32)
        ind = np.empty((len(Q), 5), dtype=np.intp)
        redo = np.zeros(len(Q), dtype=np.uint8)
        with single_threaded_blas():
            _neighbors.search(Q, Y, np.zeros(128), np.empty(0), sq,
                               _neighbors.METRIC_SQEUCLIDEAN, np.empty(0, dtype=np.intp),
                               dist, ind, n_threads, _neighbors.PRODUCT_INT16, redo, candidates)
        share.append(redo.mean())
    if _neighbors.int16_ready():
        assert share[1] < 0.25 < share[0], share
    d_i, i_i = _run(_neighbors, _neighbors.METRIC_SQEUCLIDEAN, Q, Y, 5, False, n_threads, **INT16)
    d_f, i_f = _run(_neighbors, _neighbors.METRIC_SQEUCLIDEAN, Q, Y, 5, False, n_threads)
    np.testing.assert_array_equal(i_i, i_f)
    np.testing.assert_array_equal(d_i, d_f)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q[:40], Y, 5, False, n_threads, np.float32,
                 **INT16)


@pytest.mark.parametrize("spread", [1e-3, 0.3], ids=["tight", "loose"])
def test_int16_answers_do_not_depend_on_threads(spread):
    Q, Y = _clusters(3000, 700, 40, spread)
    runs = [_run(_neighbors, _neighbors.METRIC_SQEUCLIDEAN, Q, Y, 7, False, t, **INT16)
            for t in (1, 2)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_int16_rows_of_very_different_sizes(n_threads):
    """Rows and queries down to 1e-30 of the others' size, zero rows, and large rows."""
    rng = np.random.default_rng(8)
    Y = rng.standard_normal((500, 21))
    Y[::7] *= 1e-30
    Y[3::11] = 0.0
    Y[5::13] *= 1e10
    Q = np.concatenate([Y[:60] * (1 + 1e-3 * rng.standard_normal((60, 21))),
                        rng.standard_normal((20, 21)) * 1e-25])
    for dtype in (np.float32, np.float64):
        _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q.astype(dtype), Y.astype(dtype), 6, False,
                     n_threads, dtype, **INT16)
        _check_equal(_neighbors.METRIC_COSINE, Q.astype(dtype), Y.astype(dtype), 6, False,
                     n_threads, dtype, **INT16)
    # All rows tiny: two row scales would multiply below float32's normal range.
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, (Q[:60] * 1e-20).astype(np.float32),
                 (Y * 1e-20).astype(np.float32), 6, False, n_threads, np.float32, **INT16)


def test_int16_far_from_the_origin_and_duplicates(n_threads):
    """Unshifted rows far from the origin fail every bound; duplicates tie exactly."""
    rng = np.random.default_rng(7)
    Y = (1000.0 + rng.uniform(-0.5, 0.5, (400, 19))).astype(np.float32)
    Q = (1000.0 + rng.uniform(-0.5, 0.5, (300, 19))).astype(np.float32)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q, Y, 4, False, n_threads, np.float32, **INT16)
    X = np.repeat(rng.standard_normal((150, 66)), 3, axis=0)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, X, X, 5, True, n_threads, np.float64, **INT16)
    _check_equal(_neighbors.METRIC_COSINE, X, X, 5, True, n_threads, np.float64, **INT16)
