"""The loops of the tabular diffusion model: a training step, the sampler, the bound per row.

Each step is a few calls: the fused noising or reverse-step kernel
(``_diffusion_kernels.pyx``), the denoiser's forward (and backward) on the
compiled dense layers (``gdcore/_nn``), and the loss of
``_diffusion_objective.py``.  The denoiser reads [x_t, embedding(t), one-hot
label]; ``Chain`` holds what every loop needs about the model's layout.
"""

import numpy as np

from gdcore.generative.neural import _diffusion_kernels as kernels
from gdcore.generative.neural import _diffusion_objective as obj

# Rows per denoiser call when sampling or scoring: bounds the activations a
# call keeps (ROWS_PER_CALL x width) while leaving each gemm large.
ROWS_PER_CALL = 4096
# Bound on |x0_hat| of a numeric column in the sampler: a quantile-normal
# column never goes beyond ~5.7 sd (Phi^-1(1 - 1 / 2n) for n = 10^8), while
# early steps' x0 = (x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t) divides by
# a tiny sqrt(abar_t).  Ho et al. clip to the data range the same way.
X0_CLIP = 6.0


class Chain:
    """Layout and schedule: numeric width, one-hot blocks, the time embedding, beta, alpha_bar."""

    def __init__(self, n_numeric, blocks, n_encoded, n_classes, beta, alpha_bar, embedding,
                 dtype):
        self.n_numeric = n_numeric
        self.blocks = list(blocks)
        self.starts = np.array([b[0] for b in blocks], dtype=np.intp)
        self.stops = np.array([b[1] for b in blocks], dtype=np.intp)
        self.widest = max([b[1] - b[0] for b in blocks], default=1)
        self.n_encoded = n_encoded
        self.n_classes = n_classes
        self.beta, self.alpha_bar = beta, alpha_bar
        self.embedding = embedding.astype(dtype)
        self.dtype = np.dtype(dtype)
        self.n_steps = len(beta) - 1

    @property
    def n_inputs(self):
        return self.n_encoded + self.embedding.shape[1] + self.n_classes

    def inputs(self, Xt, t, C):
        """Denoiser input [x_t, embedding(t), labels] for rows at steps t (n,) ints."""
        parts = [Xt, self.embedding[t]] + ([] if C is None else [C])
        return np.ascontiguousarray(np.hstack(parts), dtype=self.dtype)

    def noise(self, X0, t, eps, U, n_threads):
        """x_t ~ q(x_t | x_0) per row (the fused kernel)."""
        Xt = np.empty_like(X0)
        kernels.noise_rows(X0, t, self.alpha_bar, eps, U, self.starts, self.stops, Xt,
                           n_threads)
        return Xt


def train_step(net, opt, chain, X0, C, l2, rng, n_threads):
    """One Adam step on a batch of encoded rows X0 (labels C or None); returns its mean loss."""
    m = X0.shape[0]
    # Stratified steps (Kingma et al. 2021's low-discrepancy sampler): one
    # uniform offset, the batch's t evenly spread over 1..T in random order,
    # so every batch sees every noise level and the loss varies less.
    u = (rng.uniform() + np.arange(m) / m) % 1.0
    t = (1 + np.floor(rng.permutation(u) * chain.n_steps)).astype(np.intp)
    eps = rng.standard_normal((m, chain.n_numeric)).astype(chain.dtype)
    U = rng.uniform(size=(m, len(chain.blocks)))
    Xt = chain.noise(X0, t, eps, U, n_threads)
    acts = net.forward(chain.inputs(Xt, t, C), n_threads)
    loss, grad = obj.loss_and_grad(acts[-1], X0, Xt, eps, t, chain.beta, chain.alpha_bar,
                                   chain.n_numeric, chain.blocks)
    net.backward(acts, grad, l2, n_threads)
    opt.step(net.theta, net.grad, n_threads)
    return loss


def batch_loss(net, chain, X0, C, t, eps, U, n_threads):
    """Mean training loss of rows X0 at given steps and draws (no update): the validation loss."""
    Xt = chain.noise(X0, t, eps, U, n_threads)
    out = net.forward(chain.inputs(Xt, t, C), n_threads)[-1]
    return obj.loss_and_grad(out, X0, Xt, eps, t, chain.beta, chain.alpha_bar,
                             chain.n_numeric, chain.blocks)[0]


def generate(net, chain, C, n_samples, n_sampling_steps, eta, rng, n_threads):
    """Draw encoded rows by the reverse chain over ``n_sampling_steps`` evenly spaced steps.

    Starts from the prior (N(0, I) numeric part, uniform categories); each
    step from t to s is the fused ``reverse_step`` with the DDIM noise scale
    sigma = eta sqrt((1 - abar_s) / (1 - abar_t) (1 - abar_t / abar_s)).
    """
    times = obj.sampling_times(chain.n_steps, n_sampling_steps)
    out_rows = []
    for lo in range(0, n_samples, ROWS_PER_CALL):
        m = min(ROWS_PER_CALL, n_samples - lo)
        Cm = None if C is None else C[lo:lo + m]
        X = np.zeros((m, chain.n_encoded), dtype=chain.dtype)
        X[:, :chain.n_numeric] = rng.standard_normal((m, chain.n_numeric))
        rows = np.arange(m)
        for start, stop in chain.blocks:
            X[rows, start + rng.randint(stop - start, size=m)] = 1.0
        work = np.empty((m, chain.widest))
        for t, s in zip(times[:-1], times[1:]):
            ab_t, ab_s = chain.alpha_bar[t], chain.alpha_bar[s]
            sigma = eta * np.sqrt((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s))
            out = net.forward(chain.inputs(X, np.full(m, t, dtype=np.intp), Cm), n_threads)[-1]
            Z = rng.standard_normal((m, chain.n_numeric)).astype(chain.dtype)
            U = rng.uniform(size=(m, len(chain.blocks)))
            X_next = np.empty_like(X)
            kernels.reverse_step(X, out, ab_t, ab_s, sigma, X0_CLIP, Z, U, chain.starts,
                                 chain.stops, work, X_next, n_threads)
            X = X_next
        out_rows.append(X)
    return np.vstack(out_rows)


def _mix(x):
    """SplitMix64's finalizer (Steele et al. 2014) over uint64 arrays: a bijective hash."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def row_keys(X, seed):
    """Return one 64-bit key per row of X, a hash of its values (as float64) and the seed."""
    start = (int(seed) * 0x9E3779B97F4A7C15) % 2 ** 64
    keys = np.full(X.shape[0], start, dtype=np.uint64)
    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64)
    for j in range(X.shape[1]):
        keys = _mix(keys ^ bits[:, j])
    return keys


def keyed_draws(keys, stream, n_cols):
    """Return uniforms in (0, 1) and standard normals (n, n_cols) of (key, stream, column)."""
    cols = np.arange(2 * n_cols, dtype=np.uint64) + np.uint64(stream) * np.uint64(1 << 20)
    h = _mix(keys[:, None] ^ _mix(cols + np.uint64(0x632BE59BD9B4E019))[None, :])
    u = ((h >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53
    uniforms = u[:, :n_cols]
    normals = np.sqrt(-2.0 * np.log(u[:, :n_cols])) * np.cos(2.0 * np.pi * u[:, n_cols:])
    return uniforms, normals


def negative_bound(net, chain, E, keys, C, n_sampling_steps, n_threads):
    """L_T + sum of the sampler's jump terms per row of encoded rows E: minus the bound, in nats.

    The jumps are the sampler's (``n_sampling_steps`` evenly spaced steps).
    Each term is one draw of x_t ~ q(x_t | x_0) from the row's own key
    (``row_keys``): a row's score depends only on the row and the fitted
    model, never on the rows scored with it, and the draws of different rows
    are independent, so a mean over rows averages their noise out.  Jumps
    are batched so that a denoiser call sees about ROWS_PER_CALL rows.
    """
    times = obj.sampling_times(chain.n_steps, n_sampling_steps)
    jumps_t, jumps_s = times[:-1], times[1:]
    n, J = E.shape[0], len(jumps_t)
    nb = len(chain.blocks)
    total = obj.prior_terms(E, chain.alpha_bar, chain.n_numeric, chain.blocks)
    for lo in range(0, n, ROWS_PER_CALL):
        rows = slice(lo, min(n, lo + ROWS_PER_CALL))
        En, kn = E[rows], keys[rows]
        m = En.shape[0]
        Cn = None if C is None else C[rows]
        per_call = max(1, ROWS_PER_CALL // m)
        for j0 in range(0, J, per_call):
            js = np.arange(j0, min(J, j0 + per_call))
            t, s = np.repeat(jumps_t[js], m), np.repeat(jumps_s[js], m)
            X0 = np.tile(En, (len(js), 1))
            Ct = None if Cn is None else np.tile(Cn, (len(js), 1))
            draws = [keyed_draws(kn, j, max(chain.n_numeric, nb)) for j in js]
            eps = np.ascontiguousarray(np.vstack([d[1][:, :chain.n_numeric] for d in draws]),
                                       dtype=chain.dtype)
            U = np.ascontiguousarray(np.vstack([d[0][:, :nb] for d in draws]))
            Xt = chain.noise(X0, t, eps, U, n_threads)
            out = net.forward(chain.inputs(Xt, t, Ct), n_threads)[-1]
            terms = obj.bound_terms(out, X0, Xt, t, s, chain.alpha_bar, chain.n_numeric,
                                    chain.blocks, X0_CLIP)
            total[rows] += terms.reshape(len(js), m).sum(axis=0)
    return total
