"""NumPy twins of the diffusion kernels (_diffusion_kernels.pyx): the spec they are tested against.

Same signatures and the same draws: categories are picked by inverse CDF of
the uniforms U, the first category whose cumulative weight exceeds u * total.
Never on a hot path.
"""

import numpy as np


def _draw_one_hot(W, u):
    """One-hot rows of the categories picked by u from the weight rows W."""
    cum = np.cumsum(W, axis=1)
    target = u * cum[:, -1]
    pick = np.minimum((cum <= target[:, None]).sum(axis=1), W.shape[1] - 1)
    return np.eye(W.shape[1])[pick]


def noise_rows(X0, t, alpha_bar, eps, U, starts, stops, Xt, n_threads):
    """Xt[i] ~ q(x_t | x_0 = X0[i]) at step t[i]."""
    ab = np.asarray(alpha_bar)[np.asarray(t)][:, None]
    d = eps.shape[1]
    X0 = np.asarray(X0, dtype=np.float64)
    Xt[:, :d] = np.sqrt(ab) * X0[:, :d] + np.sqrt(1.0 - ab) * eps
    for b, (s0, s1) in enumerate(zip(starts, stops)):
        k = s1 - s0
        Xt[:, s0:s1] = _draw_one_hot(ab * X0[:, s0:s1] + (1.0 - ab) / k, U[:, b])


def reverse_step(Xt, out, abar_t, abar_s, sigma, clip, Z, U, starts, stops, work, Xs,
                 n_threads):
    """Xs = one reverse step from t to s of every row."""
    d = Z.shape[1]
    Xt = np.asarray(Xt, dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    x0 = np.clip((Xt[:, :d] - np.sqrt(1 - abar_t) * out[:, :d]) / np.sqrt(abar_t), -clip, clip)
    e = (Xt[:, :d] - np.sqrt(abar_t) * x0) / np.sqrt(1 - abar_t)
    c_dir = np.sqrt(max(1.0 - abar_s - sigma * sigma, 0.0))
    Xs[:, :d] = np.sqrt(abar_s) * x0 + c_dir * e + sigma * Z
    a_ts = abar_t / abar_s
    for b, (s0, s1) in enumerate(zip(starts, stops)):
        k = s1 - s0
        logits = out[:, s0:s1]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        W = (a_ts * Xt[:, s0:s1] + (1 - a_ts) / k) * (abar_s * p + (1 - abar_s) / k)
        Xs[:, s0:s1] = _draw_one_hot(W, U[:, b])
