"""NumPy twin of ``gdcore.discriminative.boosting._boosting_loss``."""

import numpy as np
from scipy.special import expit, softmax

LOSS_IDS = {"squared_error": 0, "poisson": 1, "gamma": 2, "binomial": 3, "multinomial": 4}


def gradient_hessian(loss, y, raw, sample_weight, gradient, hessian, skip_hessian, n_threads):
    """Gradients and hessians of the loss at raw, times the sample weights."""
    w = sample_weight if len(sample_weight) else np.ones(raw.shape[1])
    if loss == 4:
        p = softmax(raw, axis=0)
        g = p - (y[None, :] == np.arange(raw.shape[0])[:, None])
        h = p * (1.0 - p)
    else:
        r = raw[0]
        if loss == 0:
            g, h = r - y, np.ones_like(r)
        elif loss == 1:
            g, h = np.exp(r) - y, np.exp(r)
        elif loss == 2:
            t = y * np.exp(-r)
            g, h = 1.0 - t, t
        else:
            p = expit(r)
            g, h = p - y, p * (1.0 - p)
        g, h = g[None], h[None]
    gradient[:] = g * w
    if not skip_hessian or loss == 4:
        hessian[:] = h * w
