"""The interface every generative estimator shares.

A generative model of P(X) scores rows (``score_samples`` = log p(x)), averages
them (``score``) and draws new rows (``sample``).  A generative *classifier*
models P(X, y) = P(y) P(X | y) and classifies through Bayes' rule:
P(y | x) = P(x, y) / sum_c P(x, c); its ``score`` stays accuracy, as in
scikit-learn, and ``score_samples`` gives log p(x) = logsumexp_c log p(x, c).
Subclasses supply one hook each:

- ``_joint_log_likelihood(X)``: log P(x, c) for every row and class
  (classifiers), or ``score_samples`` itself (density models);
- ``_sample_rows(class_index, rng)``: rows drawn from P(X | class).

A row of probability zero under every class (or whose likelihood overflowed
float64) has no posterior: ``predict``, ``predict_proba`` and
``predict_log_proba`` of every Bayes classifier raise a ValueError naming it
(``bayes_predict``, ``bayes_posterior``, ``bayes_log_posterior``), while
``score_samples`` reports its log p(x) = -inf.
"""

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._doc_link import DocLinkMixin
from gdcore._threads import effective_n_threads
from gdcore._validation import check_n_samples
from gdcore.generative import _bayes_rule


def log_sum_exp_rows(a):
    """log(sum(exp(a), axis=1)) as a column, shifted by each row's maximum.

    A row of -inf gives -inf (log 0): the marginal log-likelihood of a row of
    probability zero, what ``score_samples`` reports for it.

    scipy.special.logsumexp gives the same numbers but, on the short rows of a
    few classes, is several times slower than the compiled likelihood pass it
    normalizes.
    """
    top = a.max(axis=1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    with np.errstate(divide="ignore"):
        return top + np.log(np.exp(a - top).sum(axis=1, keepdims=True))


# Bayes' rule on a row that has probability zero under every class is 0 / 0.
# One behaviour for every Bayes classifier: a ValueError naming the rows, never
# a NaN posterior that ``predict`` would turn into the first class.
UNDEFINED_POSTERIOR = (
    "{name}: {count} row(s) of X (the first is row {first}) have probability zero under "
    "every class (a joint log-likelihood of -inf for each class, or an overflowed, NaN "
    "one), so P(class | x) is undefined and no class can be predicted. Such a row lies "
    "outside everything the model has seen, or beyond float64's range: check those "
    "rows, rescale the features, or fit with smoothing that leaves no value impossible "
    "(alpha > 0 for the discrete naive Bayes models, var_smoothing > 0 for GaussianNB). "
    "score_samples gives their log p(x) (-inf)."
)


def raise_undefined_rows(jll, name):
    """Raise the ValueError of rows of ``jll`` whose largest entry is not finite."""
    bad = np.flatnonzero(~np.isfinite(jll.max(axis=1)))
    if bad.size:
        raise ValueError(UNDEFINED_POSTERIOR.format(name=name, count=bad.size,
                                                    first=int(bad[0])))


def bayes_posterior(jll, n_threads, name):
    """P(c | x) from joint log-likelihoods (n, k); ValueError on undefined rows.

    ``name`` is the estimator's, for the message.  Every Bayes classifier's
    ``predict_proba`` is this (HMMClassifier's over one row per sequence).
    """
    jll = np.ascontiguousarray(jll)
    if jll.dtype not in (np.float32, np.float64):
        jll = jll.astype(np.float64)
    proba = np.empty(jll.shape)
    if _bayes_rule.posterior_from_joint(jll, proba, n_threads):
        raise_undefined_rows(jll, name)
    return proba


def bayes_log_posterior(jll, name):
    """Log P(c | x) from joint log-likelihoods; ValueError on undefined rows."""
    norm = log_sum_exp_rows(jll)
    # The norm is finite exactly when the row is defined (NaN, +inf or all -inf
    # make it NaN, inf or -inf): a check on n numbers, not n k.
    if not np.isfinite(norm).all():
        raise_undefined_rows(jll, name)
    return jll - norm


def bayes_predict(jll, name):
    """Index of the most probable class of each row; ValueError on undefined rows.

    NumPy's argmax picks a NaN if there is one, so the row's picked entry
    is finite exactly when the row is defined: one O(n) gather, no second pass.
    """
    idx = np.argmax(jll, axis=1)
    if not np.isfinite(jll[np.arange(len(idx)), idx]).all():
        raise_undefined_rows(jll, name)
    return idx


class GenerativeMixin(DocLinkMixin):
    """``score`` as the mean log-likelihood, for models of P(X)."""

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of X under the fitted model."""
        return float(np.mean(self.score_samples(X)))


class BayesClassifierMixin(DocLinkMixin):
    """Bayes-rule classification over ``_joint_log_likelihood``.

    Put this before ``ClassifierMixin`` so that ``score`` stays accuracy, as
    scikit-learn's classifiers define it.
    """

    @dask_dispatch
    def predict_joint_log_proba(self, X):
        """Log P(x, c) for each row x of X and each class c in ``classes_``."""
        check_is_fitted(self)
        return self._joint_log_likelihood(self._check_X(X))

    @dask_dispatch
    def predict_log_proba(self, X):
        """Log P(c | x): the joint log-probability normalized over classes.

        Raises a ValueError for a row of probability zero under every class
        (its posterior is 0 / 0), as ``predict_proba`` and ``predict`` do.
        """
        return bayes_log_posterior(self.predict_joint_log_proba(X), type(self).__name__)

    @dask_dispatch
    def predict_proba(self, X):
        """P(c | x) for each row and class, columns in the order of ``classes_``.

        Raises a ValueError for a row of probability zero under every class
        (or whose likelihood overflowed): Bayes' rule is 0 / 0 there.
        """
        return bayes_posterior(self.predict_joint_log_proba(X),
                               effective_n_threads(getattr(self, "n_jobs", None)),
                               type(self).__name__)

    @dask_dispatch
    def predict(self, X):
        """Return the class of highest posterior probability for each row.

        Raises a ValueError for a row of probability zero under every class.
        """
        jll = self.predict_joint_log_proba(X)
        return self.classes_[bayes_predict(jll, type(self).__name__)]


class GenerativeClassifierMixin(BayesClassifierMixin):
    """A Bayes classifier that is a full model of P(X, y): it scores and samples.

    (A classifier whose scores are not log-likelihoods, such as ComplementNB,
    takes ``BayesClassifierMixin`` alone.)
    """

    @dask_dispatch
    def score_samples(self, X):
        """Log p(x), the marginal log-likelihood of each row under the model."""
        return log_sum_exp_rows(self.predict_joint_log_proba(X))[:, 0]

    def sample(self, n_samples=1, y=None, random_state=None):
        """Draw rows from the fitted joint distribution P(X, y).

        Classes are drawn from the fitted class prior unless ``y`` gives them
        (one label per row, or a single label for every row); rows are then
        drawn from P(X | y).  Returns ``(X, y)``.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(
            self.random_state if random_state is None and hasattr(self, "random_state")
            else random_state
        )
        if y is None:
            prior = np.exp(self._class_log_prior_for_sampling())
            class_index = rng.choice(len(self.classes_), size=n_samples, p=prior / prior.sum())
        else:
            y = np.asarray(y)
            if y.ndim == 0:
                y = np.full(n_samples, y.item())
            if y.shape != (n_samples,):
                raise ValueError(
                    f"y must be one label or {n_samples} labels, got shape {y.shape}."
                )
            class_index = np.searchsorted(self.classes_, y)
            class_index = np.clip(class_index, 0, len(self.classes_) - 1)
            unknown = self.classes_[class_index] != y
            if np.any(unknown):
                raise ValueError(
                    f"y holds labels the model was not fitted on: {np.unique(y[unknown])}; "
                    f"known classes are {self.classes_}."
                )
        X = self._sample_rows(class_index, rng)
        return X, self.classes_[class_index]
