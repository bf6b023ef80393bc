"""Gaussian-mixture emissions of an HMM (GMMHMM): per-state mixing and weights.

The K x n_mix component densities log N(x_t; mu_km, S_km) come from the
Gaussian kernels of _hmm_emissions.pyx, treated as K * n_mix flat "states"
(BLAS-blocked, O(n K n_mix d) for diagonal, O(n K n_mix d^2) for full).
This file does what is left per frame, in one parallel pass over rows:

- ``mixture_loglik``: log p(x_t | k) = logsumexp_m (log w_km + log N_km), and
  the within-state responsibilities r_tkm = w_km N_km / p(x_t | k), written
  over the component log-densities (no second (n, K n_mix) array);
- ``mixture_weights``: r_tkm *= gamma_tk (the state posterior), which turns
  them into the E-step weights of each component, in place; the weighted
  moments are then BLAS products of that (n, K n_mix) matrix with X.

Each row is independent, so results do not depend on the thread count.
The NumPy twin is ``gdcore/generative/hmm/_reference/hmm_mixture.py``.
"""

from cython.parallel cimport prange
from libc.math cimport INFINITY, log

from gdcore._cy._math cimport exp_or_zero


def mixture_loglik(
    double[:, ::1] comp,                  # IN/OUT (n, K * n_mix) log N_km -> r_tkm
    const double[:, ::1] log_weights,     # IN (K, n_mix), -inf allowed
    double[:, ::1] out,                   # OUT (n, K) log p(x_t | k)
    int n_threads,
):
    """Per-state mixture log-likelihoods; ``comp`` becomes the responsibilities.

    A state whose every weighted component is -inf gets -inf and
    responsibilities 0.
    """
    cdef Py_ssize_t n = comp.shape[0], K = log_weights.shape[0], nm = log_weights.shape[1]
    cdef Py_ssize_t t, k, m
    cdef double mx, s, lse
    cdef double* c
    with nogil:
        for t in prange(n, schedule="static", num_threads=n_threads):
            for k in range(K):
                c = &comp[t, k * nm]
                mx = -INFINITY
                for m in range(nm):
                    c[m] = c[m] + log_weights[k, m]
                    if c[m] > mx:
                        mx = c[m]
                if mx == -INFINITY:
                    out[t, k] = -INFINITY
                    for m in range(nm):
                        c[m] = 0.0
                    continue
                s = 0.0
                for m in range(nm):
                    c[m] = exp_or_zero(c[m] - mx)
                    s = s + c[m]
                lse = mx + log(s)
                out[t, k] = lse
                for m in range(nm):
                    c[m] = c[m] / s
    return 0


def mixture_weights(
    double[:, ::1] resp,                  # IN/OUT (n, K * n_mix) r_tkm -> gamma_tk r_tkm
    const double[:, ::1] posteriors,      # IN (n, K) gamma_tk
    int n_threads,
):
    """E-step weight of every component at every frame, in place."""
    cdef Py_ssize_t n = resp.shape[0], K = posteriors.shape[1]
    cdef Py_ssize_t nm = resp.shape[1] // K, t, k, m
    with nogil:
        for t in prange(n, schedule="static", num_threads=n_threads):
            for k in range(K):
                for m in range(nm):
                    resp[t, k * nm + m] = resp[t, k * nm + m] * posteriors[t, k]
    return 0
