"""Column encoding of the tabular diffusion model.

Numeric columns go through the normal quantile map (``_quantile.py``);
categorical columns become one-hot blocks after them (TabDDPM's layout, as
``_tabular.TabularEncoder``).  A column with a single distinct value -- a
constant numeric column, a categorical column with one level -- carries no
information to diffuse: it is held out of the model, every sample repeats
its value, and it adds log 1 = 0 to a row's score (a point mass), or -inf to
a row holding another value.
"""

import numpy as np

from gdcore.generative.neural._quantile import NormalQuantileMap
from gdcore.generative.neural._tabular import one_hot_encode, one_hot_layout


class DiffusionTable:
    """Encode rows for the denoiser and decode its samples (see the module docstring)."""

    def fit(self, X, mask):
        """Learn the columns' roles, the quantile map and the categories of X (float64)."""
        self.n_features = X.shape[1]
        distinct = [np.unique(col) for col in X.T]
        self.fixed = np.array([len(v) == 1 for v in distinct], dtype=bool)
        self.fixed_values = np.array([v[0] for v in distinct])[self.fixed]
        self.numeric = np.flatnonzero(~mask & ~self.fixed)
        self.categorical = np.flatnonzero(mask & ~self.fixed)
        self.categories = [distinct[j] for j in self.categorical]
        self.qmap = NormalQuantileMap().fit(X[:, self.numeric])
        self.blocks, self.n_encoded = one_hot_layout(self.categories, len(self.numeric))
        return self

    @property
    def n_numeric(self):
        return len(self.numeric)

    def transform(self, X, dtype):
        """Return (encoded rows, log Jacobian of the quantile map, rows the model can score).

        A row is unscorable (probability zero) when a held-out column differs
        from its fitted value or a category was never seen in fit; its block
        is then left all zeros.
        """
        E = np.zeros((X.shape[0], self.n_encoded), dtype=dtype)
        Z, log_jac = self.qmap.transform(X[:, self.numeric])
        E[:, :self.n_numeric] = Z
        possible = np.all(X[:, self.fixed] == self.fixed_values, axis=1)
        possible &= one_hot_encode(E, X, self.categorical, self.categories, self.blocks)
        return E, log_jac, possible

    def inverse_transform(self, E):
        """Rows in the original columns: numeric through the inverse map, categories by argmax."""
        X = np.empty((E.shape[0], self.n_features))
        X[:, self.fixed] = self.fixed_values
        X[:, self.numeric] = self.qmap.inverse_transform(
            np.asarray(E[:, :self.n_numeric], dtype=np.float64))
        for j, cats, (start, stop) in zip(self.categorical, self.categories, self.blocks):
            X[:, j] = cats[np.argmax(E[:, start:stop], axis=1)]
        return X
