"""A monotone map of each numeric column to a standard normal, with its Jacobian.

The map is scikit-learn's ``QuantileTransformer(output_distribution="normal")``
made piecewise linear in the normal space: knots q_i, the distinct values
of the column (or evenly spaced quantiles if it has more than
``n_knots(n)``), are sent to z_i = Phi^{-1}(F(q_i)), F the mid-rank empirical
CDF ((rows below + half the rows equal) / n, never 0 or 1), and z is linear
between knots.  Beyond the end knots z continues linearly with the mean
slope of the outer tenth of the knots, so the map is invertible on the
whole line and a value outside the training range gets a finite z.  Its log
Jacobian is the log slope of the segment a value falls in: log p(x) =
log p(z) + sum_j log dz_j/dx_j turns a density of z into one of x.

Why at most n / 5 knots: the slope between two knots is a histogram density
estimate of the column; with a knot at every training value each bin holds
one row, and on breast_cancer the Jacobian then gave training rows 23 nats
more than held-out ones (an overfitted density) and the steep end segments
sent held-out rows beyond the training range to |z| > 10.
"""

import numpy as np
from scipy.special import ndtri

# Knots per column: at most MAX_KNOTS (scikit-learn's n_quantiles default)
# and one per ROWS_PER_KNOT rows (see the module docstring).
MAX_KNOTS = 1000
ROWS_PER_KNOT = 5


def n_knots(n):
    """Return the number of quantile knots for a column of n rows."""
    return int(min(MAX_KNOTS, max(2, n // ROWS_PER_KNOT)))


class NormalQuantileMap:
    """Per-column piecewise-linear map to N(0, 1) (see the module docstring)."""

    def fit(self, X):
        """Knots of every column of X (n, d) float64, each column with >= 2 distinct values."""
        n = X.shape[0]
        k = n_knots(n)
        levels = np.linspace(0.0, 1.0, k)
        self.knots_x, self.knots_z, self.tails = [], [], []
        for col in X.T:
            s = np.sort(col)
            q = np.unique(s)
            if len(q) > k:
                q = np.unique(np.quantile(s, levels))
            F = (np.searchsorted(s, q, "left") + np.searchsorted(s, q, "right")) / (2.0 * n)
            z = ndtri(F)
            inner = max(1, len(q) // 10)
            self.knots_x.append(q)
            self.knots_z.append(z)
            self.tails.append(((z[inner] - z[0]) / (q[inner] - q[0]),
                               (z[-1] - z[-1 - inner]) / (q[-1] - q[-1 - inner])))
        return self

    @staticmethod
    def _segments(v, kv, kw, tails):
        """Map v through the piecewise-linear function with knots (kv, kw); return (w, slope).

        ``tails`` are the slopes below the first and above the last knot.
        """
        i = np.clip(np.searchsorted(kv, v, "right") - 1, 0, len(kv) - 2)
        slope = (kw[i + 1] - kw[i]) / (kv[i + 1] - kv[i])
        w = kw[i] + (v - kv[i]) * slope
        below, above = v < kv[0], v > kv[-1]
        slope = np.where(below, tails[0], np.where(above, tails[1], slope))
        w = np.where(below, kw[0] + (v - kv[0]) * tails[0], w)
        w = np.where(above, kw[-1] + (v - kv[-1]) * tails[1], w)
        return w, slope

    def transform(self, X):
        """Return (Z, log_jacobian per row) for X (n, d)."""
        Z = np.empty(X.shape)
        log_jac = np.zeros(X.shape[0])
        for j, (kx, kz, tails) in enumerate(zip(self.knots_x, self.knots_z, self.tails)):
            Z[:, j], slope = self._segments(X[:, j], kx, kz, tails)
            log_jac += np.log(slope)
        return Z, log_jac

    def inverse_transform(self, Z):
        """X from Z (n, d): the inverse piecewise-linear map."""
        X = np.empty(Z.shape)
        for j, (kx, kz, (lo, hi)) in enumerate(zip(self.knots_x, self.knots_z, self.tails)):
            X[:, j], _ = self._segments(Z[:, j], kz, kx, (1.0 / lo, 1.0 / hi))
        return X
