"""Gaussian mixture fitted by EM on compiled kernels; NaN in X means missing."""

import warnings
from numbers import Integral, Real
from time import perf_counter

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._sklearn_compat import Interval, StrOptions
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_n_samples, check_sample_weight, check_X
from gdcore.generative._base import GenerativeMixin
from gdcore.generative.mixture import _em as em
from gdcore.generative.mixture._data import MixtureData
from gdcore.generative.mixture._docs import BLOBS_EXAMPLE, FITTED_EXAMPLE, method_doc
from gdcore.generative.mixture._init import checked_user_init, initial_params
from gdcore.generative.mixture._online import OnlineStats


class GaussianMixture(GenerativeMixin, DensityMixin, BaseEstimator):
    """Gaussian mixture model, scikit-learn's ``GaussianMixture`` with a compiled EM.

    Same parameters, attributes and answers: from the same initial
    parameters every covariance type follows scikit-learn's iterations (to
    ~1e-10 in float64).  One EM iteration is one pass over X in a Cython +
    OpenMP kernel that computes the responsibilities and the M-step's
    sufficient statistics together (``gdcore.generative.mixture._mixture``).  What it adds:

    - ``fit(X, sample_weight=...)``: weighted EM (integer weights equal
      repeated rows).
    - NaN in X means "missing at random".  ``fit`` runs the exact EM for
      incomplete data: the E-step marginalizes each row's missing
      coordinates, the M-step uses their conditional means and covariances
      given the observed ones.  ``score_samples``, ``predict*`` marginalize
      them too, and ``impute(X)`` fills them with their conditional
      expectation under the fitted mixture.
    - ``partial_fit(X)``: one EM step per call on the new batch, stepwise
      online EM (Cappe & Moulines 2009): the running sufficient statistics
      are blended with the batch's with step size ``(t + 2) ** -0.6``.
    - ``n_jobs``: threads for the kernels (None = OpenMP's default).
    - float32 input stays float32 (kernels run in float32, accumulate in
      float64).

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Each component's own full covariance matrix, one full matrix shared
        by all, a diagonal matrix each, or a single variance each.
    tol : float, default=1e-3
        EM stops when the average log-likelihood gains less than ``tol``.
    reg_covar : float, default=1e-6
        Added to the covariances' diagonals, keeping them positive definite.
    max_iter : int, default=100
        Maximum EM iterations per start; 0 only initializes.
    n_init : int, default=1
        Number of starts; the one of highest likelihood is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
default='kmeans'
        How the initial responsibilities are drawn: k-means labels, k-means++
        seeds, random weights, or random rows as centres.
    weights_init : array-like of shape (n_components,), default=None
        Initial component weights (None: from ``init_params``).
    means_init : array-like of shape (n_components, n_features), default=None
        Initial means (None: from ``init_params``).
    precisions_init : array-like, default=None
        Initial precision (inverse covariance) matrices, shaped as
        ``precisions_`` for the ``covariance_type`` (None: from
        ``init_params``).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and ``sample``; an int gives reproducible
        fits.
    warm_start : bool, default=False
        Continue from the previous fit's parameters (``n_init`` is then 1).
    verbose : int, default=0
        Print the starts (1) and the iterations' log-likelihood change (2).
    verbose_interval : int, default=10
        Iterations between two verbose lines.
    n_jobs : int, default=None
        Threads for the kernels: None follows OpenMP's default, -1 all cores.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        The weight of each component.
    means_ : ndarray of shape (n_components, n_features)
        The mean of each component.
    covariances_ : ndarray
        The covariances: (n_components, n_features, n_features) for 'full',
        (n_features, n_features) for 'tied', (n_components, n_features) for
        'diag', (n_components,) for 'spherical'.
    precisions_ : ndarray
        The inverses of ``covariances_``, shaped the same way.
    precisions_cholesky_ : ndarray
        Cholesky factors of ``precisions_``, shaped the same way.
    converged_ : bool
        Whether the best start converged.
    n_iter_ : int
        EM iterations of the best start (batches seen, after ``partial_fit``).
    lower_bound_ : float
        Sample-weighted mean log-likelihood of the training data at the
        best start's last iteration.
    lower_bounds_ : list of float
        ``lower_bound_`` at each iteration of the best start.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in ``fit``, when X had string column names.

    See Also
    --------
    GenerativeClassifier : A classifier with one mixture per class.
    sklearn.mixture.GaussianMixture : The estimator this one replaces.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore import GaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(5, 1, (100, 2))])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.converged_, gm.weights_.round(2)
    (True, array([0.5, 0.5]))
    >>> bool(gm.predict([[0, 0]])[0] != gm.predict([[5, 5]])[0])
    True
    >>> gm.impute([[np.nan, 5.2]]).round(1)  # the missing x0, given x1
    array([[4.8, 5.2]])
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(em.COVARIANCE_TYPES))],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++"})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3,
                 reg_covar=1e-6, max_iter=100, n_init=1, init_params="kmeans",
                 weights_init=None, means_init=None, precisions_init=None,
                 random_state=None, warm_start=False, verbose=0, verbose_interval=10,
                 n_jobs=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ fit

    @method_doc("Estimate the parameters by EM (``n_init`` starts, the best kept).",
                ["X.fit", "y", "sample_weight"], """\
self : GaussianMixture
    The fitted estimator.""",
                FITTED_EXAMPLE + """>>> gm.n_iter_ < 100
True""")
    def fit(self, X, y=None, sample_weight=None):
        self._fit(X, sample_weight)
        return self

    @method_doc("Fit, then return the most probable component of each row of X.",
                ["X.fit", "y", "sample_weight"], """\
labels : ndarray of shape (n_samples,)
    Component of highest posterior probability for each row.""",
                BLOBS_EXAMPLE + """>>> gm = GaussianMixture(n_components=2, random_state=0)
>>> labels = gm.fit_predict(X)
>>> len(set(labels[:100])), len(set(labels[100:]))
(1, 1)""")
    def fit_predict(self, X, y=None, sample_weight=None):
        data = self._fit(X, sample_weight)
        resp, _, _ = data.e_step(self._params(), self.covariance_type, want_stats=False)
        return resp.argmax(axis=1)

    @method_doc("""One step of stepwise online EM on a batch of rows (NaN = missing).

The first call on an unfitted model initializes the parameters from
its batch (as ``fit`` does); after ``fit`` it continues from the fitted
ones.  Each call takes one EM step: the batch's E-step statistics are
blended into running ones with a decreasing step size
(``gdcore.generative.mixture._online``).  ``fit`` starts over.""",
                ["X.batch", "y", "sample_weight.batch"], """\
self : GaussianMixture
    The updated estimator.""",
                BLOBS_EXAMPLE + """>>> gm = GaussianMixture(n_components=2, random_state=0)
>>> for batch in np.array_split(rng.permutation(X), 4):
...     gm = gm.partial_fit(batch)
>>> gm.n_iter_
4""")
    def partial_fit(self, X, y=None, sample_weight=None):
        fitted = hasattr(self, "means_")
        data = self._validate_fit_data(X, sample_weight, reset=not fitted)
        cov_type = self.covariance_type
        if fitted:
            params = self._params()
        else:
            user_init = checked_user_init(self, data.n_features, data.dtype)
            params = initial_params(self, data, check_random_state(self.random_state),
                                          user_init)
        online = getattr(self, "_online_stats", None)
        if online is None:
            start = data.filled_for_init()
            online = OnlineStats(em.total_scatter(start.X, start.sample_weight)[0])
            self.lower_bounds_ = []
        _, log_norm, stats = data.e_step(params, cov_type, want_stats=True)
        online.update(stats, data, cov_type)
        weights, means, cov = online.m_step(cov_type, self.reg_covar, data.dtype)
        self._set_params((weights, means, cov, em.precision_cholesky(cov, cov_type)))
        self._online_stats = online
        self.lower_bound_ = data.mean(log_norm)
        self.lower_bounds_.append(self.lower_bound_)
        self.n_iter_ = online.n_batches
        self.converged_ = False
        return self

    @dask_dispatch
    def _validate_fit_data(self, X, sample_weight, reset=True):
        self._validate_params()
        X = check_X(self, X, reset=reset, allow_nan=True)
        n = X.shape[0]
        # Initializing (fit, the first partial_fit) needs n >= max(2, k) rows
        # and every column observed somewhere; later batches need one row.
        if reset and n < 2:
            raise ValueError(
                f"Found array with {n} sample(s) (shape={X.shape}) while a minimum "
                "of 2 is required by GaussianMixture.")
        if reset and n < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {n}")
        missing = np.isnan(X)
        if missing.all(axis=1).any():
            raise ValueError("X has a row with every value missing (NaN); drop it.")
        if reset and missing.all(axis=0).any():
            raise ValueError("X has a column with every value missing (NaN); drop it.")
        w = None
        if sample_weight is not None:
            w = check_sample_weight(sample_weight, X)
            if not w.sum() > 0:
                raise ValueError("sample_weight must have a positive sum.")
        return MixtureData(X, w, effective_n_threads(self.n_jobs))

    def _fit(self, X, sample_weight):
        data = self._validate_fit_data(X, sample_weight)
        self.__dict__.pop("_online_stats", None)
        d, cov_type = data.n_features, self.covariance_type
        user_init = checked_user_init(self, d, data.dtype)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        rng = check_random_state(self.random_state)
        best, best_bound, best_bounds, best_iter = None, -np.inf, [], 0
        self.converged_ = False
        for init in range(n_init):
            t_init = perf_counter()
            if self.verbose:
                print(f"Initialization {init}")
            params = initial_params(self, data, rng, user_init) if do_init else self._params()
            bound = -np.inf if do_init else self.lower_bound_
            bounds, converged, n_iter = [], False, 0
            t_iter = perf_counter()
            for n_iter in range(1, self.max_iter + 1):
                prev = bound
                _, log_norm, stats = data.e_step(params, cov_type, want_stats=True)
                bound = data.mean(log_norm)
                params = self._m_step(data, stats)
                bounds.append(bound)
                change = bound - prev
                if self.verbose and n_iter % self.verbose_interval == 0:
                    now = perf_counter()
                    print(f"  Iteration {n_iter}\t time lapse {now - t_iter:.5f}s\t "
                          f"ll change {change:.5f}")
                    t_iter = now
                if abs(change) < self.tol:
                    converged = True
                    break
            if self.verbose:
                state = "converged" if converged else "did not converge"
                print(f"Initialization {state}. time lapse {perf_counter() - t_init:.5f}s"
                      f"\t lower bound {bound:.5f}.")
            # scikit-learn's rule: keep the best bound; with max_iter=0, the last start.
            if (best is None or self.max_iter == 0 or bound > best_bound
                    or best_bound == -np.inf):
                best, best_bound, best_bounds = params, bound, bounds
                best_iter = n_iter
                self.converged_ = converged
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning, stacklevel=3)
        self._set_params(best)
        self.n_iter_ = best_iter
        self.lower_bound_ = best_bound
        self.lower_bounds_ = best_bounds
        return data

    def _m_step(self, data, stats):
        # k factorizations of d x d matrices gain nothing from BLAS threads,
        # and woken between two E-steps they fight the kernel's OpenMP
        # threads: a small triangular solve then takes orders of magnitude
        # longer than alone (visible in ``gdcore bench mixture``).
        with single_threaded_blas():
            tied = data.tied_scatter(stats) if self.covariance_type == "tied" else None
            weights, means, cov = em.m_step(stats, self.covariance_type, self.reg_covar,
                                            data.dtype, tied_scatter=tied)
            return weights, means, cov, em.precision_cholesky(cov, self.covariance_type)

    # ------------------------------------------------------------- parameters

    def _params(self):
        return (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)

    def _set_params(self, params):
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params
        self.precisions_ = em.precisions_from_cholesky(
            self.precisions_cholesky_, self.covariance_type)

    def _n_parameters(self):
        k, d = self.means_.shape
        cov_params = {"full": k * d * (d + 1) / 2.0, "diag": k * d,
                      "tied": d * (d + 1) / 2.0, "spherical": k}[self.covariance_type]
        return int(cov_params + k * d + k - 1)

    # ---------------------------------------------------------------- predict

    def _data(self, X):
        check_is_fitted(self)
        X = check_X(self, X, reset=False, allow_nan=True)
        return MixtureData(X, None, effective_n_threads(self.n_jobs))

    def _e_step(self, X):
        return self._data(X).e_step(self._params(), self.covariance_type, want_stats=False)

    @dask_dispatch
    @method_doc("Return log p(x) of each row of X (missing coordinates marginalized).", ["X"], """\
log_density : ndarray of shape (n_samples,)
    Log-likelihood of each row under the mixture.""",
                FITTED_EXAMPLE + """>>> gm.score_samples([[0, 0], [2.5, 2.5]]).round(2)
array([-2.58, -8.07])""")
    def score_samples(self, X):
        return self._e_step(X)[1]

    @dask_dispatch
    @method_doc("Return the posterior probability of each component for each row of X.", ["X"], """\
resp : ndarray of shape (n_samples, n_components)
    P(component | x), each row summing to 1.""",
                FITTED_EXAMPLE + """>>> gm.predict_proba([[0, 0]]).max().round(3)
np.float64(1.0)""")
    def predict_proba(self, X):
        return self._e_step(X)[0]

    @dask_dispatch
    @method_doc("Return the most probable component of each row of X.", ["X"], """\
labels : ndarray of shape (n_samples,)
    Component of highest posterior probability.""",
                FITTED_EXAMPLE + """>>> gm.predict([[0, 0], [0.5, 0]])
array([1, 1])""")
    def predict(self, X):
        return self._e_step(X)[0].argmax(axis=1)

    @method_doc("""Return the Bayesian information criterion on X (lower is better).

-2 log L + (number of free parameters) log n.""", ["X.score"], """\
bic : float
    The criterion.""",
                FITTED_EXAMPLE + """>>> one = GaussianMixture(n_components=1).fit(X)
>>> bool(gm.bic(X) < one.bic(X))
True""")
    def bic(self, X):
        n = np.shape(X)[0]
        return -2 * self.score(X) * n + self._n_parameters() * np.log(n)

    @method_doc("""Return the Akaike information criterion on X (lower is better).

-2 log L + 2 (number of free parameters).""", ["X.score"], """\
aic : float
    The criterion.""",
                FITTED_EXAMPLE + """>>> one = GaussianMixture(n_components=1).fit(X)
>>> bool(gm.aic(X) < one.aic(X))
True""")
    def aic(self, X):
        return -2 * self.score(X) * np.shape(X)[0] + 2 * self._n_parameters()

    @dask_dispatch
    @method_doc("""Return X with each NaN replaced by its conditional expectation.

The expectation is given the row's observed values,
E[x_m | x_o] = sum_c P(c | x_o) E[x_m | x_o, c].""", ["X.impute"], """\
X_imputed : ndarray of shape (n_samples, n_features)
    X with every NaN filled; observed values unchanged.""",
                FITTED_EXAMPLE + """>>> gm.impute([[np.nan, 5.2], [0.5, np.nan]]).round(1)
array([[4.8, 5.2],
       [0.5, 0.1]])""")
    def impute(self, X):
        data = self._data(X)
        return data.impute(self._params(), self.covariance_type)

    @method_doc("""Draw ``(X, labels)`` from the fitted mixture.

As scikit-learn, seeded by ``random_state``; X is float64, labels are
sorted by component.""", ["n_samples"], """\
X : ndarray of shape (n_samples, n_features)
    The drawn rows.
labels : ndarray of shape (n_samples,)
    The component each row was drawn from.""",
                FITTED_EXAMPLE + """>>> X_new, labels = gm.sample(4)
>>> X_new.shape, labels
((4, 2), array([0, 0, 1, 1]))""")
    def sample(self, n_samples=1):
        check_is_fitted(self)
        if isinstance(n_samples, (int, np.integer)) and n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples} . The sampling "
                             "requires at least one sample: n_samples must be a positive "
                             "integer.")
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_.astype(np.float64))
        d = self.means_.shape[1]
        parts = []
        for c, (mean, count) in enumerate(zip(self.means_, counts)):
            if self.covariance_type == "full":
                parts.append(rng.multivariate_normal(mean, self.covariances_[c], count))
            elif self.covariance_type == "tied":
                parts.append(rng.multivariate_normal(mean, self.covariances_, count))
            else:
                parts.append(mean + rng.standard_normal((count, d))
                             * np.sqrt(self.covariances_[c]))
        labels = np.repeat(np.arange(len(counts)), counts)
        return np.vstack(parts).astype(np.float64), labels
