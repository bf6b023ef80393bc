"""GMMHMM: hidden Markov model whose states emit Gaussian mixtures (hmmlearn's API).

Each state k emits from a mixture of ``n_mix`` Gaussians with weights
``weights_[k]``.  The K * n_mix component log-densities come from the
compiled Gaussian kernels of GaussianHMM (BLAS-blocked, no n x K x d
temporary), the per-state log-sum-exp and within-state responsibilities
from ``gdcore.generative.hmm._hmm_mixture``; the E-step moments are BLAS products
of the (n, K * n_mix) component weights with X.  Parameters, priors,
initialization and M-step are hmmlearn 0.3.3's (``hmmlearn.hmm.GMMHMM``),
including its covariance layouts: covars_ is (K, n_mix) for "spherical",
(K, n_mix, d) "diag", (K, n_mix, d, d) "full" and (K, d, d) "tied" (one
matrix shared by the mixtures of a state).

Differences from hmmlearn: the priors are not overwritten on the estimator
(the defaults hmmlearn writes into ``covars_prior``/``covars_weight`` are
derived on the fly), its fallback initialization draws from ``random_state``
instead of NumPy's global generator, and NaN in X is rejected.
"""

import warnings

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from gdcore._threads import single_threaded_blas
from gdcore._validation import FLOAT_DTYPES, refuse_dates
from gdcore.generative.hmm import _hmm_emissions as _em
from gdcore.generative.hmm import _hmm_mixture as _mix
from gdcore.generative.hmm._base import (
    BaseHMM,
    initial_covariance,
    n_features_property,
    raise_for_memory,
)
from gdcore.generative.hmm._gaussian import _cholesky, check_covariance_type, check_min_covar
from gdcore.generative.hmm._kmeans import kmeans, resolve_sample_size, sample_rows


class GMMHMM(BaseHMM):
    """Hidden Markov model with Gaussian-mixture emissions.

    hmmlearn's ``GMMHMM``: each state emits from a mixture of ``n_mix``
    Gaussians.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    n_mix : int, default=1
        Number of mixture components per state.
    min_covar : float, default=1e-3
        Added to the diagonal of the initial covariances.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Parameters of the Dirichlet prior on ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), \
default=1.0
        Parameters of the Dirichlet prior on each row of ``transmat_``.
    weights_prior : float or array-like of shape (n_components, n_mix), default=1.0
        Parameters of the Dirichlet prior on each state's mixture weights.
    means_prior : float or array-like, default=0.0
        Mean of the Normal prior on ``means_``.
    means_weight : float or array-like, default=0.0
        Precision weight of the Normal prior on ``means_``.
    covars_prior : float, array-like or None, default=None
        Scale of the inverse-Gamma ("spherical", "diag") or inverse-Wishart
        ("full", "tied") prior on the covariances; None: hmmlearn's default.
    covars_weight : float, array-like or None, default=None
        Shape (degrees of freedom) of that prior; None: hmmlearn's default.
    algorithm : {"viterbi", "map"}, default="viterbi"
        Decoder used by ``decode`` and ``predict``.
    covariance_type : {"spherical", "diag", "full", "tied"}, default="diag"
        Form of the mixture components' covariances ("tied": one matrix
        shared by the components of a state).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization (and ``sample`` when it is given none).
    n_iter : int, default=10
        Maximum number of EM iterations (0: initialize only).
    tol : float, default=1e-2
        EM stops when the log-likelihood gains less than ``tol``.
    verbose : bool, default=False
        Print each EM iteration's log-likelihood to stderr.
    params : str, default="stmcw"
        Parameters EM updates: 's' startprob, 't' transmat, 'm' means,
        'c' covars, 'w' mixture weights.
    init_params : str, default="stmcw"
        Parameters ``fit`` initializes, same letters (means by k-means on
        the data, then within each state's rows).
    implementation : {"log", "scaling"}, default="log"
        Accepted for hmmlearn compatibility; both compute the same numbers.
    n_init : int, default=1
        EM restarts from different initializations; the best final
        log-likelihood is kept.
    n_jobs : int or None, default=None
        Threads of the compiled kernels (None: OpenMP's default, -1: all).
    init_sample_size : "auto", int or None, default="auto"
        Rows both levels of k-means initialization cluster, drawn uniformly
        from ``random_state``: "auto" takes max(2000, 50 * n_components),
        None every row (hmmlearn's).

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
        Initial state distribution.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities, rows sum to 1.
    weights_ : ndarray of shape (n_components, n_mix)
        Mixture weights of each state.
    means_ : ndarray of shape (n_components, n_mix, n_features)
        Mean of each mixture component.
    covars_ : ndarray
        Covariances in hmmlearn's layout: (n_components, n_mix) "spherical",
        (n_components, n_mix, n_features) "diag", (n_components, n_mix,
        n_features, n_features) "full", (n_components, n_features,
        n_features) "tied".
    n_features : int
        Number of features.
    monitor_ : ConvergenceMonitor
        EM's convergence monitor (hmmlearn's), there from construction on.

    See Also
    --------
    GaussianHMM : One Gaussian per state.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.generative.hmm import GMMHMM
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(m, 1.0, (50, 2)) for m in (0, 6, 0, 6)])
    >>> model = GMMHMM(n_components=2, n_mix=2, random_state=0).fit(X, lengths=[100, 100])
    >>> model.means_.shape
    (2, 2, 2)
    """

    _emission_param_names = ("weights_", "means_", "covars_")

    def __init__(self, n_components=1, n_mix=1, min_covar=1e-3, startprob_prior=1.0,
                 transmat_prior=1.0, weights_prior=1.0, means_prior=0.0, means_weight=0.0,
                 covars_prior=None, covars_weight=None, algorithm="viterbi",
                 covariance_type="diag", random_state=None, n_iter=10, tol=1e-2,
                 verbose=False, params="stmcw", init_params="stmcw", implementation="log",
                 n_init=1, n_jobs=None, init_sample_size="auto"):
        self._store_params(locals())

    n_features = n_features_property(lambda self: np.shape(self.means_)[2])

    # ---- validation -------------------------------------------------------

    def _check_n_mix(self):
        if (isinstance(self.n_mix, bool) or not isinstance(self.n_mix, (int, np.integer))
                or self.n_mix < 1):
            raise ValueError(f"n_mix must be a positive integer, got {self.n_mix!r}.")

    def _validate_X(self, X, fitting):
        check_covariance_type(self.covariance_type)
        check_min_covar(self.min_covar)
        self._check_n_mix()
        refuse_dates(X)
        return validate_data(self, X, reset=fitting, dtype=FLOAT_DTYPES, order="C")

    def _emission_doubles(self, n_samples, n_features):
        K, nm, d = float(self.n_components), float(self.n_mix), float(n_features)
        # the (n, K n_mix) component log-densities and weights, and the
        # means and covariances (a d x d factor per component if full/tied)
        per_component = d * d if self.covariance_type in ("full", "tied") else d
        return 2 * n_samples * K * nm + 4 * K * nm * (d + per_component)

    def _covars_shape(self, d):
        K, nm = self.n_components, self.n_mix
        return {"spherical": (K, nm), "diag": (K, nm, d), "full": (K, nm, d, d),
                "tied": (K, d, d)}[self.covariance_type]

    def _check_emissions(self):
        check_covariance_type(self.covariance_type)
        self._check_n_mix()
        K, nm = self.n_components, self.n_mix
        self.weights_ = np.asarray(self.weights_, dtype=np.float64)
        self.means_ = np.asarray(self.means_, dtype=np.float64)
        self.covars_ = np.asarray(self.covars_, dtype=np.float64)
        if self.weights_.shape != (K, nm):
            raise ValueError(f"weights_ must have shape ({K}, {nm}), got {self.weights_.shape}.")
        if (not np.all(np.isfinite(self.weights_)) or np.any(self.weights_ < 0)
                or not np.allclose(self.weights_.sum(axis=1), 1)):
            raise ValueError("weights_ rows must be non-negative and sum to 1, got sums "
                             f"{self.weights_.sum(axis=1)}.")
        if self.means_.ndim != 3 or self.means_.shape[:2] != (K, nm):
            raise ValueError(f"means_ must have shape ({K}, {nm}, n_features), "
                             f"got {self.means_.shape}.")
        if not np.all(np.isfinite(self.means_)):
            raise ValueError("means_ must be finite.")
        shape = self._covars_shape(self.n_features)
        if self.covars_.shape != shape:
            raise ValueError(f"{self.covariance_type!r} mixture covars must have shape "
                             f"{shape}, got {self.covars_.shape}.")
        c = self.covars_
        if self.covariance_type in ("spherical", "diag"):
            ok = np.all(np.isfinite(c)) and np.all(c > 0)
        else:
            mats = c.reshape(-1, c.shape[-1], c.shape[-1])
            ok = np.all(np.isfinite(mats)) and all(
                np.allclose(a, a.T) and linalg.eigvalsh(a).min() > 0 for a in mats)
        if not ok:
            raise ValueError(f"{self.covariance_type!r} mixture covars must be positive "
                             "(definite) and symmetric.")

    # ---- priors (hmmlearn's defaults, without writing them on self) -------

    def _priors(self):
        K, nm, d = self.n_components, self.n_mix, self.n_features
        ct = self.covariance_type
        default_prior = {"full": 0.0, "tied": 0.0, "diag": -1.5,
                         "spherical": -(nm + 2.0) / 2.0}[ct]
        default_weight = {"full": -(1.0 + d + 1.0), "tied": -(nm + d + 1.0),
                          "diag": 0.0, "spherical": 0.0}[ct]
        cp = default_prior if self.covars_prior is None else self.covars_prior
        cw = default_weight if self.covars_weight is None else self.covars_weight
        cp_shape = self._covars_shape(d)
        cw_shape = {"full": (K, nm), "tied": (K,), "diag": (K, nm, d),
                    "spherical": (K, nm)}[ct]
        return {"weights_prior": np.broadcast_to(self.weights_prior, (K, nm)),
                "means_prior": np.broadcast_to(self.means_prior, (K, nm, d)),
                "means_weight": np.broadcast_to(self.means_weight, (K, nm)),
                "covars_prior": np.broadcast_to(cp, cp_shape),
                "covars_weight": np.broadcast_to(cw, cw_shape)}

    # ---- initialization (hmmlearn's k-means within k-means) ---------------

    def _init_emissions(self, X, random_state):
        K, nm = self.n_components, self.n_mix
        init = {c: self._needs_init(c, n) for c, n in
                (("w", "weights_"), ("m", "means_"), ("c", "covars_"))}
        if not any(init.values()):
            return
        if len(X) < max(2, K):
            raise ValueError(f"n_samples = {len(X)} cannot initialize {K} states and their "
                             "covariances (at least 2 and n_components are needed).")
        sample_size = resolve_sample_size(self.init_sample_size, K)
        rs = check_random_state(random_state)
        cv = initial_covariance(X, self.covariance_type, self.min_covar)
        # Both levels of k-means run on the same sample of rows (see _kmeans).
        rows = sample_rows(X, sample_size, rs)
        main = kmeans(rows, K, random_state, self.n_jobs)
        labels = main.labels_
        means = []
        for k in range(K):
            Xk = rows[labels == k]
            if len(Xk) >= nm:
                means.append(kmeans(Xk, nm, random_state, self.n_jobs).cluster_centers_)
            else:
                # hmmlearn draws these means around the centroid from the
                # data's full covariance, whatever the covariance type.
                centroid = main.cluster_centers_.mean(axis=0)
                full = initial_covariance(X, "full", self.min_covar)
                means.append(rs.multivariate_normal(centroid, full, size=nm))
        if init["w"]:
            self.weights_ = np.full((K, nm), 1.0 / nm)
        if init["m"]:
            self.means_ = np.stack(means).astype(np.float64)
        if init["c"]:
            # One copy per state ("tied") or per state and mixture component.
            copies = (K,) if self.covariance_type == "tied" else (K, nm)
            self.covars_ = np.tile(cv, copies + (1,) * np.ndim(cv))

    # ---- emission log-likelihood -----------------------------------------

    def _component_loglik(self, X, n_threads):
        """(n, K * n_mix) log-densities of every mixture component."""
        K, nm, d = self.n_components, self.n_mix, self.n_features
        out = np.empty((len(X), K * nm))
        means = np.ascontiguousarray(self.means_.reshape(K * nm, d))
        with single_threaded_blas():
            if self.covariance_type in ("spherical", "diag"):
                c = self.covars_.reshape(K * nm, -1)
                covars = np.ascontiguousarray(np.broadcast_to(c, (K * nm, d)))
                status = _em.gaussian_diag_loglik(X, means, covars, out, n_threads)
            else:
                covs = (np.repeat(self.covars_, nm, axis=0) if self.covariance_type == "tied"
                        else self.covars_.reshape(K * nm, d, d))
                prec_chol = np.empty_like(covs)
                for c, cov in enumerate(covs):
                    L = _cholesky(cov)
                    prec_chol[c] = linalg.solve_triangular(L, np.eye(d), lower=True).T
                status = _em.gaussian_full_loglik(X, means, prec_chol, out, n_threads)
        raise_for_memory(status)
        if status != _em.STATUS_OK:
            raise ValueError("X holds infinite values.")
        return out

    def _mixture(self, X, n_threads):
        """(per-frame log-likelihood (n, K), within-state responsibilities (n, K * n_mix))."""
        resp = self._component_loglik(X, n_threads)
        out = np.empty((len(X), self.n_components))
        with np.errstate(divide="ignore"):
            log_w = np.log(self.weights_)
        _mix.mixture_loglik(resp, log_w, out, n_threads)
        return out, resp

    def _log_likelihood(self, X, n_threads):
        return self._mixture(X, n_threads)[0]

    # ---- E and M steps ----------------------------------------------------

    def _do_estep(self, X, offsets, n_threads):
        flp, resp = self._mixture(X, n_threads)
        logprob, posteriors, trans = self._forward_backward(X, offsets, n_threads, flp=flp)
        self._raise_if_impossible(logprob)
        stats = {"nobs": len(offsets) - 1, "start": posteriors[offsets[:-1]].sum(axis=0),
                 "trans": trans}
        _mix.mixture_weights(resp, posteriors, n_threads)
        stats.update(self._mixture_stats(X, resp, posteriors))
        return stats, float(logprob.sum())

    def _mixture_stats(self, X, w, posteriors):
        """Hmmlearn's statistics from the component weights w (n, K * n_mix), by BLAS.

        The centred moments sum_t w (x - mu)^2 are expanded around the current
        means, sum w x^2 - 2 mu sum w x + mu^2 sum w: no n x K x n_mix x d array.
        """
        K, nm, d = self.n_components, self.n_mix, self.n_features
        X64 = X.astype(np.float64, copy=False)
        mu = self.means_.reshape(K * nm, d)
        sw = w.sum(axis=0)                                    # (K nm,)
        wx = w.T @ X64                                        # (K nm, d)
        stats = {"post_mix_sum": sw.reshape(K, nm), "post_sum": posteriors.sum(axis=0),
                 "m_n": wx.reshape(K, nm, d)}
        if "c" not in self.params:
            return stats
        if self.covariance_type in ("spherical", "diag"):
            c_n = w.T @ (X64 * X64) - 2 * mu * wx + mu ** 2 * sw[:, None]
            c_n = c_n.reshape(K, nm, d)
            stats["c_n"] = c_n.sum(axis=2) if self.covariance_type == "spherical" else c_n
            return stats
        c_n = np.empty((K * nm, d, d))
        for c in range(K * nm):
            xw = (X64 * w[:, c:c + 1]).T @ X64
            outer = np.outer(wx[c], mu[c])
            c_n[c] = xw - outer - outer.T + sw[c] * np.outer(mu[c], mu[c])
        c_n = c_n.reshape(K, nm, d, d)
        stats["c_n"] = c_n.sum(axis=1) if self.covariance_type == "tied" else c_n
        return stats

    def _mstep_emissions(self, stats):
        pr = self._priors()
        nm, d = self.n_mix, self.n_features
        old = {n: getattr(self, n) for n in ("weights_", "means_", "covars_")}
        if "w" in self.params:
            a1 = pr["weights_prior"] - 1
            w_d = (stats["post_sum"] + a1.sum(axis=1))[:, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                self.weights_ = (stats["post_mix_sum"] + a1) / w_d
        lambdas, mus = pr["means_weight"], pr["means_prior"]
        if "m" in self.params:
            m_n = stats["m_n"] + lambdas[:, :, None] * mus
            m_d = stats["post_mix_sum"] + lambdas
            # hmmlearn: a zero-weight component with no mass gets 0/1.
            m_d = np.where((self.weights_ == 0) & (m_n == 0).all(axis=-1), 1, m_d)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.means_ = m_n / m_d[:, :, None]
        if "c" in self.params:
            cm = self.means_ - mus
            cp, cw = pr["covars_prior"], pr["covars_weight"]
            ct = self.covariance_type
            if ct == "full":
                c_n = (np.swapaxes(cp, -1, -2) + lambdas[:, :, None, None]
                       * cm[..., :, None] * cm[..., None, :] + stats["c_n"])
                c_d = (stats["post_mix_sum"] + 1 + cw + d + 1)[:, :, None, None]
            elif ct == "diag":
                c_n = lambdas[:, :, None] * cm ** 2 + 2 * cw + stats["c_n"]
                c_d = stats["post_mix_sum"][:, :, None] + 1 + 2 * (cp + 1)
            elif ct == "spherical":
                c_n = lambdas * np.einsum("...i,...i", cm, cm) + 2 * cw + stats["c_n"]
                c_d = d * (stats["post_mix_sum"] + 1) + 2 * (cp + 1)
            else:
                dots = cm[..., :, None] * cm[..., None, :]
                c_n = (np.einsum("ij,ijkl->ikl", lambdas, dots) + np.swapaxes(cp, -1, -2)
                       + stats["c_n"])
                c_d = (stats["post_sum"] + nm + cw + d + 1)[:, None, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                self.covars_ = c_n / c_d
        self._keep_finite(old)

    def _keep_finite(self, old):
        """States or components left without mass keep their previous parameters."""
        K = self.n_components
        bad = np.zeros(K, dtype=bool)
        for name in ("weights_", "means_", "covars_"):
            bad |= ~np.isfinite(getattr(self, name).reshape(K, -1)).all(axis=1)
        if self.covariance_type in ("spherical", "diag"):
            bad |= ~(self.covars_.reshape(K, -1) > 0).all(axis=1)
        if np.any(bad):
            warnings.warn(f"{int(bad.sum())} state(s) received no usable posterior mass; "
                          "their mixture parameters are kept.", RuntimeWarning, stacklevel=2)
            for name, value in old.items():
                new = np.array(getattr(self, name))
                new[bad] = value[bad]
                setattr(self, name, new)

    # ---- the rest of hmmlearn's API ---------------------------------------

    def _emission_param_counts(self):
        K, nm, d = self.n_components, self.n_mix, self.n_features
        return {"m": K * nm * d,
                "c": {"spherical": K * nm, "diag": K * nm * d, "full": K * nm * d * (d + 1) // 2,
                      "tied": K * d * (d + 1) // 2}[self.covariance_type],
                # K (n_mix - 1) free weights (hmmlearn 0.3.3 counts n_mix - 1).
                "w": K * (nm - 1)}

    def _sample_emissions(self, states, random_state):
        K, nm, d = self.n_components, self.n_mix, self.n_features
        cdf = np.cumsum(self.weights_, axis=1)
        u = random_state.random_sample(len(states))
        mix = np.minimum((u[:, None] > cdf[states]).sum(axis=1), nm - 1)
        X = np.empty((len(states), d))
        c, ct = self.covars_, self.covariance_type
        for k in range(K):
            for m in range(nm):
                rows = np.flatnonzero((states == k) & (mix == m))
                if not len(rows):
                    continue
                if ct == "spherical":
                    cov = c[k, m] * np.eye(d)
                elif ct == "diag":
                    cov = np.diag(c[k, m])
                elif ct == "full":
                    cov = c[k, m]
                else:  # "tied"
                    cov = c[k]
                X[rows] = random_state.multivariate_normal(self.means_[k, m], cov, len(rows))
        return X
