"""PoissonHMM: hidden Markov model with independent Poisson counts (hmmlearn's API).

log P(x | k) = sum_j x_j log lambda_kj - lambda_kj - log x_j!, so the
(n, K) log-likelihoods are X @ log(lambda)^T plus per-row and per-state
constants, and the statistics posteriors^T [1, X]: both compiled kernels of
``gdcore.generative.hmm._hmm_emissions`` (blocked gemm, parallel over rows, the
statistics merged in a fixed order).  The M-step is hmmlearn's (Gamma prior
``lambdas_prior``, ``lambdas_weight``).
"""

import warnings

import numpy as np
from scipy.special import gammaln
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from gdcore._validation import FLOAT_DTYPES, refuse_dates
from gdcore.generative.hmm._base import BaseHMM, n_features_property
from gdcore.generative.hmm._counts import count_loglik, weighted_counts


class PoissonHMM(BaseHMM):
    """Hidden Markov model with Poisson emissions, one rate per state and feature.

    hmmlearn's ``PoissonHMM``: each frame holds non-negative integer counts,
    independent Poisson under each state.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Parameters of the Dirichlet prior on ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), \
default=1.0
        Parameters of the Dirichlet prior on each row of ``transmat_``.
    lambdas_prior : float or array-like, default=0.0
        Shape of the Gamma prior on the rates.
    lambdas_weight : float or array-like, default=0.0
        Rate of the Gamma prior on the rates.
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
    params : str, default="stl"
        Parameters EM updates: 's' startprob, 't' transmat, 'l' lambdas.
    init_params : str, default="stl"
        Parameters ``fit`` initializes, same letters.
    implementation : {"log", "scaling"}, default="log"
        Accepted for hmmlearn compatibility; both compute the same numbers.
    n_init : int, default=1
        EM restarts from different initializations; the best final
        log-likelihood is kept.
    n_jobs : int or None, default=None
        Threads of the compiled kernels (None: OpenMP's default, -1: all).

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
        Initial state distribution.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities, rows sum to 1.
    lambdas_ : ndarray of shape (n_components, n_features)
        Poisson rate of each state and feature.
    n_features : int
        Number of features.
    monitor_ : ConvergenceMonitor
        EM's convergence monitor (hmmlearn's), there from construction on.

    See Also
    --------
    MultinomialHMM : Counts of categories in a fixed number of trials.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.generative.hmm import PoissonHMM
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.poisson(lam, (50, 3)) for lam in (1, 10, 1, 10)])
    >>> model = PoissonHMM(n_components=2, random_state=0).fit(X, lengths=[100, 100])
    >>> sorted(int(round(lam)) for lam in model.lambdas_.mean(axis=1))
    [1, 10]
    """

    _emission_param_names = ("lambdas_",)

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0,
                 lambdas_prior=0.0, lambdas_weight=0.0, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False,
                 params="stl", init_params="stl", implementation="log",
                 n_init=1, n_jobs=None):
        self._store_params(locals())

    n_features = n_features_property(lambda self: np.atleast_2d(self.lambdas_).shape[1])

    def _validate_X(self, X, fitting):
        refuse_dates(X)
        X = validate_data(self, X, reset=fitting, dtype=FLOAT_DTYPES, order="C")
        if np.any(X < 0) or np.any(X != np.round(X)):
            raise ValueError("PoissonHMM observations must be non-negative integer counts.")
        return X

    def _check_emissions(self):
        lam = np.atleast_2d(np.asarray(self.lambdas_, dtype=np.float64))
        if lam.shape[0] != self.n_components:
            raise ValueError(f"lambdas_ must have shape (n_components, n_features), "
                             f"got {lam.shape}.")
        if not np.all(np.isfinite(lam)) or np.any(lam < 0):
            raise ValueError("lambdas_ must be finite and non-negative.")
        self.lambdas_ = lam

    def _init_emissions(self, X, random_state):
        if self._needs_init("l", "lambdas_"):
            mean, var = X.mean(), X.var()
            if not mean > 0 or not var > 0:
                raise ValueError("cannot initialize lambdas_ from constant or all-zero "
                                 "counts; set lambdas_ and remove 'l' from init_params.")
            # hmmlearn's method-of-moments Gamma draw, from a fresh generator.
            rs = check_random_state(random_state)
            self.lambdas_ = rs.gamma(shape=mean ** 2 / var, scale=var / mean,
                                     size=(self.n_components, X.shape[1]))

    def _log_likelihood(self, X, n_threads):
        row_const = gammaln(X.astype(np.float64) + 1).sum(axis=1)
        return count_loglik(X, self.lambdas_, self.lambdas_.sum(axis=1), row_const, n_threads)

    def _emission_stats(self, X, posteriors, n_threads):
        if "l" not in self.params:
            return {}
        post, obs = weighted_counts(X, posteriors, n_threads)
        return {"post": post, "obs": obs}

    def _mstep_emissions(self, stats):
        if "l" not in self.params:
            return
        post = stats["post"]
        empty = post <= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            y_bar = stats["obs"] / post[:, None]
            n = post.sum()
            lam = (self.lambdas_prior + n * y_bar) / (self.lambdas_weight + n)
        if np.any(empty):
            warnings.warn(f"{int(empty.sum())} state(s) received no posterior mass; their "
                          "rates are kept.", RuntimeWarning, stacklevel=2)
            lam[empty] = self.lambdas_[empty]
        self.lambdas_ = lam

    def _emission_param_counts(self):
        return {"l": self.n_components * self.n_features}

    def _sample_emissions(self, states, random_state):
        return random_state.poisson(self.lambdas_[states])
