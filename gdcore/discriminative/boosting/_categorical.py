"""Categorical features: scikit-learn 1.9's resolution and encoding, then native splits.

``categorical_features`` (indices, a boolean mask, feature names, or
"from_dtype" with pandas categoricals) is resolved by scikit-learn's own
``_check_categorical_features``, so its errors are scikit-learn's.  As in
``HistGradientBoosting*``, the categorical columns are ordinal-encoded
(``OrdinalEncoder``: categories sorted, unknown categories and missing
values become NaN) and moved first (``ColumnTransformer``); a feature with
more than ``max_bins`` categories is refused.  Every category is then its own
bin (``Bins(n_categories=...)``), the trees split on sets of categories
(``_boosting_split.best_categorical_splits``) and NaN follows each split's
missing-value direction, so a category unseen in training goes where missing
values go.  Trees, constraints and SHAP values live in the encoded feature
order; ``Encoding.to_input_order`` maps per-feature outputs back.
"""

from functools import partial

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder
from sklearn.utils import check_array

from gdcore._sklearn_compat import _check_categorical_features, is_scalar_nan


class Encoding:
    """The fitted encoder of the categorical features of one fit.

    Parameters
    ----------
    X : array-like or pandas DataFrame of shape (n_samples, n_features)
        Training data.
    is_categorical : ndarray of bool of shape (n_features,)
        The categorical features (``_check_categorical_features``).
    max_bins : int
        Most categories a feature may have.
    """

    def __init__(self, X, is_categorical, max_bins):
        encoder = OrdinalEncoder(categories="auto", handle_unknown="use_encoded_value",
                                 unknown_value=np.nan, encoded_missing_value=np.nan,
                                 dtype=np.float64)
        numerical = FunctionTransformer(partial(check_array, dtype=[np.float64],
                                                ensure_all_finite=False))
        self.preprocessor = ColumnTransformer([("encoder", encoder, is_categorical),
                                               ("numerical", numerical, ~is_categorical)])
        self.preprocessor.set_output(transform="default")
        #: the encoded training data; the fit drops it once read
        self.X = np.ascontiguousarray(self.preprocessor.fit_transform(X), dtype=np.float64)
        fitted = self.preprocessor.named_transformers_["encoder"]
        n_cat = int(is_categorical.sum())
        self.n_categories = np.full(len(is_categorical), -1)
        for j, (f, cats) in enumerate(zip(np.flatnonzero(is_categorical), fitted.categories_)):
            if len(cats) and is_scalar_nan(cats[-1]):
                cats = cats[:-1]
            if cats.size > max_bins:
                try:
                    name = repr(fitted.feature_names_in_[j])
                except AttributeError:
                    name = f"at index {f}"
                raise ValueError(f"Categorical feature {name} is expected to have a "
                                 f"cardinality <= {max_bins} but actually has a cardinality "
                                 f"of {cats.size}.")
            self.n_categories[j] = cats.size
        #: the categorical input features (the estimator's ``is_categorical_``)
        self.input_mask = np.asarray(is_categorical, dtype=bool)
        #: encoded feature j is input feature order[j]
        self.order = np.concatenate([np.flatnonzero(is_categorical),
                                     np.flatnonzero(~is_categorical)])
        self.is_categorical = (np.arange(len(is_categorical)) < n_cat).astype(np.uint8)

    def transform(self, X):
        """Return X encoded (float64, C-contiguous, categorical features first)."""
        return np.ascontiguousarray(self.preprocessor.transform(X), dtype=np.float64)

    def to_input_order(self, values, axis):
        """Reorder per-feature ``values`` along ``axis`` from encoded to input order."""
        out = np.empty_like(values)
        index = [slice(None)] * values.ndim
        index[axis] = self.order
        out[tuple(index)] = values
        return out


def make_encoding(est, X):
    """Return the ``Encoding`` of X's categorical features, or None if there are none."""
    is_categorical = _check_categorical_features(X, est.categorical_features)
    if is_categorical is None:
        return None
    return Encoding(X, is_categorical, est.max_bins)
