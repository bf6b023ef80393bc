"""Dense-layer kernels: forward and backward through gemm, losses, optimizer steps.

A dense layer maps a batch X (n x p) to A = f(X W + b) with W (p x q).  The
forward pass is one gemm, O(n p q), with the bias and the activation f applied
to each row block while it is still in cache.  Backpropagation (Rumelhart,
Hinton & Williams 1986) takes delta = dL/dZ (n x q) of the pre-activation
Z = X W + b and gives

    dL/dW = X^T delta + l2 W        (gemm, O(n p q))
    dL/db = column sums of delta
    dL/dZ_prev = (delta W^T) * f_prev'(X)   (gemm, O(n p q))

where f_prev' is the previous layer's activation derivative written in terms
of its *output* X (relu: X > 0, tanh: 1 - X^2, logistic: X (1 - X)), so no
pre-activation needs to be stored.  The output losses (softmax / sigmoid
cross-entropy, squared error) return their sum and write delta = scale *
(prediction - target), the gradient with respect to the logits; the caller
picks scale = 1 / n_batch for a mean.  Adam (Kingma & Ba 2015) and SGD with
(Nesterov) momentum update a flat parameter vector in place, elementwise.

Parallel layout.  Products are split into one block of rows per thread (at most
BLOCK_ROWS rows), each block a single-threaded gemm: the caller holds BLAS to
one thread (gdcore._threads.single_threaded_blas).  dL/dW is split over its
rows (the input features), so each entry is one gemm's full sum over the
batch and no cross-thread reduction exists.  Loss sums add per-row values in
row order: results do not depend on the number of threads.

The NumPy twin is ``gdcore/_nn/_reference/dense.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, fabs, log, log1p, sqrt
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._nn._dense_act cimport (
    IDENTITY, LEAKY_RELU, LOGISTIC, RELU, TANH, activate_row, times_derivative_row)
from gdcore._cy._math cimport exp_or_zero

cdef enum:
    # Rows per gemm block: 256 rows of a 256-wide float64 layer are 512 KiB,
    # so the block is still in L2 when the bias and activation pass reads it.
    BLOCK_ROWS = 256
    # Below these sizes a call runs on one thread: an OpenMP fork/join costs
    # microseconds on an idle machine and can cost milliseconds on a loaded
    # one, while 2**20 multiply-adds take ~0.1 ms on one core.  The thresholds
    # trade that overhead against the parallel speed-up of larger layers;
    # measured by `gdcore bench mlp`.
    MIN_GEMM_WORK = 1048576
    MIN_ELEMENTWISE_WORK = 65536
    # An optimizer step follows a minibatch's gradient region at once, while
    # the threads still spin (GOMP_SPINCOUNT), so its fork is cheap and a
    # lower threshold than MIN_ELEMENTWISE_WORK pays: a step over a few tens
    # of thousands of parameters is worth splitting.  Measured by
    # `gdcore bench mlp`.
    MIN_OPTIMIZER_WORK = 16384

ACTIVATION_CODES = {
    "identity": IDENTITY,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "tanh": TANH,
    "logistic": LOGISTIC,
}


cdef inline int _threads_for(Py_ssize_t work, Py_ssize_t min_work,
                             int n_threads) noexcept nogil:
    """Threads worth starting for `work` units: one per `min_work`, at most n_threads."""
    cdef Py_ssize_t t = work // min_work
    if t < 1:
        return 1
    return <int>t if t < n_threads else n_threads


cdef inline Py_ssize_t _n_blocks(Py_ssize_t n, int n_threads) noexcept nogil:
    """Row blocks: at least one per thread, none above BLOCK_ROWS rows."""
    cdef Py_ssize_t nb = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    if nb < n_threads:
        nb = n_threads
    if nb > n:
        nb = n
    return nb if nb > 0 else 1


def dense_forward(
    const floating[:, ::1] X,    # IN (n, p) layer input
    const floating[:, ::1] W,    # IN (p, q) weights
    const floating[::1] b,       # IN (q,) bias
    floating[:, ::1] out,        # OUT (n, q) f(X W + b)
    int activation,              # one of ACTIVATION_CODES
    int n_threads,
):
    """out = f(X W + b), one gemm per row block with f applied in cache."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1], q = W.shape[1]
    cdef Py_ssize_t nb, blk, i, j, r0, r1
    cdef floating* o
    if n == 0:
        return
    n_threads = _threads_for(n * p * q, MIN_GEMM_WORK, n_threads)
    nb = _n_blocks(n, n_threads)
    with nogil:
        for blk in prange(nb, schedule="static", num_threads=n_threads):
            r0 = n * blk // nb
            r1 = n * (blk + 1) // nb
            gemm(False, False, r1 - r0, q, p, 1.0, &X[r0, 0], p, &W[0, 0], q,
                 0.0, &out[r0, 0], q)
            for i in range(r0, r1):
                o = &out[i, 0]
                for j in range(q):
                    o[j] = o[j] + b[j]
                activate_row(o, q, activation)


def dense_backward(
    const floating[:, ::1] X,       # IN (n, p) layer input = previous activation
    const floating[:, ::1] W,       # IN (p, q) weights
    const floating[:, ::1] delta,   # IN (n, q) dL/dZ of this layer
    floating[:, ::1] grad_W,        # OUT (p, q) X^T delta + l2 W
    floating[::1] grad_b,           # OUT (q,) column sums of delta
    floating[:, ::1] delta_prev,    # OUT (n, p) dL/dZ_prev, or shape (0, 0) to skip
    int prev_activation,            # activation that produced X
    double l2,                      # L2 penalty factor on W
    int n_threads,
):
    """Weight, bias and input gradients of one dense layer."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1], q = W.shape[1]
    cdef Py_ssize_t nb, blk, i, j, r0, r1
    cdef bint want_prev = delta_prev.shape[0] > 0
    cdef floating* g
    cdef const floating* w

    n_threads = _threads_for(n * p * q, MIN_GEMM_WORK, n_threads)
    with nogil:
        # dL/dW by blocks of its rows: X[:, r0:r1]^T delta.
        nb = _n_blocks(p, n_threads)
        for blk in prange(nb, schedule="static", num_threads=n_threads):
            r0 = p * blk // nb
            r1 = p * (blk + 1) // nb
            if n > 0:
                gemm(True, False, r1 - r0, q, n, 1.0, &X[0, r0], p,
                     &delta[0, 0], q, 0.0, &grad_W[r0, 0], q)
            for i in range(r0, r1):
                g = &grad_W[i, 0]
                w = &W[i, 0]
                for j in range(q):
                    if n > 0:
                        g[j] = g[j] + l2 * w[j]
                    else:
                        g[j] = l2 * w[j]
        # dL/db: a fixed row order, so the sums do not depend on threads.
        for j in range(q):
            grad_b[j] = 0
        for i in range(n):
            for j in range(q):
                grad_b[j] += delta[i, j]
        if want_prev and n > 0:
            nb = _n_blocks(n, n_threads)
            for blk in prange(nb, schedule="static", num_threads=n_threads):
                r0 = n * blk // nb
                r1 = n * (blk + 1) // nb
                gemm(False, True, r1 - r0, p, q, 1.0, &delta[r0, 0], q,
                     &W[0, 0], q, 0.0, &delta_prev[r0, 0], p)
                for i in range(r0, r1):
                    times_derivative_row(&delta_prev[i, 0], &X[i, 0], p, prev_activation)


cdef inline double _sum_in_order(const double* v, Py_ssize_t n) noexcept nogil:
    cdef double s = 0.0
    cdef Py_ssize_t i
    for i in range(n):
        s += v[i]
    return s


def softmax_cross_entropy(
    const floating[:, ::1] Z,     # IN (n, k) logits
    const floating[:, ::1] Y,     # IN (n, k) target probabilities (one-hot)
    floating[:, ::1] delta,       # OUT (n, k) scale * (softmax(Z) - Y); may be Z
    double scale,
    int n_threads,
):
    """Sum over rows of -sum_j Y_ij log softmax(Z_i)_j; gradient into delta."""
    cdef Py_ssize_t n = Z.shape[0], k = Z.shape[1], i, j
    cdef double zmax, s, lse, z, loss
    cdef double* row_loss = <double*> malloc(max(n, 1) * sizeof(double))
    if row_loss == NULL:
        raise MemoryError()
    n_threads = _threads_for(n * k, MIN_ELEMENTWISE_WORK, n_threads)
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            zmax = Z[i, 0]
            for j in range(1, k):
                if Z[i, j] > zmax:
                    zmax = Z[i, j]
            s = 0.0
            for j in range(k):
                s = s + exp_or_zero(Z[i, j] - zmax)
            lse = zmax + log(s)
            row_loss[i] = 0.0
            for j in range(k):
                z = Z[i, j] - lse
                if Y[i, j] != 0:
                    row_loss[i] -= Y[i, j] * z
                delta[i, j] = <floating>(scale * (exp_or_zero(z) - Y[i, j]))
        loss = _sum_in_order(row_loss, n)
    free(row_loss)
    return loss


def sigmoid_cross_entropy(
    const floating[:, ::1] Z,     # IN (n, k) logits, one binary output per column
    const floating[:, ::1] Y,     # IN (n, k) targets in [0, 1]
    floating[:, ::1] delta,       # OUT (n, k) scale * (sigmoid(Z) - Y); may be Z
    double scale,
    int n_threads,
):
    """Sum of log(1 + e^z) - y z over all entries; gradient into delta."""
    cdef Py_ssize_t n = Z.shape[0], k = Z.shape[1], i, j
    cdef double z, ez, loss
    cdef double* row_loss = <double*> malloc(max(n, 1) * sizeof(double))
    if row_loss == NULL:
        raise MemoryError()
    n_threads = _threads_for(n * k, MIN_ELEMENTWISE_WORK, n_threads)
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            row_loss[i] = 0.0
            for j in range(k):
                z = Z[i, j]
                # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow.
                ez = exp(-fabs(z))
                row_loss[i] += (z if z > 0 else 0.0) + log1p(ez) - Y[i, j] * z
                if z >= 0:
                    delta[i, j] = <floating>(scale * (1.0 / (1.0 + ez) - Y[i, j]))
                else:
                    delta[i, j] = <floating>(scale * (ez / (1.0 + ez) - Y[i, j]))
        loss = _sum_in_order(row_loss, n)
    free(row_loss)
    return loss


def squared_error(
    const floating[:, ::1] Z,     # IN (n, k) predictions
    const floating[:, ::1] Y,     # IN (n, k) targets
    floating[:, ::1] delta,       # OUT (n, k) scale * (Z - Y); may be Z
    double scale,
    int n_threads,
):
    """Sum of (z - y)^2 / 2 over all entries; gradient into delta."""
    cdef Py_ssize_t n = Z.shape[0], k = Z.shape[1], i, j
    cdef double r, loss
    cdef double* row_loss = <double*> malloc(max(n, 1) * sizeof(double))
    if row_loss == NULL:
        raise MemoryError()
    n_threads = _threads_for(n * k, MIN_ELEMENTWISE_WORK, n_threads)
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            row_loss[i] = 0.0
            for j in range(k):
                r = Z[i, j] - Y[i, j]
                row_loss[i] += 0.5 * r * r
                delta[i, j] = <floating>(scale * r)
        loss = _sum_in_order(row_loss, n)
    free(row_loss)
    return loss


def adam_step(
    floating[::1] param,          # IN/OUT (m,) parameters
    const floating[::1] grad,     # IN (m,) gradient
    floating[::1] m1,             # IN/OUT (m,) first-moment estimate
    floating[::1] m2,             # IN/OUT (m,) second-moment estimate
    double lr,                    # step already bias-corrected by the caller
    double beta1,
    double beta2,
    double eps,
    int n_threads,
):
    """One Adam step: m1, m2 moving averages; param -= lr m1 / (sqrt(m2) + eps)."""
    cdef Py_ssize_t m = param.shape[0], i
    cdef double g
    n_threads = _threads_for(m, MIN_OPTIMIZER_WORK, n_threads)
    with nogil:
        for i in prange(m, schedule="static", num_threads=n_threads):
            g = grad[i]
            m1[i] = <floating>(beta1 * m1[i] + (1 - beta1) * g)
            m2[i] = <floating>(beta2 * m2[i] + (1 - beta2) * g * g)
            param[i] = <floating>(param[i] - lr * m1[i] / (sqrt(m2[i]) + eps))


def sgd_step(
    floating[::1] param,          # IN/OUT (m,) parameters
    const floating[::1] grad,     # IN (m,) gradient
    floating[::1] velocity,       # IN/OUT (m,) momentum buffer
    double lr,
    double momentum,
    bint nesterov,
    int n_threads,
):
    """v = momentum v - lr g; param += v (or momentum v - lr g with Nesterov)."""
    cdef Py_ssize_t m = param.shape[0], i
    cdef double v
    n_threads = _threads_for(m, MIN_OPTIMIZER_WORK, n_threads)
    with nogil:
        for i in prange(m, schedule="static", num_threads=n_threads):
            v = momentum * velocity[i] - lr * grad[i]
            velocity[i] = <floating>v
            if nesterov:
                param[i] = <floating>(param[i] + momentum * v - lr * grad[i])
            else:
                param[i] = <floating>(param[i] + v)
