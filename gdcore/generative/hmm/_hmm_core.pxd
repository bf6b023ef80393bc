# Per-sequence HMM recursions shared by the kernels of _hmm.pyx (per-frame
# log-likelihoods given as an (n, K) array) and _hmm_categorical.pyx (categorical
# emissions read from a table by symbol): inlined at each use, no Python.
#
# Both paths hand the recursions the same thing: e[t] (T x K), the frame's
# emission probabilities divided by their maximum, and shift[t], the log of
# that maximum (-inf for a frame no state can emit).  See _hmm.pyx for the
# algorithm and its references.

from libc.math cimport INFINITY, log

from gdcore._cy._blas cimport gemm

cdef enum:
    # Status of every HMM kernel whose per-thread scratch could not be
    # allocated (the callers raise MemoryError): a bit of its own, above the
    # other codes of each kernel module (1, 2), so that it can be or-ed.
    NO_MEMORY = 8


cdef inline void axpy_rows(const double* x, const double* M, Py_ssize_t K,
                           double* y) noexcept nogil:
    """y += x @ M for a K x K row-major M: the K^2 step of both recursions.

    Rows of M are added four at a time so y is loaded and stored a quarter
    as often and the inner loop over contiguous j vectorizes (measured by
    ``gdcore bench hmm``).  A BLAS gemv costs more in call overhead than its
    K^2 flops.
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


cdef inline double forward_scaled(
    Py_ssize_t T, Py_ssize_t K, const double* startprob, const double* transmat,
    const double* e, const double* shift, double* alpha, double* scale,
) noexcept nogil:
    """Scaled forward pass of one sequence: returns log P(X), or -inf.

    alpha (T x K) rows sum to 1; scale[t] = c_t, the normalizer of step t,
    which the backward pass needs.
    """
    cdef Py_ssize_t t, j
    cdef double c, lp = 0.0
    cdef double* at
    cdef const double* ep
    for t in range(T):
        if shift[t] == -INFINITY:
            return -INFINITY
        ep = e + t * K
        at = alpha + t * K
        if t == 0:
            for j in range(K):
                at[j] = startprob[j] * ep[j]
        else:
            # at = alpha[t-1] @ A, row by row of A so the inner loop is
            # contiguous and vectorizes.
            for j in range(K):
                at[j] = 0.0
            axpy_rows(at - K, transmat, K, at)
            for j in range(K):
                at[j] *= ep[j]
        c = 0.0
        for j in range(K):
            c += at[j]
        if c <= 0.0:
            return -INFINITY
        for j in range(K):
            at[j] /= c
        scale[t] = c
        lp += log(c) + shift[t]
    return lp


cdef enum:
    # Frames per block of the backward pass: the block's alpha, w and beta
    # rows (3 x 256 x K doubles, 192 KiB at K = 32) stay in L2 between the
    # recursion, the transition-count gemm and the posteriors; a shorter block
    # means smaller, less efficient gemms.  Measured by ``gdcore bench hmm``.
    BACKWARD_BLOCK = 256


cdef inline void backward_posteriors(
    Py_ssize_t T, Py_ssize_t K, const double* transmat_t, double* e,
    double* alpha, const double* scale, double* beta, double* trans_part,
) noexcept nogil:
    """Scaled backward pass: alpha becomes the posteriors, trans_part += counts.

    With w_t = e_t * beta_t / c_t (stored over e[t] for t >= 1) and beta_t =
    A w_{t+1} = w_{t+1} @ A^T (an axpy over rows of A^T, contiguous and
    vectorized; a dot product per state is a serial chain of dependent adds,
    several times slower), the transition counts before the product with A
    are alpha[:-1]^T @ w[1:].  Frames go backwards in blocks of
    BACKWARD_BLOCK: the block's beta rows (``beta``: BACKWARD_BLOCK x K
    scratch), then one gemm for its frame pairs, then gamma_t = alpha_t *
    beta_t (normalized) written over alpha_t.  The caller holds BLAS to one
    thread.
    """
    cdef Py_ssize_t t, t0, t1 = T, i, j, n_pairs
    cdef double norm, inv
    cdef double* bt
    cdef double* w
    cdef double* at
    while t1 > 0:
        t0 = t1 - BACKWARD_BLOCK if t1 > BACKWARD_BLOCK else 0
        for t in range(t1 - 1, t0 - 1, -1):
            bt = beta + (t - t0) * K
            if t == T - 1:
                for j in range(K):
                    bt[j] = 1.0
            else:
                for i in range(K):
                    bt[i] = 0.0
                axpy_rows(e + (t + 1) * K, transmat_t, K, bt)
            if t >= 1:
                w = e + t * K
                inv = 1.0 / scale[t]
                for j in range(K):
                    w[j] = w[j] * bt[j] * inv
        n_pairs = (t1 if t1 < T - 1 else T - 1) - t0
        if n_pairs > 0:
            gemm(True, False, <int> K, <int> K, <int> n_pairs, 1.0, alpha + t0 * K,
                 <int> K, e + (t0 + 1) * K, <int> K, 1.0, trans_part, <int> K)
        for t in range(t0, t1):
            at = alpha + t * K
            bt = beta + (t - t0) * K
            norm = 0.0
            for j in range(K):
                at[j] = at[j] * bt[j]
                norm = norm + at[j]
            inv = 1.0 / norm
            for j in range(K):
                at[j] = at[j] * inv
        t1 = t0


cdef inline void maxplus_step(
    const double* prev, const double* log_transmat, const double* row_max,
    Py_ssize_t K, Py_ssize_t* keep, double* cur,
) noexcept nogil:
    """cur[j] = max_i prev[i] + logA[i, j], exactly, skipping rows that cannot win.

    cur starts as the row of the best previous state i*, a lower bound
    L = min_j cur[j] of every output; a row i with prev[i] + max_j logA[i, j]
    < L can raise no cur[j] and is skipped (exact: rounding of a sum is
    monotone).  After a few frames of informative emissions most states
    lie far below the best: on the 32-state categorical model of
    ``gdcore bench hmm`` (Viterbi decode) the sweep touches a few rows instead
    of 32.  The surviving rows are swept four at a time so cur is loaded and
    stored a quarter as often.
    """
    cdef Py_ssize_t i, j, n_keep = 0, best_i = 0
    cdef double v, c, p0, p1, p2, p3, bound
    cdef const double* a0
    cdef const double* a1
    cdef const double* a2
    cdef const double* a3
    for i in range(1, K):
        if prev[i] > prev[best_i]:
            best_i = i
    p0 = prev[best_i]
    a0 = log_transmat + best_i * K
    bound = INFINITY
    for j in range(K):
        cur[j] = p0 + a0[j]
        bound = cur[j] if cur[j] < bound else bound
    for i in range(K):
        # Branch-free: which rows survive is data-dependent and unpredictable.
        keep[n_keep] = i
        n_keep = n_keep + ((i != best_i) & (prev[i] + row_max[i] >= bound))
    i = 0
    while i + 4 <= n_keep:
        p0 = prev[keep[i]]
        p1 = prev[keep[i + 1]]
        p2 = prev[keep[i + 2]]
        p3 = prev[keep[i + 3]]
        a0 = log_transmat + keep[i] * K
        a1 = log_transmat + keep[i + 1] * K
        a2 = log_transmat + keep[i + 2] * K
        a3 = log_transmat + keep[i + 3] * K
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
    while i < n_keep:
        p0 = prev[keep[i]]
        a0 = log_transmat + keep[i] * K
        for j in range(K):
            v = p0 + a0[j]
            cur[j] = v if v > cur[j] else cur[j]
        i = i + 1


cdef inline void viterbi_backtrack(
    const double* delta, Py_ssize_t T, Py_ssize_t K, const double* log_transmat,
    Py_ssize_t* states, double* logprob,
) noexcept nogil:
    """Best path from the lattice of path scores delta (T x K).

    Ties as in hmmlearn 0.3.3: the last state is the lowest maximal index,
    each back-pointer the highest (>=), so paths agree even on exact ties.
    Each back-pointer is recovered in O(K) from the stored lattice.
    """
    cdef Py_ssize_t t, i, j, best_j = 0
    cdef double v, best = -INFINITY
    cdef const double* prev = delta + (T - 1) * K
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
