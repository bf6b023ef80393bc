"""MultinomialHMM: hidden Markov model with multinomial count emissions (hmmlearn 0.3's).

Each frame is a vector of counts x_t over ``n_features`` categories from
n_t = sum_j x_tj trials; under state k

    log P(x_t | k) = log n_t! - sum_j log x_tj! + sum_j x_tj log p_kj,

which is X @ log(p)^T plus a per-row constant: the Poisson kernel of
``gdcore.generative.hmm._hmm_emissions`` with zero rate sums (one blocked
gemm, a count above 0 where p_kj = 0 makes the frame impossible under k).
The statistics are posteriors^T X (``weighted_sums``) and the M-step is
hmmlearn's, p_k proportional to the expected counts.  With ``n_trials=1``
this is CategoricalHMM on one-hot rows.

Differences from hmmlearn: ``fit`` does not write the data's trial counts
into ``n_trials`` (scikit-learn's rule that fit leaves parameters alone);
hmmlearn's private ``_check_and_set_n_features`` still does, for code that
calls it.  Counts stored as integral floats are accepted.  A state that
receives no posterior mass keeps its row (with a warning) instead of NaN.
"""

import numpy as np
from scipy.special import gammaln
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from gdcore._validation import refuse_dates
from gdcore.generative.hmm._base import (
    BaseHMM,
    _normalize_rows,
    n_features_property,
)
from gdcore.generative.hmm._counts import count_loglik, weighted_counts


class MultinomialHMM(BaseHMM):
    """Hidden Markov model with multinomial (count vector) emissions.

    hmmlearn 0.3's ``MultinomialHMM``: each frame holds the counts of
    ``n_features`` categories in ``n_t`` trials, drawn from the multinomial
    distribution of its state.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    n_trials : int, array-like of int or None, default=None
        Number of trials of every frame (an int), or of each frame (an
        array of length n_samples).  When set, ``fit`` and the scoring
        methods check that every row of X sums to it; None takes each row's
        sum.  Sampling needs a single value.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Parameters of the Dirichlet prior on ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), \
default=1.0
        Parameters of the Dirichlet prior on each row of ``transmat_``.
    algorithm : {"viterbi", "map"}, default="viterbi"
        Decoder used by ``decode`` and ``predict``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and ``sample``.
    n_iter : int, default=10
        Maximum number of EM iterations (0: initialize only).
    tol : float, default=1e-2
        EM stops when the log-likelihood gains less than ``tol``.
    verbose : bool, default=False
        Print each EM iteration's log-likelihood to stderr.
    params : str, default="ste"
        Parameters EM updates: 's' startprob, 't' transmat, 'e' emissionprob.
    init_params : str, default="ste"
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
    emissionprob_ : ndarray of shape (n_components, n_features)
        Probability of each category under each state.
    n_features : int
        Number of categories.
    monitor_ : ConvergenceMonitor
        EM's convergence monitor (hmmlearn's).

    See Also
    --------
    CategoricalHMM : One symbol per frame (n_trials=1 with integer labels).
    PoissonHMM : Independent Poisson counts.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.generative.hmm import MultinomialHMM
    >>> X = np.array([[2, 0, 1], [3, 0, 0], [0, 1, 2], [0, 2, 1], [2, 1, 0], [0, 0, 3]])
    >>> model = MultinomialHMM(n_components=2, n_trials=3, n_iter=20, random_state=0)
    >>> model.fit(X).emissionprob_.shape
    (2, 3)
    >>> model.predict(X).shape
    (6,)
    """

    _emission_param_names = ("emissionprob_",)

    def __init__(self, n_components=1, n_trials=None, startprob_prior=1.0,
                 transmat_prior=1.0, algorithm="viterbi", random_state=None, n_iter=10,
                 tol=1e-2, verbose=False, params="ste", init_params="ste",
                 implementation="log", n_init=1, n_jobs=None):
        self._store_params(locals())

    n_features = n_features_property(lambda self: np.atleast_2d(self.emissionprob_).shape[1])

    # ---- hooks ------------------------------------------------------------

    def _check_counts(self, X):
        """ValueError unless X holds non-negative integer counts summing to ``n_trials``."""
        if (not np.all(np.isfinite(X)) or np.any(X < 0)
                or (not np.issubdtype(X.dtype, np.integer) and np.any(X != np.round(X)))):
            raise ValueError("Symbol counts should be nonnegative integers")
        if self.n_trials is not None:
            n_trials = np.asarray(self.n_trials)
            if n_trials.ndim > 1 or (n_trials.ndim == 1 and len(n_trials) != len(X)):
                raise ValueError(f"n_trials must be an int or one value per row of X "
                                 f"({len(X)}), got shape {n_trials.shape}.")
            if not np.all(X.sum(axis=1) == n_trials):
                raise ValueError("Total count for each sample should add up to the number "
                                 "of trials")

    def _validate_X(self, X, fitting):
        refuse_dates(X)
        X = validate_data(self, X, reset=fitting, dtype=None, order="C",
                          ensure_all_finite=False)
        if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
            raise ValueError("Symbol counts should be nonnegative integers")
        self._check_counts(X)
        return X

    def _check_and_set_n_features(self, X):
        """Check X against ``n_features`` and ``n_trials``; set them if unset, as hmmlearn.

        hmmlearn's hook (also called by ``fit``, which leaves ``n_trials``
        as the user set it): X must hold non-negative integer counts.
        """
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
        try:
            n_features = self.n_features
        except AttributeError:
            n_features = None
        if n_features is not None and X.shape[1] != n_features:
            raise ValueError(f"Unexpected number of dimensions, got {X.shape[1]} but "
                             f"expected {n_features}")
        self._check_counts(X)
        self._n_features = X.shape[1]
        if self.n_trials is None:
            self.n_trials = X.sum(axis=1)

    def _initialize(self, X, random_state, lengths=None):
        # fit checks X as hmmlearn does without setting n_trials on the model.
        n_trials = self.n_trials
        try:
            super()._initialize(X, random_state, lengths)
        finally:
            self.n_trials = n_trials

    def _check_emissions(self):
        e = np.atleast_2d(np.asarray(self.emissionprob_, dtype=np.float64))
        K = self.n_components
        if e.ndim != 2 or e.shape[0] != K or e.size == 0:
            raise ValueError(f"emissionprob_ must have shape (n_components, n_features), "
                             f"got {e.shape}.")
        if not np.all(np.isfinite(e)) or np.any(e < 0) or not np.allclose(e.sum(axis=1), 1):
            raise ValueError("emissionprob_ rows must be non-negative and sum to 1.")
        self.emissionprob_ = e

    def _init_emissions(self, X, random_state):
        if self._needs_init("e", "emissionprob_"):
            # A fresh generator from the same seed, as hmmlearn does.
            e = check_random_state(random_state).rand(self.n_components, X.shape[1])
            self.emissionprob_ = e / e.sum(axis=1, keepdims=True)

    def _log_likelihood(self, X, n_threads):
        Xf = np.ascontiguousarray(X, dtype=np.float64)
        # -(log n_t! - sum_j log x_tj!), subtracted by the kernel.
        row_const = gammaln(Xf + 1).sum(axis=1) - gammaln(Xf.sum(axis=1) + 1)
        return count_loglik(Xf, self.emissionprob_, np.zeros(self.n_components), row_const,
                            n_threads)

    def _emission_stats(self, X, posteriors, n_threads):
        if "e" not in self.params:
            return {}
        _, obs = weighted_counts(np.ascontiguousarray(X, dtype=np.float64), posteriors,
                                 n_threads)
        return {"obs": obs}

    def _mstep_emissions(self, stats):
        if "e" in self.params:
            self.emissionprob_ = _normalize_rows(stats["obs"], self.emissionprob_,
                                                 "emissionprob_")

    def _emission_doubles(self, n_samples, n_features):
        # emissionprob_, its log and statistics, and a float64 copy of X
        return 3.0 * self.n_components * n_features + 2.0 * n_samples * n_features

    def _emission_param_counts(self):
        return {"e": self.n_components * (self.n_features - 1)}

    def _sample_emissions(self, states, random_state):
        n_trials = np.unique(np.asarray(self.n_trials)) if self.n_trials is not None else []
        if len(n_trials) != 1:
            raise ValueError("For sampling, a single n_trials must be given")
        X = np.empty((len(states), self.emissionprob_.shape[1]), dtype=np.int64)
        for k in range(self.n_components):
            rows = np.flatnonzero(states == k)
            if len(rows):
                X[rows] = random_state.multinomial(int(n_trials[0]), self.emissionprob_[k],
                                                   size=len(rows))
        return X
