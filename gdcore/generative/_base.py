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

The Bayes-rule methods' numpydoc docstrings are written once here, with
``gdcore._docstrings.method_doc``.
"""

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._doc_link import DocLinkMixin
from gdcore._docstrings import method_doc
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
        """Return the mean of ``score_samples(X)`` over the rows of X.

        The mean log-likelihood of the rows (GaussianMixture), or the mean of
        a bound on it (VAE: the ELBO) or of an estimate of it (GAN: the
        Parzen window), in nats.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows to score; NaN marks a missing value where the model
            marginalizes it (GaussianMixture).
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        score : float
            Mean of :meth:`score_samples` over the rows, in nats.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore import GaussianMixture
        >>> X = np.random.RandomState(0).normal(size=(200, 2))
        >>> gm = GaussianMixture(random_state=0).fit(X)
        >>> print(f"{gm.score(X):.2f} {gm.score(X + 5):.2f}")
        -2.81 -29.64
        """
        return float(np.mean(self.score_samples(X)))


def class_positions(classes, y, message):
    """Return each label's position in the sorted ``classes``.

    A label not in ``classes`` raises a ValueError: ``message`` formatted
    with the ``unknown`` labels and the ``classes``.
    """
    idx = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unknown = classes[idx] != y
    if np.any(unknown):
        raise ValueError(message.format(unknown=np.unique(y[unknown]), classes=classes))
    return idx


def classes_to_draw(classes, prior, y, n_samples, rng):
    """Return the positions in ``classes`` of the rows ``sample`` draws.

    ``y`` gives them (one label per row, or one label for every row), or
    None draws them from ``prior``.  A label not in ``classes`` raises.
    """
    if y is None:
        return rng.choice(len(classes), size=n_samples, p=prior)
    y = np.asarray(y)
    if y.ndim == 0:
        y = np.full(n_samples, y.item())
    if y.shape != (n_samples,):
        raise ValueError(f"y must be one label or {n_samples} labels, got shape {y.shape}.")
    return class_positions(classes, y, "y holds labels the model was not fitted on: "
                           "{unknown}; known classes are {classes}.")


# The docstrings of the Bayes-rule methods, which GenerativeClassifier and the
# naive Bayes models inherit: the same argument, example and error.
_X = {"X": """X : {array-like, sparse matrix} of shape (n_samples, n_features)
    The rows (sparse only for the count naive Bayes models); NaN marks a
    missing value where the model marginalizes it (GaussianNB, BernoulliNB,
    CategoricalNB, GenerativeClassifier with such densities)."""}
_ZERO_ROW = """ValueError
    For a row of probability zero under every class, or whose likelihood
    overflowed float64 (its posterior is 0 / 0)."""
_EXAMPLE = """>>> from sklearn.datasets import load_iris
>>> from gdcore import GaussianNB
>>> X, y = load_iris(return_X_y=True)
>>> model = GaussianNB().fit(X, y)
>>> """


def _bayes_doc(summary, returns, example, raises=True):
    return method_doc(_X, summary, ["X"], returns, _EXAMPLE + example,
                      _ZERO_ROW if raises else None)


class BayesClassifierMixin(DocLinkMixin):
    """Bayes-rule classification over ``_joint_log_likelihood``.

    Put this before ``ClassifierMixin`` so that ``score`` stays accuracy, as
    scikit-learn's classifiers define it.
    """

    @dask_dispatch
    @_bayes_doc("Return log P(x, c) = log P(c) + log p(x | c) for each row and class.", """\
joint_log_proba : ndarray of shape (n_samples, n_classes)
    Joint log-likelihoods, columns in the order of ``classes_``
    (ComplementNB: its unnormalized class scores).""",
                "model.predict_joint_log_proba(X[:2]).shape\n(2, 3)", raises=False)
    def predict_joint_log_proba(self, X):
        check_is_fitted(self)
        return self._joint_log_likelihood(self._check_X(X))

    @dask_dispatch
    @_bayes_doc("Return log P(c | x), the joint log-probability normalized over classes.", """\
log_proba : ndarray of shape (n_samples, n_classes)
    Log-posteriors, normalized in log space (no underflow), columns in
    the order of ``classes_``.""", "model.predict_log_proba(X[:1]).round(1)\n"
                "array([[  0. , -41.1, -57.9]])")
    def predict_log_proba(self, X):
        return bayes_log_posterior(self.predict_joint_log_proba(X), type(self).__name__)

    @dask_dispatch
    @_bayes_doc("Return P(c | x) = P(c) p(x | c) / sum_k P(k) p(x | k) for each row.", """\
proba : ndarray of shape (n_samples, n_classes)
    Posterior probabilities, columns in the order of ``classes_``.""",
                "model.predict_proba(X[:1]).round(3)\narray([[1., 0., 0.]])")
    def predict_proba(self, X):
        return bayes_posterior(self.predict_joint_log_proba(X),
                               effective_n_threads(getattr(self, "n_jobs", None)),
                               type(self).__name__)

    @dask_dispatch
    @_bayes_doc("Return the class of highest posterior probability for each row.", """\
y_pred : ndarray of shape (n_samples,)
    The predicted classes, from ``classes_``.""",
                "model.predict(X[[0, 50, 100]])\narray([0, 1, 2])")
    def predict(self, X):
        jll = self.predict_joint_log_proba(X)
        return self.classes_[bayes_predict(jll, type(self).__name__)]


class GenerativeClassifierMixin(BayesClassifierMixin):
    """A Bayes classifier that is a full model of P(X, y): it scores and samples.

    (A classifier whose scores are not log-likelihoods, such as ComplementNB,
    takes ``BayesClassifierMixin`` alone.)
    """

    @dask_dispatch
    @_bayes_doc("Return log p(x) = logsumexp over c of log P(c) + log p(x | c).", """\
log_density : ndarray of shape (n_samples,)
    Marginal log-likelihood of each row (-inf for a row impossible under
    every class).  The count naive Bayes models leave out the multinomial
    coefficient, which does not depend on the class.""",
                "model.score_samples(X[:2]).round(2)\narray([1.06, 0.42])", raises=False)
    def score_samples(self, X):
        return log_sum_exp_rows(self.predict_joint_log_proba(X))[:, 0]

    def sample(self, n_samples=1, y=None, random_state=None):
        """Draw rows from the fitted joint distribution P(X, y).

        Classes are drawn from the fitted class prior unless ``y`` gives them;
        rows are then drawn from P(X | y) (GenerativeClassifier needs
        densities with a ``sample`` method).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        y : array-like of shape (n_samples,) or scalar, default=None
            The classes to draw rows of (one label per row, or one label for
            every row); None draws the classes from the fitted prior.
        random_state : int, RandomState instance or None, default=None
            Seed of the draw; None uses the estimator's ``random_state``
            where it has one, else NumPy's global random state.

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
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(
            self.random_state if random_state is None and hasattr(self, "random_state")
            else random_state
        )
        prior = None
        if y is None:
            prior = np.exp(self._class_log_prior_for_sampling())
            prior /= prior.sum()
        class_index = classes_to_draw(self.classes_, prior, y, n_samples, rng)
        X = self._sample_rows(class_index, rng)
        return X, self.classes_[class_index]
