"""Fused kernels of the tabular diffusion model: forward noising and one reverse step.

A row of the model is encoded as its numeric columns (quantile-transformed to
a standard normal) followed by one one-hot block per categorical column
(TabDDPM, Kotelnikov et al. 2023).  Both kernels treat the two parts in one
pass over the row, with the row loop under ``prange``: every row is
independent, so the result never depends on the thread count.

``noise_rows`` draws x_t ~ q(x_t | x_0) for a batch with one step t per row:

    numeric   x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps      (Ho et al. 2020)
    category  x_t ~ Cat(abar_t x_0 + (1 - abar_t) / K)          (Hoogeboom et al. 2021)

``reverse_step`` moves every row from step t to an earlier step s < t given
the denoiser's output (predicted noise for the numeric part, logits of x_0
for each block):

    numeric   x0 = clip((x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t))
              x_s = sqrt(abar_s) x0 + sqrt(1 - abar_s - sigma^2) eps' + sigma z
              (DDIM, Song et al. 2021; eps' the noise implied by the clipped x0)
    category  x_s ~ q(x_s | x_t, x0_hat) proportional to
              (a_ts [x_t] + (1 - a_ts) / K) * (abar_s p + (1 - abar_s) / K),
              p = softmax(logits), a_ts = abar_t / abar_s

The categorical posterior is exact for any stride s < t: multinomial noising
composes (q(x_t | x_s) keeps x_s with probability abar_t / abar_s), so fewer
sampling steps are the same model's posterior over longer jumps.  Categories
are drawn by inverse CDF from uniforms the caller passes, as the Gaussian
draws: the kernels hold no random state.  Cost O(n * width) per call.

The NumPy twin is ``gdcore/generative/neural/_reference.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, sqrt


cdef inline void _draw_one_hot(floating* row, const double* w, Py_ssize_t k,
                               double total, double u) noexcept nogil:
    """Write the one-hot of the category the uniform u picks from weights w (sum total)."""
    cdef Py_ssize_t j, pick = k - 1
    cdef double c = 0.0, target = u * total
    for j in range(k):
        c = c + w[j]
        if target < c:
            pick = j
            break
    for j in range(k):
        row[j] = 1.0 if j == pick else 0.0


cdef inline void _draw_weights_inline(floating* out, const floating* x0, Py_ssize_t k,
                                      double ab, double w, double total,
                                      double u) noexcept nogil:
    """One-hot draw from weights ab * x0 + w, computed on the fly (no buffer)."""
    cdef Py_ssize_t j, pick = k - 1
    cdef double c = 0.0, target = u * total
    for j in range(k):
        c = c + ab * x0[j] + w
        if target < c:
            pick = j
            break
    for j in range(k):
        out[j] = 1.0 if j == pick else 0.0


def noise_rows(
    const floating[:, ::1] X0,        # IN (n, e) encoded clean rows
    const Py_ssize_t[::1] t,          # IN (n,) step of each row, in 1..T
    const double[::1] alpha_bar,      # IN (T + 1,) cumulative products, alpha_bar[0] = 1
    const floating[:, ::1] eps,       # IN (n, n_numeric) standard normal draws
    const double[:, ::1] U,           # IN (n, n_blocks) uniforms in [0, 1)
    const Py_ssize_t[::1] starts,     # IN (n_blocks,) first column of each one-hot block
    const Py_ssize_t[::1] stops,      # IN (n_blocks,) end of each block
    floating[:, ::1] Xt,              # OUT (n, e) noised rows
    int n_threads,
):
    """Xt[i] ~ q(x_t | x_0 = X0[i]) at step t[i], numeric and categorical parts at once."""
    cdef Py_ssize_t n = X0.shape[0], d = eps.shape[1], nb = starts.shape[0]
    cdef Py_ssize_t i, j, b, k, s0
    cdef double ab, sa, sb, total, w
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            ab = alpha_bar[t[i]]
            sa = sqrt(ab)
            sb = sqrt(1.0 - ab)
            for j in range(d):
                Xt[i, j] = sa * X0[i, j] + sb * eps[i, j]
            for b in range(nb):
                s0 = starts[b]
                k = stops[b] - s0
                w = (1.0 - ab) / k
                # Inverse CDF over the weights ab * x0 + (1 - ab) / K (their
                # sum is 1 for a one-hot x0, summed anyway to match rounding).
                total = 0.0
                for j in range(k):
                    total = total + ab * X0[i, s0 + j] + w
                _draw_weights_inline(&Xt[i, s0], &X0[i, s0], k, ab, w, total, U[i, b])


def reverse_step(
    const floating[:, ::1] Xt,        # IN (n, e) rows at step t
    const floating[:, ::1] out,       # IN (n, e) denoiser output: eps_hat, then logits
    double abar_t,                    # IN cumulative product at t
    double abar_s,                    # IN cumulative product at s < t (1 at s = 0)
    double sigma,                     # IN noise scale of the numeric update
    double clip,                      # IN bound on |x0_hat| of the numeric part
    const floating[:, ::1] Z,         # IN (n, n_numeric) standard normal draws
    const double[:, ::1] U,           # IN (n, n_blocks) uniforms in [0, 1)
    const Py_ssize_t[::1] starts,     # IN (n_blocks,)
    const Py_ssize_t[::1] stops,      # IN (n_blocks,)
    double[:, ::1] work,              # IN (n, widest block) scratch for the posterior
    floating[:, ::1] Xs,              # OUT (n, e) rows at step s
    int n_threads,
):
    """Xs = one reverse step from t to s of every row (see the module docstring)."""
    cdef Py_ssize_t n = Xt.shape[0], d = Z.shape[1], nb = starts.shape[0]
    cdef Py_ssize_t i, j, b, k, s0
    cdef double sa_t = sqrt(abar_t), sb_t = sqrt(1.0 - abar_t), sa_s = sqrt(abar_s)
    cdef double c_dir = 1.0 - abar_s - sigma * sigma
    cdef double a_ts = abar_t / abar_s
    cdef double x0, e, zmax, total, ws, wt, pj
    if c_dir < 0.0:
        c_dir = 0.0
    c_dir = sqrt(c_dir)
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            for j in range(d):
                x0 = (Xt[i, j] - sb_t * out[i, j]) / sa_t
                if x0 > clip:
                    x0 = clip
                elif x0 < -clip:
                    x0 = -clip
                e = (Xt[i, j] - sa_t * x0) / sb_t
                Xs[i, j] = sa_s * x0 + c_dir * e + sigma * Z[i, j]
            for b in range(nb):
                s0 = starts[b]
                k = stops[b] - s0
                zmax = out[i, s0]
                for j in range(1, k):
                    if out[i, s0 + j] > zmax:
                        zmax = out[i, s0 + j]
                total = 0.0
                for j in range(k):
                    pj = exp(out[i, s0 + j] - zmax)
                    work[i, j] = pj
                    total = total + pj
                ws = 0.0
                for j in range(k):
                    wt = a_ts * Xt[i, s0 + j] + (1.0 - a_ts) / k
                    pj = wt * (abar_s * work[i, j] / total + (1.0 - abar_s) / k)
                    work[i, j] = pj
                    ws = ws + pj
                _draw_one_hot(&Xs[i, s0], &work[i, 0], k, ws, U[i, b])
