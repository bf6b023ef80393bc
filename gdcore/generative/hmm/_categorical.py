"""CategoricalHMM: hidden Markov model over a finite alphabet (hmmlearn's API).

Observations are integer symbols in [0, n_features), one column.  Fitting,
scoring and Viterbi decoding read the emission table inside the compiled
recursions (``gdcore.generative.hmm._hmm_categorical``: no (n, K) arrays); posteriors
use the generic path, a table look-up (``_hmm_emissions``) then
forward-backward.  The M-step is hmmlearn's MAP update under a Dirichlet
prior.
"""


import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from gdcore._threads import single_threaded_blas
from gdcore._validation import refuse_dates
from gdcore.generative.hmm import _hmm_categorical as _sym
from gdcore.generative.hmm import _hmm_emissions as _em
from gdcore.generative.hmm._base import BaseHMM, _normalize_rows, raise_for_memory


class CategoricalHMM(BaseHMM):
    """Hidden Markov model with categorical (discrete) emissions.

    hmmlearn's ``CategoricalHMM``: each frame is one integer symbol in
    [0, n_features), a single column of X.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Parameters of the Dirichlet prior on ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), \
default=1.0
        Parameters of the Dirichlet prior on each row of ``transmat_``.
    emissionprob_prior : float or array-like of shape (n_components, n_features), \
default=1.0
        Parameters of the Dirichlet prior on each row of ``emissionprob_``.
    n_features : int or None, default=None
        Size of the alphabet; None: 1 + the largest symbol ``fit`` sees
        (which then sets it, as hmmlearn does).
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
        Probability of each symbol under each state.
    n_features_ : int
        Size of the alphabet in use.
    monitor_ : ConvergenceMonitor
        EM's convergence monitor (hmmlearn's), there from construction on.

    See Also
    --------
    MultinomialHMM : Counts of categories per frame.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.generative.hmm import CategoricalHMM
    >>> X = np.array([[0], [0], [1], [2], [2], [1], [0], [0], [2], [2]])
    >>> model = CategoricalHMM(n_components=2, random_state=0).fit(X)
    >>> model.emissionprob_.shape
    (2, 3)
    """

    _emission_param_names = ("emissionprob_", "n_features_")

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0, *,
                 emissionprob_prior=1.0, n_features=None, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False,
                 params="ste", init_params="ste", implementation="log",
                 n_init=1, n_jobs=None):
        self._store_params(locals())

    def _alphabet_size(self, largest, fitting):
        """Size of the alphabet in use: n_features, else the table's, else the data's."""
        if self.n_features is not None:
            return int(self.n_features)
        if hasattr(self, "emissionprob_") and not (fitting and "e" in self.init_params):
            return np.atleast_2d(self.emissionprob_).shape[1]
        return largest + 1

    @staticmethod
    def _check_symbols(X):
        if not np.issubdtype(X.dtype, np.integer):
            raise ValueError(f"symbols must be integers, got dtype {X.dtype}.")
        if X.min() < 0:
            raise ValueError(f"symbols must be non-negative, got {X.min()}.")
        # Python ints: a uint64 symbol above int64's range is compared exactly.
        return int(X.max())

    def _validate_X(self, X, fitting):
        refuse_dates(X)
        X = validate_data(self, X, reset=fitting, dtype=None, ensure_all_finite=True)
        if X.shape[1] != 1:
            raise ValueError(f"CategoricalHMM takes one column of symbols, got {X.shape[1]}.")
        largest = self._check_symbols(X)
        self.n_features_ = self._alphabet_size(largest, fitting)
        if largest >= self.n_features_:
            raise ValueError(f"largest symbol is {largest} but the model only emits "
                             f"symbols up to {self.n_features_ - 1}.")
        return np.ascontiguousarray(X[:, 0], dtype=np.int64)

    def _check_and_set_n_features(self, X):
        """Check symbols against ``n_features`` and set it if None (hmmlearn's helper)."""
        X = np.asarray(X)
        largest = self._check_symbols(X)
        if self.n_features is None:
            self.n_features = largest + 1
        elif largest >= self.n_features:
            raise ValueError(f"largest symbol is {largest} but the model only emits "
                             f"symbols up to {self.n_features - 1}.")

    def _emission_doubles(self, n_samples, n_features):
        # emissionprob_, its transposed, scaled and log copies in the
        # kernels, and the expected counts: a few (K, M) tables.
        return 6.0 * self.n_components * self.n_features_

    def _check_n_features(self, X):
        """Check nothing: X is one column.

        Its symbols are checked against the alphabet by ``_validate_X``.
        """

    def _check_emissions(self):
        e = np.atleast_2d(np.asarray(self.emissionprob_, dtype=np.float64))
        if self.n_features is None:
            self.n_features = e.shape[1]         # hmmlearn's _check sets it
        if e.shape[0] != self.n_components or (
                self.n_features is not None and e.shape[1] != self.n_features):
            raise ValueError(f"emissionprob_ must have shape ({self.n_components}, "
                             f"n_features), got {e.shape}.")
        if not np.all(np.isfinite(e)) or np.any(e < 0) or not np.allclose(e.sum(axis=1), 1):
            raise ValueError("emissionprob_ rows must be non-negative and sum to 1, "
                             f"got sums {e.sum(axis=1)}.")
        self.emissionprob_ = e

    def _init_emissions(self, X, random_state):
        self.n_features = self.n_features_        # hmmlearn sets it at initialization
        if self._needs_init("e", "emissionprob_"):
            # A fresh generator from the same seed, as hmmlearn does.
            rs = check_random_state(random_state)
            e = rs.rand(self.n_components, self.n_features_)
            self.emissionprob_ = e / e.sum(axis=1, keepdims=True)

    def _log_likelihood(self, X, n_threads):
        out = np.empty((len(X), self.n_components))
        with np.errstate(divide="ignore"):
            log_e_t = np.ascontiguousarray(np.log(self.emissionprob_).T)
        if _em.categorical_loglik(X, log_e_t, out, n_threads) != _em.STATUS_OK:
            raise ValueError(f"symbols must be in [0, {log_e_t.shape[0]}).")
        return out

    # ---- fused paths: the table is read inside the recursions --------------

    def _run_symbols(self, X, offsets, n_threads, forward_only):
        K, M = self.n_components, self.emissionprob_.shape[1]
        logprob, start = np.empty(len(offsets) - 1), np.empty(K)
        trans, counts_t = np.empty((K, K)), np.empty((M, K))
        with single_threaded_blas():
            status = _sym.forward_backward_symbols(
                X, offsets, np.ascontiguousarray(self.emissionprob_.T), self.startprob_,
                self.transmat_, logprob, start, trans, counts_t, n_threads, forward_only)
        raise_for_memory(status)
        if status != _sym.STATUS_OK:
            raise ValueError(f"symbols must be in [0, {M}).")
        return logprob, start, trans, counts_t

    def _do_estep(self, X, offsets, n_threads):
        logprob, start, trans, counts_t = self._run_symbols(X, offsets, n_threads, False)
        self._raise_if_impossible(logprob)
        stats = {"nobs": len(offsets) - 1, "start": start, "trans": trans}
        if "e" in self.params:
            stats["obs"] = counts_t.T
        return stats, float(logprob.sum())

    def _sequence_logprob(self, X, offsets, n_threads):
        return self._run_symbols(X, offsets, n_threads, True)[0]

    def _viterbi(self, X, offsets, n_threads, states, logprob):
        with np.errstate(divide="ignore"):
            log_e_t = np.ascontiguousarray(np.log(self.emissionprob_).T)
            log_sp, log_tm = np.log(self.startprob_), np.log(self.transmat_)
        status = _sym.viterbi_symbols(X, offsets, log_e_t, log_sp, log_tm, states, logprob,
                                      n_threads)
        raise_for_memory(status)
        if status != _sym.STATUS_OK:
            raise ValueError(f"symbols must be in [0, {log_e_t.shape[0]}).")

    def _mstep_emissions(self, stats):
        if "e" in self.params:
            e = np.maximum(self.emissionprob_prior - 1 + stats["obs"], 0)
            self.emissionprob_ = _normalize_rows(e, self.emissionprob_, "emissionprob_")

    def _emission_param_counts(self):
        return {"e": self.n_components * (self.emissionprob_.shape[1] - 1)}

    def _sample_emissions(self, states, random_state):
        cdf = np.cumsum(self.emissionprob_, axis=1)
        u = random_state.random_sample(len(states))
        X = np.empty((len(states), 1), dtype=np.int64)
        for k in range(self.n_components):
            rows = np.flatnonzero(states == k)
            X[rows, 0] = np.minimum(np.searchsorted(cdf[k], u[rows], side="right"),
                                    cdf.shape[1] - 1)
        return X
