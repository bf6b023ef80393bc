"""A log-likelihood for a GAN: a kernel density over its own samples.

A GAN has no likelihood of its own; the usual estimate (Goodfellow et al.
2014, after Breuleux et al. 2011) is a Parzen window over m generated rows

    p(x) ~= 1/m sum_j K(x, g_j),

with the bandwidth chosen to maximize the likelihood of held-out real rows.
For mixed tables the kernel is a product: a Gaussian of width h over the
standardized continuous columns and, per categorical column with c
categories, Aitchison & Aitken's (1976) kernel: 1 - lam if the category
matches, lam / (c - 1) otherwise.  Both are normalized, so p is a density in
the encoded space; the caller converts it to the original units.  The
estimate is biased low in high dimension (Theis et al. 2016): use it to
compare models on the same data, not as an absolute number.

Cost: one gemm of (rows x m x encoded columns) per row block, then a
log-sum-exp over m per (h, lam) pair.
"""

import numpy as np

from gdcore.generative._base import log_sum_exp_rows

BANDWIDTHS = np.logspace(-2, 1, 19)  # standardized units: 1% to 10 sd
SMOOTHINGS = np.array([0.01, 0.03, 0.1, 0.2, 0.3])
ROW_BLOCK = 512  # rows x 2000 samples x float64 = 8 MB per block


class ParzenScore:
    """Kernel log-density over fixed samples in the encoded space."""

    def __init__(self, samples, n_continuous, blocks):
        self.samples = np.asarray(samples, dtype=np.float64)
        self.n_continuous = n_continuous
        self.blocks = blocks
        G = self.samples[:, :n_continuous]
        self._g_sq = (G * G).sum(axis=1)

    def _parts(self, E):
        """Squared continuous distances and per-block category matches, (n, m) each."""
        E = np.asarray(E, dtype=np.float64)
        c = self.n_continuous
        A = E[:, :c]
        d2 = (A * A).sum(axis=1)[:, None] - 2.0 * A @ self.samples[:, :c].T + self._g_sq
        np.maximum(d2, 0.0, out=d2)
        matches = [E[:, s:t] @ self.samples[:, s:t].T for s, t in self.blocks]
        return d2, matches

    def _log_kernel(self, d2, matches, h, lam):
        c = self.n_continuous
        logk = -0.5 * d2 / (h * h) - c * (np.log(h) + 0.5 * np.log(2 * np.pi))
        for (s, t), M in zip(self.blocks, matches):
            n_cat = t - s
            if n_cat > 1:
                off = np.log(lam / (n_cat - 1))
                logk = logk + off + M * (np.log(1.0 - lam) - off)
        return logk

    def fit(self, E):
        """Choose the bandwidth and smoothing maximizing the mean log-density of rows E."""
        d2, matches = self._parts(E)
        lams = SMOOTHINGS if self.blocks else SMOOTHINGS[:1]
        hs = BANDWIDTHS if self.n_continuous else BANDWIDTHS[:1]
        best = -np.inf
        for h in hs:
            for lam in lams:
                ll = np.mean(log_sum_exp_rows(self._log_kernel(d2, matches, h, lam)))
                if ll > best:
                    best, self.bandwidth, self.smoothing = ll, h, lam
        return self

    def score_samples(self, E):
        out = np.empty(E.shape[0])
        log_m = np.log(self.samples.shape[0])
        for start in range(0, E.shape[0], ROW_BLOCK):
            d2, matches = self._parts(E[start:start + ROW_BLOCK])
            logk = self._log_kernel(d2, matches, self.bandwidth, self.smoothing)
            out[start:start + ROW_BLOCK] = log_sum_exp_rows(logk)[:, 0] - log_m
        return out
