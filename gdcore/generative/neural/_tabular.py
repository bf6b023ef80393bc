"""Column encoding for the tabular generators (GAN, and the Parzen score).

A mixed table has continuous columns and categorical ones.  A network sees
continuous columns standardized (zero mean, unit variance: the scale of its
Glorot-initialized weights) and each categorical column as a one-hot block,
which the generator produces through a softmax head.  ``categorical_features``
is read as scikit-learn's HistGradientBoosting reads it: None (no categorical
column), an array of column indices, or a boolean mask.
"""

import numpy as np


def categorical_mask(categorical_features, n_features):
    """Boolean mask of the categorical columns, with a clear error on bad input."""
    mask = np.zeros(n_features, dtype=bool)
    if categorical_features is None:
        return mask
    cf = np.asarray(categorical_features)
    if cf.size == 0:
        return mask
    if cf.dtype.kind == "b":
        if cf.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask must have {n_features} "
                f"entries (one per column), got shape {cf.shape}.")
        return cf.copy()
    if cf.dtype.kind not in "iu" or cf.ndim != 1:
        raise ValueError(
            "categorical_features must be None, a boolean mask or an array of "
            f"column indices, got {categorical_features!r}.")
    if np.any(cf < 0) or np.any(cf >= n_features):
        raise ValueError(
            f"categorical_features holds column indices outside [0, {n_features - 1}]: "
            f"{cf.tolist()}.")
    mask[cf] = True
    return mask


def one_hot_layout(categories, start):
    """Return the (start, stop) block of each categorical column, and the encoded width.

    The blocks follow ``start`` leading (numeric) columns, one after the
    other, one entry per category.
    """
    blocks = []
    for cats in categories:
        blocks.append((start, start + len(cats)))
        start += len(cats)
    return blocks, start


def one_hot_encode(E, X, columns, categories, blocks):
    """Set each row's hot entry of the blocks of ``columns`` of X in E.

    Returns which rows hold only categories seen in fit; a category never
    seen leaves its block all zeros.
    """
    rows = np.arange(X.shape[0])
    seen = np.ones(X.shape[0], dtype=bool)
    for j, cats, (start, _) in zip(columns, categories, blocks):
        pos = np.clip(np.searchsorted(cats, X[:, j]), 0, len(cats) - 1)
        known = cats[pos] == X[:, j]
        E[rows[known], start + pos[known]] = 1.0
        seen &= known
    return seen


class TabularEncoder:
    """Standardize continuous columns, one-hot the categorical ones.

    Encoded layout: the continuous columns first (in their original order),
    then one block per categorical column; ``blocks`` lists each block's
    (start, stop) in the encoded array.
    """

    def __init__(self, mask):
        self.mask = np.asarray(mask, dtype=bool)

    def fit(self, X):
        self.continuous = np.flatnonzero(~self.mask)
        self.categorical = np.flatnonzero(self.mask)
        Xc = X[:, self.continuous].astype(np.float64)
        self.mean = Xc.mean(axis=0) if len(X) else np.zeros(len(self.continuous))
        scale = Xc.std(axis=0)
        # A constant column keeps unit scale (StandardScaler's rule).
        scale[scale < 10 * np.finfo(np.float64).eps] = 1.0
        self.scale = scale
        self.categories = [np.unique(X[:, j]) for j in self.categorical]
        self.blocks, self.n_encoded = one_hot_layout(self.categories, len(self.continuous))
        return self

    @property
    def n_continuous(self):
        return len(self.continuous)

    def transform(self, X, dtype):
        """Return encoded rows; a category never seen in fit gets an all-zero block."""
        E = np.zeros((X.shape[0], self.n_encoded), dtype=dtype)
        E[:, :self.n_continuous] = (X[:, self.continuous] - self.mean) / self.scale
        one_hot_encode(E, X, self.categorical, self.categories, self.blocks)
        return E

    def category_codes(self, E):
        """Index of the hot entry of every block: (n, n_categorical) ints."""
        codes = np.empty((E.shape[0], len(self.blocks)), dtype=np.intp)
        for k, (start, stop) in enumerate(self.blocks):
            codes[:, k] = np.argmax(E[:, start:stop], axis=1)
        return codes

    def inverse_transform(self, E):
        """Rows in the original columns: unscaled, each block's argmax category."""
        X = np.empty((E.shape[0], len(self.mask)), dtype=np.float64)
        X[:, self.continuous] = E[:, :self.n_continuous] * self.scale + self.mean
        codes = self.category_codes(E)
        for k, (j, cats) in enumerate(zip(self.categorical, self.categories)):
            X[:, j] = cats[codes[:, k]]
        return X
