"""What the five naive Bayes estimators share: classes, priors, kernel calls.

Naive Bayes models P(X, y) = P(y) prod_j P(x_j | y).  Subclasses say how to
count (``_count``), how to turn counts into per-feature log-probabilities
(``_update_feature_log_prob``), how to score (``_joint_log_likelihood``) and
how to draw rows (``_sample_rows``); the rest is here.  The Bayes-rule
methods (``predict*``, and ``score_samples`` and ``sample`` of the four
models of P(X, y), which also take ``GenerativeClassifierMixin``) and their
documentation are ``gdcore.generative._base``'s, shared with
GenerativeClassifier.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from gdcore._sklearn_compat import _check_partial_fit_first_call
from gdcore._threads import effective_n_threads
from gdcore._validation import check_classification_targets, check_sample_weight
from gdcore.generative._base import BayesClassifierMixin, class_positions
from gdcore.generative.naive_bayes import _naive_bayes as kernels


def kernel_errors(estimator_name):
    """Return the ValueError text for each kernel status, named for the estimator."""
    what = "category codes 0, 1, ..." if estimator_name == "CategoricalNB" else "counts"
    return {
        kernels.STATUS_INF: f"Input X contains infinity; {estimator_name} accepts "
        "finite values (and NaN, where it marks a missing value).",
        kernels.STATUS_NAN: f"Input X contains NaN. {estimator_name} cannot treat "
        "NaN as missing; impute it first (e.g. sklearn.impute.SimpleImputer) or "
        "use GaussianNB, BernoulliNB or CategoricalNB, which marginalize it.",
        kernels.STATUS_NEGATIVE: f"Negative values in data passed to {estimator_name} "
        f"(input X): it models {what}, which cannot be negative.",
        kernels.STATUS_BAD_CATEGORY: f"Input X of {estimator_name} holds a value that "
        "is not a category code: codes are integers 0, 1, ..., n_categories - 1 "
        "(encode them with sklearn.preprocessing.OrdinalEncoder), and predict "
        "only accepts categories seen in fit (or allowed by min_categories).",
    }


class BaseNB(BayesClassifierMixin, ClassifierMixin, BaseEstimator):
    """Class bookkeeping shared by every naive Bayes estimator."""

    def _n_threads(self):
        return effective_n_threads(getattr(self, "n_jobs", None))

    def _raise_for_status(self, status):
        if status == kernels.STATUS_NO_MEMORY:
            raise MemoryError(f"{type(self).__name__}: out of memory for a kernel's "
                              "per-thread buffer; use fewer threads (n_jobs) or less data.")
        if status != kernels.STATUS_OK:
            raise ValueError(kernel_errors(type(self).__name__)[status])

    def _start_classes(self, y, classes, refit):
        """Set ``classes_`` (fit, or the first partial_fit); True on a fresh start."""
        check_classification_targets(y)
        if refit:
            self.classes_ = np.unique(y)
            return True
        return _check_partial_fit_first_call(self, classes)

    def _class_index(self, y):
        """Each label's position in ``classes_`` as int32, rejecting unknown labels."""
        return class_positions(
            self.classes_, y, "The target label(s) {unknown} in y do not exist in the "
            "initial classes {classes}.").astype(np.int32)

    def _weights(self, sample_weight, X):
        return check_sample_weight(sample_weight, X)

    def _check_class_prior(self, prior):
        prior = np.asarray(prior, dtype=np.float64)
        if prior.shape != (len(self.classes_),):
            raise ValueError("Number of priors must match number of classes.")
        if np.any(prior < 0):
            raise ValueError("Priors must be non-negative.")
        return prior

    def _class_log_prior_for_sampling(self):
        check_is_fitted(self)
        return self.class_log_prior_

