"""pandas tables in and out of the tabular generators: column names, dtypes and category labels.

One mechanism for the VAE, the GAN and TabularDiffusion.

A DataFrame is turned into a float table the estimator validates as usual
(``check_X`` then records ``feature_names_in_``): each categorical column
becomes the codes of its levels.  ``FrameSpec.to_frame`` turns generated
rows back into a DataFrame with the same columns and dtypes: labels for the
categorical columns (a ``category`` column keeps its categories), integers
rounded for integer columns, booleans for boolean ones.
"""

import numpy as np

from gdcore.generative.neural._tabular import categorical_mask

try:  # pandas is optional: arrays never need it.
    import pandas as pd
except ImportError:  # pragma: no cover - pandas is installed with scikit-learn's tests
    pd = None


def _is_frame(X):
    return pd is not None and isinstance(X, pd.DataFrame)


def _resolve_mask(X, categorical_features):
    """Boolean mask of the categorical columns of X (array or DataFrame)."""
    n_features = X.shape[1] if hasattr(X, "shape") and len(X.shape) == 2 else None
    if isinstance(categorical_features, str) and categorical_features == "from_dtype":
        if not _is_frame(X):
            return None
        return np.array([not (pd.api.types.is_numeric_dtype(dt)
                              and not pd.api.types.is_bool_dtype(dt)) for dt in X.dtypes])
    if (_is_frame(X) and categorical_features is not None
            and np.asarray(categorical_features).dtype.kind in "UO"):
        names = [str(c) for c in X.columns]
        unknown = [c for c in categorical_features if str(c) not in names]
        if unknown:
            raise ValueError(f"categorical_features names columns not in X: {unknown}.")
        return np.isin(names, [str(c) for c in categorical_features])
    if n_features is None:
        return None
    return categorical_mask(categorical_features, n_features)


class FrameSpec:
    """What ``to_frame`` needs to rebuild a DataFrame: columns, dtypes, category levels."""

    def __init__(self, columns, dtypes, levels):
        self.columns = columns
        self.dtypes = dtypes
        self.levels = levels  # column position -> array of labels (categorical columns)

    def encode(self, X):
        """Return X (a DataFrame) with categorical columns as codes of the fitted levels.

        A label never seen in fit gets code -1 (a row the model gives
        probability zero); a missing one stays NaN, for the validation to refuse.
        """
        if not _is_frame(X):
            return X
        X = X.copy()
        for j, cats in self.levels.items():
            col = X.iloc[:, j]
            codes = pd.Index(cats).get_indexer(col.astype(object))
            X[X.columns[j]] = np.where(col.isna().to_numpy(), np.nan, codes.astype(np.float64))
        for j, dt in enumerate(X.dtypes):
            if pd.api.types.is_bool_dtype(dt):
                X[X.columns[j]] = X.iloc[:, j].astype(np.float64)
        return X

    def to_frame(self, X):
        """Return a DataFrame of the rows X (codes for categorical columns), fitted layout."""
        data = {}
        for j, (col, dt) in enumerate(zip(self.columns, self.dtypes)):
            v = X[:, j]
            if j in self.levels:
                labels = self.levels[j][np.rint(v).astype(np.intp)]
                if isinstance(dt, pd.CategoricalDtype):
                    data[col] = pd.Categorical(labels, dtype=dt)
                else:
                    data[col] = pd.Series(labels).astype(dt).to_numpy()
            elif pd.api.types.is_bool_dtype(dt):
                data[col] = v > 0.5
            elif pd.api.types.is_integer_dtype(dt):
                info = np.iinfo(dt)
                data[col] = np.clip(np.rint(v), info.min, info.max).astype(dt)
            else:
                data[col] = v.astype(dt)
        return pd.DataFrame(data, columns=self.columns)


def final_mask(mask, categorical_features, n_features):
    """Return the categorical mask once X is validated (for inputs without a shape, as lists).

    ``mask`` is what ``split_frame`` resolved, None when X had no shape yet.
    """
    if mask is not None:
        return mask
    if isinstance(categorical_features, str) and categorical_features == "from_dtype":
        categorical_features = None
    return categorical_mask(categorical_features, n_features)


def non_numeric_columns(X):
    """Names of a DataFrame's columns that are neither numeric nor boolean (none for arrays)."""
    if not _is_frame(X):
        return []
    return [str(c) for c, dt in zip(X.columns, X.dtypes)
            if not pd.api.types.is_numeric_dtype(dt)]


def encode_rows(spec, X):
    """Return rows to score or transform, coded as in fit (``spec``: the fit's FrameSpec).

    After a fit on a DataFrame its categorical columns become the fitted
    codes; otherwise the rows take the path ``split_frame`` gives arrays.
    """
    return split_frame(X, None)[0] if spec is None else spec.encode(X)


def split_frame(X, categorical_features):
    """Return (X with categorical columns as codes, categorical mask or None, FrameSpec or None).

    Arrays pass through (mask from ``categorical_features``; "from_dtype"
    marks none); a DataFrame's categorical columns (``"from_dtype"``: the
    non-numeric and boolean ones) are coded 0..K-1 over their sorted levels
    (a ``category`` column: its categories' order), missing values kept as
    NaN for the validation to refuse.
    """
    mask = _resolve_mask(X, categorical_features)
    if not _is_frame(X):
        return X, mask, None
    dtypes = list(X.dtypes)
    levels = {}
    for j in np.flatnonzero(mask):
        col = X.iloc[:, j]
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels[int(j)] = col.cat.categories.to_numpy()
        else:
            levels[int(j)] = np.asarray(
                sorted(col.dropna().unique(), key=lambda v: (str(type(v)), v)), dtype=object)
    spec = FrameSpec(list(X.columns), dtypes, levels)
    return spec.encode(X), mask, spec
