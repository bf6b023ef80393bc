"""Stepwise online EM for ``GaussianMixture.partial_fit`` (Cappe & Moulines 2009).

The model keeps running sufficient statistics per unit of sample weight,
all centred on one fixed point z (the first batch's mean, so that the
second moments keep their digits): n_c, s_c = E[r_c (x - z)] and the
second moment E[r_c (x - z)(x - z)^T] (its diagonal for diag/spherical, the
component-free total for tied).  Each batch's E-step statistics s_b are
blended in as s <- (1 - g_t) s + g_t s_b with g_t = (t + 1) ** -0.6 (t = the
number of earlier batches; 0.6 lies in the (0.5, 1] range where stepwise EM
converges), then the M-step runs on s.  The first batch sets s = s_b.
"""

import numpy as np

from gdcore.generative.mixture import _em as em

STEP_EXPONENT = 0.6


class OnlineStats:
    """Running per-unit-weight statistics around the fixed centre z."""

    def __init__(self, centre):
        self.centre = centre
        self.n_batches = 0
        self.nk = self.s1 = self.s2 = None

    def update(self, stats, data, covariance_type):
        """Blend one batch's E-step statistics (em.Stats from ``data``) in."""
        z, W = self.centre, stats.nk.sum()
        e = stats.centres - z                       # (k, d) batch centres from z
        a = stats.sx - stats.nk[:, None] * stats.centres
        if covariance_type == "full":
            outer = np.einsum("ki,kj->kij", a, e)
            s2 = (stats.scatter + outer + np.swapaxes(outer, 1, 2)
                  + stats.nk[:, None, None] * np.einsum("ki,kj->kij", e, e))
        elif covariance_type == "tied":
            c_b, T_b = data.tied_scatter(stats)
            u = stats.sx.sum(axis=0) - W * c_b      # sum_i w_i (x_i - c_b)
            f = c_b - z
            s2 = T_b + np.outer(u, f) + np.outer(f, u) + W * np.outer(f, f)
        else:
            s2 = stats.scatter + 2 * a * e + stats.nk[:, None] * e * e
        batch = (stats.nk / W, (stats.sx - stats.nk[:, None] * z) / W, s2 / W)
        step = 1.0 if self.n_batches == 0 else (self.n_batches + 1) ** -STEP_EXPONENT
        if self.n_batches == 0:
            self.nk, self.s1, self.s2 = batch
        else:
            self.nk, self.s1, self.s2 = ((1 - step) * old + step * new for old, new in
                                         zip((self.nk, self.s1, self.s2), batch))
        self.n_batches += 1

    def m_step(self, covariance_type, reg_covar, dtype):
        """(weights, means, covariances) from the running statistics."""
        k, d = self.s1.shape
        centres = np.broadcast_to(self.centre, (k, d))
        stats = em.Stats(self.nk, self.s1 + self.nk[:, None] * self.centre,
                         None if covariance_type == "tied" else self.s2, centres)
        tied = (self.centre, self.s2) if covariance_type == "tied" else None
        return em.m_step(stats, covariance_type, reg_covar, dtype, tied_scatter=tied)
