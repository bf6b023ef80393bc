"""The VAE's objective: the ELBO, its gradient, and importance-weighted scores.

Kingma & Welling (2014).  The encoder maps a row x to the mean mu and the
log-variance lv of a diagonal Gaussian q(z | x) over the latent space; the
decoder maps z to the parameters of p(x | z) (a Gaussian mean with one
learned variance per feature, or Bernoulli logits).  With the
reparameterization z = mu + exp(lv / 2) * eps, eps ~ N(0, I), the negative
ELBO of a row

    L(x) = -log p(x | z) + KL(q(z | x) || N(0, I)),
    KL = 1/2 sum(mu^2 + exp(lv) - 1 - lv)            (closed form)

is differentiable in every weight: dL/dz comes back through the decoder
(``DenseNetwork.backward(input_grad=True)``), and

    dL/dmu = dL/dz + mu,    dL/dlv = dL/dz * eps * exp(lv / 2) / 2 + (exp(lv) - 1) / 2.

Every product is a compiled dense-layer call (gdcore/_nn/_dense.pyx);
what is left here is elementwise NumPy over (batch x latent) and (batch x
features) arrays, a few percent of a step whose gemms are O(batch x width^2).
(Compiling it would mean one fused "reparameterize + KL gradient" kernel,
not worth it for a few percent of a step.)

Scores use common random numbers: the K draws eps_k are shared by every row,
so a row's score does not depend on which other rows are scored with it.
"""

import numpy as np

from gdcore._nn import _dense
from gdcore.generative._base import log_sum_exp_rows

LOG_2PI = np.log(2.0 * np.pi)
# The decoder's per-feature variance is kept above 1e-4 (in standardized
# units: 1% of a feature's standard deviation), so a column the decoder can
# copy exactly (a constant one) does not drive the likelihood to +inf.
MIN_LOG_VAR = np.log(1e-4)


def encode(encoder, X, latent_dim, n_threads):
    """(mu, lv) of q(z | x) for every row: views into the encoder's output buffer."""
    H = encoder.forward(X, n_threads)[-1]
    return H[:, :latent_dim], H[:, latent_dim:]


def reconstruction_log_lik(M, X, log_var, likelihood):
    """Log p(x | z) per row from the decoder output M (means or logits)."""
    M = M.astype(np.float64, copy=False)
    if likelihood == "gaussian":
        R = M - X
        return -0.5 * ((R * R) @ np.exp(-log_var) + np.sum(log_var) + X.shape[1] * LOG_2PI)
    return -(np.logaddexp(0.0, M) - X * M).sum(axis=1)


def loss_and_grad(encoder, decoder, log_var, X, eps, likelihood, l2, n_threads):
    """Mean negative ELBO of the batch X (one draw eps per row) and its gradient.

    Returns (mean reconstruction loss -log p(x | z), mean KL, gradient of the
    decoder log-variances (zeros for Bernoulli)); the negative ELBO is the sum
    of the first two.  The networks' gradients land in ``encoder.grad`` /
    ``decoder.grad``.
    ``l2`` is the per-batch weight of 1/2 ||W||^2, as in the MLP.
    """
    n, latent_dim = eps.shape
    acts_e = encoder.forward(X, n_threads)
    H = acts_e[-1]
    mu, lv = H[:, :latent_dim], H[:, latent_dim:]
    std = np.exp(0.5 * lv)
    Z = np.ascontiguousarray(mu + std * eps, dtype=X.dtype)
    kl = 0.5 * float(np.sum(mu * mu + std * std - 1.0 - lv, dtype=np.float64))
    dH = np.empty_like(H)

    acts_d = decoder.forward(Z, n_threads)
    M = acts_d[-1]
    grad_log_var = np.zeros_like(log_var)
    if likelihood == "gaussian":
        inv_var = np.exp(-log_var).astype(X.dtype)
        R = M - X
        R2 = (R * R).sum(axis=0, dtype=np.float64)
        rec = 0.5 * (float(R2 @ inv_var) + n * (float(np.sum(log_var)) + X.shape[1] * LOG_2PI))
        grad_log_var[:] = 0.5 * (1.0 - R2 * inv_var / n)
        np.multiply(R, inv_var / n, out=M)  # dL/dM, written over the used output
    else:
        rec = _dense.sigmoid_cross_entropy(M, X, M, 1.0 / n, n_threads)
    dZ = decoder.backward(acts_d, M, l2, n_threads, input_grad=True)

    dH[:, :latent_dim] = dZ + mu / n
    dH[:, latent_dim:] = 0.5 * (dZ * eps * std + (std * std - 1.0) / n)
    encoder.backward(acts_e, dH, l2, n_threads)
    return rec / n, kl / n, grad_log_var


def score_rows(encoder, decoder, log_var, X, eps, likelihood, method, n_threads):
    """ELBO or importance-weighted bound per row, in the model's (encoded) units.

    ``eps`` is (K, latent_dim), shared by all rows.  ``method="elbo"`` averages
    the K reconstruction terms and subtracts the closed-form KL;
    ``method="iwae"`` returns log (1/K) sum_k p(x, z_k) / q(z_k | x) (Burda,
    Grosse & Salakhutdinov 2016), a bound that tightens toward log p(x) as K
    grows and is never below the ELBO's expectation.
    """
    latent_dim = eps.shape[1]
    mu, lv = (a.astype(np.float64) for a in encode(encoder, X, latent_dim, n_threads))
    std = np.exp(0.5 * lv)
    terms = np.empty((X.shape[0], eps.shape[0]))
    for k, e in enumerate(eps):
        Z = mu + std * e
        M = decoder.forward(np.ascontiguousarray(Z, dtype=X.dtype), n_threads)[-1]
        rec = reconstruction_log_lik(M, X, log_var, likelihood)
        if method == "elbo":
            terms[:, k] = rec
        else:
            log_prior = -0.5 * ((Z * Z).sum(axis=1) + latent_dim * LOG_2PI)
            log_q = -0.5 * ((e * e).sum() + lv.sum(axis=1) + latent_dim * LOG_2PI)
            terms[:, k] = rec + log_prior - log_q
    if method == "elbo":
        kl = 0.5 * (mu * mu + std * std - 1.0 - lv).sum(axis=1)
        return terms.mean(axis=1) - kl
    return log_sum_exp_rows(terms)[:, 0] - np.log(eps.shape[0])
