"""One training step of the tabular GAN: discriminator update, then generator update.

Goodfellow et al. (2014) with the non-saturating generator loss: the
discriminator D minimizes

    -mean log sigmoid(D(x_real)) - mean log(1 - sigmoid(D(G(z))))

and the generator G minimizes -mean log sigmoid(D(G(z))) (rather than
mean log(1 - sigmoid(D(G(z)))), whose gradient vanishes while D wins).
Both are sigmoid cross-entropies over D's logits, so the compiled
``sigmoid_cross_entropy`` kernel gives loss and dL/dlogit; the generator's
gradient reaches it through D's input gradient
(``DenseNetwork.backward(input_grad=True)``).

G's output head: continuous columns are the raw outputs (they model
standardized columns); each categorical block is a Gumbel-softmax (Jang et
al. 2017; CTGAN's tau = 0.2), a nearly one-hot but differentiable vector, so
D cannot tell real from fake by a block's softness alone.  The head and its
backward pass are elementwise NumPy over (batch x encoded columns).

With a class label, its one-hot is appended to G's noise and to D's input
(Mirza & Osindero 2014).
"""

import numpy as np

from gdcore._nn import _dense


def gumbel_softmax_head(out, blocks, temperature, rng):
    """Return generator rows from its raw output: softmax blocks over Gumbel-perturbed logits.

    Returns (rows, list of each block's softmax, for the backward pass).
    """
    F = out.copy()
    probs = []
    for start, stop in blocks:
        g = -np.log(-np.log(rng.uniform(1e-12, 1.0, (out.shape[0], stop - start))))
        logits = (out[:, start:stop] + g) / temperature
        logits -= logits.max(axis=1, keepdims=True)
        P = np.exp(logits)
        P /= P.sum(axis=1, keepdims=True)
        F[:, start:stop] = P
        probs.append(P)
    return F, probs


def head_backward(dF, blocks, probs, temperature):
    """dL/dO from dL/dF through the softmax blocks (identity elsewhere), in place."""
    for (start, stop), P in zip(blocks, probs):
        g = dF[:, start:stop]
        dF[:, start:stop] = P * (g - (g * P).sum(axis=1, keepdims=True)) / temperature
    return dF


def generate(generator, noise, C, blocks, temperature, rng, n_threads):
    """Return encoded fake rows for noise (and one-hot labels C, or None)."""
    Gin = noise if C is None else np.hstack([noise, C])
    acts = generator.forward(np.ascontiguousarray(Gin, dtype=generator.dtype), n_threads)
    F, probs = gumbel_softmax_head(acts[-1], blocks, temperature, rng)
    return F.astype(generator.dtype, copy=False), probs, acts


def train_step(generator, discriminator, opt_g, opt_d, X_real, C, latent_dim, blocks,
               temperature, pac, rng, n_threads):
    """One update of D then of G on a batch of m real rows; returns (loss_d, loss_g).

    D judges packs of ``pac`` rows at once (PacGAN, Lin et al. 2018): a
    generator that collapses onto a few modes makes packs of look-alike rows,
    which D sees at once, so collapse is penalized.  m is a multiple of pac;
    a pack is its rows laid side by side, a free reshape of the C-ordered batch.
    """
    m, dtype = X_real.shape[0], generator.dtype
    packs = m // pac
    noise = rng.standard_normal((m, latent_dim)).astype(dtype)
    F, probs, acts_g = generate(generator, noise, C, blocks, temperature, rng, n_threads)
    fake_in = F if C is None else np.hstack([F, C])
    real_in = X_real if C is None else np.hstack([X_real, C])
    width = fake_in.shape[1] * pac

    # Discriminator: real packs labelled 1, fake packs 0, each half a mean.
    D_in = np.ascontiguousarray(np.vstack([real_in, fake_in]), dtype=dtype)
    D_in = D_in.reshape(2 * packs, width)
    target = np.zeros((2 * packs, 1), dtype=dtype)
    target[:packs] = 1.0
    acts_d = discriminator.forward(D_in, n_threads)
    S = acts_d[-1]
    loss_d = _dense.sigmoid_cross_entropy(S, target, S, 1.0 / packs, n_threads) / packs
    discriminator.backward(acts_d, S, 0.0, n_threads)
    opt_d.step(discriminator.theta, discriminator.grad, n_threads)

    # Generator: the same fake packs scored by the updated D, labelled 1.
    fake_packs = np.ascontiguousarray(fake_in, dtype=dtype).reshape(packs, width)
    acts_d = discriminator.forward(fake_packs, n_threads)
    S = acts_d[-1]
    loss_g = _dense.sigmoid_cross_entropy(S, target[:packs], S, 1.0 / packs,
                                          n_threads) / packs
    d_in = discriminator.backward(acts_d, S, 0.0, n_threads, input_grad=True)
    dF = np.ascontiguousarray(d_in.reshape(m, -1)[:, :F.shape[1]])
    dO = head_backward(dF, blocks, probs, temperature)
    generator.backward(acts_g, dO, 0.0, n_threads)
    opt_g.step(generator.theta, generator.grad, n_threads)
    return loss_d, loss_g
