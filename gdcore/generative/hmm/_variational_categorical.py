"""VariationalCategoricalHMM: categorical emissions fitted by variational Bayes (hmmlearn's).

Dirichlet posteriors on the start, transition and emission probabilities
(``_variational``).  The E-step runs in log space on the compiled kernels:
a table look-up of E[log B] = digamma(posterior) - digamma(row sum) per frame
(``_hmm_emissions.categorical_loglik``), then the forward-backward that
shifts each frame by its largest log-likelihood (``_hmm``).  CategoricalHMM's
fused kernel reads a linear table instead, where exp(E[log B]) of a symbol
that a state's posterior gives almost no mass (Dirichlet draws of a small
prior often do) underflows to 0 and makes frames impossible that hmmlearn's
log-space E-step keeps.
"""

import numpy as np
from sklearn.utils import check_random_state

from gdcore.generative.hmm import _hmm_emissions as _em
from gdcore.generative.hmm._categorical import CategoricalHMM
from gdcore.generative.hmm._docs import variational_class_doc
from gdcore.generative.hmm._variational import (
    START_TRANS_NAMES,
    VariationalMixin,
    check_dirichlet,
    kl_dirichlet,
    log_subnormalized,
    posterior_attribute,
)

_DOC = """Hidden Markov model with categorical emissions, fitted by variational Bayes.

hmmlearn's ``VariationalCategoricalHMM`` (same parameters, defaults,
attributes and lower bound): Dirichlet posteriors on the start,
transition and emission probabilities, each EM iteration a
forward-backward pass on the sub-normalized parameters, in gdcore's
compiled kernels.  Each frame is one integer symbol in
[0, n_features), a single column of X.

Parameters
----------
n_components : int, default=1
    Number of states.
{start_trans_priors}
emissionprob_prior : float, array-like of shape (n_components, n_features) or None, default=None
    Dirichlet prior on each row of ``emissionprob_``; None: 1 / n_features.
n_features : int or None, default=None
    Size of the alphabet; None: 1 + the largest symbol ``fit`` sees.
{fit_params}
params : str, default="ste"
    Posteriors the iterations update: 's' start, 't' transitions,
    'e' emissions.
init_params : str, default="ste"
    Posteriors (and priors) ``fit`` initializes, same letters.
{run_params}

Attributes
----------
{start_trans_attributes}
emissionprob_prior_, emissionprob_posterior_ : ndarray of shape (n_components, n_features)
    Dirichlet prior and posterior of each state's symbol probabilities.
{expected_attributes}
emissionprob_ : ndarray of shape (n_components, n_features)
    Posterior mean of the symbol probabilities.
n_features_ : int
    Size of the alphabet in use.
{monitor}

See Also
--------
CategoricalHMM : The same model fitted by maximum likelihood (EM).
VariationalGaussianHMM : Gaussian emissions, variational Bayes.

Examples
--------
>>> import numpy as np
>>> from gdcore.generative.hmm import VariationalCategoricalHMM
>>> X = np.array([[0], [0], [1], [2], [2], [1], [0], [0], [2], [2]])
>>> model = VariationalCategoricalHMM(n_components=2, random_state=0).fit(X)
>>> model.emissionprob_posterior_.shape
(2, 3)
"""


class VariationalCategoricalHMM(VariationalMixin, CategoricalHMM):
    __doc__ = variational_class_doc(_DOC)

    _emission_param_names = START_TRANS_NAMES + (
        "emissionprob_prior_", "emissionprob_posterior_", "emissionprob_", "n_features_")

    def __init__(self, n_components=1, startprob_prior=None, transmat_prior=None,
                 emissionprob_prior=None, n_features=None, algorithm="viterbi",
                 random_state=None, n_iter=100, tol=1e-6, verbose=False, params="ste",
                 init_params="ste", implementation="log", n_init=1, n_jobs=None):
        self._store_params(locals())

    def _init_emission_posteriors(self, X, random_state):
        self.n_features = self.n_features_        # hmmlearn sets it at initialization
        if not self._needs_init("e", "emissionprob_posterior_"):
            return
        K, M = self.n_components, self.n_features_
        prior = 1.0 / M if self.emissionprob_prior is None else self.emissionprob_prior
        self.emissionprob_prior_ = np.full((K, M), prior, dtype=np.float64)
        # A fresh generator from the same seed, as hmmlearn does.
        rs = check_random_state(random_state)
        if np.ndim(prior) == 0:
            draws = rs.dirichlet(np.full(M, prior), size=K)
        else:
            draws = np.array([rs.dirichlet(row) for row in self.emissionprob_prior_])
        # len(X) / K: the expected frames of each state.
        self.emissionprob_posterior_ = draws * len(X) / K

    def _check_emission_posteriors(self):
        prior = np.atleast_2d(posterior_attribute(self, "emissionprob_prior_"))
        post = np.atleast_2d(posterior_attribute(self, "emissionprob_posterior_"))
        if prior.shape != post.shape:
            raise ValueError(f"emissionprob_prior_ and emissionprob_posterior_ must have the "
                             f"same shape (n_components, n_features), got {prior.shape} "
                             f"and {post.shape}.")
        if self.n_features is None:
            self.n_features = post.shape[1]       # hmmlearn's _check sets it
        shape = (self.n_components, self.n_features)
        self.emissionprob_prior_, self.emissionprob_posterior_ = prior, post
        for name in ("emissionprob_prior_", "emissionprob_posterior_"):
            setattr(self, name, check_dirichlet(self, name, shape))

    def _set_expected_emissions(self):
        post = self.emissionprob_posterior_
        self.emissionprob_ = post / post.sum(axis=1, keepdims=True)

    def _subnormalize_emissions(self, view):
        view._estep_log_emission_t = np.ascontiguousarray(
            log_subnormalized(self.emissionprob_posterior_).T)

    def _do_estep(self, X, offsets, n_threads):
        view = self._estep_view()
        K, M = view._estep_log_emission_t.shape[1], view._estep_log_emission_t.shape[0]
        flp = np.empty((len(X), K))
        if _em.categorical_loglik(X, view._estep_log_emission_t, flp, n_threads) != _em.STATUS_OK:
            raise ValueError(f"symbols must be in [0, {M}).")
        logprob, posteriors, trans = view._forward_backward(X, offsets, n_threads, flp=flp)
        self._raise_if_impossible(logprob)
        stats = {"nobs": len(offsets) - 1, "start": posteriors[offsets[:-1]].sum(axis=0),
                 "trans": trans}
        if "e" in self.params:
            # Posterior mass per state and symbol: one counting pass per state.
            stats["obs"] = np.stack([np.bincount(X, weights=posteriors[:, k], minlength=M)
                                     for k in range(K)])
        return stats, float(logprob.sum())

    def _emission_kl(self):
        return kl_dirichlet(self.emissionprob_posterior_, self.emissionprob_prior_).sum()

    def _mstep_emission_posteriors(self, stats):
        if "e" in self.params:
            self.emissionprob_posterior_ = self.emissionprob_prior_ + stats["obs"]
