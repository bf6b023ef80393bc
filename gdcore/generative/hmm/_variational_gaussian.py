"""VariationalGaussianHMM: Gaussian emissions fitted by variational Bayes (hmmlearn's).

Each state's mean and precision get a Normal-Wishart posterior: mean
``means_posterior_`` with precision ``beta_posterior_`` times the state's
precision, and a Wishart with ``dof_posterior_`` degrees of freedom and
inverse scale ``scale_posterior_`` ("diag" and "spherical" keep its
diagonal, "tied" shares one Wishart between the states), as hmmlearn 0.3.3.

The E-step density is E[log N(x; mu_k, Lambda_k)] under that posterior,

    0.5 (E[log |Lambda_k|] - d log 2 pi - nu_k (x - m_k)^T W_k (x - m_k) - d / beta_k),
    E[log |Lambda_k|] = sum_i digamma((nu_k - i) / 2) + d log 2 + log |W_k|,

with W_k = inv(scale_k) and nu_k the degrees of freedom: the Gaussian
log-density with mean m_k and covariance S_k = scale_k / nu_k, plus the
per-state constant

    0.5 (sum_i digamma((nu_k - i) / 2) + d log 2 - d log nu_k - d / beta_k + d log 2 pi)

(log |W_k| cancels against log |S_k|; the last term is there because
hmmlearn leaves the -d log(2 pi) / 2 of the density out, and its lower
bound with it: gdcore's equals hmmlearn's).  So it runs in GaussianHMM's
compiled E-step, fused per sequence for "diag"/"spherical" and BLAS-blocked
for "full"/"tied", with that constant as the kernels' ``log_shift``.
"""

import numpy as np
from scipy.special import digamma, gammaln
from sklearn.utils.validation import validate_data

from gdcore._validation import FLOAT_DTYPES, refuse_dates
from gdcore.generative.hmm._base import initial_covariance
from gdcore.generative.hmm._docs import variational_class_doc
from gdcore.generative.hmm._gaussian import GaussianHMM, check_covariance_type, fill_covars
from gdcore.generative.hmm._kmeans import kmeans
from gdcore.generative.hmm._variational import (
    START_TRANS_NAMES,
    VariationalMixin,
    posterior_attribute,
)

LOG_2PI = np.log(2 * np.pi)
# hmmlearn's default scale prior (and the ridge added to the data's
# covariance at initialization): 1e-3 times the identity.
SCALE_PRIOR = 1e-3


def _logdet(a):
    """Log |a| of each matrix of a stack (positive definite: checked before)."""
    return np.linalg.slogdet(a)[1]


def kl_wishart(dof_q, scale_q, dof_p, scale_p):
    """KL(Wishart(dof_q, scale_q) || Wishart(dof_p, scale_p)), inverse scales, per matrix.

    hmmlearn's formula (Ji, Krishnapuram & Carin 2006), over a stack of
    (d, d) matrices.
    """
    d = scale_q.shape[-1]
    i = np.arange(d)

    def log_z(dof, scale):
        return (d * (d - 1) / 4 * np.log(np.pi) - dof / 2 * _logdet(scale / 2)
                + gammaln((dof[..., None] - i) / 2).sum(axis=-1))

    e_log_det = -_logdet(scale_q / 2) + digamma((dof_q[..., None] - i) / 2).sum(axis=-1)
    trace = np.trace(np.linalg.solve(scale_q, scale_p), axis1=-2, axis2=-1)
    return ((dof_q - dof_p) / 2 * e_log_det - d * dof_q / 2 + dof_q / 2 * trace
            + log_z(dof_p, scale_p) - log_z(dof_q, scale_q))


_DOC = """Hidden Markov model with Gaussian emissions, fitted by variational Bayes.

hmmlearn's ``VariationalGaussianHMM`` (same parameters, defaults,
attributes and lower bound): Dirichlet
posteriors on the start and transition probabilities and a
Normal-Wishart posterior on each state's mean and covariance, each
iteration a forward-backward pass on the sub-normalized parameters in
gdcore's compiled kernels.

Parameters
----------
n_components : int, default=1
    Number of states.
covariance_type : {{"spherical", "diag", "full", "tied"}}, default="full"
    Form of the covariances: one variance per state, one per state and
    feature, a full matrix per state, or one full matrix shared.
{start_trans_priors}
means_prior : array-like of shape (n_components, n_features) or None, default=None
    Mean of the Normal prior on the means; None: the mean of X.
beta_prior : array-like of shape (n_components,) or None, default=None
    Precision scale of the Normal prior on the means; None: 1.
dof_prior : float, array-like of shape (n_components,) or None, default=None
    Degrees of freedom of the Wishart prior (a number for "tied");
    None: n_features.
scale_prior : array-like or None, default=None
    Inverse scale of the Wishart prior, shaped as ``scale_posterior_``;
    None: 1e-3 times the identity.
{fit_params}
params : str, default="stmc"
    Posteriors the iterations update: 's' start, 't' transitions,
    'm' means, 'c' covariances.
init_params : str, default="stmc"
    Posteriors (and priors) ``fit`` initializes, same letters: the means
    from hmmlearn's k-means on every row, the covariances from the data's.
{run_params}

Attributes
----------
{start_trans_attributes}
means_prior_, means_posterior_ : ndarray of shape (n_components, n_features)
    Prior and posterior mean of each state's mean.
beta_prior_, beta_posterior_ : ndarray of shape (n_components,)
    Prior and posterior precision scale of each state's mean.
dof_prior_, dof_posterior_ : ndarray of shape (n_components,) or float
    Degrees of freedom of the Wishart prior and posterior (one number
    for "tied").
scale_prior_, scale_posterior_ : ndarray
    Inverse scale of the Wishart prior and posterior: (n_components,)
    "spherical", (n_components, n_features) "diag", (n_components,
    n_features, n_features) "full", (n_features, n_features) "tied".
{expected_attributes}
means_ : ndarray of shape (n_components, n_features)
    ``means_posterior_`` (hmmlearn's alias).
covars_ : ndarray of shape (n_components, n_features, n_features)
    scale_posterior_ / dof_posterior_ as full matrices (``_covars_``
    holds the stored form).
n_features : int
    Number of features.
{monitor}

See Also
--------
GaussianHMM : The same model fitted by maximum likelihood (EM).
VariationalCategoricalHMM : Categorical emissions, variational Bayes.

Notes
-----
As hmmlearn, the lower bound leaves out the constant
-n_samples * n_features * log(2 pi) / 2 (each frame's expected
log-density is taken without it), so ``monitor_.history`` equals
hmmlearn's; the posteriors do not depend on it.

Examples
--------
>>> import numpy as np
>>> from gdcore.generative.hmm import VariationalGaussianHMM
>>> rng = np.random.RandomState(0)
>>> X = np.concatenate([rng.normal(m, 1.0, (50, 2)) for m in (0, 6, 0, 6)])
>>> model = VariationalGaussianHMM(n_components=2, random_state=0)
>>> model = model.fit(X, lengths=[100, 100])
>>> sorted(int(round(m)) for m in model.means_posterior_[:, 0])
[0, 6]
"""


class VariationalGaussianHMM(VariationalMixin, GaussianHMM):
    __doc__ = variational_class_doc(_DOC)

    _emission_param_names = START_TRANS_NAMES + (
        "means_prior_", "means_posterior_", "beta_prior_", "beta_posterior_", "dof_prior_",
        "dof_posterior_", "scale_prior_", "scale_posterior_", "_covars_")
    # GaussianHMM's, bound here so that the API page documents it for this class
    n_features = GaussianHMM.n_features

    def __init__(self, n_components=1, covariance_type="full", startprob_prior=None,
                 transmat_prior=None, means_prior=None, beta_prior=None, dof_prior=None,
                 scale_prior=None, algorithm="viterbi", random_state=None, n_iter=100,
                 tol=1e-6, verbose=False, params="stmc", init_params="stmc",
                 implementation="log", n_init=1, n_jobs=None):
        self._store_params(locals())

    @property
    def means_(self):
        """``means_posterior_``: the posterior mean of each state's mean (hmmlearn's alias)."""
        return self.means_posterior_

    @means_.setter
    def means_(self, means):
        self.means_posterior_ = means

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False     # hmmlearn's model: no missing values
        return tags

    def _validate_X(self, X, fitting):
        check_covariance_type(self.covariance_type)
        refuse_dates(X)
        return validate_data(self, X, reset=fitting, dtype=FLOAT_DTYPES, order="C")

    # ---- initialization and checks ----------------------------------------

    def _init_emission_posteriors(self, X, random_state):
        # Short-circuit, as hmmlearn's chain of "or": one log record at most.
        init_m = any(self._needs_init("m", n) for n in ("means_prior_", "means_posterior_",
                                                         "beta_prior_", "beta_posterior_"))
        init_c = any(self._needs_init("c", n) for n in ("dof_prior_", "dof_posterior_",
                                                         "scale_prior_", "scale_posterior_"))
        if not (init_m or init_c):
            return
        K, d = self.n_components, X.shape[1]
        if len(X) < max(2, K):
            raise ValueError(f"{len(X)} samples cannot initialize {K} states (at least "
                             f"{max(2, K)} are needed); pass the posteriors and init_params "
                             "without 'm'/'c'.")
        km = kmeans(X, K, random_state, self.n_jobs, None)
        counts = np.bincount(km.labels_, minlength=K).astype(np.float64)
        if np.any(counts == 0):
            # Their beta and degrees of freedom would start at 0: an improper posterior.
            raise ValueError(f"k-means left {int(np.sum(counts == 0))} of {K} states without "
                             "a row (X has fewer distinct rows than n_components): use fewer "
                             "states, or pass the posteriors and init_params without 'm'/'c'.")
        if init_m:
            self.means_prior_ = (np.full((K, d), X.mean(axis=0)) if self.means_prior is None
                                 else self.means_prior)
            self.means_posterior_ = km.cluster_centers_.astype(np.float64)
            self.beta_prior_ = np.ones(K) if self.beta_prior is None else self.beta_prior
            self.beta_posterior_ = counts
        if init_c:
            self._init_wishart(X, counts)

    def _init_wishart(self, X, counts):
        K, d, ct = self.n_components, X.shape[1], self.covariance_type
        tied = ct == "tied"
        if self.dof_prior is not None:
            self.dof_prior_ = self.dof_prior
        else:
            self.dof_prior_ = float(d) if tied else np.full(K, float(d))
        self.dof_posterior_ = counts.sum() if tied else counts.copy()
        cv = initial_covariance(X, ct, SCALE_PRIOR)
        if ct == "full":
            prior = np.broadcast_to(SCALE_PRIOR * np.eye(d), (K, d, d))
            cv = np.tile(cv, (K, 1, 1))
        elif ct == "tied":
            prior = SCALE_PRIOR * np.eye(d)
        else:
            prior = np.full((K, d) if ct == "diag" else (K,), SCALE_PRIOR)
            cv = np.tile(cv, (K,) + (1,) * np.ndim(cv))
        self.scale_prior_ = prior if self.scale_prior is None else self.scale_prior
        dof = self.dof_posterior_ if tied else counts.reshape((K,) + (1,) * (cv.ndim - 1))
        self.scale_posterior_ = cv * dof

    def _shapes(self):
        K, d = self.n_components, self.n_features
        return {"full": (K, d, d), "tied": (d, d), "diag": (K, d),
                "spherical": (K,)}[self.covariance_type]

    def _check_emission_posteriors(self):
        check_covariance_type(self.covariance_type)
        K = self.n_components
        means = posterior_attribute(self, "means_posterior_")
        if means.ndim != 2 or means.shape[0] != K:
            raise ValueError(f"means_posterior_ must have shape (n_components, n_features), "
                             f"got {means.shape}.")
        self.means_posterior_ = means
        d = self.n_features
        for name, shape in (("means_prior_", (K, d)), ("means_posterior_", (K, d)),
                            ("beta_prior_", (K,)), ("beta_posterior_", (K,)),
                            ("dof_prior_", () if self.covariance_type == "tied" else (K,)),
                            ("dof_posterior_", () if self.covariance_type == "tied" else (K,)),
                            ("scale_prior_", self._shapes()), ("scale_posterior_", self._shapes())):
            a = posterior_attribute(self, name)
            if a.shape != shape:
                raise ValueError(f"{name} must have shape {shape} for covariance_type="
                                 f"{self.covariance_type!r}, got {a.shape}.")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{name} must be finite.")
            setattr(self, name, a)
        if np.any(self.beta_prior_ <= 0) or np.any(self.beta_posterior_ <= 0):
            raise ValueError("beta_prior_ and beta_posterior_ must be positive.")
        for name in ("dof_prior_", "dof_posterior_"):
            if np.any(getattr(self, name) <= d - 1):
                raise ValueError(f"{name} must exceed n_features - 1 = {d - 1} (Wishart "
                                 "degrees of freedom).")
        for name in ("scale_prior_", "scale_posterior_"):
            full = self._full(getattr(self, name))
            if not np.all(np.linalg.eigvalsh(full) > 0):
                raise ValueError(f"{name} must be positive (definite).")

    def _full(self, scale):
        """(K, d, d) matrices of a stored scale (hmmlearn's fill_covars)."""
        return fill_covars(scale, self.covariance_type, self.n_components, self.n_features)

    def _dof_per_state(self):
        return np.broadcast_to(np.asarray(self.dof_posterior_, dtype=np.float64),
                               (self.n_components,))

    def _set_expected_emissions(self):
        dof = np.asarray(self.dof_posterior_)
        if self.covariance_type in ("full", "diag"):
            dof = dof.reshape((-1,) + (1,) * (self.scale_posterior_.ndim - 1))
        self._covars_ = self.scale_posterior_ / dof

    # ---- variational E-step, lower bound, M-step --------------------------

    def _subnormalize_emissions(self, view):
        # Means and covariances are the expected values _set_expected_emissions
        # keeps; the log-|Lambda| and 1 / beta terms are the kernels' shift.
        d = self.n_features
        dof = self._dof_per_state()
        view._estep_log_shift = 0.5 * (
            digamma((dof[:, None] - np.arange(d)) / 2).sum(axis=1)
            + d * (np.log(2) + LOG_2PI) - d * np.log(dof) - d / self.beta_posterior_)

    def _emission_kl(self):
        d = self.n_features
        dof_q = self._dof_per_state()
        scale_q = self._full(self.scale_posterior_)
        beta_q, beta_p = self.beta_posterior_, self.beta_prior_
        # KL of N(m_q, (beta_q Lambda)^-1) from N(m_p, (beta_p Lambda)^-1) at
        # Lambda = E[Lambda] = dof W: hmmlearn's, in closed form.
        diff = self.means_posterior_ - self.means_prior_
        quad = np.einsum("ki,kij,kj->k", diff, np.linalg.inv(scale_q), diff)
        kl = 0.5 * (d * np.log(beta_q / beta_p) + d * beta_p / beta_q
                    + beta_p * dof_q * quad - d).sum()
        if self.covariance_type == "tied":
            kl += kl_wishart(np.asarray(self.dof_posterior_, dtype=np.float64),
                             self.scale_posterior_,
                             np.asarray(self.dof_prior_, dtype=np.float64), self.scale_prior_)
        else:
            kl += kl_wishart(dof_q, scale_q, self.dof_prior_, self._full(self.scale_prior_)).sum()
        return kl

    def _mstep_emission_posteriors(self, stats):
        bp, mp = self.beta_prior_, self.means_prior_
        if "m" in self.params:
            self.beta_posterior_ = bp + stats["post"]
            self.means_posterior_ = ((bp[:, None] * mp + stats["obs"])
                                     / self.beta_posterior_[:, None])
        if "c" not in self.params:
            return
        bq, mq = self.beta_posterior_, self.means_posterior_
        ct = self.covariance_type
        if ct in ("full", "tied"):
            outer = (stats["obs*obs.T"] + np.einsum("c,ci,cj->cij", bp, mp, mp)
                     - np.einsum("c,ci,cj->cij", bq, mq, mq))
        else:
            outer = stats["obs**2"] + bp[:, None] * mp * mp - bq[:, None] * mq * mq
        post = stats["post"]
        if ct == "tied":
            self.dof_posterior_ = self.dof_prior_ + post.sum()
            self.scale_posterior_ = self.scale_prior_ + outer.sum(axis=0)
        else:
            self.dof_posterior_ = self.dof_prior_ + post
            self.scale_posterior_ = self.scale_prior_ + (outer.mean(axis=1) if ct == "spherical"
                                                         else outer)

    def _emission_param_counts(self):
        K, d = self.n_components, self.n_features
        return {"m": K * d + K, "c": {"full": K + K * d * (d + 1) // 2,
                                      "tied": 1 + d * (d + 1) // 2, "diag": K + K * d,
                                      "spherical": K + K}[self.covariance_type]}
