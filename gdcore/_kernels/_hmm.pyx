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
O(T K) per thread of scratch (W and beta), nothing O(T K^2).

Viterbi (Viterbi 1967) runs in log space and stores the lattice of path
scores (T x K doubles per thread), from which the backtrack recovers each
back-pointer in O(K).  Ties are broken as hmmlearn 0.3.3 breaks them, so
paths agree even on exactly tied data (a 3-cycle of one symbol makes such
ties): the last state goes to the lowest index, back-pointers to the highest.

Determinism.  The transition counts of sequence chunks (a fixed partition of
the sequences, a function of their number only) go to separate partial
arrays merged in chunk order, so results are bit-identical on any number of
threads.  Every other output is per sequence.

Status codes (0 = ok) are returned to the Python caller, which raises.  A
sequence with probability zero is not an error here: its log-probability is
-inf and its posteriors NaN; the caller decides.  The NumPy twin, in log
space, is ``gdcore/_reference/hmm.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, NAN, exp, isnan, log
from libc.stdlib cimport free, malloc

from gdcore._kernels._blas cimport gemm

cdef enum:
    OK = 0
    BAD_LOGLIK = 1     # NaN or +inf in framelogprob
    # At most 64 chunks of sequences for the transition counts, and their
    # partial K x K arrays together at most 2**24 doubles (128 MiB).
    MAX_CHUNKS = 64
    MAX_PARTIAL_DOUBLES = 16777216

STATUS_OK = OK
STATUS_BAD_LOGLIK = BAD_LOGLIK


def n_seq_chunks(Py_ssize_t n_seq, Py_ssize_t n_states):
    """Number of sequence chunks for the transition counts: a function of shape only."""
    cdef Py_ssize_t n = max(1, min(MAX_CHUNKS, n_seq))
    return max(1, min(n, MAX_PARTIAL_DOUBLES // max(1, n_states * n_states)))


cdef inline void axpy_rows(const double* x, const double* M, Py_ssize_t K,
                           double* y) noexcept nogil:
    """y += x @ M for a K x K row-major M: the K^2 step of both recursions.

    Rows of M are added four at a time so y is loaded and stored a quarter
    as often and the inner loop over contiguous j vectorizes; on K = 32 this
    took the scaled forward-backward from 0.10 s to 0.07 s CPU per 1e5
    frames.  (A BLAS gemv costs more in call overhead than its K^2 flops.)
    """
    cdef Py_ssize_t i = 0, j
    cdef double x0, x1, x2, x3
    cdef const double* r0
    while i + 4 <= K:
        x0 = x[i]
        x1 = x[i + 1]
        x2 = x[i + 2]
        x3 = x[i + 3]
        r0 = M + i * K
        for j in range(K):
            y[j] += x0 * r0[j] + x1 * r0[K + j] + x2 * r0[2 * K + j] + x3 * r0[3 * K + j]
        i = i + 4
    while i < K:
        x0 = x[i]
        r0 = M + i * K
        for j in range(K):
            y[j] += x0 * r0[j]
        i = i + 1


cdef inline int check_rest(const floating* flp, Py_ssize_t t0, Py_ssize_t T,
                            Py_ssize_t K) noexcept nogil:
    """BAD_LOGLIK if frames t0.. hold NaN or +inf (checked after an impossible frame)."""
    cdef Py_ssize_t i
    for i in range(t0 * K, T * K):
        if isnan(flp[i]) or flp[i] == INFINITY:
            return BAD_LOGLIK
    return OK


cdef inline int forward_scaled(
    const floating* flp, Py_ssize_t T, Py_ssize_t K,
    const double* startprob, const double* transmat,
    double* alpha, double* e, double* scale, double* logprob,
) noexcept nogil:
    """Scaled forward pass of one sequence; alpha (T x K) rows sum to 1.

    Leaves e[t] = exp(flp[t] - max flp[t]) and the scale factors c_t, both
    needed by the backward pass.  Returns BAD_LOGLIK or OK; an impossible
    sequence sets *logprob = -inf and returns OK.
    """
    cdef Py_ssize_t t, j
    cdef double m, c, lp = 0.0
    cdef double* at
    cdef double* ep
    for t in range(T):
        m = -INFINITY
        for j in range(K):
            if isnan(flp[t * K + j]) or flp[t * K + j] == INFINITY:
                return BAD_LOGLIK
            if flp[t * K + j] > m:
                m = flp[t * K + j]
        if m == -INFINITY:
            logprob[0] = -INFINITY
            return check_rest(flp, t + 1, T, K)
        ep = e + t * K
        for j in range(K):
            ep[j] = exp(flp[t * K + j] - m)
        at = alpha + t * K
        if t == 0:
            for j in range(K):
                at[j] = startprob[j] * ep[j]
        else:
            # at = alpha[t-1] @ A, row by row of A so the inner loop is
            # contiguous and vectorizes (a BLAS gemv call costs more than the
            # K^2 = 256..1024 flops it would do).
            for j in range(K):
                at[j] = 0.0
            axpy_rows(at - K, transmat, K, at)
            for j in range(K):
                at[j] *= ep[j]
        c = 0.0
        for j in range(K):
            c += at[j]
        if c <= 0.0:
            logprob[0] = -INFINITY
            return check_rest(flp, t + 1, T, K)
        for j in range(K):
            at[j] /= c
        scale[t] = c
        lp += log(c) + m
    logprob[0] = lp
    return OK


cdef inline void backward_scaled(
    Py_ssize_t T, Py_ssize_t K, const double* transmat_t,
    double* e, double* beta, const double* scale,
) noexcept nogil:
    """Scaled backward pass: beta (T x K), and e[t] turned into w_t in place.

    w_t = e_t * beta_t / c_t for t >= 1 (row 0 of e is left as is), so that
    alpha[:-1]^T @ w[1:] is the transition count before the product with A.
    beta_t = A w_{t+1} = w_{t+1} @ A^T is summed over rows of A^T so that the
    inner loop is an axpy over contiguous memory that vectorizes; a dot
    product per state is a serial chain of dependent adds (3.3x slower at
    K = 32).
    """
    cdef Py_ssize_t t, i, j
    cdef double* bt
    cdef double* w
    bt = beta + (T - 1) * K
    for j in range(K):
        bt[j] = 1.0
    for t in range(T - 1, 0, -1):
        w = e + t * K
        bt = beta + t * K
        for j in range(K):
            w[j] = w[j] * bt[j] / scale[t]
        bt = bt - K
        for i in range(K):
            bt[i] = 0.0
        axpy_rows(w, transmat_t, K, bt)


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
    cdef double* post
    cdef double norm
    cdef int err

    with nogil, parallel(num_threads=n_threads):
        e = <double*> malloc(t_max * K * sizeof(double))
        beta = <double*> malloc(t_max * K * sizeof(double))
        scale = <double*> malloc(t_max * sizeof(double))
        for ch in prange(n_chunks, schedule="dynamic"):
            for s in range((n_seq * ch) // n_chunks, (n_seq * (ch + 1)) // n_chunks):
                o = offsets[s]
                T = offsets[s + 1] - o
                if T == 0:
                    logprob[s] = 0.0
                    continue
                post = &posteriors[o, 0]
                err = forward_scaled(&framelogprob[o, 0], T, K, &startprob[0],
                                     &transmat[0, 0], post, e, scale, &logprob[s])
                if err != OK:
                    status[ch] = err
                    break
                if logprob[s] == -INFINITY:
                    for t in range(T * K):
                        post[t] = NAN
                    continue
                if forward_only:
                    continue
                backward_scaled(T, K, &transmat_t[0, 0], e, beta, scale)
                if T > 1:
                    # part[ch] += alpha[:-1]^T @ w[1:]  (K x K), before alpha
                    # is overwritten by the posteriors below.
                    gemm(True, False, <int> K, <int> K, <int> (T - 1), 1.0,
                         post, <int> K, e + K, <int> K, 1.0, &part[ch, 0, 0], <int> K)
                for t in range(T):
                    norm = 0.0
                    for j in range(K):
                        post[t * K + j] = post[t * K + j] * beta[t * K + j]
                        norm = norm + post[t * K + j]
                    for j in range(K):
                        post[t * K + j] = post[t * K + j] / norm
        free(e)
        free(beta)
        free(scale)

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


cdef inline void viterbi_one(
    const floating* f, Py_ssize_t T, Py_ssize_t K,
    const double* log_startprob, const double* log_transmat,
    double* delta, Py_ssize_t* states, double* logprob,
) noexcept nogil:
    """Viterbi on one sequence; delta (T x K) is the lattice of path scores.

    The forward recursion keeps only the maximum, cur[j] = max_i prev[i] +
    logA[i, j], which vectorizes over contiguous j (a running argmax beside
    it did not, and ran 2x slower than hmmlearn).  The back-pointer of each
    step is then recovered in the backtrack from the stored lattice, K
    operations per step against K^2 for the recursion.
    """
    cdef Py_ssize_t t, i, j, best_j
    cdef double v, c, best, p0, p1, p2, p3
    cdef double* prev
    cdef double* cur
    cdef const double* a0
    cdef const double* a1
    cdef const double* a2
    cdef const double* a3
    for j in range(K):
        delta[j] = log_startprob[j] + f[j]
    for t in range(1, T):
        prev = delta + (t - 1) * K
        cur = delta + t * K
        for j in range(K):
            cur[j] = -INFINITY
        # Four rows of A per sweep over cur: a quarter of the loads and
        # stores of cur, and the prev[i] in registers (0.058 s -> 0.037 s CPU
        # for 1e5 frames, K = 32, one thread; hmmlearn 0.10 s).
        i = 0
        while i + 4 <= K:
            p0 = prev[i]
            p1 = prev[i + 1]
            p2 = prev[i + 2]
            p3 = prev[i + 3]
            a0 = log_transmat + i * K
            a1 = a0 + K
            a2 = a1 + K
            a3 = a2 + K
            for j in range(K):
                v = p0 + a0[j]
                c = cur[j]
                c = v if v > c else c
                v = p1 + a1[j]
                c = v if v > c else c
                v = p2 + a2[j]
                c = v if v > c else c
                v = p3 + a3[j]
                cur[j] = v if v > c else c
            i = i + 4
        while i < K:
            p0 = prev[i]
            a0 = log_transmat + i * K
            for j in range(K):
                v = p0 + a0[j]
                cur[j] = v if v > cur[j] else cur[j]
            i = i + 1
        for j in range(K):
            cur[j] = cur[j] + f[t * K + j]
    # Ties as in hmmlearn 0.3.3: the last state is the lowest maximal index,
    # each back-pointer the highest (>=), so paths agree even on exact ties.
    prev = delta + (T - 1) * K
    best = -INFINITY
    best_j = 0
    for j in range(K):
        if prev[j] > best:
            best = prev[j]
            best_j = j
    logprob[0] = best
    states[T - 1] = best_j
    for t in range(T - 2, -1, -1):
        prev = delta + t * K
        best = -INFINITY
        i = 0
        for j in range(K):
            v = prev[j] + log_transmat[j * K + best_j]
            if v >= best:
                best = v
                i = j
        best_j = i
        states[t] = best_j


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
    cdef Py_ssize_t t_max = 1, s, t, T, o
    for s in range(n_seq):
        t_max = max(t_max, offsets[s + 1] - offsets[s])
    cdef int[::1] status = np.zeros(max(n_seq, 1), dtype=np.intc)
    cdef double* delta
    cdef const floating* f

    with nogil, parallel(num_threads=n_threads):
        delta = <double*> malloc(t_max * K * sizeof(double))
        for s in prange(n_seq, schedule="dynamic"):
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
            viterbi_one(f, T, K, &log_startprob[0], &log_transmat[0, 0],
                        delta, &states[o], &logprob[s])
        free(delta)

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
