"""Logistic regression kernels: fused loss + gradient, and Hessian-vector product.

The model has ``n_out`` linear scores per row, raw = X W^T + b, with W of shape
(n_out, d).  Binary logit uses n_out = 1 (raw is the log-odds of class 1);
multinomial (softmax) uses n_out = k, one score per class.  The per-row loss
is the negative log-likelihood

    binary:       log(1 + exp(raw)) - y raw
    multinomial:  logsumexp(raw) - raw[y]

and its derivative with respect to raw is g = p - onehot(y), p the predicted
probabilities.  With sample weights s, the data part of the objective is
L = sum_i s_i loss_i and its gradient is (s * G)^T X (W) and sum_i s_i g_i (b):
both come out of ONE pass over X per evaluation, which is what makes L-BFGS
cheap -- scikit-learn's LinearModelLoss reads X twice (raw, then gradient).

The Hessian-vector product for a direction (V, v_b) (Newton-CG) is
(s * H_i r_i)^T X with r = X V^T + v_b and H_i the per-row Hessian of the
loss in raw space: p(1-p) (binary) or diag(p) - p p^T (multinomial), which
only needs the probabilities p saved by the last loss_grad call.

Cost per call: two gemm's, O(n d n_out) flops, plus O(n n_out) exp/log.

Parallel layout.  The rows are cut into a fixed number of chunks that depends
only on n (never on the thread count); each chunk walks its rows in blocks of
BLOCK_ROWS: gemm raw = X_b W^T, per-row loss and gradient in float64, gemm
X_b^T G into a per-chunk float64 partial.  The partials are merged in chunk
order, so 1 and N threads give the same result bit for bit.  float32 data
stays float32 in the gemm's (sgemm, half the memory traffic); everything summed
over rows is float64.  Callers must hold BLAS to one thread (the calls are
inside prange).

Ordinal (proportional odds, cumulative logit): one score eta = x . beta per
row and K - 1 increasing thresholds theta, P(y <= k) = sigmoid(theta_k - eta),
so P(y = k) = sigmoid(u) - sigmoid(l) with u = theta_k - eta, l = theta_{k-1} - eta
(theta_{-1} = -inf, theta_{K-1} = +inf).  The difference is computed as
sigmoid(u) sigmoid(-l) (1 - exp(l - u)), in logs, so a row far in a tail does
not round to log(0).  ``ordinal_loss_grad`` has the same one-pass layout, with
the threshold gradient reduced per chunk like the intercept.

Sparse CSR input does its products in SciPy and shares the per-row part
through ``pointwise_loss_grad`` / ``pointwise_hessp``.

The NumPy twin is ``gdcore/discriminative/linear/_reference.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport exp, expm1, log, log1p
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._cy._math cimport exp_or_zero

cdef enum:
    # Rows per block: a 256 x 100 float64 tile of X is 200 KiB, inside a
    # typical L2, so the second gemm (X_b^T G) reads it from cache, not from
    # memory; larger blocks spill it, smaller ones make the gemms less
    # efficient.  Measured by `gdcore bench linear` (LogisticRegression
    # binary fit).
    BLOCK_ROWS = 256
    # At most 64 chunks of at least 2048 rows: enough to balance 2-16 threads,
    # few enough that merging the (chunks, n_out, d) partials is negligible
    # next to the pass over X.  Measured by `gdcore bench linear`
    # (LogisticRegression multinomial fit).
    MAX_CHUNKS = 64
    MIN_CHUNK_ROWS = 2048


cdef inline int team_size(int n_threads, Py_ssize_t n_chunks, Py_ssize_t work) noexcept nogil:
    """Threads worth waking for ``work`` multiply-adds: one per 2**20.

    A smaller share (a fraction of a millisecond) costs more in wake-up and
    barrier than it saves, and far more when the cores are busy with other
    work.  Measured by `gdcore bench linear` (LogisticRegression binary fit,
    breast_cancer x20).  Never more threads than chunks.
    """
    return <int> max(1, min(<Py_ssize_t> n_threads, n_chunks, work >> 20))


def n_chunks_for(Py_ssize_t n_rows):
    """Number of row chunks of the deterministic reduction: a function of n only."""
    return max(1, min(MAX_CHUNKS, n_rows // MIN_CHUNK_ROWS))


cdef inline double log1pexp(double x) noexcept nogil:
    """log(1 + exp(x)) without overflow (x > 0) or loss of digits (x << 0)."""
    if x > 0:
        return x + log1p(exp(-x))
    return log1p(exp(x))


cdef inline double sigmoid(double x) noexcept nogil:
    cdef double e
    if x >= 0:
        return 1.0 / (1.0 + exp(-x))
    e = exp(x)
    return e / (1.0 + e)


cdef inline double row_loss_grad(double* r, Py_ssize_t n_out, int yi, double w,
                                 double* p_out) noexcept nogil:
    """Weighted loss of one row; r (raw scores) becomes w * (p - onehot(y)).

    p_out, if not NULL, receives p (n_out values).
    """
    cdef Py_ssize_t c
    cdef double p, rmax, s, lse, loss
    if n_out == 1:
        loss = log1pexp(r[0]) - (r[0] if yi == 1 else 0.0)
        p = sigmoid(r[0])
        if p_out != NULL:
            p_out[0] = p
        r[0] = w * (p - (1.0 if yi == 1 else 0.0))
        return w * loss
    rmax = r[0]
    for c in range(1, n_out):
        if r[c] > rmax:
            rmax = r[c]
    s = 0.0
    for c in range(n_out):
        s += exp_or_zero(r[c] - rmax)
    lse = rmax + log(s)
    loss = lse - r[yi]
    for c in range(n_out):
        p = exp_or_zero(r[c] - lse)
        if p_out != NULL:
            p_out[c] = p
        r[c] = w * (p - (1.0 if c == yi else 0.0))
    return w * loss


cdef inline void row_hessp(double* r, Py_ssize_t n_out, const double* p,
                           double w) noexcept nogil:
    """r (a direction in raw space) becomes w * H r, H the row's loss Hessian."""
    cdef Py_ssize_t c
    cdef double pr = 0.0
    if n_out == 1:
        r[0] = w * p[0] * (1.0 - p[0]) * r[0]
        return
    for c in range(n_out):
        pr += p[c] * r[c]
    for c in range(n_out):
        r[c] = w * p[c] * (r[c] - pr)


def loss_grad(
    const floating[:, ::1] X,        # IN (n, d)
    const int[::1] y,                # IN (n,) class index: {0, 1} if n_out == 1, else [0, n_out)
    const double[::1] sw,            # IN (n,) sample weights
    const floating[:, ::1] coef,     # IN (n_out, d) W
    const double[::1] intercept,     # IN (n_out,) b
    double[:, ::1] grad_coef,        # OUT (n_out, d) dL/dW
    double[::1] grad_intercept,      # OUT (n_out,) dL/db
    double[:, ::1] proba,            # OUT (n, n_out) p, or shape (0, n_out) to skip
    int n_threads,
):
    """L = sum_i sw_i loss_i and its gradient, in one pass over X. Returns L."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], n_out = coef.shape[0]
    cdef Py_ssize_t n_chunks = n_chunks_for(n)
    n_threads = team_size(n_threads, n_chunks, n * d * n_out)
    cdef double[:, :, ::1] part_g = np.zeros((n_chunks, n_out, d))
    cdef double[:, ::1] part_b = np.zeros((n_chunks, n_out))
    cdef double[::1] part_loss = np.zeros(n_chunks)
    cdef bint keep_p = proba.shape[0] == n
    cdef Py_ssize_t ch, blk, s, e, start, stop, rows, i, c, j
    cdef floating* raw
    cdef floating* gblk
    cdef double* rbuf
    cdef double loss
    cdef bint no_memory
    cdef unsigned char[::1] failed = np.zeros(n_chunks, np.uint8)

    with nogil, parallel(num_threads=n_threads):
        raw = <floating*> malloc(BLOCK_ROWS * n_out * sizeof(floating))
        gblk = <floating*> malloc(n_out * d * sizeof(floating))
        rbuf = <double*> malloc(n_out * sizeof(double))
        no_memory = raw == NULL or gblk == NULL or rbuf == NULL
        for ch in prange(n_chunks, schedule="static"):
            if no_memory:
                failed[ch] = 1
                continue
            start = (n * ch) // n_chunks
            stop = (n * (ch + 1)) // n_chunks
            loss = 0.0
            for blk in range((stop - start + BLOCK_ROWS - 1) // BLOCK_ROWS):
                s = start + blk * BLOCK_ROWS
                e = min(s + BLOCK_ROWS, stop)
                rows = e - s
                gemm(False, True, rows, n_out, d, <floating> 1.0, &X[s, 0], d,
                     &coef[0, 0], d, <floating> 0.0, raw, n_out)
                for i in range(rows):
                    for c in range(n_out):
                        rbuf[c] = raw[i * n_out + c] + intercept[c]
                    loss = loss + row_loss_grad(
                        rbuf, n_out, y[s + i], sw[s + i],
                        &proba[s + i, 0] if keep_p else NULL)
                    for c in range(n_out):
                        raw[i * n_out + c] = <floating> rbuf[c]
                        part_b[ch, c] += rbuf[c]
                gemm(True, False, n_out, d, rows, <floating> 1.0, raw, n_out,
                     &X[s, 0], d, <floating> 0.0, gblk, d)
                for c in range(n_out):
                    for j in range(d):
                        part_g[ch, c, j] += gblk[c * d + j]
            part_loss[ch] = loss
        free(raw)
        free(gblk)
        free(rbuf)
    _raise_if_out_of_memory(failed)
    return _merge(part_g, part_b, part_loss, grad_coef, grad_intercept)


def hessp(
    const floating[:, ::1] X,        # IN (n, d)
    const double[::1] sw,            # IN (n,)
    const double[:, ::1] proba,      # IN (n, n_out) p from loss_grad at the same W, b
    const floating[:, ::1] vec_coef,   # IN (n_out, d) direction V
    const double[::1] vec_intercept,   # IN (n_out,) direction v_b
    double[:, ::1] hv_coef,          # OUT (n_out, d) (H [V, v_b]) for W
    double[::1] hv_intercept,        # OUT (n_out,) (H [V, v_b]) for b
    int n_threads,
):
    """Hessian of L times a direction, same pass structure as loss_grad."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], n_out = vec_coef.shape[0]
    cdef Py_ssize_t n_chunks = n_chunks_for(n)
    n_threads = team_size(n_threads, n_chunks, n * d * n_out)
    cdef double[:, :, ::1] part_g = np.zeros((n_chunks, n_out, d))
    cdef double[:, ::1] part_b = np.zeros((n_chunks, n_out))
    cdef Py_ssize_t ch, blk, s, e, start, stop, rows, i, c, j
    cdef floating* raw
    cdef floating* gblk
    cdef double* rbuf
    cdef bint no_memory
    cdef unsigned char[::1] failed = np.zeros(n_chunks, np.uint8)

    with nogil, parallel(num_threads=n_threads):
        raw = <floating*> malloc(BLOCK_ROWS * n_out * sizeof(floating))
        gblk = <floating*> malloc(n_out * d * sizeof(floating))
        rbuf = <double*> malloc(n_out * sizeof(double))
        no_memory = raw == NULL or gblk == NULL or rbuf == NULL
        for ch in prange(n_chunks, schedule="static"):
            if no_memory:
                failed[ch] = 1
                continue
            start = (n * ch) // n_chunks
            stop = (n * (ch + 1)) // n_chunks
            for blk in range((stop - start + BLOCK_ROWS - 1) // BLOCK_ROWS):
                s = start + blk * BLOCK_ROWS
                e = min(s + BLOCK_ROWS, stop)
                rows = e - s
                gemm(False, True, rows, n_out, d, <floating> 1.0, &X[s, 0], d,
                     &vec_coef[0, 0], d, <floating> 0.0, raw, n_out)
                for i in range(rows):
                    for c in range(n_out):
                        rbuf[c] = raw[i * n_out + c] + vec_intercept[c]
                    row_hessp(rbuf, n_out, &proba[s + i, 0], sw[s + i])
                    for c in range(n_out):
                        raw[i * n_out + c] = <floating> rbuf[c]
                        part_b[ch, c] += rbuf[c]
                gemm(True, False, n_out, d, rows, <floating> 1.0, raw, n_out,
                     &X[s, 0], d, <floating> 0.0, gblk, d)
                for c in range(n_out):
                    for j in range(d):
                        part_g[ch, c, j] += gblk[c * d + j]
        free(raw)
        free(gblk)
        free(rbuf)
    _raise_if_out_of_memory(failed)
    _merge(part_g, part_b, np.zeros(n_chunks), hv_coef, hv_intercept)


def pointwise_loss_grad(
    double[:, ::1] raw,              # IN/OUT (n, n_out) X W^T + b in, sw * (p - onehot) out
    const int[::1] y,                # IN (n,)
    const double[::1] sw,            # IN (n,)
    double[:, ::1] proba,            # OUT (n, n_out), or shape (0, n_out) to skip
    int n_threads,
):
    """The per-row part of loss_grad, for callers that do the products (sparse X).

    Returns L; the gradient is then raw^T X and raw.sum(0).
    """
    cdef Py_ssize_t n = raw.shape[0], n_out = raw.shape[1]
    cdef Py_ssize_t n_chunks = n_chunks_for(n)
    n_threads = team_size(n_threads, n_chunks, n * n_out * 32)  # ~32 flops per exp
    cdef double[::1] part_loss = np.zeros(n_chunks)
    cdef bint keep_p = proba.shape[0] == n
    cdef Py_ssize_t ch, i
    cdef double loss
    with nogil:
        for ch in prange(n_chunks, schedule="static", num_threads=n_threads):
            loss = 0.0
            for i in range((n * ch) // n_chunks, (n * (ch + 1)) // n_chunks):
                loss = loss + row_loss_grad(&raw[i, 0], n_out, y[i], sw[i],
                                            &proba[i, 0] if keep_p else NULL)
            part_loss[ch] = loss
    return float(np.sum(part_loss))


def pointwise_hessp(
    double[:, ::1] raw,              # IN/OUT (n, n_out) X V^T + v_b in, sw * H r out
    const double[::1] sw,            # IN (n,)
    const double[:, ::1] proba,      # IN (n, n_out)
    int n_threads,
):
    """The per-row part of hessp (sparse X): the result is then raw^T X, raw.sum(0)."""
    cdef Py_ssize_t n = raw.shape[0], n_out = raw.shape[1], i
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            row_hessp(&raw[i, 0], n_out, &proba[i, 0], sw[i])


cdef inline double row_ordinal(double eta, int k, Py_ssize_t n_thr,
                               const double* theta, double w, double* d_eta,
                               double* d_lo, double* d_hi) noexcept nogil:
    """Weighted -log P(y = k) of one row and its derivatives (times w).

    d_eta: with respect to eta; d_lo, d_hi: to theta_{k-1} and theta_k (set
    only when that threshold exists).
    """
    cdef double u, lo, delta, loss
    if k == 0:
        u = theta[0] - eta
        d_hi[0] = -w * sigmoid(-u)
        d_eta[0] = -d_hi[0]
        return w * log1pexp(-u)
    if k == n_thr:
        lo = theta[n_thr - 1] - eta
        d_lo[0] = w * sigmoid(lo)
        d_eta[0] = -d_lo[0]
        return w * log1pexp(lo)
    u = theta[k] - eta
    lo = theta[k - 1] - eta
    delta = u - lo
    loss = log1pexp(-u) + log1pexp(lo) - log(-expm1(-delta))
    d_hi[0] = -w * (sigmoid(-u) + 1.0 / expm1(delta))
    d_lo[0] = w * (sigmoid(lo) + 1.0 / expm1(delta))
    d_eta[0] = w * (sigmoid(-u) - sigmoid(lo))
    return w * loss


def ordinal_loss_grad(
    const floating[:, ::1] X,        # IN (n, d)
    const int[::1] y,                # IN (n,) level index in [0, K)
    const double[::1] sw,            # IN (n,)
    const floating[:, ::1] coef,     # IN (1, d) beta
    const double[::1] thresholds,    # IN (K - 1,) strictly increasing theta
    double[:, ::1] grad_coef,        # OUT (1, d) dL/dbeta
    double[::1] grad_thresholds,     # OUT (K - 1,) dL/dtheta
    int n_threads,
):
    """L = -sum_i sw_i log P(y_i | x_i) of the proportional-odds model, and its gradient."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], n_thr = thresholds.shape[0]
    cdef Py_ssize_t n_chunks = n_chunks_for(n)
    n_threads = team_size(n_threads, n_chunks, n * d)
    cdef double[:, :, ::1] part_g = np.zeros((n_chunks, 1, d))
    cdef double[:, ::1] part_t = np.zeros((n_chunks, n_thr))
    cdef double[::1] part_loss = np.zeros(n_chunks)
    cdef Py_ssize_t ch, blk, s, e, start, stop, rows, i, j
    cdef int k
    cdef floating* raw
    cdef floating* gblk
    cdef double loss, d_eta, d_lo, d_hi
    cdef bint no_memory
    cdef unsigned char[::1] failed = np.zeros(n_chunks, np.uint8)

    with nogil, parallel(num_threads=n_threads):
        raw = <floating*> malloc(BLOCK_ROWS * sizeof(floating))
        gblk = <floating*> malloc(d * sizeof(floating))
        no_memory = raw == NULL or gblk == NULL
        for ch in prange(n_chunks, schedule="static"):
            if no_memory:
                failed[ch] = 1
                continue
            start = (n * ch) // n_chunks
            stop = (n * (ch + 1)) // n_chunks
            loss = 0.0
            for blk in range((stop - start + BLOCK_ROWS - 1) // BLOCK_ROWS):
                s = start + blk * BLOCK_ROWS
                e = min(s + BLOCK_ROWS, stop)
                rows = e - s
                gemm(False, True, rows, 1, d, <floating> 1.0, &X[s, 0], d,
                     &coef[0, 0], d, <floating> 0.0, raw, 1)
                for i in range(rows):
                    k = y[s + i]
                    # assigned here so that prange makes them thread-private
                    d_eta = 0.0
                    d_lo = 0.0
                    d_hi = 0.0
                    loss = loss + row_ordinal(raw[i], k, n_thr, &thresholds[0],
                                              sw[s + i], &d_eta, &d_lo, &d_hi)
                    raw[i] = <floating> d_eta
                    if k > 0:
                        part_t[ch, k - 1] += d_lo
                    if k < n_thr:
                        part_t[ch, k] += d_hi
                gemm(True, False, 1, d, rows, <floating> 1.0, raw, 1,
                     &X[s, 0], d, <floating> 0.0, gblk, d)
                for j in range(d):
                    part_g[ch, 0, j] += gblk[j]
            part_loss[ch] = loss
        free(raw)
        free(gblk)
    _raise_if_out_of_memory(failed)
    return _merge(part_g, part_t, part_loss, grad_coef, grad_thresholds)


def _raise_if_out_of_memory(failed):
    """Raise, with the GIL, the allocation failure a thread reported per chunk."""
    if np.any(failed):
        raise MemoryError("logistic loss pass: a thread's block buffers could not be "
                          "allocated; free memory or use fewer threads (n_jobs).")


cdef double _merge(double[:, :, ::1] part_g, double[:, ::1] part_b,
                   double[::1] part_loss, double[:, ::1] out_g,
                   double[::1] out_b) noexcept nogil:
    """Sum the per-chunk partials in chunk order (deterministic); returns the loss."""
    cdef Py_ssize_t ch, c, j
    cdef double loss = 0.0
    out_g[:, :] = 0.0
    out_b[:] = 0.0
    for ch in range(part_g.shape[0]):
        loss += part_loss[ch]
        for c in range(part_b.shape[1]):
            out_b[c] += part_b[ch, c]
        for c in range(part_g.shape[1]):
            for j in range(part_g.shape[2]):
                out_g[c, j] += part_g[ch, c, j]
    return loss
