"""Noise schedules, the training loss of the tabular diffusion model, and its variational bound.

TabDDPM (Kotelnikov et al. 2023).  Over T steps, numeric columns (already
normal after the quantile map) follow Gaussian diffusion (Ho et al. 2020) and
categorical columns multinomial diffusion (Hoogeboom et al. 2021).  One MLP
reads the noised row, a sinusoidal embedding of t and an optional one-hot
label; it predicts the noise eps of the numeric part and the logits of x_0
for each categorical block.

Training loss of a row at a uniform step t (TabDDPM's sum of two means):

    mean_j (eps_hat_j - eps_j)^2  +  T mean_b KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t))_b

where for a block of K categories, with c = alpha_t x_t + (1 - alpha_t) / K
(the one-step kernel seen from x_t) and u(x) = abar_{t-1} x + (1 - abar_{t-1}) / K,
q is proportional to c * u(x_0) and p to c * u(softmax(logits)).  At t = 1,
abar_0 = 1 makes q the point mass on x_0 and the KL the cross-entropy
-log p(x_0 | x_1): one formula for every t.  Its gradient in the logits is
elementwise (``categorical_kl``), computed in float64 log space so that a
saturated softmax never gives 0 / 0.

Variational bound (``bound_terms``) of the chain the sampler runs (with
eta = 1), over its steps T = tau_0 > ... > tau_S = 0: log p(x_0) >=
-(L_T + sum_i L_i), L_i the KL of the jump tau_i -> tau_{i+1}.  Per numeric
column, the reverse step is the jump's posterior given the sampler's clipped
x0_hat, with the posterior's variance (and 1 - abar_t at the last jump):

    L_T = KL(N(sqrt(abar_T) x_0, 1 - abar_T) || N(0, 1))
    L_i = abar_s (1 - a_ts) (x_0 - x0_hat)^2 / (2 (1 - abar_t) (1 - abar_s))
          with a_ts = abar_t / abar_s
    L_S = log(2 pi (1 - abar_t)) / 2 + (x_0 - x0_hat)^2 / (2 (1 - abar_t))     (s = 0)

(Ho et al.'s eq. 5 when every step is visited), and per block the KL above
over the jump plus L_T = KL(q(x_T | x_0) || uniform).  Scoring the sampler's
chain rather than all T steps makes the bound the one of the model that
``sample`` draws from, at S denoiser calls instead of T.
"""

import numpy as np

LOG_2PI = np.log(2.0 * np.pi)
# Nichol & Dhariwal's (2021) offset of the cosine schedule, and their cap on
# beta_t, which keeps the last steps from being pure noise steps of beta = 1.
COSINE_OFFSET = 0.008
MAX_BETA = 0.999


def make_schedule(kind, n_steps):
    """Return (beta, alpha_bar), both (n_steps + 1,), indexed by t; beta[0] = 0, alpha_bar[0] = 1.

    "linear": Ho et al.'s betas 1e-4 .. 0.02 for 1000 steps, rescaled by
    1000 / n_steps so the total noise does not depend on n_steps.  "cosine":
    Nichol & Dhariwal's abar(t) = cos^2((t/T + s) / (1 + s) pi / 2), normalized.
    """
    T = int(n_steps)
    if kind == "linear":
        scale = 1000.0 / T
        beta = np.linspace(1e-4 * scale, min(0.02 * scale, MAX_BETA), T)
    else:
        f = np.cos((np.arange(T + 1) / T + COSINE_OFFSET) / (1 + COSINE_OFFSET) * np.pi / 2) ** 2
        beta = np.minimum(1.0 - f[1:] / f[:-1], MAX_BETA)
    beta = np.r_[0.0, beta]
    return beta, np.cumprod(1.0 - beta)


def timestep_embedding(n_steps, dim):
    """Sinusoidal embedding (Vaswani et al. 2017) of t = 0..n_steps: an (n_steps + 1, dim) table.

    t is rescaled to tau = 1000 t / n_steps (the range DDPM's embedding was
    designed for) whatever n_steps; columns are sin(tau f_i), cos(tau f_i)
    with frequencies f_i from 1 down to 1/10000.
    """
    half = dim // 2
    freqs = np.exp(-np.log(10000.0) * np.arange(half) / half)
    tau = np.arange(n_steps + 1) * (1000.0 / n_steps)
    arg = tau[:, None] * freqs[None]
    return np.hstack([np.sin(arg), np.cos(arg)])


def sampling_times(n_steps, n_sampling_steps):
    """Descending steps T = tau_0 > ... > tau_S = 0 visited by the sampler (evenly spaced)."""
    S = min(int(n_sampling_steps), int(n_steps))
    return np.unique(np.round(np.linspace(0, n_steps, S + 1)).astype(np.intp))[::-1]


def _log_softmax(L):
    L = L - L.max(axis=1, keepdims=True)
    return L - np.log(np.exp(L).sum(axis=1, keepdims=True))


def categorical_kl(logits, X0, Xt, a_ts, ab_s, want_grad=True):
    """KL(q(x_s | x_t, x_0) || p(x_s | x_t)) per row of one block, and d/dlogits.

    ``logits``, ``X0`` and ``Xt`` are (n, K); ``a_ts`` = abar_t / abar_s (the
    jump's kernel; alpha_t for s = t - 1) and ``ab_s`` = abar_s, arrays (n,).
    Returns (kl (n,), gradient (n, K) or None), in float64.
    """
    k = logits.shape[1]
    a_t = np.asarray(a_ts, dtype=np.float64)[:, None]
    ab_s = np.asarray(ab_s, dtype=np.float64)[:, None]
    log_p0 = _log_softmax(np.asarray(logits, dtype=np.float64))
    log_c = np.log(a_t * Xt + (1.0 - a_t) / k)
    with np.errstate(divide="ignore"):
        log_u_true = np.log(ab_s * X0 + (1.0 - ab_s) / k)
        log_rest = np.log((1.0 - ab_s) / k)
    log_q = log_c + log_u_true
    # A row whose block is all zeros (a category unseen in fit, scored -inf by
    # the caller) has no posterior: NaN there, silently.
    with np.errstate(invalid="ignore"):
        log_q -= np.logaddexp.reduce(log_q, axis=1, keepdims=True)
    q = np.exp(log_q)
    log_u = np.logaddexp(np.log(ab_s) + log_p0, log_rest)
    log_cu = log_c + log_u
    log_Z = np.logaddexp.reduce(log_cu, axis=1, keepdims=True)
    log_p = log_cu - log_Z
    kl = (q * np.where(q > 0, log_q - log_p, 0.0)).sum(axis=1)
    if not want_grad:
        return kl, None
    # h_k = p0_k dKL/dp0_k / abar_{t-1} = -q_k p0_k / u_k + p0_k c_k / Z; the
    # softmax Jacobian then gives dKL/dlogit_k = abar_{t-1} (h_k - p0_k sum_j h_j).
    p0 = np.exp(log_p0)
    h = -q * np.exp(log_p0 - log_u) + p0 * np.exp(log_c - log_Z)
    grad = ab_s * (h - p0 * h.sum(axis=1, keepdims=True))
    return kl, grad


def loss_and_grad(out, X0, Xt, eps, t, beta, alpha_bar, n_numeric, blocks):
    """Mean training loss of a batch and dLoss/d(out) (the denoiser's output), same dtype as out.

    ``out`` (m, e): predicted noise, then logits per block.
    """
    m = out.shape[0]
    grad = np.zeros_like(out)
    loss = 0.0
    if n_numeric:
        R = out[:, :n_numeric] - eps
        loss += float(np.sum(R * R, dtype=np.float64)) / (m * n_numeric)
        grad[:, :n_numeric] = R * (2.0 / (m * n_numeric))
    # T KL_t is the one-draw estimate of the categorical bound's sum over the
    # T steps (TabDDPM's kl / pt with pt = 1 / T); a bare KL_t would weight
    # the categories T times less than the numeric part.
    weight = (len(beta) - 1) / (m * len(blocks)) if blocks else 0.0
    a_t, ab_s = 1.0 - beta[t], alpha_bar[t - 1]
    for start, stop in blocks:
        kl, g = categorical_kl(out[:, start:stop], X0[:, start:stop], Xt[:, start:stop],
                               a_t, ab_s)
        loss += float(kl.sum()) * weight
        grad[:, start:stop] = g * weight
    return loss, grad


def prior_terms(X0, alpha_bar, n_numeric, blocks):
    """L_T per row: KL of q(x_T | x_0) from the prior, numeric and categorical, in nats."""
    ab = alpha_bar[-1]
    X0 = np.asarray(X0, dtype=np.float64)
    x = X0[:, :n_numeric]
    total = 0.5 * (ab * x * x + (1.0 - ab) - 1.0 - np.log1p(-ab)).sum(axis=1)
    for start, stop in blocks:
        k = stop - start
        q = ab * X0[:, start:stop] + (1.0 - ab) / k
        total += (q * np.log(q * k)).sum(axis=1)
    return total


def bound_terms(out, X0, Xt, t, s, alpha_bar, n_numeric, blocks, clip):
    """Return the bound's term of the jump from t[i] to s[i] < t[i] per row, in nats.

    Numeric part, in terms of the sampler's clipped x0_hat (|x0_hat| <= clip):
    the KL of the jump's Gaussian posteriors, abar_s (1 - a_ts) |x_0 - x0_hat|^2
    / (2 (1 - abar_t) (1 - abar_s)), a_ts = abar_t / abar_s; at s = 0 the
    decoder's -log N(x_0; x0_hat, 1 - abar_t).  Categorical blocks:
    ``categorical_kl`` over the jump.
    """
    out = np.asarray(out, dtype=np.float64)
    X0 = np.asarray(X0, dtype=np.float64)
    Xt = np.asarray(Xt, dtype=np.float64)
    ab_t, ab_s = alpha_bar[t], alpha_bar[s]
    a_ts = ab_t / ab_s
    x0_hat = np.clip((Xt[:, :n_numeric] - np.sqrt(1.0 - ab_t)[:, None] * out[:, :n_numeric])
                     / np.sqrt(ab_t)[:, None], -clip, clip)
    R = X0[:, :n_numeric] - x0_hat
    d2 = (R * R).sum(axis=1)
    last = s == 0
    # 1 - abar_s = 0 at s = 0: that branch's division is unused there.
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = ab_s * (1.0 - a_ts) * d2 / (2.0 * (1.0 - ab_t) * (1.0 - ab_s))
    total = np.where(last, 0.5 * n_numeric * (LOG_2PI + np.log1p(-ab_t))
                     + d2 / (2.0 * (1.0 - ab_t)), jump)
    for start, stop in blocks:
        kl, _ = categorical_kl(out[:, start:stop], X0[:, start:stop], Xt[:, start:stop],
                               a_ts, ab_s, want_grad=False)
        total = total + kl
    return total
