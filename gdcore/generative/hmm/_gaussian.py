"""GaussianHMM: hidden Markov model with Gaussian emissions (hmmlearn's API).

Covariance types "spherical", "diag", "full", "tied", stored as hmmlearn
stores them in ``_covars_`` ((K,), (K, d), (K, d, d), (d, d)); ``covars_``
gives full matrices.  Per-frame log-densities come from the compiled,
BLAS-blocked kernels of ``gdcore.generative.hmm._hmm_emissions``; with
"diag"/"spherical" covariances, several sequences and no NaN, fitting and
scoring run fused per sequence in ``_hmm_gaussian`` instead (no (n, K)
array: memory O(threads x sequence length x K)).  The means are initialized
by hmmlearn's k-means on a sample of rows (``init_sample_size``, see
``_kmeans``).  The M-step is
hmmlearn's MAP update (Huang, Acero, Hon, "Spoken Language Processing",
pp. 443-445) on statistics computed by BLAS products, never an n x K x d array.

NaN in X means "missing": the frame's likelihood is the density of its
observed features, for every covariance type.  Fitting with "diag" and
"spherical" uses, feature by feature, the frames where that feature was
observed (the exact maximizer when the state is the only latent variable);
with "full" and "tied" the E-step takes the expected moments of the missing
values given the observed ones under each state (exact EM), frame by frame in
the compiled kernels of ``gdcore.generative.hmm._hmm_missing``.
"""

import numbers
import warnings

import numpy as np
from scipy import linalg
from sklearn.utils.validation import validate_data

from gdcore._threads import single_threaded_blas
from gdcore._validation import FLOAT_DTYPES, refuse_dates
from gdcore.generative.hmm import _hmm_emissions as _em
from gdcore.generative.hmm import _hmm_gaussian as _fused
from gdcore.generative.hmm import _hmm_missing as _miss
from gdcore.generative.hmm._base import (
    BaseHMM,
    initial_covariance,
    n_features_property,
    raise_for_memory,
)
from gdcore.generative.hmm._kmeans import kmeans, resolve_sample_size

COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")


def check_covariance_type(covariance_type):
    """ValueError unless ``covariance_type`` is one of COVARIANCE_TYPES."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, "
                         f"got {covariance_type!r}.")


def fill_covars(covars, covariance_type, n_components, n_features):
    """Full (K, d, d) covariance matrices from the stored form."""
    if covariance_type == "full":
        return np.array(covars)
    if covariance_type == "diag":
        return np.array([np.diag(c) for c in covars])
    if covariance_type == "tied":
        return np.tile(covars, (n_components, 1, 1))
    return np.asarray(covars).reshape(-1)[:, None, None] * np.eye(n_features)[None]


def check_min_covar(min_covar):
    """ValueError unless ``min_covar`` is a finite number >= 0."""
    if (isinstance(min_covar, bool) or not isinstance(min_covar, numbers.Real)
            or not np.isfinite(min_covar) or min_covar < 0):
        raise ValueError(f"min_covar must be a finite number >= 0 (it is added to the "
                         f"diagonal of the initial covariances), got {min_covar!r}.")


def validate_covars(covars, covariance_type, n_components):
    """Return ``covars`` in its stored shape; ValueError unless it is positive (definite).

    As hmmlearn, "spherical" takes any array of one value per state ((K,),
    (K, 1), (K, 1, 1, 1), ...) and keeps it as (K,).
    """
    if covariance_type == "spherical":
        ok = len(covars) == n_components and covars.size == n_components
        covars = covars.reshape(-1) if ok else covars
        ok = ok and np.all(covars > 0)
    elif covariance_type == "diag":
        ok = covars.ndim == 2 and covars.shape[0] == n_components and np.all(covars > 0)
    elif covariance_type == "tied":
        ok = (covars.ndim == 2 and covars.shape[0] == covars.shape[1]
              and np.allclose(covars, covars.T) and np.all(linalg.eigvalsh(covars) > 0))
    elif covariance_type == "full":
        ok = (covars.ndim == 3 and covars.shape[0] == n_components
              and covars.shape[1] == covars.shape[2]
              and all(np.allclose(c, c.T) and np.all(linalg.eigvalsh(c) > 0) for c in covars))
    else:
        check_covariance_type(covariance_type)
    if not ok or not np.all(np.isfinite(covars)):
        raise ValueError(f"{covariance_type!r} covars must have the shape of that type "
                         f"and be positive (definite); got shape {covars.shape}.")
    return covars


def _cholesky(cov, min_covar=1e-7):
    """Lower Cholesky factor; like hmmlearn, retries with ``min_covar`` on the diagonal."""
    try:
        return linalg.cholesky(cov, lower=True)
    except linalg.LinAlgError:
        return linalg.cholesky(cov + min_covar * np.eye(len(cov)), lower=True)


class GaussianHMM(BaseHMM):
    """Hidden Markov model with Gaussian emissions.

    hmmlearn's ``GaussianHMM`` (same parameters, defaults and attributes) on
    compiled kernels; NaN in X means "missing" and is marginalized out.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    covariance_type : {"spherical", "diag", "full", "tied"}, default="diag"
        Form of the state covariances: one variance per state, one per state
        and feature, a full matrix per state, or one full matrix shared.
    min_covar : float, default=1e-3
        Added to the diagonal of the initial covariances.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Parameters of the Dirichlet prior on ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), \
default=1.0
        Parameters of the Dirichlet prior on each row of ``transmat_``.
    means_prior : float or array-like of shape (n_components, n_features), default=0
        Mean of the Normal prior on ``means_``.
    means_weight : float or array-like of shape (n_components,), default=0
        Precision weight of the Normal prior on ``means_``.
    covars_prior : float or array-like, default=1e-2
        Scale of the inverse-Gamma ("spherical", "diag") or inverse-Wishart
        ("full", "tied") prior on the covariances.
    covars_weight : float or array-like, default=1
        Shape (degrees of freedom) of that prior.
    algorithm : {"viterbi", "map"}, default="viterbi"
        Decoder used by ``decode`` and ``predict``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization (and ``sample`` when it is given none).
    n_iter : int, default=10
        Maximum number of EM iterations (0: initialize only).
    tol : float, default=1e-2
        EM stops when the log-likelihood gains less than ``tol``.
    verbose : bool, default=False
        Print each EM iteration's log-likelihood to stderr.
    params : str, default="stmc"
        Parameters EM updates: 's' startprob, 't' transmat, 'm' means,
        'c' covars.
    init_params : str, default="stmc"
        Parameters ``fit`` initializes, same letters: means by k-means,
        covariances from the data's, start and transitions from a Dirichlet.
    implementation : {"log", "scaling"}, default="log"
        Accepted for hmmlearn compatibility; both compute the same numbers
        (the compiled forward-backward shifts and scales each frame).
    n_init : int, default=1
        EM restarts from different initializations; the best final
        log-likelihood is kept.
    n_jobs : int or None, default=None
        Threads of the compiled kernels (None: OpenMP's default, -1: all).
    init_sample_size : "auto", int or None, default="auto"
        Rows the k-means initialization of the means clusters, drawn
        uniformly from ``random_state``: "auto" takes max(2000, 50 *
        n_components) rows, an int that many, None every row (hmmlearn's
        ``KMeans(n_init=10)`` on all of X, which on long data costs more
        than the EM iterations).  X with fewer rows is clustered whole.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
        Initial state distribution.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities, rows sum to 1.
    means_ : ndarray of shape (n_components, n_features)
        Mean of each state.
    covars_ : ndarray of shape (n_components, n_features, n_features)
        Covariance matrix of each state (full matrices whatever the type;
        ``_covars_`` holds hmmlearn's stored form).
    n_features : int
        Number of features.
    monitor_ : ConvergenceMonitor
        EM's convergence monitor (hmmlearn's), there from construction on.

    See Also
    --------
    GMMHMM : Gaussian-mixture emissions.
    HMMClassifier : One HMM per class, sequences classified by Bayes' rule.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.generative.hmm import GaussianHMM
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(m, 1.0, (50, 2)) for m in (0, 6, 0, 6)])
    >>> model = GaussianHMM(n_components=2, random_state=0).fit(X, lengths=[100, 100])
    >>> sorted(int(round(m)) for m in model.means_[:, 0])
    [0, 6]
    """

    _emission_param_names = ("means_", "_covars_")
    # A per-state constant added to every frame's log-density: None here;
    # the variational E-step's (VariationalGaussianHMM) sets it on its view.
    _estep_log_shift = None

    def __init__(self, n_components=1, covariance_type="diag", min_covar=1e-3,
                 startprob_prior=1.0, transmat_prior=1.0, means_prior=0, means_weight=0,
                 covars_prior=1e-2, covars_weight=1, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False,
                 params="stmc", init_params="stmc", implementation="log",
                 n_init=1, n_jobs=None, init_sample_size="auto"):
        self._store_params(locals())

    @property
    def covars_(self):
        """Covariance matrices of the states, always (K, d, d)."""
        return fill_covars(self._covars_, self.covariance_type, self.n_components,
                           self.means_.shape[1])

    @covars_.setter
    def covars_(self, covars):
        covars = np.array(covars, dtype=np.float64)
        self._covars_ = validate_covars(covars, self.covariance_type, self.n_components)

    n_features = n_features_property(lambda self: np.shape(self.means_)[1])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True     # NaN = missing, marginalized out
        return tags

    # ---- hooks ------------------------------------------------------------

    def _validate_X(self, X, fitting):
        check_covariance_type(self.covariance_type)
        check_min_covar(self.min_covar)
        refuse_dates(X)
        X = validate_data(self, X, reset=fitting, dtype=FLOAT_DTYPES, order="C",
                          ensure_all_finite=False)
        # One reduction decides the common case (all finite: the sum is
        # finite); only then are NaN and inf told apart.
        has_nan = False
        if not np.isfinite(np.sum(X, dtype=np.float64)):
            if np.isinf(X).any():
                raise ValueError("X holds infinite values; only NaN (missing) is allowed.")
            has_nan = np.isnan(X).any()
        if fitting and has_nan and np.isnan(X).all(axis=1).any():
            raise ValueError("X has rows where every feature is NaN; drop them.")
        return X

    def _check_emissions(self):
        check_covariance_type(self.covariance_type)
        self.means_ = np.asarray(self.means_, dtype=np.float64)
        if self.means_.ndim != 2 or self.means_.shape[0] != self.n_components:
            raise ValueError(f"means_ must have shape (n_components, n_features), "
                             f"got {self.means_.shape}.")
        if not np.all(np.isfinite(self.means_)):
            raise ValueError("means_ must be finite.")
        self._covars_ = validate_covars(np.asarray(self._covars_, dtype=np.float64),
                                        self.covariance_type, self.n_components)
        d = self.means_.shape[1]
        shape = {"spherical": (self.n_components,), "diag": (self.n_components, d),
                 "tied": (d, d), "full": (self.n_components, d, d)}[self.covariance_type]
        if np.shape(self._covars_) != shape:
            raise ValueError(f"covars must have shape {shape} for {self.covariance_type!r}, "
                             f"got {np.shape(self._covars_)}.")

    def _init_emissions(self, X, random_state):
        init_means = self._needs_init("m", "means_")
        init_covars = self._needs_init("c", "_covars_")
        if not (init_means or init_covars):
            return
        resolve_sample_size(self.init_sample_size, self.n_components)    # validates
        # No copy of X when it has no NaN (inf was refused by _validate_X).
        complete = X if np.isfinite(np.sum(X)) else X[~np.isnan(X).any(axis=1)]
        if len(complete) < max(2, self.n_components):
            raise ValueError(
                f"{len(complete)} rows without NaN (n_samples = {len(X)}) cannot initialize "
                f"{self.n_components} means and a covariance (at least 2 are needed); pass "
                "means_/covars_ and init_params without 'm'/'c'.")
        if init_means:
            centers = kmeans(complete, self.n_components, random_state, self.n_jobs,
                             self.init_sample_size).cluster_centers_
            self.means_ = centers.astype(np.float64)
        if init_covars:
            cv = initial_covariance(complete, self.covariance_type, self.min_covar)
            if self.covariance_type != "tied":    # one copy per state
                cv = np.tile(cv, (self.n_components,) + (1,) * np.ndim(cv))
            self._covars_ = cv

    def _diag_covars(self):
        c = np.asarray(self._covars_, dtype=np.float64)
        if self.covariance_type == "spherical":
            return np.ascontiguousarray(np.tile(c[:, None], (1, self.means_.shape[1])))
        return np.ascontiguousarray(c)

    def _full_covars(self):
        c = np.asarray(self._covars_, dtype=np.float64)
        if self.covariance_type == "tied":
            return np.tile(c, (self.n_components, 1, 1))
        return np.ascontiguousarray(c)

    @staticmethod
    def _raise_for_missing_status(status):
        raise_for_memory(status)
        if status == _miss.STATUS_ILL_DEFINED:
            raise ValueError(
                "a state's covariance is numerically singular on the observed features "
                "of a frame with NaN; raise covars_prior or min_covar, or drop "
                "(near-)duplicate features.")

    def _log_likelihood(self, X, n_threads):
        out = np.empty((len(X), self.n_components))
        means = np.ascontiguousarray(self.means_, dtype=np.float64)
        with single_threaded_blas():
            if self.covariance_type in ("spherical", "diag"):
                status = _em.gaussian_diag_loglik(X, means, self._diag_covars(), out, n_threads,
                                                  self._estep_log_shift)
            else:
                covs = self._full_covars()
                prec_chol = np.empty_like(covs)
                for k, cov in enumerate(covs):
                    L = _cholesky(cov)
                    prec_chol[k] = linalg.solve_triangular(L, np.eye(len(L)), lower=True).T
                status = _em.gaussian_full_loglik(X, means, prec_chol, out, n_threads,
                                                  self._estep_log_shift)
                if status == _em.STATUS_OK:
                    # Rows with NaN got NaN there: the marginal density of
                    # their observed features instead, frame by frame.
                    self._raise_for_missing_status(
                        _miss.gaussian_missing_loglik(X, means, covs, out, n_threads))
        raise_for_memory(status)
        if status == _em.STATUS_INF:
            raise ValueError("X holds infinite values; only NaN (missing) is allowed.")
        return out

    # ---- fused path: no (n, K) array (_hmm_gaussian) ------------------------

    def _uses_fused(self, X, offsets):
        """Whether the E-step and scoring run fused, per sequence, in _hmm_gaussian.

        For "diag" and "spherical" covariances and data without NaN, when
        there are several sequences.  One sequence goes to the generic path,
        whose emission and moment passes run on all threads over blocks of
        rows (the fused kernel gives each sequence to one thread).  Shapes
        and data decide, never the thread count, so results do not depend on it.
        """
        return (self.covariance_type in ("spherical", "diag") and len(offsets) > 2
                and np.isfinite(np.sum(X, dtype=np.float64)))

    def _run_fused(self, X, offsets, n_threads, forward_only):
        K, d = self.n_components, X.shape[1]
        logprob, start = np.empty(len(offsets) - 1), np.empty(K)
        trans, moments = np.empty((K, K)), np.empty((K, 2 * d + 1))
        with single_threaded_blas():
            status = _fused.forward_backward_gaussian_diag(
                X, offsets, np.ascontiguousarray(self.means_, dtype=np.float64),
                self._diag_covars(), self.startprob_, self.transmat_, logprob, start, trans,
                moments, n_threads, forward_only, self._estep_log_shift)
        self._raise_for_loglik_status(status)
        return logprob, start, trans, moments

    def _do_estep(self, X, offsets, n_threads):
        if not self._uses_fused(X, offsets):
            return super()._do_estep(X, offsets, n_threads)
        logprob, start, trans, moments = self._run_fused(X, offsets, n_threads, False)
        self._raise_if_impossible(logprob)
        stats = {"nobs": len(offsets) - 1, "start": start, "trans": trans}
        if {"m", "c"} & set(self.params):
            d = X.shape[1]
            stats.update(post=moments[:, 2 * d], obs=moments[:, :d], post_obs=None)
            if "c" in self.params:
                stats["obs**2"] = moments[:, d:2 * d]
        return stats, float(logprob.sum())

    def _sequence_logprob(self, X, offsets, n_threads):
        if not self._uses_fused(X, offsets):
            return super()._sequence_logprob(X, offsets, n_threads)
        return self._run_fused(X, offsets, n_threads, True)[0]

    def _emission_stats(self, X, posteriors, n_threads):
        stats = {}
        if not ({"m", "c"} & set(self.params)):
            return stats
        complete = np.isfinite(np.sum(X, dtype=np.float64))   # no NaN (inf was rejected)
        if complete and self.covariance_type in ("spherical", "diag"):
            # All moments in one compiled pass over X (no X^2 copy).
            K, d = self.n_components, X.shape[1]
            stats = {"post": np.empty(K), "obs": np.empty((K, d)), "post_obs": None}
            if "c" in self.params:
                stats["obs**2"] = np.empty((K, d))
            with single_threaded_blas():
                raise_for_memory(_em.weighted_sums(posteriors, X, stats["post"], stats["obs"],
                                                   n_threads, stats.get("obs**2")))
            return stats
        stats["post"] = posteriors.sum(axis=0)
        if not complete and self.covariance_type in ("full", "tied"):
            return self._missing_full_stats(X, posteriors, stats, n_threads)
        if complete:
            X0 = X.astype(np.float64, copy=False)
            stats["post_obs"] = None
        else:
            observed = ~np.isnan(X)
            X0 = np.where(observed, X, 0.0)
            # Per state and feature: the posterior mass of the frames where the
            # feature was observed.
            stats["post_obs"] = posteriors.T @ observed
        stats["obs"] = posteriors.T @ X0
        if "c" in self.params:
            if self.covariance_type in ("spherical", "diag"):
                stats["obs**2"] = posteriors.T @ (X0 * X0)
            else:
                stats["obs*obs.T"] = np.stack(
                    [(X0 * posteriors[:, k:k + 1]).T @ X0 for k in range(self.n_components)])
        return stats

    def _missing_full_stats(self, X, posteriors, stats, n_threads):
        """Compute expected moments for full/tied covariances when some values are missing.

        Under state k a row's missing block given its observed block o is
        Gaussian with mean x_hat_m = mu_m + S_mo S_oo^-1 (x_o - mu_o) and
        covariance C = S_mm - S_mo S_oo^-1 S_om, so E[x] = x_hat and
        E[x x^T] = x_hat x_hat^T + C on the missing block: the exact E-step
        (Ghahramani & Jordan 1994), one Cholesky per frame and state in the
        compiled kernel, complete frames by BLAS products per block.
        """
        K, d = self.n_components, X.shape[1]
        obs, outer = np.empty((K, d)), np.empty((K, d, d))
        means = np.ascontiguousarray(self.means_, dtype=np.float64)
        with single_threaded_blas():
            status = _miss.gaussian_missing_stats(X, posteriors, means, self._full_covars(),
                                                  obs, outer, "c" in self.params, n_threads)
        self._raise_for_missing_status(status)
        stats.update({"post_obs": None, "obs": obs})
        if "c" in self.params:
            stats["obs*obs.T"] = outer
        return stats

    def _mstep_emissions(self, stats):
        if not stats:
            return
        post = stats["post"]
        denom = (stats["post_obs"] if stats["post_obs"] is not None
                 else np.broadcast_to(post[:, None], stats["obs"].shape))
        empty = post <= 0
        if np.any(empty):
            warnings.warn(f"{int(empty.sum())} state(s) received no posterior mass; their "
                          "means and covariances are kept.", RuntimeWarning, stacklevel=2)
        old_means, old_covars = self.means_, np.asarray(self._covars_)
        mw, mp = self.means_weight, self.means_prior
        if "m" in self.params:
            with np.errstate(invalid="ignore", divide="ignore"):
                means = (mw * mp + stats["obs"]) / (mw + denom)
            self.means_ = np.where(denom > 0, means, old_means) if mw == 0 else means
        if "c" in self.params:
            covars = self._mstep_covars(stats, denom, mw, mp)
            if self.covariance_type == "tied":
                if not np.all(np.isfinite(covars)):
                    covars = old_covars
            else:
                axes = tuple(range(1, covars.ndim))
                bad = empty | ~np.all(np.isfinite(covars), axis=axes)
                if self.covariance_type in ("spherical", "diag"):
                    bad |= ~np.all(covars > 0, axis=axes)
                covars[bad] = old_covars[bad]
            self._covars_ = covars

    def _mstep_covars(self, stats, denom, mw, mp):
        means, cp, cw = self.means_, self.covars_prior, self.covars_weight
        meandiff = means - mp
        if self.covariance_type in ("spherical", "diag"):
            c_n = (mw * meandiff ** 2 + stats["obs**2"] - 2 * means * stats["obs"]
                   + means ** 2 * denom)
            c_d = max(cw - 1, 0) + denom
            cov = (cp + c_n) / np.maximum(c_d, 1e-5)
            return cov.mean(axis=1) if self.covariance_type == "spherical" else cov
        post = stats["post"]
        c_n = np.empty((self.n_components,) + stats["obs*obs.T"].shape[1:])
        for c in range(self.n_components):
            obsmean = np.outer(stats["obs"][c], means[c])
            c_n[c] = (mw * np.outer(meandiff[c], meandiff[c]) + stats["obs*obs.T"][c]
                      - obsmean - obsmean.T + np.outer(means[c], means[c]) * post[c])
        cvweight = max(cw - means.shape[1], 0)
        if self.covariance_type == "tied":
            return (cp + c_n.sum(axis=0)) / (cvweight + post.sum())
        return (cp + c_n) / (cvweight + post[:, None, None])

    def _emission_doubles(self, n_samples, n_features):
        K, d = float(self.n_components), float(n_features)
        # means, covariances and their per-state Cholesky factors and statistics
        full = self.covariance_type in ("full", "tied")
        return 2 * K * d + (4 * K * d * d if full else 3 * K * d)

    def _emission_param_counts(self):
        K, d = self.n_components, self.n_features
        return {"m": K * d, "c": {"spherical": K, "diag": K * d, "full": K * d * (d + 1) // 2,
                                  "tied": d * (d + 1) // 2}[self.covariance_type]}

    def _sample_emissions(self, states, random_state):
        d = self.n_features
        X = np.empty((len(states), d))
        covs = self.covars_
        for k in range(self.n_components):
            rows = np.flatnonzero(states == k)
            if len(rows):
                X[rows] = random_state.multivariate_normal(self.means_[k], covs[k], len(rows))
        return X
