"""Whole-network loss and gradient of one minibatch in one parallel region.

A network of L dense layers maps a batch X (n x p_0) through
A_l = f(A_{l-1} W_l + b_l) (f the hidden activation, the identity on the last
layer, whose output Z are the logits of the loss).  With weights w_i, the
kernel returns sum_i w_i loss(Z_i, Y_i) and writes into ``grad`` (the layout
of gdcore._nn.network.DenseNetwork: every W_l, then every b_l) the gradient of

    scale * sum_i w_i loss(Z_i, Y_i) + l2 / 2 * sum_l ||W_l||^2

by backpropagation (Rumelhart, Hinton & Williams 1986): delta_L = scale w_i
(link(Z_i) - Y_i) for the canonical link of each loss, dW_l = A_{l-1}^T
delta_l, db_l = column sums of delta_l, delta_{l-1} = (delta_l W_l^T) *
f'(A_{l-1}).  Cost O(n sum_l p_{l-1} p_l) in gemm, as the per-layer kernels
of _dense.pyx.

Why one call per batch.  Every row's forward and backward pass is independent
of the other rows; only dW and db sum over rows.  So the rows are cut into
chunks, each chunk runs forward, loss and backward alone on one thread
(through sub-blocks of at most BLOCK_ROWS rows that stay in L2, dW
accumulated by gemm with beta = 1) into its own gradient buffer, and after one
barrier the chunk gradients are added in chunk order.  That is one fork, one
barrier and one join per minibatch, against two per layer and direction for
the per-layer kernels (14 for a two-hidden-layer network): on a shared
machine each barrier may wait for a descheduled thread, so the fewer barriers
per batch, the less a loaded machine slows the fit (`gdcore bench mlp`).

The chunks depend only on n (CHUNK_ROWS rows each, at most MAX_CHUNKS), never
on the thread count, and every sum runs in a fixed order: the gradient and the
loss are bit-identical on any number of threads.

Losses (LOSS_CODES) take the logits and the targets:
  softmax cross-entropy   -sum_j y_j log softmax(z)_j,      link softmax
  sigmoid cross-entropy   sum_j log(1 + e^z_j) - y_j z_j,   link logistic
  squared error           sum_j (z_j - y_j)^2 / 2,          link identity
  Poisson deviance / 2    sum_j y_j log y_j - y_j - y_j z_j + e^z_j, link exp
(scikit-learn's log_loss, binary_log_loss, squared_error -- summed, not
averaged, over outputs -- and poisson_loss).

The NumPy twin is ``gdcore/_nn/_reference/dense_network.py``.
"""

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport exp, fabs, log, log1p
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._nn._dense_act cimport activate_row, times_derivative_row
from gdcore._cy._math cimport exp_or_zero

cdef enum:
    SOFTMAX_CE = 0
    SIGMOID_CE = 1
    SQUARED_ERROR = 2
    POISSON = 3
    # 128-row chunks: a 200-row batch (scikit-learn's default) gives 2 chunks
    # of 100 rows, one per thread on 2 threads; smaller chunks would mean
    # smaller gemms and more partial gradients to add, slower even on one
    # thread (`gdcore bench mlp`).  16 chunks at most bound the gradient
    # buffers to 16 copies of the parameters for a full batch.
    CHUNK_ROWS = 128
    MAX_CHUNKS = 16
    # Sub-block of a chunk: 256 rows of a 256-wide float64 layer are 512 KiB,
    # so a sub-block's activations are still in L2 for its backward pass.
    BLOCK_ROWS = 256
    # Below 2**20 multiply-adds a call runs on one thread: an OpenMP
    # fork/join costs microseconds idle and can cost milliseconds under load,
    # 2**20 multiply-adds ~0.1 ms on one core (`gdcore bench mlp`).
    MIN_GEMM_WORK = 1048576

LOSS_CODES = {
    "softmax": SOFTMAX_CE,
    "logistic": SIGMOID_CE,
    "identity": SQUARED_ERROR,
    "exp": POISSON,
}


cdef inline Py_ssize_t _n_chunks(Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t c = (n + CHUNK_ROWS - 1) // CHUNK_ROWS
    if c > MAX_CHUNKS:
        return MAX_CHUNKS
    return c if c > 0 else 1


def workspace_shapes(Py_ssize_t n, layer_units):
    """Shapes of the two scratch arrays ``network_loss_grad`` needs for n rows:
    per-chunk gradients (n_chunks, n_params) and per-chunk activations and
    deltas (n_chunks, 2 * rows * sum of the layer widths after the input)."""
    units = [int(u) for u in layer_units]
    n_params = sum(p * q + q for p, q in zip(units[:len(units) - 1], units[1:]))
    chunks = _n_chunks(n)
    rows = min(BLOCK_ROWS, (n + chunks - 1) // chunks) if n > 0 else 1
    return (chunks, n_params), (chunks, 2 * rows * sum(units[1:]))


cdef double _loss_rows(const floating* Z, const floating* Y, const floating* w,
                       floating* delta, Py_ssize_t rows, Py_ssize_t k, int loss,
                       double scale) noexcept nogil:
    """Sum over rows of w_i loss(Z_i, Y_i), in row order; delta = scale w_i dL/dZ_i."""
    cdef Py_ssize_t i, j
    cdef double total = 0.0, row, zmax, s, lse, z, y, ez, wi
    for i in range(rows):
        wi = 1.0 if w == NULL else w[i]
        row = 0.0
        if loss == SOFTMAX_CE:
            zmax = Z[i * k]
            for j in range(1, k):
                if Z[i * k + j] > zmax:
                    zmax = Z[i * k + j]
            s = 0.0
            for j in range(k):
                s = s + exp_or_zero(Z[i * k + j] - zmax)
            lse = zmax + log(s)
            for j in range(k):
                z = Z[i * k + j] - lse
                y = Y[i * k + j]
                if y != 0:
                    row = row - y * z
                delta[i * k + j] = <floating>(scale * wi * (exp_or_zero(z) - y))
        else:
            for j in range(k):
                z = Z[i * k + j]
                y = Y[i * k + j]
                if loss == SIGMOID_CE:
                    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow.
                    ez = exp(-fabs(z))
                    row = row + (z if z > 0 else 0.0) + log1p(ez) - y * z
                    ez = 1.0 / (1.0 + ez) if z >= 0 else ez / (1.0 + ez)
                elif loss == SQUARED_ERROR:
                    row = row + 0.5 * (z - y) * (z - y)
                    ez = z
                else:
                    ez = exp(z)
                    row = row + ez - y * z - y
                    if y > 0:
                        row = row + y * log(y)
                delta[i * k + j] = <floating>(scale * wi * (ez - y))
        total += wi * row
    return total


cdef double _chunk(const floating* X, const floating* Y, const floating* w,
                   Py_ssize_t n, const floating* theta, const Py_ssize_t* units,
                   Py_ssize_t n_layers, int hidden, int loss, double scale,
                   floating* g, floating* scratch, Py_ssize_t block) noexcept nogil:
    """Loss of n rows; their gradient (without the penalty) written into g."""
    cdef Py_ssize_t layer, i, j, r0, rows, p, q, width = 0
    cdef Py_ssize_t w_off, b_off, a_off, n_w = 0
    cdef double total = 0.0
    cdef floating beta
    cdef floating* acts
    cdef floating* deltas
    cdef const floating* layer_in
    for layer in range(n_layers):
        n_w += units[layer] * units[layer + 1]
        width += units[layer + 1]
    if n == 0:
        for j in range(n_w + width):
            g[j] = 0
        return 0.0
    acts = scratch
    deltas = scratch + block * width
    r0 = 0
    while r0 < n:
        rows = block if n - r0 > block else n - r0
        beta = 0.0 if r0 == 0 else 1.0
        # Forward: acts holds each layer's (rows x units[layer+1]) block in turn.
        layer_in = X + r0 * units[0]
        w_off = 0
        b_off = n_w
        a_off = 0
        for layer in range(n_layers):
            p, q = units[layer], units[layer + 1]
            gemm(False, False, rows, q, p, 1.0, layer_in, p, theta + w_off, q,
                 0.0, acts + a_off, q)
            for i in range(rows):
                for j in range(q):
                    acts[a_off + i * q + j] += theta[b_off + j]
                if layer < n_layers - 1:
                    activate_row(acts + a_off + i * q, q, hidden)
            layer_in = acts + a_off
            w_off += p * q
            b_off += q
            a_off += block * q
        # Loss, and delta of the last layer.
        a_off -= block * units[n_layers]
        total += _loss_rows(acts + a_off, Y + r0 * units[n_layers],
                            NULL if w == NULL else w + r0, deltas + a_off, rows,
                            units[n_layers], loss, scale)
        # Backward, last layer first.
        for layer in range(n_layers - 1, -1, -1):
            p, q = units[layer], units[layer + 1]
            w_off -= p * q
            b_off -= q
            if layer > 0:
                layer_in = acts + a_off - block * p
            else:
                layer_in = X + r0 * units[0]
            gemm(True, False, p, q, rows, 1.0, layer_in, p, deltas + a_off, q,
                 beta, g + w_off, q)
            if beta == 0.0:
                for j in range(q):
                    g[b_off + j] = 0
            for i in range(rows):
                for j in range(q):
                    g[b_off + j] += deltas[a_off + i * q + j]
            if layer > 0:
                gemm(False, True, rows, p, q, 1.0, deltas + a_off, q, theta + w_off,
                     q, 0.0, deltas + a_off - block * p, p)
                for i in range(rows):
                    times_derivative_row(deltas + a_off - block * p + i * p,
                                         layer_in + i * p, p, hidden)
                a_off -= block * p
        r0 += rows
    return total


def network_loss_grad(
    const floating[:, ::1] X,              # IN (n, units[0]) batch
    const floating[:, ::1] Y,              # IN (n, units[-1]) targets
    const floating[::1] sample_weight,     # IN (n,) row weights, or (0,) for ones
    const floating[::1] theta,             # IN (n_params,) weights then biases
    const Py_ssize_t[::1] units,           # IN (n_layers + 1,) layer widths
    int hidden_activation,                 # _dense.ACTIVATION_CODES value
    int loss,                              # LOSS_CODES value
    double scale,                          # factor of the data term's gradient
    double l2,                             # grad of weights += l2 * W
    floating[::1] grad,                    # OUT (n_params,) gradient
    floating[:, ::1] chunk_grads,          # scratch, workspace_shapes()[0]
    floating[:, ::1] scratch,              # scratch, workspace_shapes()[1]
    int n_threads,
):
    """Sum of w_i loss_i over the batch; its scaled, penalized gradient in grad."""
    cdef Py_ssize_t n = X.shape[0], n_layers = units.shape[0] - 1
    cdef Py_ssize_t n_params = theta.shape[0], chunks = _n_chunks(n)
    cdef Py_ssize_t block, need, c, cc, j, r0, r1, n_w = 0, width = 0, layer
    cdef const floating* w = NULL
    cdef double total = 0.0
    cdef double* chunk_loss
    for layer in range(n_layers):
        n_w += units[layer] * units[layer + 1]
        width += units[layer + 1]
    block = scratch.shape[1] // (2 * width)
    need = min(<Py_ssize_t>BLOCK_ROWS, (n + chunks - 1) // chunks) if n > 0 else 1
    if chunk_grads.shape[0] != chunks or chunk_grads.shape[1] != n_params:
        raise ValueError("chunk_grads has the wrong shape; see workspace_shapes")
    if scratch.shape[0] != chunks or block < need:
        raise ValueError("scratch has the wrong shape; see workspace_shapes")
    if n_params != n_w + width or X.shape[1] != units[0] or Y.shape[1] != units[n_layers]:
        raise ValueError("theta, X or Y does not match the layer widths")
    if sample_weight.shape[0] > 0:
        if sample_weight.shape[0] != n:
            raise ValueError("sample_weight must have one entry per row")
        w = &sample_weight[0]
    if n * n_w < MIN_GEMM_WORK:
        n_threads = 1
    chunk_loss = <double*> malloc(chunks * sizeof(double))
    if chunk_loss == NULL:
        raise MemoryError()
    with nogil, parallel(num_threads=n_threads):
        for c in prange(chunks, schedule="static"):
            r0 = n * c // chunks
            r1 = n * (c + 1) // chunks
            chunk_loss[c] = _chunk(
                &X[r0, 0] if r1 > r0 else NULL, &Y[r0, 0] if r1 > r0 else NULL,
                NULL if w == NULL else w + r0, r1 - r0, &theta[0], &units[0],
                n_layers, hidden_activation, loss, scale, &chunk_grads[c, 0],
                &scratch[c, 0], block)
        # Implicit barrier: every chunk's gradient is complete.
        for j in prange(n_params, schedule="static"):
            grad[j] = chunk_grads[0, j]
            for cc in range(1, chunks):
                grad[j] = grad[j] + chunk_grads[cc, j]
            if j < n_w:
                grad[j] = grad[j] + l2 * theta[j]
    for c in range(chunks):
        total += chunk_loss[c]
    free(chunk_loss)
    return total
