"""OrdinalLogisticRegression: the proportional-odds (cumulative logit) model.

For ordered levels c_0 < ... < c_{K-1} (``classes_``, sorted),

    P(y <= c_k | x) = sigmoid(theta_k - x . beta),   theta_0 < ... < theta_{K-2},

fitted by maximum likelihood as R's ``MASS::polr`` and statsmodels'
``OrderedModel(distr="logit")`` do (same sign convention: a positive beta_j
moves rows towards the higher levels).  There is no intercept: the
thresholds are the intercepts.  The objective is

    -sum_i s_i log P(y_i | x_i) + (alpha / 2) ||beta||^2,

minimized by L-BFGS on one compiled pass per evaluation
(``gdcore.discriminative.linear._linear.ordinal_loss_grad``).  The thresholds are
parametrized as theta_0 = a_0, theta_k = theta_{k-1} + exp(a_k), as statsmodels
does, so every iterate has them strictly ordered: no constraint is needed
and no step can cross two of them.
"""

import numbers
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._doc_link import DocLinkMixin
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_classification_targets, check_sample_weight, check_X, check_X_y
from gdcore.discriminative.linear import _linear
from gdcore.discriminative.linear._docs import ORDINAL_EXAMPLE, method_doc


def thresholds_from_params(a):
    """Theta from the unconstrained a: theta_0 = a_0, increments exp(a_k)."""
    return np.cumsum(np.concatenate([a[:1], np.exp(a[1:])]))


def _params_from_thresholds(theta):
    return np.concatenate([theta[:1], np.log(np.diff(theta))])


class OrdinalLogisticRegression(DocLinkMixin, ClassifierMixin, BaseEstimator):
    # numpydoc docstring: set below the class, its example from _docs

    def __init__(self, alpha=0.0, *, max_iter=1000, tol=1e-6, verbose=0, n_jobs=None):
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # scikit-learn's checks train on blobs whose labels have no order; one
        # linear score per row cannot separate three unordered blobs.
        tags.classifier_tags.poor_score = True
        return tags

    def _check_params(self):
        for name, low in (("alpha", 0), ("tol", 0), ("max_iter", 1)):
            v = getattr(self, name)
            if not isinstance(v, numbers.Real) or isinstance(v, bool) or not v >= low:
                raise ValueError(f"{name} must be a number >= {low}, got {v!r}.")

    @dask_dispatch
    @method_doc("Fit by maximum likelihood (L2-penalized with ``alpha > 0``).",
                ["X.ordinal_fit", "y.ordinal", "sample_weight.ordinal"], """\
self : OrdinalLogisticRegression
    The fitted estimator.""",
                ORDINAL_EXAMPLE + """>>> model.coef_.round(2)
array([3.95])""")
    def fit(self, X, y, sample_weight=None):
        self._check_params()
        X, y = check_X_y(self, X, y, reset=True)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        K = len(self.classes_)
        if K < 2:
            raise ValueError(f"y has only one class, the level {self.classes_[0]!r}; "
                             "an ordinal model needs at least two ordered levels.")
        sw = check_sample_weight(sample_weight, X)
        S = float(sw.sum())
        if not S > 0:
            raise ValueError("The sample weights sum to zero: there is nothing to fit.")
        y_idx = np.ascontiguousarray(y_idx, dtype=np.intc)
        d = X.shape[1]
        n_threads = effective_n_threads(self.n_jobs)
        gW, gt = np.empty((1, d)), np.empty(K - 1)

        def fun(w):
            beta = np.ascontiguousarray(w[:d].reshape(1, d), dtype=X.dtype)
            a = w[d:]
            theta = thresholds_from_params(a)
            loss = _linear.ordinal_loss_grad(X, y_idx, sw, beta, theta, gW, gt, n_threads)
            # chain rule through the cumulative sum of exp: dtheta_k/da_j = exp(a_j), j <= k
            tail = np.cumsum(gt[::-1])[::-1]
            g_a = np.concatenate([tail[:1], np.exp(a[1:]) * tail[1:]])
            f = (loss + 0.5 * self.alpha * float(w[:d] @ w[:d])) / S
            return f, np.concatenate([(gW[0] + self.alpha * w[:d]) / S, g_a / S])

        theta0 = self._start_thresholds(y_idx, sw, K)
        w0 = np.concatenate([np.zeros(d), _params_from_thresholds(theta0)])
        callback = None
        if self.verbose:
            def callback(intermediate_result):
                print(f"[ordinal lbfgs] objective {intermediate_result.fun:.10g}")
        with single_threaded_blas():
            res = minimize(fun, w0, method="L-BFGS-B", jac=True, callback=callback,
                           options={"maxiter": self.max_iter, "gtol": self.tol, "maxls": 50,
                                    "ftol": 64 * np.finfo(float).eps})
        if res.status != 0:
            warnings.warn(f"L-BFGS did not converge ({res.message}) in {res.nit} "
                          "iterations; raise max_iter, scale the data, or set alpha > 0.",
                          ConvergenceWarning, stacklevel=2)
        self.coef_ = res.x[:d].copy()
        self.thresholds_ = thresholds_from_params(res.x[d:])
        self.n_iter_ = int(res.nit)
        return self

    @staticmethod
    def _start_thresholds(y_idx, sw, K):
        """Logit of the weighted cumulative level frequencies: the beta = 0 optimum."""
        freq = np.bincount(y_idx, weights=sw, minlength=K) / sw.sum()
        cum = np.clip(np.cumsum(freq)[:-1], 1e-6, 1 - 1e-6)
        theta = logit(cum)
        # levels with no weight would give equal thresholds; keep them apart
        return theta + 1e-3 * np.arange(K - 1)

    @dask_dispatch
    @method_doc("""Return eta = x . beta for each row (larger: higher levels).

Not called ``decision_function``: scikit-learn expects that to give
one score per class, and the model has one score per row.""", ["X.dense_score"], """\
eta : ndarray of shape (n_samples,)
    The linear predictor of each row.""",
                ORDINAL_EXAMPLE + """>>> model.linear_predictor(X[:2]).round(2)
array([5.54, 5.54])""")
    def linear_predictor(self, X):
        check_is_fitted(self)
        X = check_X(self, X, reset=False)
        return X @ self.coef_

    @dask_dispatch
    @method_doc("Return P(y <= c_k | x) for each row and level.", ["X.dense_score"], """\
cumulative_proba : ndarray of shape (n_samples, n_levels)
    Non-decreasing along each row; the last column is 1.""",
                ORDINAL_EXAMPLE + """>>> model.predict_cumulative_proba(X[:1]).round(3)
array([[0.993, 1.   , 1.   ]])""")
    def predict_cumulative_proba(self, X):
        eta = self.linear_predictor(X)
        cum = expit(self.thresholds_[None, :] - eta[:, None])
        return np.column_stack([cum, np.ones(len(eta))])

    @dask_dispatch
    @method_doc("Return P(y = c_k | x) for each row and level.", ["X.dense"], """\
proba : ndarray of shape (n_samples, n_levels)
    Probabilities, columns in the order of ``classes_``.""",
                ORDINAL_EXAMPLE + """>>> model.predict_proba(X[:1]).round(3)
array([[0.993, 0.007, 0.   ]])""")
    def predict_proba(self, X):
        cum = self.predict_cumulative_proba(X)
        return np.diff(cum, axis=1, prepend=0.0)

    @dask_dispatch
    @method_doc("Return the most probable level of each row.", ["X.dense"], """\
y_pred : ndarray of shape (n_samples,)
    The level of highest probability, from ``classes_``.""",
                ORDINAL_EXAMPLE + """>>> model.predict(X[[0, 50, 100]])
array([0, 1, 2])""")
    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


OrdinalLogisticRegression.__doc__ = """Proportional-odds logistic regression for ordered labels.

P(y <= c_k | x) = sigmoid(theta_k - x . beta) with increasing thresholds
theta, the cumulative logit model of R's ``MASS::polr`` and statsmodels'
``OrderedModel(distr="logit")``, fitted by L-BFGS on a compiled
likelihood pass.  The levels are ``np.unique(y)`` in sorted order.

Parameters
----------
alpha : float, default=0.0
    L2 penalty on ``coef_`` (never on the thresholds); 0 is plain maximum
    likelihood.
max_iter : int, default=1000
    L-BFGS iterations.
tol : float, default=1e-6
    Stop when the largest gradient entry of the objective divided by the
    sum of the sample weights is below ``tol``.
verbose : int, default=0
    Print the objective at each iteration when positive.
n_jobs : int or None, default=None
    OpenMP threads for the likelihood pass (None: OpenMP's default; -1:
    all cores).

Attributes
----------
classes_ : ndarray of shape (n_levels,)
    The levels, sorted: the order the model assumes.
coef_ : ndarray of shape (n_features,)
    beta: a positive entry moves rows towards the higher levels.
thresholds_ : ndarray of shape (n_levels - 1,)
    theta, strictly increasing.
n_iter_ : int
    L-BFGS iterations run.
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen in ``fit``, when X had string column names.

See Also
--------
LogisticRegression : Unordered (multinomial) classes.

Examples
--------
""" + ORDINAL_EXAMPLE + """>>> model.predict(X[[0, 50, 100]])
array([0, 1, 2])
>>> model.thresholds_.round(1)
array([10.5, 19.3])
"""
