"""The k-nearest kernels against their NumPy reference, and the gemm trick's trap."""

import numpy as np
import pytest

from gdcore._threads import single_threaded_blas
from gdcore.discriminative.neighbors import _neighbors, _neighbors_fit
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


def _run(module, metric, Q, Y, k, exclude_self, n_threads, p=3.0, shift=None, tiles=None):
    """Run a kernel; gemm metrics take the operands' ``shift`` and ``tiles`` dtype."""
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
            status = module.kneighbors_gemm(Q, Y, shift, y_scale, sq, metric, exclude_self,
                                            dist, ind, n_threads)
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


@pytest.mark.parametrize("d", [8, 130])
def test_shifted_operands_do_not_change_the_answer(d, dtype):
    # The estimators shift both sides by the database mean; any shift is allowed.
    rng = np.random.default_rng(4)
    Q, Y = rng.standard_normal((60, d)).astype(dtype), rng.standard_normal((500, d)).astype(dtype)
    shift = rng.standard_normal(d)
    _check_equal(_neighbors.METRIC_SQEUCLIDEAN, Q, Y, 7, False, 2, dtype, shift=shift)


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
