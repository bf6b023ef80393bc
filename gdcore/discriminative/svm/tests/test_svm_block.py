"""The working-set block solver (_svm_block) against its twin, SMO and libsvm.

Its NumPy twin, libsvm's SMO (_svm) and libsvm's published heart_scale
numbers; SVC and SVR through it against scikit-learn.
"""

import os

import numpy as np
import pytest
from sklearn import svm as sk
from sklearn.datasets import load_svmlight_file, make_classification

import gdcore.discriminative.svm._base as base
from gdcore.discriminative.svm import SVC, SVR, _svm, _svm_block
from gdcore.discriminative.svm import _reference as ref
from gdcore.discriminative.svm.tests.test_svm_kernel import _problem

HEART = os.path.join(os.path.dirname(__file__), "data", "heart_scale")


@pytest.fixture(params=[8, 32, 1024], ids=["q8", "q32", "q1024"])
def q_max(request):
    """Cap the working set's size: small caps give many outer iterations."""
    old = _svm_block.set_max_set_size(request.param)
    yield request.param
    _svm_block.set_max_set_size(old)


def _block(args, tol=1e-3, max_iter=0, cache=1e8, n_threads=1, shrinking=True):
    alpha = np.empty(len(args[7]))
    out = _svm_block.block_solve(*args, alpha, tol, max_iter, cache, n_threads, 0, shrinking)
    return alpha, out


def _twin(args, q_max, tol=1e-3, max_iter=0, cache=1e8, shrinking=True):
    alpha = np.empty(len(args[7]))
    out = ref.block_solve(*args, alpha, tol, max_iter, cache, 1, q_max=q_max,
                          shrinking=shrinking)
    return alpha, out


def _smo(args, tol=1e-3):
    alpha = np.empty(len(args[7]))
    out = _svm.smo_solve(*args, alpha, tol, 0, 1e8, False, 1)
    return alpha, out


@pytest.mark.parametrize("svr", [False, True], ids=["svc", "svr"])
def test_same_path_as_twin(dtype, n_threads, svr, q_max):
    """On the same kernel values the solver takes the twin's exact path."""
    args = _problem(120, 3, ref.PRECOMPUTED, dtype, svr=svr)
    a_ref, (s_ref, it_ref, rho_ref, obj_ref) = _twin(args, q_max)
    a, (s, it, rho, obj) = _block(args, n_threads=n_threads)
    assert s == s_ref == 0
    assert it == it_ref
    np.testing.assert_array_equal(a, a_ref)
    np.testing.assert_allclose(rho, rho_ref, rtol=1e-12)
    np.testing.assert_allclose(obj, obj_ref, rtol=1e-12)
    # the same optimum as libsvm's SMO
    _, (_, _, rho_smo, obj_smo) = _smo(args)
    np.testing.assert_allclose(obj, obj_smo, rtol=1e-6)


@pytest.mark.parametrize("kernel", [ref.LINEAR, ref.POLY, ref.RBF, ref.SIGMOID])
def test_dense_kernels_reach_smo_optimum(dtype, n_threads, kernel, q_max):
    """Reach SMO's optimum at a tight tol (gemm rows round differently from SMO's)."""
    args = _problem(150, 4, kernel, dtype, seed=1)
    a_smo, (_, _, rho_smo, obj_smo) = _smo(args, tol=1e-7)
    a, (s, _, rho, obj) = _block(args, tol=1e-7, n_threads=n_threads)
    assert s == 0
    rtol = 1e-4 if dtype == np.float32 else 1e-7
    np.testing.assert_allclose(obj, obj_smo, rtol=rtol)
    X, sq = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    K = ref.kernel_matrix(X, X, sq, sq, kernel, 0.2, args[4], 2)
    f, f_smo = K @ (a * args[7]) - rho, K @ (a_smo * args[7]) - rho_smo
    np.testing.assert_allclose(f, f_smo, atol=1e-2 if dtype == np.float32 else 1e-4)


@pytest.mark.parametrize("n, svr", [(1, True), (2, False), (3, False), (17, True),
                                    (5000, False)])
def test_thread_count_changes_no_bit(dtype, n, svr):
    """Give the same bits on 1 and 2 threads.

    Column chunks of the gemm (256) and of the gradient (4096) are fixed by
    the problem.
    """
    old = _svm_block.set_max_set_size(64)
    try:
        args = _problem(n, 6, ref.RBF, dtype, seed=3, svr=svr)
        a1, out1 = _block(args, n_threads=1)
        a2, out2 = _block(args, n_threads=2)
    finally:
        _svm_block.set_max_set_size(old)
    assert out1 == out2
    np.testing.assert_array_equal(a1, a2)
    if n <= 17:
        _, out_ref = _twin(args, 64)
        assert out1[0] == out_ref[0] == 0
        np.testing.assert_allclose(out1[3], out_ref[3], rtol=1e-5)


@pytest.mark.parametrize("rows", [0, 70], ids=["set_only", "70_rows"])
def test_small_cache_changes_nothing(q_max, rows):
    """Give a large cache's iterates with the set's rows only in cache, or 70.

    Rows are then evicted every outer iteration; 70 rows fill one chunk of
    CACHE_CHUNK_ROWS (64) and part of a second.
    """
    args = _problem(300, 5, ref.RBF, np.float64, seed=2)
    a1, out1 = _block(args, cache=1e8)
    a2, out2 = _block(args, cache=max(1.0, 4.0 * 300 * rows))
    assert out1 == out2
    np.testing.assert_array_equal(a1, a2)


def _count_reconstructs(monkeypatch):
    calls = []
    real = ref._reconstruct
    monkeypatch.setattr(ref, "_reconstruct", lambda *a: calls.append(1) or real(*a))
    return calls


def test_twin_shrinks_as_the_solver():
    """Share the twin's shrinking rule."""
    assert _svm_block.SHRINK_FRACTION_DIV == ref.SHRINK_DIV


@pytest.mark.parametrize("svr", [False, True], ids=["svc", "svr"])
@pytest.mark.parametrize("max_iter", [0, 300], ids=["converged", "max_iter"])
@pytest.mark.parametrize("shrinking", [True, False], ids=["shrinking", "no_shrinking"])
def test_shrinking_takes_the_twins_path(dtype, n_threads, svr, max_iter, shrinking,
                                        monkeypatch):
    """Shrink, rebuild the shrunk gradients and go on as the twin, bit for bit.

    Many bounded variables (small C) and sets of 8 give several shrinks and
    the check on all variables; with max_iter the solve stops shrunk and
    rebuilds the gradient for rho and the objective.  shrinking=False
    (the estimators' parameter) shrinks nothing.
    """
    args = list(_problem(400, 3, ref.PRECOMPUTED, dtype, seed=5, svr=svr))
    args[9] = args[9] * 0.1
    old = _svm_block.set_max_set_size(8)
    try:
        calls = _count_reconstructs(monkeypatch)
        a_ref, out_ref = _twin(args, 8, max_iter=max_iter, shrinking=shrinking)
        a, out = _block(args, max_iter=max_iter, n_threads=n_threads, shrinking=shrinking)
    finally:
        _svm_block.set_max_set_size(old)
    # the svc's first check on all variables fails: the solve goes on, shrinks again
    assert len(calls) == 0 if not shrinking else len(calls) >= (1 + (not svr and not max_iter))
    assert out[:2] == out_ref[:2]
    np.testing.assert_array_equal(a, a_ref)
    np.testing.assert_allclose(out[2:], out_ref[2:], rtol=1e-12)
    if not max_iter:
        _, (_, _, _, obj_smo) = _smo(tuple(args))
        np.testing.assert_allclose(out[3], obj_smo, rtol=1e-6)


def test_shrinking_dense_rows_match_smo(dtype, n_threads):
    """Dense rows on gathered columns (the cache compacted) reach SMO's optimum."""
    args = list(_problem(3000, 5, ref.RBF, dtype, seed=6))
    args[9] = args[9] * 0.2
    a_smo, (_, _, rho_smo, obj_smo) = _smo(tuple(args), tol=1e-6)
    old = _svm_block.set_max_set_size(64)
    try:
        a, (s, _, rho, obj) = _block(args, tol=1e-6, cache=4.0 * 3000 * 100,
                                     n_threads=n_threads)
    finally:
        _svm_block.set_max_set_size(old)
    assert s == 0
    np.testing.assert_allclose(obj, obj_smo, rtol=1e-5 if dtype == np.float32 else 1e-7)
    np.testing.assert_allclose(rho, rho_smo, atol=1e-3)


def test_max_iter_status():
    args = _problem(200, 3, ref.RBF, np.float64, seed=4)
    old = _svm_block.set_max_set_size(16)
    try:
        _, out = _block(args, max_iter=5)
        _, out_ref = _twin(args, 16, max_iter=5)
    finally:
        _svm_block.set_max_set_size(old)
    assert out[0] == out_ref[0] == _svm_block.STATUS_MAX_ITER
    assert out[1] == out_ref[1] == 5


def test_heart_scale_published_numbers(dtype, n_threads, q_max):
    """Libsvm on heart_scale, C=1, gamma=1/13: 132 SVs (107 bounded), obj -100.877286, 234/270."""
    X, y = load_svmlight_file(HEART)
    X = X.toarray().astype(dtype)
    n = len(y)
    args = (X, np.einsum("ij,ij->i", X, X, dtype=np.float64), ref.RBF, 1 / 13, 0.0, 3,
            np.arange(n, dtype=np.intc), y, -np.ones(n), np.ones(n))
    alpha, (status, _, rho, obj) = _block(args, n_threads=n_threads)
    assert status == 0
    assert np.count_nonzero(alpha) == 132
    assert np.count_nonzero(alpha >= 1.0) == 107
    assert abs(obj - (-100.877286)) < 1e-4
    X64 = X.astype(np.float64)
    sq = (X64 * X64).sum(1)
    f = ref.kernel_matrix(X64, X64, sq, sq, ref.RBF, 1 / 13, 0, 3) @ (alpha * y) - rho
    assert np.count_nonzero(np.where(f > 0, 1, -1) == y) == 234


@pytest.fixture
def block_from_300(monkeypatch):
    """Use the block solver for problems of 300 variables on (not only large ones)."""
    monkeypatch.setattr(base, "BLOCK_SOLVER_FROM", 300)


def _dual_objective(model, X):
    """0.5 a'Qa - sum a of a binary fit, from its dual coefficients (y_t a_t)."""
    coef = model.dual_coef_.ravel()
    sv = X[model.support_]
    sq = (sv * sv).sum(1)
    K = ref.kernel_matrix(sv, sv, sq, sq, ref.RBF, model._gamma, 0, 3)
    return 0.5 * coef @ K @ coef - np.abs(coef).sum()


def test_svc_equals_libsvm(block_from_300, n_threads):
    """Fit SVC through the block solver as libsvm does.

    The same support vectors (up to ties), dual objective within tol, and
    predictions.
    """
    X, y = make_classification(n_samples=800, n_features=10, flip_y=0.1, random_state=0)
    ours = SVC(n_jobs=n_threads).fit(X, y)
    theirs = sk.SVC().fit(X, y)
    assert ours.n_iter_[0] > 0
    assert len(np.setxor1d(ours.support_, theirs.support_)) <= 3
    ours._gamma = theirs._gamma
    assert abs(_dual_objective(ours, X) - _dual_objective(theirs, X)) < 1e-3 * len(y) * 1e-3
    assert np.mean(ours.predict(X) == theirs.predict(X)) > 0.995


def test_multiclass_and_svr_use_it_too(block_from_300):
    """Solve one-vs-one pairs of >= 300 variables by blocks, smaller ones by SMO.

    SVR's 2n variables on n rows too.
    """
    X, y = make_classification(n_samples=900, n_features=8, n_informative=5, n_classes=3,
                               random_state=1)
    y[:40] = 3          # a small class: its pairs stay below the threshold
    ours, theirs = SVC().fit(X, y), sk.SVC().fit(X, y)
    np.testing.assert_allclose(ours.n_support_, theirs.n_support_, atol=2)
    assert np.mean(ours.predict(X) == theirs.predict(X)) > 0.99
    z = X @ np.arange(1, 9) / 10
    ours, theirs = SVR().fit(X, z), sk.SVR().fit(X, z)
    assert abs(len(ours.support_) - len(theirs.support_)) <= 3
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-2)


def test_working_set_larger_than_memory_share_goes_to_smo(block_from_300, monkeypatch, capfd):
    """A problem whose working-set rows exceed the memory share is solved by SMO.

    Same answer as libsvm, and no block-solver progress line.
    """
    X, y = make_classification(n_samples=800, n_features=10, flip_y=0.1, random_state=0)
    monkeypatch.setattr(base, "BLOCK_MEMORY_SHARE", 0.0)
    ours = SVC(verbose=True).fit(X, y)
    assert "[block]" not in capfd.readouterr().out
    theirs = sk.SVC().fit(X, y)
    assert len(np.setxor1d(ours.support_, theirs.support_)) <= 3
    monkeypatch.setattr(base, "BLOCK_MEMORY_SHARE", 0.25)
    SVC(verbose=True).fit(X, y)
    assert "[block]" in capfd.readouterr().out
