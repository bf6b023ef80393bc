"""Gaussian naive Bayes: each feature normal within each class, NaN marginalized."""

import warnings
from numbers import Integral, Real

import numpy as np

from gdcore._dask import dask_dispatch
from gdcore._sklearn_compat import Interval
from gdcore._validation import check_X, check_X_y
from gdcore.generative._base import GenerativeClassifierMixin
from gdcore.generative.naive_bayes import _naive_bayes as kernels
from gdcore.generative.naive_bayes._base import BaseNB
from gdcore.generative.naive_bayes._docs import class_doc, fit_doc


def raise_overflow(column):
    """Raise the ValueError of a column whose squares overflow float64."""
    raise ValueError(
        f"GaussianNB: the values of column {column} are too large or too far apart for "
        "float64: their mean or variance (squared deviations) overflows (beyond about "
        "1e154 in absolute value). Rescale the column, e.g. divide it by its largest "
        "absolute value."
    )


class GaussianNB(GenerativeClassifierMixin, BaseNB):
    # numpydoc docstring: set below the class from _docs' shared entries

    _parameter_constraints = {
        "priors": ["array-like", None],
        "var_smoothing": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(self, *, priors=None, var_smoothing=1e-9, n_jobs=None):
        self.priors = priors
        self.var_smoothing = var_smoothing
        self.n_jobs = n_jobs

    @dask_dispatch
    @fit_doc("Fit the class means and variances (NaN in X = missing).",
             ["X.gaussian", "y", "sample_weight"], "self : GaussianNB\n    The fitted estimator.",
             """>>> from sklearn.datasets import load_iris
>>> from gdcore import GaussianNB
>>> X, y = load_iris(return_X_y=True)
>>> GaussianNB().fit(X, y).theta_.shape
(3, 4)""")
    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        return self._partial_fit(X, y, None, refit=True, sample_weight=sample_weight)

    @fit_doc("""Update the fit with a batch of rows.

The means and variances are merged exactly (Chan, Golub and LeVeque's
update): fitting in batches equals fitting once.""",
             ["X.gaussian", "y", "classes", "sample_weight"],
             "self : GaussianNB\n    The updated estimator.", """>>> import numpy as np
>>> from sklearn.datasets import load_iris
>>> from gdcore import GaussianNB
>>> X, y = load_iris(return_X_y=True)
>>> model = GaussianNB()
>>> for rows in np.array_split(np.arange(150), 3):
...     model = model.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
>>> np.allclose(model.theta_, GaussianNB().fit(X, y).theta_)
True""")
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        self._validate_params()
        return self._partial_fit(X, y, classes, refit=False, sample_weight=sample_weight)

    def _check_X(self, X):
        # Finiteness is checked by the kernel in the same pass as the work.
        return check_X(self, X, reset=False, kernel_checks_finite=True)

    def _partial_fit(self, X, y, classes, refit, sample_weight):
        first_call = refit or not hasattr(self, "classes_")
        X, y = check_X_y(self, X, y, reset=first_call, kernel_checks_finite=True)
        first_call = self._start_classes(y, classes, refit)
        k, d = len(self.classes_), X.shape[1]
        if not first_call and d != self.theta_.shape[1]:
            raise ValueError(
                f"Number of features {d} does not match previous data {self.theta_.shape[1]}."
            )
        y_idx = self._class_index(y)
        weights = self._weights(sample_weight, X)

        count = np.empty((k, d))
        batch_mean = np.empty((k, d))
        ssd = np.empty((k, d))
        self._raise_for_status(
            kernels.gaussian_class_stats(X, y_idx, weights, count, batch_mean, ssd,
                                         self._n_threads())
        )
        epsilon = self.var_smoothing * self._variance_scale(X, count, batch_mean, ssd,
                                                            sample_weight is None)
        if first_call:
            self.theta_ = np.zeros((k, d))
            self.var_ = np.zeros((k, d))
            self.class_count_ = np.zeros(k)
            self.observed_count_ = np.zeros((k, d))
        else:
            # scikit-learn takes off the *new* batch's epsilon before the
            # update and adds it back after; done the same way to match it.
            self.var_ -= epsilon
        self.epsilon_ = epsilon
        self._merge_batch(count, batch_mean, ssd, weighted=sample_weight is not None)
        self.class_count_ += np.bincount(y_idx, weights=weights, minlength=k)
        self.var_ += self.epsilon_
        self._fill_unobserved()
        self._refuse_zero_variance()

        if self.priors is not None:
            prior = self._check_class_prior(self.priors)
            if not np.isclose(prior.sum(), 1.0):
                raise ValueError("The sum of the priors should be 1.")
            self.class_prior_ = prior
        else:
            self.class_prior_ = self.class_count_ / self.class_count_.sum()
        return self

    def _variance_scale(self, X, count, mean, ssd, unweighted):
        """Return the variance that epsilon_ is a fraction of: the largest feature variance.

        As scikit-learn, max_j var(X[:, j]) over observed values.  Unweighted,
        the per-class statistics already hold it (pooled by the
        parallel-axis theorem), saving a pass over X; weighted, scikit-learn
        still uses the unweighted variance, so compute it directly.  Where
        every feature is constant (one sample, repeated rows) that variance
        is 0, and scikit-learn's epsilon 0 leaves variances of 0 and NaN
        answers; the scale is then the values' own, the largest squared
        class mean (1 if every mean is 0).  A variance or mean that overflows
        float64 is refused, naming its column.
        """
        finite_stats = np.isfinite(mean).all(axis=0) & np.isfinite(ssd).all(axis=0)
        if not unweighted:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                var = np.nanvar(X, axis=0, dtype=np.float64)
        else:
            n = count.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                pooled_mean = (count * mean).sum(axis=0) / n
                var = (ssd + count * (mean - pooled_mean) ** 2).sum(axis=0) / n
        seen = count.sum(axis=0) > 0
        overflow = seen & ~(finite_stats & np.isfinite(var))
        if overflow.any():
            raise_overflow(int(np.argmax(overflow)))
        var = var[seen]
        largest = float(var.max()) if var.size else 0.0
        if largest > 0.0:
            return largest
        with np.errstate(over="ignore"):
            mean_sq = np.where(count > 0, mean, 0.0) ** 2
        if not np.isfinite(mean_sq).all():
            raise_overflow(int(np.argmax(~np.isfinite(mean_sq).all(axis=0))))
        return float(mean_sq.max()) or 1.0

    def _refuse_zero_variance(self):
        """var_smoothing=0 with a feature constant within a class: a degenerate Gaussian."""
        zero = self.var_ <= 0.0
        if zero.any():
            c, j = np.argwhere(zero)[0]
            raise ValueError(
                f"GaussianNB: feature {j} is constant within class {self.classes_[c]}, so "
                f"with var_smoothing={self.var_smoothing} its variance is 0 and the Gaussian "
                "is a point mass (every other value impossible, the likelihood NaN). Use "
                "var_smoothing > 0 (the default is 1e-9)."
            )

    def _merge_batch(self, n_new, new_mean, ssd, weighted):
        """Chan-Golub-LeVeque update of each (class, feature) mean and variance."""
        n_past, mu, var = self.observed_count_, self.theta_, self.var_
        has_new = ~np.isclose(n_new, 0.0) if weighted else n_new > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            new_var = ssd / n_new
            n_total = n_past + n_new
            total_mu = (n_new * new_mean + n_past * mu) / n_total
            total_ssd = n_past * var + n_new * new_var + (n_new * n_past / n_total) * (
                mu - new_mean
            ) ** 2
            total_var = total_ssd / n_total
        fresh = has_new & (n_past == 0)
        merge = has_new & (n_past > 0)
        self.theta_ = np.where(fresh, new_mean, np.where(merge, total_mu, mu))
        self.var_ = np.where(fresh, new_var, np.where(merge, total_var, var))
        self.observed_count_ = n_past + np.where(has_new, n_new, 0.0)

    def _fill_unobserved(self):
        """Give a feature never observed in a class the pooled statistics.

        Without this, a class whose rows all miss feature j would get mean 0
        and the tiny variance epsilon, and any observed value of feature j at
        prediction time would rule that class out.
        """
        unseen = self.observed_count_ == 0
        if not unseen.any():
            return
        n = self.observed_count_.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            pooled_mean = (self.observed_count_ * self.theta_).sum(axis=0) / n
            pooled_var = (
                self.observed_count_ * (self.var_ + (self.theta_ - pooled_mean) ** 2)
            ).sum(axis=0) / n
        pooled_mean = np.where(n > 0, pooled_mean, 0.0)
        pooled_var = np.where(n > 0, pooled_var, 1.0)
        self.theta_ = np.where(unseen, pooled_mean, self.theta_)
        self.var_ = np.where(unseen, pooled_var, self.var_)

    def _joint_log_likelihood(self, X):
        jll = np.empty((X.shape[0], len(self.classes_)))
        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_prior_)
        status = kernels.gaussian_jll(
            X,
            np.ascontiguousarray(self.theta_.T),
            np.ascontiguousarray(self.var_.T),
            log_prior,
            jll,
            self._n_threads(),
        )
        self._raise_for_status(status)
        return jll

    @property
    def class_log_prior_(self):
        """Log of ``class_prior_`` (what ``sample`` draws classes from)."""
        with np.errstate(divide="ignore"):
            return np.log(self.class_prior_)

    def _sample_rows(self, class_index, rng):
        noise = rng.standard_normal((len(class_index), self.theta_.shape[1]))
        return self.theta_[class_index] + np.sqrt(self.var_[class_index]) * noise

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


GaussianNB.__doc__ = class_doc(
    """Gaussian naive Bayes, scikit-learn's ``GaussianNB`` with a compiled core.

Swapping the import keeps working code working: same parameters, fitted
attributes and answers (to rounding).  What it adds:

- NaN in X means "missing": it is left out of the class statistics in
  ``fit``/``partial_fit`` and marginalized out of the likelihood in
  ``predict*``, ``score_samples`` (a Gaussian integrates to one over a
  missing coordinate).  Fitting with NaN equals fitting each feature on
  its observed rows.
- ``sample(n_samples, y=None)`` draws rows from the fitted P(X, y).
- ``score_samples(X)`` gives log p(x); ``n_jobs`` sets the kernel threads.""",
    ["priors", "var_smoothing", "n_jobs"],
    ["classes_", "class_count_", "class_prior_", "theta_", "var_", "epsilon_",
     "observed_count_", "n_features_in_", "feature_names_in_"],
    """GenerativeClassifier : Bayes' rule over any density per class.
sklearn.naive_bayes.GaussianNB : The estimator this one replaces.""",
    """>>> import numpy as np
>>> from sklearn.datasets import load_iris
>>> from gdcore import GaussianNB
>>> X, y = load_iris(return_X_y=True)
>>> model = GaussianNB().fit(X, y)
>>> model.predict(X[[0, 50, 100]])
array([0, 1, 2])
>>> X_missing = X[:1].copy()
>>> X_missing[0, 2] = np.nan  # petal length unknown: marginalized out
>>> model.predict(X_missing)
array([0])""")
