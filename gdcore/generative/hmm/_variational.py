"""Variational Bayes EM for HMMs: hmmlearn's ``VariationalBaseHMM`` on gdcore's kernels.

The parameters get Dirichlet (start, transitions, categorical emissions) or
Normal-Wishart (Gaussian emissions) posteriors instead of point estimates
(Beal 2003; McGrory & Titterington 2009).  Each iteration is one E-step and
one M-step:

- E-step: forward-backward on the sub-normalized parameters
  exp(E[log pi]), exp(E[log A]) and exp(E[log p(x | state)]) under the
  current posteriors.  It runs on the same compiled kernels as the
  maximum-likelihood models: ``_estep_view`` is a shallow copy of the model
  whose ``startprob_``, ``transmat_`` and emission parameters are these
  sub-normalized values, and the emission class's own E-step runs on it
  (the kernels need no row of them to sum to 1).
- M-step: each posterior is its prior plus the expected counts; the
  expected values (``startprob_``, ``transmat_``, ``emissionprob_``,
  ``means_``, ``covars_``) are the posterior means, which ``score``,
  ``decode``, ``predict`` and ``sample`` use as the maximum-likelihood
  models do.

``monitor_`` records the evidence lower bound (ELBO) of each iteration: the
E-step's log-likelihood minus the KL divergences of the posteriors from the
priors, computed before the M-step, as hmmlearn 0.3.3.
"""

import copy

import numpy as np
from scipy.special import digamma, gammaln
from sklearn.utils import check_random_state

# The attributes of the start and transition posteriors (n_init restarts
# keep and restore them with the emission model's own).
START_TRANS_NAMES = ("startprob_prior_", "startprob_posterior_", "transmat_prior_",
                     "transmat_posterior_")


def log_subnormalized(alpha):
    """E[log p] under Dirichlet(alpha) for each row of ``alpha`` (last axis)."""
    return digamma(alpha) - digamma(alpha.sum(axis=-1, keepdims=True))


def kl_dirichlet(q, p):
    """KL(Dir(q) || Dir(p)) for each row of ``q`` and ``p`` (last axis)."""
    q_sum = q.sum(axis=-1)
    return (gammaln(q_sum) - gammaln(p.sum(axis=-1)) - np.sum(gammaln(q) - gammaln(p), axis=-1)
            + np.sum((q - p) * (digamma(q) - digamma(q_sum)[..., None]), axis=-1))


def posterior_attribute(model, name):
    """``model.name`` as a float64 array; ValueError (not AttributeError) when it is unset."""
    if not hasattr(model, name):
        raise ValueError(f"{type(model).__name__}.{name} is not set: fit the model, or set "
                         "it before fitting with init_params not naming it.")
    return np.asarray(getattr(model, name), dtype=np.float64)


def check_dirichlet(model, name, shape):
    """``model.name`` as a float64 array of ``shape``, positive and finite, else ValueError."""
    a = posterior_attribute(model, name)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}.")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"{name} holds the parameters of a Dirichlet distribution: they "
                         "must be positive and finite.")
    return a


class VariationalMixin:
    """Variational Bayes fitting for an HMM emission class (put it first in the bases).

    The emission class supplies ``_init_emission_posteriors(X, random_state)``,
    ``_check_emission_posteriors()``, ``_set_expected_emissions()``,
    ``_subnormalize_emissions(view)``, ``_emission_kl()`` and
    ``_mstep_emission_posteriors(stats)``.
    """

    def _initialize(self, X, random_state, lengths=None):
        """Hmmlearn's VB initialization: Dirichlet draws scaled by sequence and frame counts."""
        self._check_and_set_n_features(X)
        K = self.n_components
        n_seq = 1 if lengths is None else len(lengths)
        uniform = 1.0 / K
        rs = check_random_state(random_state)
        if (self._needs_init("s", "startprob_posterior_")
                or self._needs_init("s", "startprob_prior_")):
            prior = uniform if self.startprob_prior is None else self.startprob_prior
            self.startprob_prior_ = np.full(K, prior, dtype=np.float64)
            self.startprob_posterior_ = rs.dirichlet(np.full(K, uniform)) * n_seq
        if (self._needs_init("t", "transmat_posterior_")
                or self._needs_init("t", "transmat_prior_")):
            prior = uniform if self.transmat_prior is None else self.transmat_prior
            self.transmat_prior_ = np.full((K, K), prior, dtype=np.float64)
            # sum(lengths) / K: the expected transitions out of each state.
            self.transmat_posterior_ = rs.dirichlet(np.full(K, uniform), size=K) * len(X) / K
        self._init_emission_posteriors(X, random_state)
        self._check_posteriors()
        self._set_expected_values()
        self._warn_if_degenerate(X)

    def _check_posteriors(self):
        """ValueError unless every prior and posterior has its shape and valid values."""
        K = self.n_components
        for name, shape in (("startprob_prior_", (K,)), ("startprob_posterior_", (K,)),
                            ("transmat_prior_", (K, K)), ("transmat_posterior_", (K, K))):
            setattr(self, name, check_dirichlet(self, name, shape))
        self._check_emission_posteriors()

    def _check(self):
        """Check the posteriors, then the expected values (as the ML model checks its own)."""
        self._check_posteriors()
        super()._check()

    def _set_expected_values(self):
        """Posterior means: what scoring, decoding and sampling use."""
        self.startprob_ = self.startprob_posterior_ / self.startprob_posterior_.sum()
        self.transmat_ = self.transmat_posterior_ / self.transmat_posterior_.sum(
            axis=1, keepdims=True)
        self._set_expected_emissions()

    def _estep_view(self):
        """Return a shallow copy of the model holding the sub-normalized E-step parameters."""
        view = copy.copy(self)
        view.startprob_ = np.exp(log_subnormalized(self.startprob_posterior_))
        view.transmat_ = np.exp(log_subnormalized(self.transmat_posterior_))
        self._subnormalize_emissions(view)
        return view

    def _do_estep(self, X, offsets, n_threads):
        """Run the emission class's (compiled) E-step on the sub-normalized parameters."""
        return super(VariationalMixin, self._estep_view())._do_estep(X, offsets, n_threads)

    def _em_objective(self, logprob):
        """Return the ELBO: E-step log-likelihood minus the posteriors' KL from the priors."""
        kl = (kl_dirichlet(self.startprob_posterior_, self.startprob_prior_)
              + kl_dirichlet(self.transmat_posterior_, self.transmat_prior_).sum())
        return logprob - kl - self._emission_kl()

    def _do_mstep(self, stats):
        """Posterior = prior + expected counts; expected values = posterior means."""
        if "s" in self.params:
            self.startprob_posterior_ = self.startprob_prior_ + stats["start"]
        if "t" in self.params:
            self.transmat_posterior_ = self.transmat_prior_ + stats["trans"]
        self._mstep_emission_posteriors(stats)
        self._set_expected_values()
