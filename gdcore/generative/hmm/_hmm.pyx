"""Hidden Markov model kernels: forward-backward, Viterbi, state sampling.

All entry points take many sequences at once, concatenated row-wise: sequence
s occupies rows ``offsets[s]:offsets[s + 1]`` of ``framelogprob`` (n, K),
the log-likelihood of each frame under each of the K states.  Sequences are
independent given the parameters, so they are split among OpenMP threads.

Forward-backward (Rabiner 1989, "A tutorial on hidden Markov models", sec.
V.A, scaled variant).  Each frame's emissions are first shifted by their
maximum, e[t] = exp(logb[t] - m_t), so exp never underflows on the best
state; the forward variables are renormalized to sum to 1 at every step with
the factor c_t.  Then log P(X) = sum_t (log c_t + m_t), and with the scaled
backward variables beta_t = A w_{t+1}, w_t = e_t * beta_t / c_t,

    gamma_t = alpha_t * beta_t                       (posteriors, rows sum to 1)
    sum_t xi_t[i, j] = A[i, j] * (alpha[:-1]^T W[1:])[i, j]

so the expected transition counts cost one (K x T) @ (T x K) gemm per
sequence instead of a T x K x K array.  Time O(T K^2) per sequence, memory
O(T K) per thread of scratch (W), nothing O(T K^2).  The recursions are in
``_hmm_core.pxd``, shared with the categorical kernels of _hmm_categorical.pyx.

Viterbi (Viterbi 1967) runs in log space and stores the lattice of path
scores (T x K doubles per thread), from which the backtrack recovers each
back-pointer in O(K).  Each max-plus step skips, exactly, the previous states
too far below the best to win any maximum (``maxplus_step`` in _hmm_core.pxd).
Ties are broken as hmmlearn 0.3.3 breaks them, so paths agree even on exactly
tied data (a 3-cycle of one symbol makes such ties): the last state goes to
the lowest index, back-pointers to the highest.

Determinism.  The transition counts of sequence chunks (a fixed partition of
the sequences, a function of their number only) go to separate partial
arrays merged in chunk order, so results are bit-identical on any number of
threads.  Every other output is per sequence.

Status codes (0 = ok) are returned to the Python caller, which raises
(NO_MEMORY when a thread's scratch cannot be allocated: that thread then
skips its share and the caller raises MemoryError).  A
sequence with probability zero is not an error here: its log-probability is
-inf and its posteriors NaN; the caller decides.  The NumPy twin, in log
space, is ``gdcore/generative/hmm/_reference/hmm.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, NAN, isnan
from libc.stdlib cimport free, malloc

from gdcore.generative.hmm._hmm_core cimport (BACKWARD_BLOCK, NO_MEMORY, backward_posteriors,
                                              forward_scaled, maxplus_step, viterbi_backtrack)
from gdcore._cy._math cimport exp_or_zero

cdef enum:
    OK = 0
    BAD_LOGLIK = 1     # NaN or +inf in framelogprob
    # At most 64 chunks of sequences for the transition counts, and their
    # partial K x K arrays together at most 2**24 doubles (128 MiB): more
    # chunks balance the threads better, each costs a partial to fill and
    # merge.  Measured by ``gdcore bench hmm``.
    MAX_CHUNKS = 64
    MAX_PARTIAL_DOUBLES = 16777216

STATUS_OK = OK
STATUS_BAD_LOGLIK = BAD_LOGLIK
STATUS_NO_MEMORY = NO_MEMORY


def n_seq_chunks(Py_ssize_t n_seq, Py_ssize_t n_states):
    """Number of sequence chunks for the transition counts: a function of shape only."""
    cdef Py_ssize_t n = max(1, min(MAX_CHUNKS, n_seq))
    return max(1, min(n, MAX_PARTIAL_DOUBLES // max(1, n_states * n_states)))


cdef inline int shifted_emissions(const floating* flp, Py_ssize_t T, Py_ssize_t K,
                                  double* e, double* shift) noexcept nogil:
    """e[t] = exp(flp[t] - max flp[t]), shift[t] = that maximum; BAD_LOGLIK on NaN/+inf.

    A frame whose entries are all -inf gets shift -inf (impossible frame).
    """
    cdef Py_ssize_t t, j
    cdef double m
    for t in range(T):
        m = -INFINITY
        for j in range(K):
            if isnan(flp[t * K + j]) or flp[t * K + j] == INFINITY:
                return BAD_LOGLIK
            if flp[t * K + j] > m:
                m = flp[t * K + j]
        shift[t] = m
        if m == -INFINITY:
            continue
        for j in range(K):
            e[t * K + j] = exp_or_zero(flp[t * K + j] - m)
    return OK


def forward_backward(
    const floating[:, ::1] framelogprob,   # IN (n, K) log p(x_t | state)
    const Py_ssize_t[::1] offsets,         # IN (n_seq + 1,) sequence bounds
    const double[::1] startprob,           # IN (K,)
    const double[:, ::1] transmat,         # IN (K, K), rows sum to 1
    double[:, ::1] posteriors,             # OUT (n, K) P(state_t | X)
    double[::1] logprob,                   # OUT (n_seq,) log P(X_s)
    double[:, ::1] trans_counts,           # OUT (K, K) sum_s sum_t xi_t
    int n_threads,
    bint forward_only=False,               # IN only logprob is wanted
):
    """Posteriors, per-sequence log-likelihoods and expected transition counts.

    Sequences of probability zero get logprob -inf, NaN posteriors and add
    nothing to ``trans_counts``.  With ``forward_only`` (scoring) the
    backward pass is skipped, half the work: ``posteriors`` then holds the
    scaled forward variables and ``trans_counts`` zeros.  The caller holds
    BLAS to one thread.
    """
    cdef Py_ssize_t n_seq = offsets.shape[0] - 1, K = transmat.shape[0]
    cdef Py_ssize_t n_chunks = n_seq_chunks(n_seq, K)
    cdef Py_ssize_t t_max = 1, s, ch, t, j, i, T, o
    for s in range(n_seq):
        t_max = max(t_max, offsets[s + 1] - offsets[s])
    cdef double[:, :, ::1] part = np.zeros((n_chunks, K, K))
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef double[:, ::1] transmat_t = np.ascontiguousarray(np.asarray(transmat).T)
    cdef double* e
    cdef double* beta
    cdef double* scale
    cdef double* shift
    cdef double* post
    cdef int err
    cdef bint scratch_ok

    with nogil, parallel(num_threads=n_threads):
        e = <double*> malloc(t_max * K * sizeof(double))
        beta = <double*> malloc(BACKWARD_BLOCK * K * sizeof(double))
        scale = <double*> malloc(t_max * sizeof(double))
        shift = <double*> malloc(t_max * sizeof(double))
        scratch_ok = e != NULL and beta != NULL and scale != NULL and shift != NULL
        for ch in prange(n_chunks, schedule="dynamic"):
            if not scratch_ok:
                status[ch] = NO_MEMORY
                continue
            for s in range((n_seq * ch) // n_chunks, (n_seq * (ch + 1)) // n_chunks):
                o = offsets[s]
                T = offsets[s + 1] - o
                if T == 0:
                    logprob[s] = 0.0
                    continue
                post = &posteriors[o, 0]
                err = shifted_emissions(&framelogprob[o, 0], T, K, e, shift)
                if err != OK:
                    status[ch] = err
                    break
                logprob[s] = forward_scaled(T, K, &startprob[0], &transmat[0, 0],
                                            e, shift, post, scale)
                if logprob[s] == -INFINITY:
                    for t in range(T * K):
                        post[t] = NAN
                    continue
                if forward_only:
                    continue
                backward_posteriors(T, K, &transmat_t[0, 0], e, post, scale, beta,
                                    &part[ch, 0, 0])
        free(e)
        free(beta)
        free(scale)
        free(shift)

    for ch in range(n_chunks):
        if status[ch] != OK:
            return status[ch]
    with nogil:
        for i in range(K):
            for j in range(K):
                trans_counts[i, j] = 0.0
        for ch in range(n_chunks):
            for i in range(K):
                for j in range(K):
                    trans_counts[i, j] += part[ch, i, j]
        for i in range(K):
            for j in range(K):
                trans_counts[i, j] *= transmat[i, j]
    return OK


def viterbi(
    const floating[:, ::1] framelogprob,   # IN (n, K)
    const Py_ssize_t[::1] offsets,         # IN (n_seq + 1,)
    const double[::1] log_startprob,       # IN (K,), -inf allowed
    const double[:, ::1] log_transmat,     # IN (K, K), -inf allowed
    Py_ssize_t[::1] states,                # OUT (n,) most likely state path
    double[::1] logprob,                   # OUT (n_seq,) its log-probability
    int n_threads,
):
    """Most likely state path of every sequence, and its log joint probability.

    A sequence of probability zero gets logprob -inf (and an arbitrary path).
    """
    cdef Py_ssize_t n_seq = offsets.shape[0] - 1, K = log_transmat.shape[0]
    cdef Py_ssize_t t_max = 1, s, t, j, T, o
    for s in range(n_seq):
        t_max = max(t_max, offsets[s + 1] - offsets[s])
    cdef int[::1] status = np.zeros(max(n_seq, 1), dtype=np.intc)
    cdef double[::1] row_max = np.max(log_transmat, axis=1)
    cdef double* delta
    cdef Py_ssize_t* keep
    cdef const floating* f
    cdef bint scratch_ok

    with nogil, parallel(num_threads=n_threads):
        delta = <double*> malloc(t_max * K * sizeof(double))
        keep = <Py_ssize_t*> malloc(K * sizeof(Py_ssize_t))
        scratch_ok = delta != NULL and keep != NULL
        for s in prange(n_seq, schedule="dynamic"):
            if not scratch_ok:
                status[s] = NO_MEMORY
                continue
            o = offsets[s]
            T = offsets[s + 1] - o
            if T == 0:
                logprob[s] = 0.0
                continue
            f = &framelogprob[o, 0]
            for t in range(T * K):
                if isnan(f[t]) or f[t] == INFINITY:
                    status[s] = BAD_LOGLIK
            if status[s] != OK:
                continue
            for j in range(K):
                delta[j] = log_startprob[j] + f[j]
            for t in range(1, T):
                maxplus_step(delta + (t - 1) * K, &log_transmat[0, 0], &row_max[0],
                             K, keep, delta + t * K)
                for j in range(K):
                    delta[t * K + j] += f[t * K + j]
            viterbi_backtrack(delta, T, K, &log_transmat[0, 0], &states[o], &logprob[s])
        free(delta)
        free(keep)

    for s in range(n_seq):
        if status[s] != OK:
            return status[s]
    return OK


def sample_states(
    const double[:, ::1] uniform,          # IN (n_seq, T) draws in [0, 1)
    const double[::1] start_cdf,           # IN (K,) cumulative startprob
    const double[:, ::1] trans_cdf,        # IN (K, K) cumulative transmat rows
    Py_ssize_t currstate,                  # IN first state, or -1 to draw it
    Py_ssize_t[:, ::1] states,             # OUT (n_seq, T)
    int n_threads,
):
    """Draw state paths by inverse CDF: state = first k with cdf[k] > u.

    That is hmmlearn's rule ``(cdf > u).argmax()``; a u beyond the last cdf
    entry (rounding) takes the last state with nonzero probability.
    """
    cdef Py_ssize_t n_seq = uniform.shape[0], T = uniform.shape[1]
    cdef Py_ssize_t K = start_cdf.shape[0], s, t, k, cur
    cdef const double* cdf
    with nogil:
        for s in prange(n_seq, schedule="static", num_threads=n_threads):
            for t in range(T):
                if t == 0 and currstate >= 0:
                    states[s, 0] = currstate
                    continue
                cdf = &start_cdf[0] if t == 0 else &trans_cdf[states[s, t - 1], 0]
                cur = K - 1
                for k in range(K):
                    if cdf[k] > uniform[s, t]:
                        cur = k
                        break
                while cur > 0 and cdf[cur] == cdf[cur - 1]:
                    cur = cur - 1
                states[s, t] = cur
    return OK
