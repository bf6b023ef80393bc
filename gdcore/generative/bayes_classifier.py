"""A Bayes classifier built from any density estimator: one density per class.

P(y = c | x) = P(c) p(x | c) / sum_k P(k) p(x | k), with p(x | c) a clone of
``density`` fitted on the rows of class c.  This is the generative route to
classification that Ng and Jordan (NIPS 2002) compare with the
discriminative one: with a Gaussian density per feature it is Gaussian naive
Bayes, with a full-covariance Gaussian it is QDA, with a mixture per class it
models classes of any shape.  Missing values work wherever the density
marginalizes them.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state, get_tags

from gdcore._validation import check_classification_targets, check_sample_weight, check_X, check_X_y
from gdcore.generative._base import GenerativeClassifierMixin


def seeded_clone(estimator, rng):
    """Return an unfitted clone of ``estimator`` with its own seed drawn from ``rng``.

    The seed is set when the estimator takes a ``random_state``, so that every
    class's model differs in its random start yet the whole fit is reproducible.
    """
    est = clone(estimator)
    if "random_state" in est.get_params():
        est.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
    return est


def class_prior(counts, priors):
    """Return the class prior.

    The prior is the given ``priors`` once checked, else the class frequencies
    ``counts / counts.sum()``.
    """
    if priors is None:
        return counts / counts.sum()
    prior = np.asarray(priors, dtype=np.float64)
    if prior.shape != counts.shape:
        raise ValueError("Number of priors must match number of classes.")
    if np.any(prior < 0) or not np.isclose(prior.sum(), 1.0):
        raise ValueError("priors must be non-negative and sum to 1.")
    return prior


def _default_density():
    from gdcore.generative.mixture._gaussian_mixture import GaussianMixture

    return GaussianMixture(n_components=1, covariance_type="full")


class GenerativeClassifier(GenerativeClassifierMixin, ClassifierMixin, BaseEstimator):
    """Classify through Bayes' rule with one fitted density per class.

    Parameters
    ----------
    density : estimator, default=None
        Any estimator of P(X) with ``fit(X)``, ``score_samples(X)`` (log p(x))
        and, for ``sample``, ``sample(n)``: e.g. ``gdcore.GaussianMixture``.
        None means a single full-covariance Gaussian per class (QDA).
    priors : array-like of shape (n_classes,), default=None
        Class prior probabilities; the class frequencies (weighted, with
        ``sample_weight``) if None.
    random_state : int, RandomState or None, default=None
        Seeds the clones of ``density`` (each class its own seed, drawn from
        this one) and ``sample``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    densities_ : list of estimators
        The fitted clone of ``density`` of each class, in the order of
        ``classes_``.
    class_prior_ : ndarray of shape (n_classes,)
        Probability of each class.
    class_log_prior_ : ndarray of shape (n_classes,)
        Its logarithm.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in ``fit``, when X had string column names.

    See Also
    --------
    GaussianNB : The special case of one Gaussian per feature.
    GaussianMixture : A density to put in each class.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gdcore import GaussianMixture, GenerativeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> qda = GenerativeClassifier().fit(X, y)  # one full Gaussian per class
    >>> qda.predict(X[[0, 50, 100]])
    array([0, 1, 2])
    >>> mix = GenerativeClassifier(GaussianMixture(n_components=2, random_state=0),
    ...                            random_state=0).fit(X, y)
    >>> len(mix.densities_), mix.densities_[0].n_components
    (3, 2)
    """

    _parameter_constraints = {
        "density": "no_validation",
        "priors": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(self, density=None, *, priors=None, random_state=None):
        self.density = density
        self.priors = priors
        self.random_state = random_state

    def _density(self):
        density = _default_density() if self.density is None else self.density
        for method in ("fit", "score_samples"):
            if not hasattr(density, method):
                raise ValueError(
                    f"density must be a density estimator with fit and score_samples; "
                    f"{type(density).__name__} has no {method}."
                )
        return density

    def _allow_nan(self):
        return get_tags(self._density()).input_tags.allow_nan

    def _check_X(self, X):
        return check_X(self, X, reset=False, allow_nan=self._allow_nan())

    def fit(self, X, y, sample_weight=None):
        """Fit one clone of ``density`` per class, and the class priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; NaN marks a missing value where the density
            accepts it.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row, passed to each class's density (which must
            then accept ``sample_weight``) and used in the class priors.

        Returns
        -------
        self : GenerativeClassifier
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import GenerativeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> model = GenerativeClassifier(random_state=0).fit(X, y)
        >>> model.class_prior_.round(3)
        array([0.333, 0.333, 0.333])
        """
        self._validate_params()
        X, y = check_X_y(self, X, y, reset=True, allow_nan=self._allow_nan())
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        weights = check_sample_weight(sample_weight, X)
        counts = np.bincount(y_idx, weights=weights, minlength=len(self.classes_))
        if np.any(counts <= 0):
            raise ValueError(
                f"class {self.classes_[counts <= 0][0]!r} has zero total sample_weight: "
                "its density cannot be fitted; drop the class or give it weight."
            )
        rng = check_random_state(self.random_state)
        density = self._density()
        self.densities_ = []
        for c in range(len(self.classes_)):
            rows = y_idx == c
            est = seeded_clone(density, rng)
            self.densities_.append(self._fit_density(est, X[rows], weights[rows],
                                                     sample_weight is not None))
        self.class_prior_ = class_prior(counts, self.priors)
        with np.errstate(divide="ignore"):
            self.class_log_prior_ = np.log(self.class_prior_)
        return self

    @staticmethod
    def _fit_density(est, X, weights, weighted):
        if not weighted:
            return est.fit(X)
        try:
            return est.fit(X, sample_weight=weights)
        except TypeError as exc:
            raise ValueError(
                f"sample_weight was given but {type(est).__name__}.fit does not "
                "accept it; choose a density that does, or drop the weights."
            ) from exc

    def _joint_log_likelihood(self, X):
        log_density = np.column_stack([d.score_samples(X) for d in self.densities_])
        return log_density + self.class_log_prior_

    def _class_log_prior_for_sampling(self):
        return self.class_log_prior_

    def _sample_rows(self, class_index, rng):
        X = np.empty((len(class_index), self.n_features_in_))
        for c, density in enumerate(self.densities_):
            rows = np.flatnonzero(class_index == c)
            if rows.size == 0:
                continue
            if not hasattr(density, "sample"):
                raise ValueError(f"{type(density).__name__} cannot sample.")
            if "random_state" in density.get_params():
                density.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
            drawn = density.sample(rows.size)
            drawn = drawn[0] if isinstance(drawn, tuple) else drawn
            # Mixtures return their draws grouped by component: shuffle them.
            X[rows] = drawn[rng.permutation(rows.size)]
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan()
        return tags
