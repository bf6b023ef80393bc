"""Naive Bayes on counts and binary features: multinomial, complement, Bernoulli.

All three score linearly in x, jll = X @ W.T + b, so they share one counting
kernel and one scoring kernel (a gemm per block of rows, validation fused into
the same pass).  Sparse CSR input goes through scipy.sparse products instead.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import binarize as sk_binarize

from gdcore._dask import dask_dispatch
from gdcore._sklearn_compat import Interval
from gdcore._threads import single_threaded_blas
from gdcore._validation import check_X, check_X_y
from gdcore.generative._base import GenerativeClassifierMixin
from gdcore.generative.naive_bayes import _naive_bayes as kernels
from gdcore.generative.naive_bayes._base import BaseNB
from gdcore.generative.naive_bayes._docs import COUNTS_EXAMPLE, class_doc, fit_doc

ALPHA_LOWER_BOUND = 1e-10


def check_count_total(feature_count, name):
    """Refuse counts whose total overflows float64 (a ValueError naming the column).

    Every count model divides by a sum of counts (a class's total, or its
    complement's); past float64's largest value that sum is inf and the
    log-probabilities become -inf or NaN.  One sum over the (k, d) table.
    """
    with np.errstate(over="ignore"):
        if np.isfinite(feature_count.sum()):
            return
        column = int(np.argmax(~np.isfinite(np.cumsum(feature_count.sum(axis=0)))))
    raise ValueError(
        f"{name}: the counts of X sum to more than float64 holds (about 1.8e308; the total "
        f"overflows at column {column}): the model's probabilities would be NaN. Rescale "
        "X (the counts of every column divided by one constant) or drop the rows with "
        "astronomical counts."
    )


class _BaseDiscreteNB(BaseNB):
    """Counting, smoothing and linear scoring shared by the three count models."""

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "fit_prior": ["boolean"],
        "class_prior": ["array-like", None],
        "force_alpha": ["boolean"],
        "n_jobs": [Integral, None],
    }
    # Subclass switches for the kernels.
    _allow_nan = False
    _non_negative = True

    def __init__(self, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None,
                 n_jobs=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self.n_jobs = n_jobs

    def _binarize_threshold(self):
        """(do_binarize, threshold) for the kernels; only BernoulliNB binarizes."""
        return False, 0.0

    def _check_X(self, X):
        # Dense finiteness is checked by the kernel in the scoring pass.
        return check_X(self, X, reset=False, accept_sparse=True, kernel_checks_finite=True)

    @dask_dispatch
    @fit_doc("Count feature occurrences per class and smooth them into probabilities.",
             ["X.counts", "y", "sample_weight"], "self : object\n    The fitted estimator.",
             """>>> import numpy as np
>>> from gdcore import MultinomialNB
>>> rng = np.random.RandomState(0)
>>> X = rng.poisson(3, size=(60, 5))
>>> y = np.repeat([0, 1, 2], 20)
>>> MultinomialNB().fit(X, y).feature_count_.shape
(3, 5)""")
    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        return self._fit_counts(X, y, None, sample_weight, refit=True)

    @fit_doc("Add a batch's counts to the fit.\n\nCounts add up: fitting in batches equals "
             "fitting once.", ["X.counts", "y", "classes", "sample_weight"],
             "self : object\n    The updated estimator.", """>>> import numpy as np
>>> from gdcore import MultinomialNB
>>> rng = np.random.RandomState(0)
>>> X = rng.poisson(3, size=(60, 5))
>>> y = np.repeat([0, 1, 2], 20)
>>> model = MultinomialNB().partial_fit(X[:30], y[:30], classes=[0, 1, 2])
>>> model = model.partial_fit(X[30:], y[30:])
>>> np.array_equal(model.feature_count_, MultinomialNB().fit(X, y).feature_count_)
True""")
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        self._validate_params()
        return self._fit_counts(X, y, classes, sample_weight, refit=False)

    def _fit_counts(self, X, y, classes, sample_weight, refit):
        first_call = refit or not hasattr(self, "classes_")
        # Dense finiteness is checked by the kernel in the counting pass.
        X, y = check_X_y(self, X, y, reset=first_call, accept_sparse=True,
                         kernel_checks_finite=True)
        first_call = self._start_classes(y, classes, refit)
        k, d = len(self.classes_), X.shape[1]
        if first_call:
            self.class_count_ = np.zeros(k)
            self.feature_count_ = np.zeros((k, d))
            self.missing_count_ = np.zeros((k, d))
        elif d != self.feature_count_.shape[1]:
            raise ValueError(
                f"Number of features {d} does not match previous data "
                f"{self.feature_count_.shape[1]}."
            )
        y_idx = self._class_index(y)
        weights = self._weights(sample_weight, X)
        feature_count, missing_count = self._count(X, y_idx, weights, k)
        self.feature_count_ += feature_count
        self.missing_count_ += missing_count
        self.class_count_ += np.bincount(y_idx, weights=weights, minlength=k)
        check_count_total(self.feature_count_, type(self).__name__)
        self._after_count()
        self._update_feature_log_prob(self._check_alpha())
        self._update_class_log_prior()
        return self

    def _count(self, X, y_idx, weights, k):
        """(feature_count, missing_count) of one batch."""
        binarize, threshold = self._binarize_threshold()
        if sp.issparse(X):
            if self._non_negative and X.data.size and X.data.min() < 0:
                self._raise_for_status(kernels.STATUS_NEGATIVE)
            if binarize:
                X = sk_binarize(X, threshold=threshold)
            Y = sp.csr_matrix((weights, (np.arange(len(y_idx)), y_idx)),
                              shape=(len(y_idx), k))
            return np.asarray((Y.T @ X).todense()), np.zeros((k, X.shape[1]))
        feature_count = np.empty((k, X.shape[1]))
        missing_count = np.empty((k, X.shape[1]))
        status = kernels.discrete_class_counts(
            X, y_idx, weights, feature_count, missing_count, self._allow_nan,
            self._non_negative, binarize, threshold, self._n_threads())
        self._raise_for_status(status)
        return feature_count, missing_count

    def _after_count(self):
        """Derive statistics from the counts (a hook: ComplementNB's totals)."""

    def _check_alpha(self):
        alpha = np.asarray(self.alpha, dtype=np.float64)
        if alpha.ndim > 0:
            if alpha.shape != (self.n_features_in_,):
                raise ValueError(
                    "When alpha is an array, it should contains `n_features`. "
                    f"Got {alpha.shape[0]} elements instead of {self.n_features_in_}."
                )
            if np.min(alpha) < 0:
                raise ValueError("All values in alpha must be greater than 0.")
        if np.min(alpha) < ALPHA_LOWER_BOUND and not self.force_alpha:
            warnings.warn(
                "alpha too small will result in numeric errors, setting alpha ="
                f" {ALPHA_LOWER_BOUND:.1e}. Use `force_alpha=True` to keep alpha"
                " unchanged.",
                stacklevel=2,
            )
            return np.maximum(alpha, ALPHA_LOWER_BOUND)
        return alpha if alpha.ndim else float(alpha)

    def _update_class_log_prior(self):
        k = len(self.classes_)
        if self.class_prior is not None:
            self.class_log_prior_ = np.log(self._check_class_prior(self.class_prior))
        elif self.fit_prior:
            with np.errstate(divide="ignore"):
                self.class_log_prior_ = np.log(self.class_count_) - np.log(
                    self.class_count_.sum()
                )
        else:
            self.class_log_prior_ = np.full(k, -np.log(k))

    def _linear_scores(self, X, weights, class_offset, missing_offset=None):
        """X @ weights.T + class_offset (minus missing_offset for NaN entries)."""
        k = weights.shape[0]
        if sp.issparse(X):
            binarize, threshold = self._binarize_threshold()
            if binarize:
                X = sk_binarize(X, threshold=threshold)
            return np.asarray(X @ weights.T) + class_offset
        binarize, threshold = self._binarize_threshold()
        if missing_offset is None:
            missing_offset = np.zeros((k, X.shape[1]))
        jll = np.empty((X.shape[0], k), dtype=X.dtype)
        with single_threaded_blas():
            status = kernels.linear_jll(
                X, np.ascontiguousarray(weights, dtype=X.dtype), class_offset,
                missing_offset, jll, self._allow_nan, binarize, threshold,
                self._n_threads())
        self._raise_for_status(status)
        return jll.astype(np.float64, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = self._allow_nan
        tags.input_tags.positive_only = self._non_negative
        # As in scikit-learn: count models score below 0.83 on the blobs check.
        tags.classifier_tags.poor_score = True
        return tags


class MultinomialNB(GenerativeClassifierMixin, _BaseDiscreteNB):
    # numpydoc docstring: set below the class from _docs' shared entries

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None,
                 n_jobs=None):
        super().__init__(alpha=alpha, force_alpha=force_alpha, fit_prior=fit_prior,
                         class_prior=class_prior, n_jobs=n_jobs)

    def _update_feature_log_prob(self, alpha):
        smoothed_fc = self.feature_count_ + alpha
        smoothed_cc = smoothed_fc.sum(axis=1)
        self.feature_log_prob_ = np.log(smoothed_fc) - np.log(smoothed_cc.reshape(-1, 1))

    def _joint_log_likelihood(self, X):
        return self._linear_scores(X, self.feature_log_prob_, self.class_log_prior_)

    def _sample_rows(self, class_index, rng):
        # Document length: each class's mean training row total, at least 1.
        totals = self.feature_count_.sum(axis=1) / np.maximum(self.class_count_, 1e-300)
        lengths = rng.poisson(np.maximum(totals[class_index], 1.0))
        probs = np.exp(self.feature_log_prob_)
        probs /= probs.sum(axis=1, keepdims=True)
        # numpy's Generator draws all rows in one call (RandomState cannot).
        gen = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
        return gen.multinomial(lengths, probs[class_index]).astype(np.float64)


class ComplementNB(_BaseDiscreteNB):
    # numpydoc docstring: set below the class from _docs' shared entries

    _parameter_constraints = {**_BaseDiscreteNB._parameter_constraints, "norm": ["boolean"]}

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None,
                 norm=False, n_jobs=None):
        super().__init__(alpha=alpha, force_alpha=force_alpha, fit_prior=fit_prior,
                         class_prior=class_prior, n_jobs=n_jobs)
        self.norm = norm

    def _after_count(self):
        self.feature_all_ = self.feature_count_.sum(axis=0)

    def _complement_count(self, alpha):
        """Return alpha + the counts of every class but c, per feature: sums, no difference.

        scikit-learn's feature_all_ + alpha - feature_count_ cancels when one
        class holds nearly all of a feature's count (a count of 1e300 leaves 0
        instead of the other classes' counts plus alpha, and log 0 = -inf);
        the classes before c plus the classes after c (exclusive running
        sums, O(k d)) lose nothing.
        """
        fc = self.feature_count_
        zero = np.zeros((1, fc.shape[1]))
        before = np.concatenate([zero, np.cumsum(fc[:-1], axis=0)])
        after = np.concatenate([np.cumsum(fc[:0:-1], axis=0)[::-1], zero])
        return (before + after) + alpha

    def _update_feature_log_prob(self, alpha):
        comp_count = self._complement_count(alpha)
        logged = np.log(comp_count / comp_count.sum(axis=1, keepdims=True))
        # predict takes the argmax, so store the complement's negated log-probability.
        if self.norm:
            self.feature_log_prob_ = logged / logged.sum(axis=1, keepdims=True)
        else:
            self.feature_log_prob_ = -logged

    def _joint_log_likelihood(self, X):
        # scikit-learn adds the prior only in the one-class edge case.
        k = len(self.classes_)
        offset = self.class_log_prior_ if k == 1 else np.zeros(k)
        return self._linear_scores(X, self.feature_log_prob_, offset)


class BernoulliNB(GenerativeClassifierMixin, _BaseDiscreteNB):
    # numpydoc docstring: set below the class from _docs' shared entries

    _parameter_constraints = {
        **_BaseDiscreteNB._parameter_constraints,
        "binarize": [None, Interval(Real, None, None, closed="neither")],
    }
    _allow_nan = True
    _non_negative = False

    def __init__(self, *, alpha=1.0, force_alpha=True, binarize=0.0, fit_prior=True,
                 class_prior=None, n_jobs=None):
        super().__init__(alpha=alpha, force_alpha=force_alpha, fit_prior=fit_prior,
                         class_prior=class_prior, n_jobs=n_jobs)
        self.binarize = binarize

    def _binarize_threshold(self):
        if self.binarize is None:
            return False, 0.0
        return True, float(self.binarize)

    def _update_feature_log_prob(self, alpha):
        # A missing entry is no trial: each feature's denominator counts only
        # the rows where it was observed (all rows when X has no NaN).
        observed = self.class_count_[:, None] - self.missing_count_
        smoothed_fc = self.feature_count_ + alpha
        smoothed_cc = observed + alpha * 2
        self.feature_log_prob_ = np.log(smoothed_fc) - np.log(smoothed_cc)

    def _joint_log_likelihood(self, X):
        neg_prob = np.log1p(-np.exp(self.feature_log_prob_))
        # log P(x | c) = sum_j x_j log p + (1 - x_j) log(1 - p): linear in x.
        return self._linear_scores(
            X,
            self.feature_log_prob_ - neg_prob,
            self.class_log_prior_ + neg_prob.sum(axis=1),
            missing_offset=neg_prob,
        )

    def _sample_rows(self, class_index, rng):
        p = np.exp(self.feature_log_prob_[class_index])
        return (rng.random_sample(p.shape) < p).astype(np.float64)


MultinomialNB.__doc__ = class_doc(
    """Multinomial naive Bayes for counts (word counts, tf-idf), compiled.

Same parameters, attributes and answers as scikit-learn's
``MultinomialNB``; adds ``n_jobs``, ``score_samples`` (log p(x) up to the
multinomial coefficient, which does not depend on the class) and
``sample(n_samples, y=None)``, which draws count vectors with the row
totals of the training data's average document length.  NaN is an error:
a count's missing value cannot be marginalized without the row total.
Sparse CSR X is accepted.""",
    ["alpha", "force_alpha", "fit_prior", "class_prior", "n_jobs"],
    ["classes_", "class_count_", "class_log_prior_", "feature_count_",
     "feature_log_prob_.multinomial", "missing_count_.refused", "n_features_in_",
     "feature_names_in_"],
    """ComplementNB : For imbalanced classes.
sklearn.naive_bayes.MultinomialNB : The estimator this one replaces.""",
    COUNTS_EXAMPLE.format(name="MultinomialNB", args=""))

ComplementNB.__doc__ = class_doc(
    """Complement naive Bayes (Rennie et al. 2003) for imbalanced text, compiled.

Same parameters, attributes and answers as scikit-learn's ``ComplementNB``
(including ``norm``); adds ``n_jobs``.  Its scores come from each class's
complement and are not log-probabilities of a model of X, so unlike the
other naive Bayes models it has no ``score_samples`` or ``sample``.""",
    ["alpha", "force_alpha", "fit_prior", "class_prior", "norm", "n_jobs"],
    ["classes_", "class_count_", "class_log_prior_", "feature_count_", "feature_all_",
     "feature_log_prob_.complement", "missing_count_.refused", "n_features_in_",
     "feature_names_in_"],
    """MultinomialNB : The model ComplementNB corrects for imbalance.
sklearn.naive_bayes.ComplementNB : The estimator this one replaces.""",
    COUNTS_EXAMPLE.format(name="ComplementNB", args=""))

BernoulliNB.__doc__ = class_doc(
    """Bernoulli naive Bayes for binary features, with NaN marginalized.

Same parameters, attributes and answers as scikit-learn's ``BernoulliNB``.
Adds: NaN in X means "missing" (left out of the counts of that feature and
out of the likelihood), ``n_jobs``, ``score_samples`` and ``sample``.
Sparse CSR X is accepted.""",
    ["alpha", "force_alpha", "binarize", "fit_prior", "class_prior", "n_jobs"],
    ["classes_", "class_count_", "class_log_prior_", "feature_count_",
     "feature_log_prob_.bernoulli", "missing_count_.bernoulli", "n_features_in_",
     "feature_names_in_"],
    """CategoricalNB : Features with more than two values.
sklearn.naive_bayes.BernoulliNB : The estimator this one replaces.""",
    COUNTS_EXAMPLE.format(name="BernoulliNB", args="binarize=2.5"))
