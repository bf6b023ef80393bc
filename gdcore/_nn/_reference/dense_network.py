"""NumPy twin of gdcore/_nn/_dense_network.pyx: the spec its kernel is tested against.

Same names, same signatures; the whole batch at once, layer by layer, with
the per-layer reference of ``gdcore._nn._reference.dense``.  The scratch arrays
are accepted and left alone.
"""

import numpy as np

from gdcore._nn._reference.dense import activate, derivative_from_output

SOFTMAX_CE, SIGMOID_CE, SQUARED_ERROR, POISSON = 0, 1, 2, 3
LOSS_CODES = {"softmax": SOFTMAX_CE, "logistic": SIGMOID_CE,
              "identity": SQUARED_ERROR, "exp": POISSON}


def _unpack(theta, units):
    Ws, bs, pos = [], [], 0
    for p, q in zip(units[:-1], units[1:]):
        Ws.append(theta[pos:pos + p * q].reshape(p, q))
        pos += p * q
    for q in units[1:]:
        bs.append(theta[pos:pos + q])
        pos += q
    return Ws, bs


def row_losses(Z, Y, loss):
    """Per-row loss and dL/dZ (float64) for logits Z and targets Y."""
    Z, Y = np.asarray(Z, np.float64), np.asarray(Y, np.float64)
    if loss == SOFTMAX_CE:
        log_p = Z - Z.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        return -(Y * log_p).sum(axis=1), np.exp(log_p) - Y
    if loss == SIGMOID_CE:
        return (np.logaddexp(0.0, Z) - Y * Z).sum(axis=1), 1.0 / (1.0 + np.exp(-Z)) - Y
    if loss == SQUARED_ERROR:
        return 0.5 * ((Z - Y) ** 2).sum(axis=1), Z - Y
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0)), 0.0)
    return (ylogy - Y - Y * Z + np.exp(Z)).sum(axis=1), np.exp(Z) - Y


def network_loss_grad(X, Y, sample_weight, theta, units, hidden_activation, loss,
                      scale, l2, grad, chunk_grads, scratch, n_threads):
    units = [int(u) for u in units]
    Ws, bs = _unpack(theta, units)
    gWs, gbs = _unpack(grad, units)
    n = X.shape[0]
    w = np.ones(n) if len(sample_weight) == 0 else np.asarray(sample_weight, np.float64)
    acts = [X]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        Z = acts[-1] @ W + b
        acts.append(activate(Z, hidden_activation) if i < len(Ws) - 1 else Z)
    rows, dZ = row_losses(acts[-1], Y, loss)
    delta = (scale * w[:, None] * dZ).astype(X.dtype)
    for i in range(len(Ws) - 1, -1, -1):
        gWs[i][...] = acts[i].T @ delta + l2 * Ws[i]
        gbs[i][...] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * derivative_from_output(acts[i], hidden_activation)
    return float(np.dot(w, rows))
