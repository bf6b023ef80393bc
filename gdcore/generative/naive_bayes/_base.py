"""What the five naive Bayes estimators share: classes, priors, kernel calls.

Naive Bayes models P(X, y) = P(y) prod_j P(x_j | y).  Subclasses say how to
count (``_count``), how to turn counts into per-feature log-probabilities
(``_update_feature_log_prob``), how to score (``_joint_log_likelihood``) and
how to draw rows (``_sample_rows``); the rest is here, including the
documentation of the Bayes-rule methods every naive Bayes model shares
(``predict*`` in ``BaseNB``, ``score_samples`` and ``sample`` in
``GenerativeNB``, the four models of P(X, y)).
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from gdcore._sklearn_compat import _check_partial_fit_first_call
from gdcore._threads import effective_n_threads
from gdcore._validation import check_classification_targets, check_sample_weight
from gdcore.generative._base import BayesClassifierMixin, GenerativeClassifierMixin
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

    def predict_joint_log_proba(self, X):
        """Return log P(x, c) = log P(c) + log p(x | c) for each row and class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows (sparse only for the count models); NaN marks a missing
            value where the model marginalizes it (GaussianNB, BernoulliNB,
            CategoricalNB).

        Returns
        -------
        joint_log_proba : ndarray of shape (n_samples, n_classes)
            Joint log-likelihoods, columns in the order of ``classes_``
            (ComplementNB: its unnormalized class scores).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import GaussianNB
        >>> X, y = load_iris(return_X_y=True)
        >>> model = GaussianNB().fit(X, y)
        >>> model.predict_joint_log_proba(X[:2]).shape
        (2, 3)
        """
        return super().predict_joint_log_proba(X)

    def predict(self, X):
        """Return the class of highest posterior probability for each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows (sparse only for the count models); NaN marks a missing
            value where the model marginalizes it (GaussianNB, BernoulliNB,
            CategoricalNB).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The predicted classes, from ``classes_``.

        Raises
        ------
        ValueError
            For a row of probability zero under every class (its posterior
            is 0 / 0).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import GaussianNB
        >>> X, y = load_iris(return_X_y=True)
        >>> model = GaussianNB().fit(X, y)
        >>> model.predict(X[[0, 50, 100]])
        array([0, 1, 2])
        """
        return super().predict(X)

    def predict_proba(self, X):
        """Return P(c | x) for each row and class, by Bayes' rule.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows (sparse only for the count models); NaN marks a missing
            value where the model marginalizes it (GaussianNB, BernoulliNB,
            CategoricalNB).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Posterior probabilities, columns in the order of ``classes_``.

        Raises
        ------
        ValueError
            For a row of probability zero under every class.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import GaussianNB
        >>> X, y = load_iris(return_X_y=True)
        >>> model = GaussianNB().fit(X, y)
        >>> model.predict_proba(X[:1]).round(3)
        array([[1., 0., 0.]])
        """
        return super().predict_proba(X)

    def predict_log_proba(self, X):
        """Return log P(c | x) for each row and class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows (sparse only for the count models); NaN marks a missing
            value where the model marginalizes it (GaussianNB, BernoulliNB,
            CategoricalNB).

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-posteriors, the joint log-likelihoods normalized over the
            classes in log space (no underflow), columns in the order of
            ``classes_``.

        Raises
        ------
        ValueError
            For a row of probability zero under every class.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import GaussianNB
        >>> X, y = load_iris(return_X_y=True)
        >>> model = GaussianNB().fit(X, y)
        >>> model.predict_log_proba(X[:1]).round(1)
        array([[  0. , -41.1, -57.9]])
        """
        return super().predict_log_proba(X)

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
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != y
        if np.any(unknown):
            raise ValueError(
                f"The target label(s) {np.unique(y[unknown])} in y do not exist in "
                f"the initial classes {self.classes_}."
            )
        return idx.astype(np.int32)

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


class GenerativeNB(GenerativeClassifierMixin):
    """``score_samples`` and ``sample`` of the naive Bayes models of P(X, y).

    (ComplementNB's scores are not log-likelihoods: it has neither.)
    """

    def score_samples(self, X):
        """Return log p(x), the marginal log-likelihood of each row.

        log p(x) = logsumexp over c of log P(c) + log p(x | c).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows (sparse only for the count models); NaN marks a missing
            value where the model marginalizes it (GaussianNB, BernoulliNB,
            CategoricalNB).

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            Log-likelihood of each row (-inf for a row impossible under
            every class).  The count models leave out the multinomial
            coefficient, which does not depend on the class.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import GaussianNB
        >>> X, y = load_iris(return_X_y=True)
        >>> model = GaussianNB().fit(X, y)
        >>> model.score_samples(X[:2]).round(2)
        array([1.06, 0.42])
        """
        return super().score_samples(X)

    def sample(self, n_samples=1, y=None, random_state=None):
        """Draw rows from the fitted joint distribution P(X, y).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        y : array-like of shape (n_samples,) or scalar, default=None
            The classes to draw rows of (one label per row, or one label for
            every row); None draws the classes from the fitted prior.
        random_state : int, RandomState instance or None, default=None
            Seed of the draw; None uses NumPy's global random state.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The drawn rows.
        y : ndarray of shape (n_samples,)
            The class of each drawn row.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import GaussianNB
        >>> X, y = load_iris(return_X_y=True)
        >>> model = GaussianNB().fit(X, y)
        >>> X_new, y_new = model.sample(4, y=2, random_state=0)
        >>> X_new.shape, y_new
        ((4, 4), array([2, 2, 2, 2]))
        """
        return super().sample(n_samples, y=y, random_state=random_state)
