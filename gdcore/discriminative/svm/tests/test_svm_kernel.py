"""The SMO kernel against its NumPy twin, and libsvm's published heart_scale numbers."""

import os

import numpy as np
import pytest
from sklearn.datasets import load_svmlight_file

from gdcore.discriminative.svm import _reference as ref
from gdcore.discriminative.svm import _svm

# libsvm's public example file (its README's published run), shipped with the tests.
HEART = os.path.join(os.path.dirname(__file__), "data", "heart_scale")


def _problem(n, d, kernel, dtype, seed=0, svr=False):
    """Arguments of smo_solve (without alpha and the solver settings)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if kernel == ref.PRECOMPUTED:
        X = ref.kernel_matrix(X, X, (X * X).sum(1), (X * X).sum(1), ref.RBF, 0.5, 0, 3)
    X = X.astype(dtype)
    sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    coef0 = -1.0 if kernel == ref.SIGMOID else 0.5
    if svr:
        z = rng.standard_normal(n)
        var_data = np.concatenate([np.arange(n), np.arange(n)]).astype(np.intc)
        y = np.concatenate([np.ones(n), -np.ones(n)])
        p = np.concatenate([0.1 - z, 0.1 + z])
    else:
        var_data = np.arange(n, dtype=np.intc)
        y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        p = -np.ones(n)
    C = rng.uniform(0.5, 2.0, len(y))
    return (X, sq, kernel, 0.2, coef0, 2, var_data, y, p, C)


def _run(fn, args, tol=1e-3, max_iter=0, cache=1e8, shrinking=True, n_threads=1):
    alpha = np.empty(len(args[7]))
    out = fn(*args, alpha, tol, max_iter, cache, shrinking, n_threads)
    return alpha, out


@pytest.mark.parametrize("svr", [False, True], ids=["svc", "svr"])
@pytest.mark.parametrize("shrinking", [False, True])
def test_same_path_as_reference(dtype, n_threads, svr, shrinking):
    """On the same kernel values the solver takes the reference's exact path."""
    args = _problem(120, 3, ref.PRECOMPUTED, dtype, svr=svr)
    a_ref, (s_ref, it_ref, rho_ref, obj_ref) = _run(ref.smo_solve, args)
    # Shrinking changes the order of the scans, not the selected pairs, until
    # the final unshrink; the converged answer agrees within the tolerance.
    a, (s, it, rho, obj) = _run(_svm.smo_solve, args, shrinking=shrinking,
                                n_threads=n_threads)
    assert s == s_ref == 0
    if not shrinking:
        assert it == it_ref
        np.testing.assert_allclose(a, a_ref, atol=1e-10)
    np.testing.assert_allclose(obj, obj_ref, rtol=1e-5)
    np.testing.assert_allclose(rho, rho_ref, atol=2e-3)


@pytest.mark.parametrize("kernel", [ref.LINEAR, ref.POLY, ref.RBF, ref.SIGMOID])
def test_dense_kernels_converge_to_reference(dtype, n_threads, kernel):
    """Kernel rows by gemv round differently from the reference's matrix.

    At a tight tolerance both reach the same optimum (objective, rho, decisions).
    """
    args = _problem(150, 4, kernel, dtype, seed=1)
    a_ref, (_, _, rho_ref, obj_ref) = _run(ref.smo_solve, args, tol=1e-7)
    a, (s, _, rho, obj) = _run(_svm.smo_solve, args, tol=1e-7, n_threads=n_threads)
    assert s == 0
    rtol = 1e-4 if dtype == np.float32 else 1e-7
    np.testing.assert_allclose(obj, obj_ref, rtol=rtol)
    X, sq = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    K = ref.kernel_matrix(X, X, sq, sq, kernel, 0.2, args[4], 2)
    f, f_ref = K @ (a * args[7]) - rho, K @ (a_ref * args[7]) - rho_ref
    np.testing.assert_allclose(f, f_ref, atol=1e-2 if dtype == np.float32 else 1e-4)


def test_tiny_cache_and_threads_do_not_change_the_answer(n_threads):
    """Two cache slots (constant eviction) and any thread count: same iterates."""
    args = _problem(300, 5, ref.RBF, np.float64, seed=2)
    a1, out1 = _run(_svm.smo_solve, args, cache=1e8, n_threads=1)
    a2, out2 = _run(_svm.smo_solve, args, cache=1.0, n_threads=n_threads)
    assert out1[1] == out2[1]
    np.testing.assert_allclose(a1, a2, atol=1e-12)


@pytest.fixture
def teams_on_every_problem():
    """Work teams (_work_team.pxd) for every row and scan, however small."""
    old = _svm.set_team_thresholds(1, 1)
    yield
    _svm.set_team_thresholds(*old)


@pytest.mark.parametrize("n, d, svr", [
    (1, 1, True),          # two variables, one data row
    (3, 2, False),
    (300, 400, False),     # kernel rows of 4 chunks (80 rows each at d=400)
    (2500, 3, False),      # scans and updates of 2 chunks (2048 variables each)
    (1100, 3, True),       # SVR: 2200 variables on 1100 rows
])
def test_work_team_gives_the_same_iterates(teams_on_every_problem, dtype, n, d, svr):
    """Whichever thread runs a chunk, every bit of the answer is the one-thread one."""
    args = _problem(n, d, ref.RBF, dtype, seed=7, svr=svr)
    a1, out1 = _run(_svm.smo_solve, args, n_threads=1)
    a2, out2 = _run(_svm.smo_solve, args, n_threads=2)
    assert out1 == out2
    np.testing.assert_array_equal(a1, a2)
    a_ref, out_ref = _run(ref.smo_solve, args)
    np.testing.assert_allclose(out1[3], out_ref[3], rtol=1e-4)


def test_work_team_repeats_bit_for_bit(teams_on_every_problem):
    """Thousands of short jobs per solve, solved again and again.

    A helper that took a chunk of the wrong job (a race in the claim) would
    show here.
    """
    args = _problem(3000, 8, ref.RBF, np.float64, seed=8)
    a1, out1 = _run(_svm.smo_solve, args, n_threads=1)
    for _ in range(10):
        a2, out2 = _run(_svm.smo_solve, args, n_threads=2)
        assert out2 == out1
        np.testing.assert_array_equal(a2, a1)


@pytest.mark.parametrize("kernel", [ref.RBF, ref.PRECOMPUTED])
def test_many_problems_equal_one_at_a_time(dtype, n_threads, kernel):
    """smo_solve_many on row subsets of one X == smo_solve on copies of those rows."""
    rng = np.random.default_rng(5)
    X, sq, _, gamma, coef0, degree, *_ = _problem(80, 3, kernel, dtype, seed=5)
    problems = []      # (rows, var_data, y, p, C): two SVC-like, one SVR-like
    for n_rows, svr in ((30, False), (45, False), (20, True)):
        rows = rng.choice(80, n_rows, replace=False).astype(np.intc)   # unsorted
        var = np.arange(n_rows) if not svr else np.tile(np.arange(n_rows), 2)
        y = np.where(rng.random(len(var)) < 0.5, 1.0, -1.0)
        if svr:
            y = np.repeat([1.0, -1.0], n_rows)
        problems.append((rows, var.astype(np.intc), y, rng.uniform(-1.5, -0.5, len(var)),
                         rng.uniform(0.5, 2.0, len(var))))
    rows, var, y, p, C = (np.concatenate(part) for part in zip(*problems))
    row_ptr = np.cumsum([0] + [len(q[0]) for q in problems]).astype(np.intc)
    var_ptr = np.cumsum([0] + [len(q[1]) for q in problems]).astype(np.intc)
    alpha = np.empty(len(y))
    status, n_iter = np.empty(3, dtype=np.intc), np.empty(3, dtype=np.int64)
    rho, obj = np.empty(3), np.empty(3)
    _svm.smo_solve_many(X, sq, kernel, gamma, coef0, degree, rows, row_ptr, var.astype(np.intc),
                        var_ptr, y, p, C, alpha, status, n_iter, rho, obj, 1e-3, 0, 1e8,
                        True, n_threads)
    for q, (r, v, yq, pq, Cq) in enumerate(problems):
        Xq = X[np.ix_(r, r)] if kernel == ref.PRECOMPUTED else X[r]
        a, out = _run(_svm.smo_solve, (Xq, sq[r], kernel, gamma, coef0, degree, v, yq, pq, Cq))
        assert (status[q], n_iter[q]) == out[:2]
        np.testing.assert_allclose(alpha[var_ptr[q]:var_ptr[q + 1]], a, atol=1e-12)
        np.testing.assert_allclose([rho[q], obj[q]], out[2:], rtol=1e-12)


@pytest.mark.parametrize("n,d", [(1, 1), (2, 1), (5, 1), (3, 7)])
def test_edge_sizes(dtype, n_threads, n, d):
    for svr in (False, True):
        args = _problem(n, d, ref.RBF, dtype, seed=3, svr=svr)
        a_ref, out_ref = _run(ref.smo_solve, args, tol=1e-8)
        a, out = _run(_svm.smo_solve, args, tol=1e-8, n_threads=n_threads)
        np.testing.assert_allclose(a, a_ref, atol=1e-4)
        np.testing.assert_allclose(out[2], out_ref[2], rtol=1e-5)   # rho (may be inf)


def test_max_iter_status():
    args = _problem(200, 3, ref.RBF, np.float64, seed=4)
    _, out = _run(_svm.smo_solve, args, max_iter=5)
    _, out_ref = _run(ref.smo_solve, args, max_iter=5)
    assert out[0] == out_ref[0] == _svm.STATUS_MAX_ITER
    assert out[1] == 5


def test_heart_scale_published_numbers(dtype, n_threads):
    """Libsvm on heart_scale, C=1, gamma=1/13: 132 SVs (107 bounded), obj -100.877286, 234/270."""
    X, y = load_svmlight_file(HEART)
    X = X.toarray().astype(dtype)
    n = len(y)
    args = (X, np.einsum("ij,ij->i", X, X, dtype=np.float64), ref.RBF, 1 / 13, 0.0, 3,
            np.arange(n, dtype=np.intc), y, -np.ones(n), np.ones(n))
    alpha, (status, _, rho, obj) = _run(_svm.smo_solve, args, n_threads=n_threads)
    assert status == 0
    assert np.count_nonzero(alpha) == 132
    assert np.count_nonzero(alpha >= 1.0) == 107
    assert abs(obj - (-100.877286)) < 1e-4
    X64 = X.astype(np.float64)
    sq = (X64 * X64).sum(1)
    f = ref.kernel_matrix(X64, X64, sq, sq, ref.RBF, 1 / 13, 0, 3) @ (alpha * y) - rho
    assert np.count_nonzero(np.where(f > 0, 1, -1) == y) == 234


def _solve_both_ways(args, **kw):
    dense = _run(_svm.smo_solve, args, **kw)
    old = _svm.set_dense_scans(False)
    try:
        general = _run(_svm.smo_solve, args, **kw)
    finally:
        _svm.set_dense_scans(old)
    return dense, general


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1500, 2047, 2049, 4500])
@pytest.mark.parametrize("shrinking", [False, True])
@pytest.mark.parametrize("svr", [False, True], ids=["svc", "svr"])
def test_dense_scans_equal_the_general_loops(dtype, n_threads, n, shrinking, svr):
    """The vectorized scans (every variable active) match the general loops.

    They take the general loops' path bit for bit: same iterations, alpha,
    rho and objective, on one chunk, across VAR_CHUNK's edge, on the work
    team's sizes, and in SVR, whose 2n variables run over the n data rows
    twice (a chunk of 1,500-row SVR straddles the two runs).
    """
    args = _problem(n, 4, ref.RBF, dtype, seed=n, svr=svr)
    old = _svm.set_team_thresholds(1, 1)
    try:
        (a, out), (a_gen, out_gen) = _solve_both_ways(
            args, shrinking=shrinking, n_threads=n_threads)
    finally:
        _svm.set_team_thresholds(*old)
    assert out == out_gen
    np.testing.assert_array_equal(a, a_gen)


def test_dense_scans_on_ties_pick_the_last_index():
    """Identical rows tie in every scan: both ways pick the same variables."""
    X = np.repeat(np.eye(3), 40, axis=0)
    n = len(X)
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    args = (X, np.ones(n), ref.RBF, 0.5, 0.0, 3, np.arange(n, dtype=np.intc), y,
            -np.ones(n), np.ones(n))
    (a, out), (a_gen, out_gen) = _solve_both_ways(args, shrinking=False)
    assert out == out_gen
    np.testing.assert_array_equal(a, a_gen)
    a_ref, out_ref = _run(ref.smo_solve, args, shrinking=False)
    assert out[1] == out_ref[1]
    np.testing.assert_allclose(a, a_ref, atol=1e-10)


@pytest.mark.parametrize("share", [0.0, 0.5, 0.97])
def test_float32_rows_where_the_bound_allows(n_threads, share):
    """Rows from the float32 copy match the all-double solution.

    Rows computed from the float32 copy (those with |x_i| max|x_j| <=
    f32_limit) give the all-double solution on the same float32 values, to
    the precision of float32 dot products; the choice is per row, so one or
    two threads (a team) agree bit for bit.
    """
    rng = np.random.default_rng(3)
    X32 = rng.standard_normal((300, 40)).astype(np.float32)
    X32[:5] *= 6.0                     # a few far points keep double rows
    X = X32.astype(np.float64)
    sq = np.einsum("ij,ij->i", X, X)
    n = len(X)
    y = np.where(X[:, 0] + 0.3 * rng.standard_normal(n) > 0, 1.0, -1.0)
    args = (X, sq, ref.RBF, 1.0 / 40, 0.0, 3, np.arange(n, dtype=np.intc), y,
            -np.ones(n), np.ones(n))
    # Rows up to the share-quantile of the norms qualify (none for 0).
    limit = np.sqrt(sq.max() * np.quantile(sq, share)) if share else 0.0
    a64, out64 = _run(_svm.smo_solve, args)

    def mixed(threads):
        alpha = np.empty(n)
        out = _svm.smo_solve(*args, alpha, 1e-3, 0, 1e8, True, threads, X32, limit)
        return alpha, out

    old = _svm.set_team_thresholds(1, 1)
    try:
        (a1, out1), (a2, out2) = mixed(1), mixed(n_threads)
    finally:
        _svm.set_team_thresholds(*old)
    assert out1 == out2
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_allclose(out1[3], out64[3], rtol=1e-5)
    np.testing.assert_allclose(a1, a64, atol=1e-3)
    if share == 0.0:                   # no row qualifies: exactly the double path
        assert out1 == out64
        np.testing.assert_array_equal(a1, a64)
    else:                              # some rows were float32
        assert not np.array_equal(a1, a64)


def test_float32_copy_must_match_X():
    args = _problem(20, 3, ref.RBF, np.float64)
    with pytest.raises(ValueError, match="X32 has shape"):
        _svm.smo_solve(*args, np.empty(20), 1e-3, 0, 1e8, True, 1,
                       np.zeros((20, 2), dtype=np.float32), 1.0)
