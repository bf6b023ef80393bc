"""NumPy twin of gdcore/_nn/_dense.pyx: the spec its kernels are tested against.

Same names, same signatures, same in-place outputs; plain array expressions,
never used on a hot path.
"""

import numpy as np

IDENTITY, RELU, LEAKY_RELU, TANH, LOGISTIC = 0, 1, 2, 3, 4
LEAKY_RELU_SLOPE = 0.2
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "tanh": TANH,
    "logistic": LOGISTIC,
}


def activate(Z, activation):
    """f(Z) for an activation code."""
    if activation == RELU:
        return np.maximum(Z, 0)
    if activation == LEAKY_RELU:
        return np.where(Z < 0, Z * LEAKY_RELU_SLOPE, Z)
    if activation == TANH:
        return np.tanh(Z)
    if activation == LOGISTIC:
        return 1.0 / (1.0 + np.exp(-Z))
    return Z


def derivative_from_output(A, activation):
    """f'(z) written in terms of a = f(z)."""
    if activation == RELU:
        return (A > 0).astype(A.dtype)
    if activation == LEAKY_RELU:
        return np.where(A < 0, LEAKY_RELU_SLOPE, 1.0).astype(A.dtype)
    if activation == TANH:
        return 1 - A * A
    if activation == LOGISTIC:
        return A * (1 - A)
    return np.ones_like(A)


def dense_forward(X, W, b, out, activation, n_threads):
    out[...] = activate(X @ W + b, activation)


def dense_backward(X, W, delta, grad_W, grad_b, delta_prev, prev_activation, l2,
                   n_threads):
    grad_W[...] = X.T @ delta + l2 * W
    grad_b[...] = delta.sum(axis=0)
    if delta_prev.shape[0] > 0:
        delta_prev[...] = (delta @ W.T) * derivative_from_output(X, prev_activation)


def softmax_cross_entropy(Z, Y, delta, scale, n_threads):
    Z = np.asarray(Z, dtype=np.float64)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-(Y * log_p).sum())
    delta[...] = scale * (np.exp(log_p) - Y)
    return loss


def sigmoid_cross_entropy(Z, Y, delta, scale, n_threads):
    Z = np.asarray(Z, dtype=np.float64)
    loss = float((np.logaddexp(0.0, Z) - Y * Z).sum())
    delta[...] = scale * (1.0 / (1.0 + np.exp(-Z)) - Y)
    return loss


def squared_error(Z, Y, delta, scale, n_threads):
    R = np.asarray(Z, dtype=np.float64) - Y
    loss = float(0.5 * (R * R).sum())
    delta[...] = scale * R
    return loss


def adam_step(param, grad, m1, m2, lr, beta1, beta2, eps, n_threads):
    m1[...] = beta1 * m1 + (1 - beta1) * grad
    m2[...] = beta2 * m2 + (1 - beta2) * grad * grad
    param -= lr * m1 / (np.sqrt(m2) + eps)


def sgd_step(param, grad, velocity, lr, momentum, nesterov, n_threads):
    velocity[...] = momentum * velocity - lr * grad
    if nesterov:
        param += momentum * velocity - lr * grad
    else:
        param += velocity
