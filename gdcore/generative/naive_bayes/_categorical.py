"""Categorical naive Bayes: each feature a categorical distribution per class."""

from numbers import Integral

import numpy as np

from gdcore._memory import refuse_absurd_allocation
from gdcore._sklearn_compat import Interval
from gdcore._validation import check_X, check_X_y
from gdcore.generative._base import GenerativeClassifierMixin
from gdcore.generative.naive_bayes import _naive_bayes as kernels
from gdcore.generative.naive_bayes._discrete import _BaseDiscreteNB
from gdcore.generative.naive_bayes._docs import class_doc


class CategoricalNB(GenerativeClassifierMixin, _BaseDiscreteNB):
    # numpydoc docstring: set below the class from _docs' shared entries

    _parameter_constraints = {
        **_BaseDiscreteNB._parameter_constraints,
        "min_categories": [None, "array-like", Interval(Integral, 1, None, closed="left")],
    }
    _allow_nan = True

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None,
                 min_categories=None, n_jobs=None):
        super().__init__(alpha=alpha, force_alpha=force_alpha, fit_prior=fit_prior,
                         class_prior=class_prior, n_jobs=n_jobs)
        self.min_categories = min_categories

    def _check_X(self, X):
        return check_X(self, X, reset=False, allow_nan=True, kernel_checks_finite=True)

    def _fit_counts(self, X, y, classes, sample_weight, refit):
        first_call = refit or not hasattr(self, "classes_")
        X, y = check_X_y(self, X, y, reset=first_call, allow_nan=True,
                         kernel_checks_finite=True)
        # Before any fitted attribute changes: a refused batch leaves the model as it was.
        if np.any(X < 0):  # NaN compares False
            raise ValueError("Negative values in data passed to CategoricalNB (input X).")
        first_call = self._start_classes(y, classes, refit)
        k, d = len(self.classes_), X.shape[1]
        if first_call:
            self.class_count_ = np.zeros(k)
            self.category_count_ = [np.zeros((k, 0)) for _ in range(d)]
        elif d != len(self.category_count_):
            raise ValueError(
                f"Number of features {d} does not match previous data "
                f"{len(self.category_count_)}."
            )
        y_idx = self._class_index(y)
        weights = self._weights(sample_weight, X)
        self.n_categories_ = self._n_categories(X)
        offsets = np.concatenate([[0], np.cumsum(self.n_categories_)]).astype(np.intp)
        counts = np.empty((k, offsets[-1]))
        self._raise_for_status(kernels.categorical_class_counts(
            X, y_idx, weights, offsets, counts, self._n_threads()))
        for j in range(d):
            old = self.category_count_[j]
            grown = np.zeros((k, self.n_categories_[j]))
            grown[:, : old.shape[1]] = old
            self.category_count_[j] = grown + counts[:, offsets[j]:offsets[j + 1]]
        self.class_count_ += np.bincount(y_idx, weights=weights, minlength=k)
        self._update_feature_log_prob(self._check_alpha())
        self._update_class_log_prior()
        return self

    def _n_categories(self, X):
        """Categories per feature: seen so far, in this batch, or min_categories."""
        with np.errstate(invalid="ignore"):
            observed = ~np.isnan(X)
            col_max = np.where(observed, X, -1.0).max(axis=0) if X.size else np.zeros(0)
        if not np.all(np.isfinite(col_max)):
            self._raise_for_status(kernels.STATUS_INF)
        n_cat = np.maximum(col_max + 1, [c.shape[1] for c in self.category_count_])
        if self.min_categories is not None:
            min_cat = np.asarray(self.min_categories)
            if not np.issubdtype(min_cat.dtype, np.signedinteger):
                raise ValueError(
                    f"'min_categories' should have integral type. Got {min_cat.dtype} instead."
                )
            if min_cat.ndim and min_cat.shape != (X.shape[1],):
                raise ValueError(
                    f"'min_categories' should have shape ({X.shape[1]},) when an "
                    f"array-like is provided. Got {min_cat.shape} instead."
                )
            n_cat = np.maximum(n_cat, min_cat)
        n_cat = np.floor(n_cat)
        # One count per class and category, kept three times while merging.
        refuse_absurd_allocation(
            3 * 8 * len(self.classes_) * int(n_cat.sum()),
            f"CategoricalNB's count tables (n_classes x n_categories, up to "
            f"{int(n_cat.max())} categories in column {int(np.argmax(n_cat))})",
            "category codes must be 0, 1, ..., n_categories - 1; encode them with "
            "sklearn.preprocessing.OrdinalEncoder.")
        return n_cat.astype(np.int64)

    def _update_feature_log_prob(self, alpha):
        self.feature_log_prob_ = []
        for count in self.category_count_:
            smoothed = count + alpha
            self.feature_log_prob_.append(
                np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
            )

    def _joint_log_likelihood(self, X):
        offsets = np.concatenate([[0], np.cumsum(self.n_categories_)]).astype(np.intp)
        log_prob_t = np.ascontiguousarray(np.hstack(self.feature_log_prob_).T)
        jll = np.empty((X.shape[0], len(self.classes_)))
        self._raise_for_status(kernels.categorical_jll(
            X, log_prob_t, offsets, self.class_log_prior_, jll, self._n_threads()))
        return jll

    def _sample_rows(self, class_index, rng):
        X = np.empty((len(class_index), len(self.feature_log_prob_)))
        for j, log_prob in enumerate(self.feature_log_prob_):
            cdf = np.cumsum(np.exp(log_prob[class_index]), axis=1)
            u = rng.random_sample((len(class_index), 1)) * cdf[:, -1:]
            X[:, j] = np.minimum((cdf <= u).sum(axis=1), log_prob.shape[1] - 1)
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True
        return tags


CategoricalNB.__doc__ = class_doc(
    """Categorical naive Bayes for category codes 0, 1, ..., compiled.

Same parameters, attributes and answers as scikit-learn's
``CategoricalNB`` (``min_categories`` included).  Adds: NaN in X means
"missing", left out of that feature's counts and out of the likelihood;
``n_jobs``; ``score_samples``; ``sample(n_samples, y=None)``.  X may be
any numeric dtype whose values are whole numbers.""",
    ["alpha", "force_alpha", "fit_prior", "class_prior", "min_categories", "n_jobs"],
    ["classes_", "class_count_", "class_log_prior_", "category_count_",
     "feature_log_prob_.categorical", "n_categories_", "n_features_in_", "feature_names_in_"],
    """BernoulliNB : Binary features.
sklearn.naive_bayes.CategoricalNB : The estimator this one replaces.""",
    """>>> import numpy as np
>>> from gdcore import CategoricalNB
>>> X = np.array([[0, 1], [0, 2], [1, 1], [2, 0], [2, 0], [1, 0]])
>>> y = np.array([0, 0, 0, 1, 1, 1])
>>> model = CategoricalNB().fit(X, y)
>>> model.predict([[0, 2], [2, np.nan]])  # NaN: feature 1 unknown
array([0, 1])
>>> model.n_categories_
array([3, 3])""")
