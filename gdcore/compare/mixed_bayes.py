"""A naive Bayes over mixed columns: a numeric model times categorical factors.

Categorical columns are where the generative family has its own answer: a
categorical likelihood P(x_j = v | c) per column (CategoricalNB), no one-hot
expansion and no imputation.  ``MixedBayes`` multiplies it with any gdcore
Bayes classifier of the numeric columns (GaussianNB, or a Gaussian mixture
per class through GenerativeClassifier), assuming, as naive Bayes does, that
the two groups are independent given the class:

    log P(x, c) = log P(x_num, c) + sum_j log P(x_cat_j | c)

The numeric columns are standardized first (a mixture's ``reg_covar`` is in
the data's units).  NaN in either group is marginalized by the parts.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from gdcore.generative._base import log_sum_exp_rows


class MixedBayes(ClassifierMixin, BaseEstimator):
    """Bayes classifier: ``numeric`` on the numeric columns, CategoricalNB on the others.

    Parameters
    ----------
    numeric : gdcore Bayes classifier
        Model of P(x_num, c); needs ``predict_joint_log_proba`` and ``sample``.
    categorical_columns : sequence of int
        Columns holding category codes 0..k-1 (NaN = missing).
    n_categories : sequence of int
        Categories of each categorical column (so that a code unseen in a
        small training split still has a smoothed probability).
    alpha : float
        Laplace smoothing of the categorical factors.
    random_state : int or None
        Seeds ``sample``.
    """

    def __init__(self, numeric=None, categorical_columns=(), n_categories=(), alpha=1.0,
                 random_state=None):
        self.numeric = numeric
        self.categorical_columns = categorical_columns
        self.n_categories = n_categories
        self.alpha = alpha
        self.random_state = random_state

    def _split(self, X):
        X = np.asarray(X, dtype=np.float64)
        return X[:, self.numeric_columns_], X[:, list(self.categorical_columns)]

    def fit(self, X, y):
        """Fit the numeric model on standardized numeric columns, the factors on the rest."""
        X = np.asarray(X, dtype=np.float64)
        cat = list(self.categorical_columns)
        self.n_features_in_ = X.shape[1]
        self.numeric_columns_ = [j for j in range(X.shape[1]) if j not in set(cat)]
        self.classes_ = np.unique(y)
        X_num, X_cat = self._split(X)
        self.numeric_model_ = self.scaler_ = self.categorical_model_ = None
        if X_num.shape[1]:
            self.scaler_ = StandardScaler().fit(X_num)
            self.numeric_model_ = clone(self.numeric).fit(self.scaler_.transform(X_num), y)
        if X_cat.shape[1]:
            from gdcore import CategoricalNB

            self.categorical_model_ = CategoricalNB(
                alpha=self.alpha, min_categories=np.asarray(self.n_categories, dtype=int)
            ).fit(X_cat, y)
        return self

    def predict_joint_log_proba(self, X):
        """Log P(x, c): the numeric model's plus the categorical factors'."""
        X_num, X_cat = self._split(X)
        jll = 0.0
        if self.numeric_model_ is not None:
            jll = self.numeric_model_.predict_joint_log_proba(self.scaler_.transform(X_num))
        if self.categorical_model_ is not None:
            cat = self.categorical_model_.predict_joint_log_proba(X_cat)
            if self.numeric_model_ is not None:  # count the class prior once
                cat = cat - self.categorical_model_.class_log_prior_
            jll = jll + cat
        return np.asarray(jll, dtype=np.float64)

    def predict_proba(self, X):
        """P(c | x) by Bayes' rule."""
        jll = self.predict_joint_log_proba(X)
        return np.exp(jll - log_sum_exp_rows(jll))

    def predict(self, X):
        """Return the class of highest posterior probability."""
        return self.classes_[np.argmax(self.predict_joint_log_proba(X), axis=1)]

    def score_samples(self, X):
        """Log p(x) of each row (numeric columns in standardized units)."""
        return log_sum_exp_rows(self.predict_joint_log_proba(X))[:, 0]

    def sample(self, n_samples, y, random_state=None):
        """Rows drawn from P(x | y) for the given labels, in X's columns and units."""
        rng = check_random_state(self.random_state if random_state is None else random_state)
        y = np.asarray(y)
        out = np.empty((len(y), self.n_features_in_))
        if self.numeric_model_ is not None:
            num, _ = self.numeric_model_.sample(len(y), y=y, random_state=rng)
            out[:, self.numeric_columns_] = self.scaler_.inverse_transform(num)
        if self.categorical_model_ is not None:
            cat, _ = self.categorical_model_.sample(len(y), y=y, random_state=rng)
            out[:, list(self.categorical_columns)] = cat
        return out, y
