"""The rows a GaussianMixture works on.

Complete rows go to the compiled E-step, rows with NaN to the exact
missing-data E-step (full and tied covariances; the diagonal kernels handle
NaN themselves), and the results are put back together in the original row
order.
"""

import numpy as np

from gdcore.generative.mixture import _em as em
from gdcore.generative.mixture import _missing as missing


class MixtureData:
    """X (C-contiguous float32/float64, NaN = missing), its sample weights, threads."""

    def __init__(self, X, sample_weight, n_threads):
        self.X = X
        self.sample_weight = sample_weight
        self.n_threads = n_threads
        self.dtype = X.dtype.type
        self.n_features = X.shape[1]
        self.weight_total = float(X.shape[0] if sample_weight is None
                                  else sample_weight.sum())
        has_nan = np.isnan(X).any(axis=1)
        self.incomplete = np.flatnonzero(has_nan) if has_nan.any() else None
        if self.incomplete is None:
            self.complete, self.Xc, self.wc = None, X, sample_weight
        else:
            self.complete = np.flatnonzero(~has_nan)
            self.Xc = np.ascontiguousarray(X[self.complete])
            self.wc = None if sample_weight is None else sample_weight[self.complete]
        self._total_scatter = None

    def mean(self, values):
        """Return the sample-weighted mean of per-row values (the EM lower bound)."""
        if self.sample_weight is None:
            return float(np.mean(values))
        return float(self.sample_weight @ values / self.weight_total)

    def e_step(self, params, covariance_type, want_stats):
        """(resp (n, k) in X's dtype, log p(x_i) (n,), Stats or None)."""
        weights, means, _, prec_chol = params
        # The diagonal kernels marginalize NaN themselves (exactly: a diagonal
        # Gaussian's missing coordinates are independent of the observed ones).
        if self.incomplete is None or covariance_type in ("diag", "spherical"):
            return em.e_step(self.X, self.sample_weight, weights, means, prec_chol,
                             covariance_type, self.n_threads, want_stats)
        n, k = self.X.shape[0], means.shape[0]
        resp = np.empty((n, k), dtype=self.dtype)
        log_norm = np.empty(n)
        stats = None
        if len(self.complete):
            rc, lc, stats = em.e_step(self.Xc, self.wc, weights, means, prec_chol,
                                      covariance_type, self.n_threads, want_stats)
            resp[self.complete], log_norm[self.complete] = rc, lc
        centres = np.asarray(means, dtype=self.dtype).astype(np.float64)
        wm = None if self.sample_weight is None else self.sample_weight[self.incomplete]
        rm, lm, sm, _ = missing.e_step(
            self.X[self.incomplete], wm, params, covariance_type, centres=centres,
            tied_centre=self._tied_centre_and_scatter()[0] if covariance_type == "tied"
            else None, want_stats=want_stats, n_threads=self.n_threads)
        resp[self.incomplete], log_norm[self.incomplete] = rm, lm
        if want_stats:
            if stats is None:
                stats = em.Stats(np.zeros(k), np.zeros_like(centres),
                                 None if sm.scatter is None else np.zeros_like(sm.scatter),
                                 centres)
            stats.nk = stats.nk + sm.nk
            stats.sx = stats.sx + sm.sx
            if sm.scatter is not None:
                stats.scatter = stats.scatter + sm.scatter
            stats.tied_extra = sm.tied_extra
        return resp, log_norm, stats

    def _tied_centre_and_scatter(self):
        """Centre and total scatter of the complete rows (constant during a fit)."""
        if self._total_scatter is None:
            if len(self.Xc):
                self._total_scatter = em.total_scatter(self.Xc, self.wc)
            else:
                d = self.n_features
                self._total_scatter = (np.nanmean(self.X, axis=0), np.zeros((d, d)))
        return self._total_scatter

    def tied_scatter(self, stats):
        """(centre, total scatter) for the tied M-step, rows with NaN completed."""
        centre, scatter = self._tied_centre_and_scatter()
        extra = stats.tied_extra
        return centre, scatter if extra is None else scatter + extra

    def stats_from_resp(self, resp, covariance_type):
        return em.stats_from_resp(self.X, self.sample_weight, resp, covariance_type,
                                  self.n_threads)

    def filled_for_init(self):
        """Return this data with NaN replaced by column means (to start EM from)."""
        if self.incomplete is None:
            return self
        X = np.where(np.isnan(self.X), np.nanmean(self.X, axis=0), self.X)
        return MixtureData(np.ascontiguousarray(X, dtype=self.dtype),
                           self.sample_weight, self.n_threads)

    def impute(self, params, covariance_type):
        """X with NaN replaced by E[x_m | x_o] under the mixture."""
        if self.incomplete is None:
            return self.X.copy()
        out = self.X.copy()
        _, _, _, filled = missing.e_step(self.X[self.incomplete], None, params,
                                         covariance_type, want_fill=True,
                                         n_threads=self.n_threads)
        out[self.incomplete] = filled
        return out
