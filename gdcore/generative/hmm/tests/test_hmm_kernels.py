"""HMM kernels against their NumPy references: dtypes, threads, edge sizes, status codes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore._threads import single_threaded_blas
from gdcore.generative.hmm import _hmm, _hmm_emissions
from gdcore.generative.hmm._reference import hmm as ref
from gdcore.generative.hmm._reference import hmm_emissions as ref_em


def _offsets(lengths):
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)


def _model(K, rng, zero_transition=True):
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), K)
    if zero_transition and K > 2:
        transmat[0, 1] = 0.0           # a forbidden transition must stay exact
        transmat[0] /= transmat[0].sum()
    return startprob, transmat


def _run_fb(mod, flp, offsets, startprob, transmat, n_threads):
    K = len(startprob)
    post = np.zeros((len(flp), K))
    logprob = np.zeros(len(offsets) - 1)
    trans = np.zeros((K, K))
    with single_threaded_blas():
        status = mod.forward_backward(flp, offsets, startprob, transmat, post, logprob,
                                      trans, n_threads)
    return status, post, logprob, trans


@pytest.mark.parametrize("K,lengths", [(1, [1]), (1, [5, 3]), (2, [1, 1, 1]),
                                       (4, [7, 1, 40, 3]), (6, [200])])
def test_forward_backward_matches_reference(K, lengths, dtype, n_threads):
    rng = np.random.default_rng(K + len(lengths))
    offsets = _offsets(lengths)
    flp = rng.normal(-4, 3, (offsets[-1], K)).astype(dtype)
    startprob, transmat = _model(K, rng)
    got = _run_fb(_hmm, flp, offsets, startprob, transmat, n_threads)
    want = _run_fb(ref, flp, offsets, startprob, transmat, n_threads)
    assert got[0] == want[0] == 0
    for a, b in zip(got[1:], want[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    logprob = np.zeros(len(lengths))
    with single_threaded_blas():
        assert _hmm.forward_backward(flp, offsets, startprob, transmat, np.zeros((len(flp), K)),
                                     logprob, np.zeros((K, K)), n_threads, True) == 0
    np.testing.assert_allclose(logprob, want[2], rtol=1e-10)


def test_forward_backward_long_sequence_does_not_underflow():
    # 20,000 frames of log-likelihoods around -800: exp() of any frame alone
    # underflows, the shifted and scaled recursion must not.
    rng = np.random.default_rng(0)
    K, T = 3, 20000
    flp = rng.normal(-800, 5, (T, K))
    startprob, transmat = _model(K, rng, zero_transition=False)
    status, post, logprob, trans = _run_fb(_hmm, flp, _offsets([T]), startprob, transmat, 2)
    assert status == 0 and np.isfinite(logprob).all() and np.isfinite(post).all()
    np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(trans.sum(), T - 1, rtol=1e-10)
    want = _run_fb(ref, flp[:500], _offsets([500]), startprob, transmat, 1)
    got = _run_fb(_hmm, flp[:500], _offsets([500]), startprob, transmat, 1)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


def test_forward_backward_same_bits_on_any_thread_count():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 60, 150)
    offsets = _offsets(lengths)
    flp = rng.normal(-3, 2, (offsets[-1], 5))
    startprob, transmat = _model(5, rng)
    one = _run_fb(_hmm, flp, offsets, startprob, transmat, 1)
    two = _run_fb(_hmm, flp, offsets, startprob, transmat, 2)
    for a, b in zip(one[1:], two[1:]):
        np.testing.assert_array_equal(a, b)


def test_forward_backward_impossible_sequence_and_bad_loglik():
    startprob, transmat = np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 1.0]])
    flp = np.array([[-np.inf, 0.0], [0.0, 0.0], [0.0, 0.0]])
    for mod in (_hmm, ref):
        status, post, logprob, trans = _run_fb(mod, flp, _offsets([1, 2]), startprob, transmat, 1)
        assert status == 0
        assert logprob[0] == -np.inf and np.isnan(post[0]).all()
        assert np.isfinite(logprob[1]) and trans[0, 0] == pytest.approx(1.0)
        bad = flp.copy()
        bad[1, 1] = np.nan
        assert _run_fb(mod, bad, _offsets([3]), startprob, transmat, 1)[0] == ref.STATUS_BAD_LOGLIK


def _run_viterbi(mod, flp, offsets, startprob, transmat, n_threads):
    states = np.zeros(len(flp), dtype=np.intp)
    logprob = np.zeros(len(offsets) - 1)
    with np.errstate(divide="ignore"):
        status = mod.viterbi(flp, offsets, np.log(startprob), np.log(transmat), states,
                             logprob, n_threads)
    return status, states, logprob


@pytest.mark.parametrize("K,lengths", [(1, [1]), (1, [4]), (2, [1, 2]),
                                       (5, [9, 1, 50, 4]), (7, [120])])
def test_viterbi_matches_reference(K, lengths, dtype, n_threads):
    rng = np.random.default_rng(10 * K + len(lengths))
    offsets = _offsets(lengths)
    flp = rng.normal(-4, 3, (offsets[-1], K)).astype(dtype)
    startprob, transmat = _model(K, rng)
    got = _run_viterbi(_hmm, flp, offsets, startprob, transmat, n_threads)
    want = _run_viterbi(ref, flp, offsets, startprob, transmat, n_threads)
    assert got[0] == want[0] == 0
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


def test_viterbi_exact_ties_follow_hmmlearn():
    # Every path has the same probability: hmmlearn 0.3.3 returns [1, 1, 0].
    flp = np.log(np.full((3, 2), 0.5))
    startprob, transmat = np.full(2, 0.5), np.full((2, 2), 0.5)
    for mod in (_hmm, ref):
        status, states, _ = _run_viterbi(mod, flp, _offsets([3]), startprob, transmat, 1)
        assert status == 0
        np.testing.assert_array_equal(states, [1, 1, 0])
    bad = flp.copy()
    bad[2, 0] = np.inf
    status = _run_viterbi(_hmm, bad, _offsets([3]), startprob, transmat, 1)[0]
    assert status == ref.STATUS_BAD_LOGLIK


@pytest.mark.parametrize("currstate", [-1, 1])
def test_sample_states_matches_reference(currstate, n_threads):
    rng = np.random.default_rng(3)
    startprob, transmat = _model(4, rng)
    uniform = rng.random((5, 30))
    uniform[0, 3] = 1.0 - 1e-17        # beyond a cdf that rounds below 1
    start_cdf, trans_cdf = np.cumsum(startprob), np.ascontiguousarray(np.cumsum(transmat, axis=1))
    got = np.zeros((5, 30), dtype=np.intp)
    want = np.zeros((5, 30), dtype=np.intp)
    _hmm.sample_states(uniform, start_cdf, trans_cdf, currstate, got, n_threads)
    ref.sample_states(uniform, start_cdf, trans_cdf, currstate, want, n_threads)
    np.testing.assert_array_equal(got, want)
    # The forbidden transition 0 -> 1 never appears.
    assert not np.any((got[:, :-1] == 0) & (got[:, 1:] == 1))


@pytest.mark.parametrize("n,d,K", [(1, 1, 1), (3, 1, 2), (300, 5, 4), (129, 3, 1)])
def test_gaussian_diag_loglik_matches_reference(n, d, K, dtype, rtol, n_threads):
    rng = np.random.default_rng(n + d + K)
    X = rng.normal(0, 2, (n, d)).astype(dtype)
    X[rng.random((n, d)) < 0.1] = np.nan
    X[0, 0] = 0.5                     # the first row keeps one observed value
    means = rng.normal(0, 1, (K, d))
    covars = rng.uniform(0.3, 3, (K, d))
    got, want = np.zeros((n, K)), np.zeros((n, K))
    with single_threaded_blas():
        assert _hmm_emissions.gaussian_diag_loglik(X, means, covars, got, n_threads) == 0
    assert ref_em.gaussian_diag_loglik(X, means, covars, want, n_threads) == 0
    np.testing.assert_allclose(got, want, rtol=rtol if dtype == np.float32 else 1e-9,
                               atol=1e-9)


@pytest.mark.parametrize("n,d,K", [(1, 1, 1), (200, 4, 3), (130, 1, 2)])
def test_gaussian_full_loglik_matches_reference(n, d, K, dtype, n_threads):
    rng = np.random.default_rng(n * d * K)
    X = rng.normal(0, 2, (n, d)).astype(dtype)
    means = rng.normal(0, 1, (K, d))
    prec_chol = np.zeros((K, d, d))
    for k in range(K):
        a = rng.normal(size=(d, d))
        cov = a @ a.T + d * np.eye(d)
        prec_chol[k] = np.linalg.inv(np.linalg.cholesky(cov)).T
    got, want = np.zeros((n, K)), np.zeros((n, K))
    with single_threaded_blas():
        assert _hmm_emissions.gaussian_full_loglik(X, means, prec_chol, got, n_threads) == 0
    assert ref_em.gaussian_full_loglik(X, means, prec_chol, want, n_threads) == 0
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_gaussian_kernels_reject_inf():
    X = np.array([[0.0, np.inf], [1.0, 2.0]])
    means, covars = np.zeros((2, 2)), np.ones((2, 2))
    out = np.zeros((2, 2))
    assert _hmm_emissions.gaussian_diag_loglik(X, means, covars, out, 1) == ref_em.STATUS_INF
    prec = np.tile(np.eye(2), (2, 1, 1))
    assert _hmm_emissions.gaussian_full_loglik(X, means, prec, out, 1) == ref_em.STATUS_INF


@pytest.mark.parametrize("n,M,K", [(1, 1, 1), (50, 3, 2), (9000, 7, 4)])
def test_categorical_loglik_matches_reference(n, M, K, n_threads):
    rng = np.random.default_rng(n + M)
    X = rng.integers(0, M, n).astype(np.int64)
    log_e_t = np.log(rng.dirichlet(np.ones(M), K)).T.copy()
    got, want = np.zeros((n, K)), np.zeros((n, K))
    assert _hmm_emissions.categorical_loglik(X, log_e_t, got, n_threads) == 0
    ref_em.categorical_loglik(X, log_e_t, want, n_threads)
    np.testing.assert_array_equal(got, want)
    bad = X.copy()
    bad[-1] = M
    for mod in (_hmm_emissions, ref_em):
        assert mod.categorical_loglik(bad, log_e_t, np.zeros((n, K)), n_threads) == \
            ref_em.STATUS_BAD_SYMBOL


@settings(max_examples=30, deadline=None)
@given(K=st.integers(1, 5), lengths=st.lists(st.integers(1, 12), min_size=1, max_size=5),
       seed=st.integers(0, 2**32 - 1))
def test_forward_backward_property(K, lengths, seed):
    # Any model and sequences: the kernel equals the log-space reference,
    # posteriors are distributions and the expected transitions number T - 1
    # per sequence.
    rng = np.random.default_rng(seed)
    offsets = _offsets(lengths)
    flp = rng.normal(-5, 4, (offsets[-1], K))
    startprob, transmat = _model(K, rng, zero_transition=False)
    status, post, logprob, trans = _run_fb(_hmm, flp, offsets, startprob, transmat, 2)
    want = _run_fb(ref, flp, offsets, startprob, transmat, 1)
    assert status == 0
    np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(trans.sum(), sum(lengths) - len(lengths), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(logprob, want[2], rtol=1e-10)
    np.testing.assert_allclose(post, want[1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n,d,K", [(1, 1, 1), (130, 3, 2), (9000, 4, 5)])
def test_poisson_and_weighted_sums_match_reference(n, d, K, dtype, n_threads):
    rng = np.random.default_rng(n + d + K)
    X = rng.poisson(3.0, (n, d)).astype(dtype)
    rates = rng.uniform(0.5, 6, (K, d))
    rates[0, 0] = 0.0                  # a zero rate forbids positive counts
    positive = rates > 0
    log_rates = np.where(positive, np.log(np.where(positive, rates, 1.0)), 0.0)
    row_const = rng.uniform(0, 5, n)
    args = (log_rates, rates.sum(axis=1), (~positive).view(np.uint8), row_const)
    got, want = np.zeros((n, K)), np.zeros((n, K))
    with single_threaded_blas():
        assert _hmm_emissions.poisson_loglik(X, *args, got, n_threads) == 0
    ref_em.poisson_loglik(X, *args, want, n_threads)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.isneginf(got[X[:, 0] > 0, 0]).all()
    post = rng.dirichlet(np.ones(K), n)
    for squares in (False, True):
        got_s = (np.zeros(K), np.zeros((K, d)), np.zeros((K, d)) if squares else None)
        want_s = (np.zeros(K), np.zeros((K, d)), np.zeros((K, d)) if squares else None)
        with single_threaded_blas():
            assert _hmm_emissions.weighted_sums(post, X, *got_s[:2], n_threads, got_s[2]) == 0
        ref_em.weighted_sums(post, X, *want_s[:2], n_threads, want_s[2])
        for a, b in zip(got_s, want_s):
            if squares or a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12)
