"""Gaussian mixture fitted by EM on compiled kernels; NaN in X means missing."""

import warnings
from numbers import Integral, Real
from time import perf_counter

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_n_samples, check_sample_weight, check_X
from gdcore.generative._base import GenerativeMixin
from gdcore.generative.mixture import _em as em
from gdcore.generative.mixture._data import MixtureData
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
    n_components, covariance_type, tol, reg_covar, max_iter, n_init,
    init_params, weights_init, means_init, precisions_init, random_state,
    warm_start, verbose, verbose_interval : as in scikit-learn.
    n_jobs : int, default=None
        Threads for the kernels: None follows OpenMP's default, -1 all cores.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_,
    converged_, n_iter_, lower_bound_, lower_bounds_, n_features_in_,
    feature_names_in_ : as in scikit-learn (``lower_bound_`` is the
    sample-weighted mean log-likelihood).
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

    def fit(self, X, y=None, sample_weight=None):
        """Estimate the parameters by EM (``n_init`` starts, the best kept)."""
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then the most probable component of each row of X."""
        data = self._fit(X, sample_weight)
        resp, _, _ = data.e_step(self._params(), self.covariance_type, want_stats=False)
        return resp.argmax(axis=1)

    def partial_fit(self, X, y=None, sample_weight=None):
        """One step of stepwise online EM on a batch of rows (NaN = missing).

        The first call on an unfitted model initializes the parameters from
        its batch (as ``fit`` does); after ``fit`` it continues from the fitted
        ones.  Each call takes one EM step: the batch's E-step statistics are
        blended into running ones with a decreasing step size
        (``gdcore.generative.mixture._online``).  ``fit`` starts over.
        """
        fitted = hasattr(self, "means_")
        data = self._validate_fit_data(X, sample_weight, reset=not fitted)
        cov_type = self.covariance_type
        if fitted:
            params = self._params()
        else:
            user_init = self._checked_user_init(data.n_features, data.dtype)
            params = self._initial_params(data, check_random_state(self.random_state),
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
        user_init = self._checked_user_init(d, data.dtype)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        rng = check_random_state(self.random_state)
        best, best_bound, best_bounds, best_iter = None, -np.inf, [], 0
        self.converged_ = False
        for init in range(n_init):
            t_init = perf_counter()
            if self.verbose:
                print(f"Initialization {init}")
            params = self._initial_params(data, rng, user_init) if do_init else self._params()
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

    # ---------------------------------------------------------- initialization

    def _checked_user_init(self, d, dtype):
        """weights_init, means_init, precisions_init validated (None when not given)."""
        k, cov_type = self.n_components, self.covariance_type
        weights = means = precisions = None
        if self.weights_init is not None:
            weights = check_array(self.weights_init, dtype=[np.float64, np.float32],
                                  ensure_2d=False)
            if weights.shape != (k,):
                raise ValueError(f"The parameter 'weights' should have the shape of "
                                 f"({k},), but got {weights.shape}")
            if np.any(weights < 0) or np.any(weights > 1):
                # scikit-learn's text with its values in its order (the minimum
                # as "max value"), which its own tests match.
                raise ValueError("The parameter 'weights' should be in the range [0, 1], "
                                 f"but got max value {np.min(weights):.5f}, "
                                 f"min value {np.max(weights):.5f}")
            if abs(1.0 - weights.sum()) > (1e-6 if weights.dtype == np.float32 else 1e-8):
                raise ValueError("The parameter 'weights' should be normalized, but got "
                                 f"sum(weights) = {weights.sum():.5f}")
        if self.means_init is not None:
            means = check_array(self.means_init, dtype=[np.float64, np.float32],
                                ensure_2d=False)
            if means.shape != (k, d):
                raise ValueError(f"The parameter 'means' should have the shape of "
                                 f"({k}, {d}), but got {means.shape}")
        if self.precisions_init is not None:
            precisions = check_array(self.precisions_init, dtype=[np.float64, np.float32],
                                     ensure_2d=False, allow_nd=cov_type == "full")
            shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d),
                     "spherical": (k,)}[cov_type]
            if precisions.shape != shape:
                raise ValueError(f"The parameter '{cov_type} precision' should have the "
                                 f"shape of {shape}, but got {precisions.shape}")
            mats = {"full": precisions, "tied": precisions[None]}.get(cov_type)
            if mats is None:
                if np.any(precisions <= 0):
                    raise ValueError(f"'{cov_type} precision' should be positive")
            elif not all(np.allclose(m, m.T) and np.all(np.linalg.eigvalsh(m) > 0)
                         for m in mats):
                raise ValueError(f"'{cov_type} precision' should be symmetric, "
                                 "positive-definite")
        return weights, means, precisions

    def _initial_responsibilities(self, X, w, rng):
        """scikit-learn's initializations, drawing from ``rng`` in the same order."""
        n, k = X.shape[0], self.n_components
        resp = np.zeros((n, k), dtype=X.dtype)
        if self.init_params == "kmeans":
            labels = KMeans(n_clusters=k, n_init=1, random_state=rng).fit(
                X, sample_weight=w).labels_
            resp[np.arange(n), labels] = 1
        elif self.init_params == "random":
            resp = rng.uniform(size=(n, k)).astype(X.dtype)
            resp /= resp.sum(axis=1)[:, None]
        elif self.init_params == "random_from_data":
            resp[rng.choice(n, size=k, replace=False), np.arange(k)] = 1
        else:
            _, indices = kmeans_plusplus(X, k, random_state=rng, sample_weight=w)
            resp[indices, np.arange(k)] = 1
        return resp

    def _initial_params(self, data, rng, user_init):
        weights_init, means_init, precisions_init = user_init
        cov_type, dtype = self.covariance_type, data.dtype
        weights = means = cov = prec_chol = None
        if weights_init is None or means_init is None or precisions_init is None:
            start = data.filled_for_init()
            resp = self._initial_responsibilities(start.X, start.sample_weight, rng)
            stats = start.stats_from_resp(resp, cov_type)
            weights, means, cov = em.m_step(stats, cov_type, self.reg_covar, dtype,
                                            tied_scatter=start.tied_scatter(stats)
                                            if cov_type == "tied" else None,
                                            weight_total=start.weight_total)
        if weights_init is not None:
            weights = weights_init.astype(dtype)
        if means_init is not None:
            means = means_init.astype(dtype)
        if precisions_init is None:
            prec_chol = em.precision_cholesky(cov, cov_type)
        else:
            prec_chol = em.precision_cholesky_from_precisions(
                precisions_init.astype(dtype), cov_type)
            cov = em.covariances_from_cholesky(prec_chol, cov_type)
        return weights, means, cov, prec_chol

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

    def score_samples(self, X):
        """Log p(x) of each row of X (missing coordinates marginalized)."""
        return self._e_step(X)[1]

    def predict_proba(self, X):
        """Posterior probability of each component for each row of X."""
        return self._e_step(X)[0]

    def predict(self, X):
        """Return the most probable component of each row of X."""
        return self._e_step(X)[0].argmax(axis=1)

    def bic(self, X):
        """Bayesian information criterion of the fitted model on X (lower is better)."""
        n = np.shape(X)[0]
        return -2 * self.score(X) * n + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion of the fitted model on X (lower is better)."""
        return -2 * self.score(X) * np.shape(X)[0] + 2 * self._n_parameters()

    def impute(self, X):
        """Return X with each NaN replaced by its conditional expectation.

        The expectation is given the row's observed values,
        E[x_m | x_o] = sum_c P(c | x_o) E[x_m | x_o, c].
        """
        data = self._data(X)
        return data.impute(self._params(), self.covariance_type)

    def sample(self, n_samples=1):
        """Draw ``(X, labels)`` from the fitted mixture.

        As scikit-learn, seeded by ``random_state``; X is float64, labels are
        sorted by component.
        """
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
