"""Categorical HMM kernels reading the emission table in the recursions, against their twins."""

import numpy as np
import pytest

from gdcore._threads import single_threaded_blas
from gdcore.generative.hmm import _hmm_categorical
from gdcore.generative.hmm._reference import hmm_categorical as ref


def _problem(K, M, lengths, seed, zero_symbol=False):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
    X = rng.integers(0, M, offsets[-1]).astype(np.int64)
    emission_t = np.ascontiguousarray(rng.dirichlet(np.full(M, 0.5), K).T)
    if zero_symbol and K > 1:
        emission_t[0, 0] = 0.0          # state 0 never emits symbol 0
        emission_t /= emission_t.sum(axis=0, keepdims=True)
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), K)
    if K > 2:
        transmat[0, 1] = 0.0            # a forbidden transition stays exact
        transmat[0] /= transmat[0].sum()
    return X, offsets, emission_t, startprob, transmat


def _run_fb(mod, X, offsets, emission_t, startprob, transmat, n_threads, forward_only=False):
    K, M = len(startprob), emission_t.shape[0]
    out = (np.zeros(len(offsets) - 1), np.zeros(K), np.zeros((K, K)), np.zeros((M, K)))
    with single_threaded_blas():
        status = mod.forward_backward_symbols(X, offsets, emission_t, startprob, transmat,
                                              *out, n_threads, forward_only)
    return (status,) + out


@pytest.mark.parametrize("K,M,lengths", [(1, 1, [1]), (1, 3, [4, 2]), (2, 2, [1, 1, 1]),
                                         (5, 7, [9, 1, 300, 4]), (6, 4, [600])])
def test_forward_backward_symbols_matches_reference(K, M, lengths, n_threads):
    prob = _problem(K, M, lengths, seed=K * M, zero_symbol=True)
    got = _run_fb(_hmm_categorical, *prob, n_threads)
    want = _run_fb(ref, *prob, n_threads)
    assert got[0] == want[0] == 0
    for a, b in zip(got[1:], want[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    # Counts are expectations: T frames, T - 1 transitions, one start per sequence.
    assert got[4].sum() == pytest.approx(sum(lengths))
    assert got[3].sum() == pytest.approx(sum(lengths) - len(lengths))
    assert got[2].sum() == pytest.approx(len(lengths))
    fwd = _run_fb(_hmm_categorical, *prob, n_threads, forward_only=True)
    np.testing.assert_allclose(fwd[1], want[1], rtol=1e-10)


def test_forward_backward_symbols_same_bits_on_any_thread_count():
    prob = _problem(4, 6, np.random.default_rng(0).integers(1, 80, 90), seed=1)
    one = _run_fb(_hmm_categorical, *prob, 1)
    two = _run_fb(_hmm_categorical, *prob, 2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_forward_backward_symbols_long_sequence_and_impossible():
    # 50,000 frames: no underflow; a symbol no state emits makes its sequence
    # impossible (-inf, no counts) without touching the others.
    X, offsets, emission_t, startprob, transmat = _problem(3, 5, [50000], seed=2)
    status, logprob, start, trans, counts = _run_fb(_hmm_categorical, X, offsets, emission_t,
                                                    startprob, transmat, 2)
    assert status == 0 and np.isfinite(logprob).all()
    assert trans.sum() == pytest.approx(49999)
    emission_t = np.vstack([emission_t, np.zeros((1, 3))])
    X2 = np.concatenate([X[:10], [5], X[:10]]).astype(np.int64)
    offsets2 = np.array([0, 10, 21], dtype=np.intp)
    status, logprob, start, trans, counts = _run_fb(_hmm_categorical, X2, offsets2, emission_t,
                                                    startprob, transmat, 1)
    assert status == 0 and np.isfinite(logprob[0]) and logprob[1] == -np.inf
    assert counts.sum() == pytest.approx(10) and start.sum() == pytest.approx(1)


def _run_viterbi(mod, X, offsets, emission_t, startprob, transmat, n_threads):
    states = np.zeros(len(X), dtype=np.intp)
    logprob = np.zeros(len(offsets) - 1)
    with np.errstate(divide="ignore"):
        status = mod.viterbi_symbols(X, offsets, np.log(emission_t), np.log(startprob),
                                     np.log(transmat), states, logprob, n_threads)
    return status, states, logprob


@pytest.mark.parametrize("K,M,lengths", [(1, 1, [1]), (2, 3, [1, 5]), (5, 7, [9, 1, 200]),
                                         (13, 9, [400, 3])])
def test_viterbi_symbols_matches_reference(K, M, lengths, n_threads):
    prob = _problem(K, M, lengths, seed=10 + K, zero_symbol=True)
    got = _run_viterbi(_hmm_categorical, *prob, n_threads)
    want = _run_viterbi(ref, *prob, n_threads)
    assert got[0] == want[0] == 0
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


def test_viterbi_symbols_pruning_is_exact_on_peaked_models():
    # Sticky transitions and peaked emissions: most states are pruned at each
    # step, and the path must still be the reference's, ties included.
    rng = np.random.default_rng(3)
    K, M = 16, 20
    transmat = rng.dirichlet(np.ones(K), K) + 6 * np.eye(K)
    transmat /= transmat.sum(axis=1, keepdims=True)
    emission_t = np.ascontiguousarray(rng.dirichlet(np.full(M, 0.1), K).T)
    X = rng.integers(0, M, 3000).astype(np.int64)
    prob = (X, np.array([0, 1000, 3000], dtype=np.intp), emission_t, np.full(K, 1 / K), transmat)
    got = _run_viterbi(_hmm_categorical, *prob, 2)
    want = _run_viterbi(ref, *prob, 1)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


@pytest.mark.parametrize("bad", [-1, 4])
def test_symbols_out_of_range_is_a_status(bad):
    X, offsets, emission_t, startprob, transmat = _problem(3, 4, [5, 5], seed=4)
    X[7] = bad
    for mod in (_hmm_categorical, ref):
        assert _run_fb(mod, X, offsets, emission_t, startprob, transmat, 1)[0] == \
            ref.STATUS_BAD_SYMBOL
        assert _run_viterbi(mod, X, offsets, emission_t, startprob, transmat, 1)[0] == \
            ref.STATUS_BAD_SYMBOL
