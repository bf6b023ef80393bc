"""The HMM estimator base: EM (Baum-Welch), scoring, decoding, sampling.

hmmlearn's ``BaseHMM`` interface (same constructor parameters, fitted
attributes and method signatures), on the compiled kernels of
``gdcore.generative.hmm._hmm``: every method handles all sequences in one kernel
call, parallel over sequences, instead of a Python loop per sequence.

A subclass supplies its emission model through a few hooks:

- ``_validate_X(X, fitting)``: the checked observation array, and an
  ``n_features`` property (the width the emission parameters expect, checked
  against X by ``_check_n_features``; CategoricalHMM overrides that check);
- ``_init_emissions(X, random_state)`` and ``_check_emissions()``;
- ``_log_likelihood(X, n_threads)``: the (n, K) float64 per-frame
  log-likelihood under each state;
- ``_emission_stats(X, posteriors, n_threads)`` and ``_mstep_emissions(stats)``;
- ``_emission_param_counts()`` (for aic/bic), ``_emission_param_names``;
- ``_sample_emissions(states, random_state)``: one observation per state.

An emission model with a faster fused path may also override
``_do_estep``, ``_sequence_logprob`` and ``_viterbi`` (CategoricalHMM
reads its table inside the recursions instead of building (n, K) arrays).
The variational models (``_variational``) override ``_initialize``,
``_do_estep``, ``_do_mstep`` and ``_em_objective`` (the lower bound that
``monitor_`` records instead of the log-likelihood).  The method docstrings
are built in ``_docs``.

Beyond hmmlearn: ``n_jobs``, ``n_init`` restarts, per-sequence scores
(``score(..., per_sequence=True)``), ``sample_sequences`` for many sequences
at once, and rows of ``startprob_``/``transmat_`` that receive no expected
mass keep their previous value (with a warning) instead of becoming 0 or NaN.

hmmlearn's reports go through ``logging`` on hmmlearn's own logger name,
"hmmlearn.base", so that code reading them (a log handler, pytest's
``caplog``) sees the same records: a parameter set on the model that
``init_params`` will overwrite, too few data points for the free parameters
(a degenerate solution), and an EM iteration that lowers the log-likelihood.
"""

import copy
import warnings

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._doc_link import DocLinkMixin
from gdcore._memory import refuse_absurd_allocation
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_n_samples
from gdcore.generative.hmm import _docs, _hmm
from gdcore.generative.hmm._docs import method_doc
from gdcore.generative.hmm._monitor import ConvergenceMonitor
from gdcore.generative.hmm._monitor import log as _log

DECODER_ALGORITHMS = ("viterbi", "map")
IMPLEMENTATIONS = ("log", "scaling")

def check_model_size(n_doubles, what):
    """Refuse a model whose arrays no machine here could hold, before allocating them.

    ``n_doubles`` is the number of float64 values the fit would allocate at
    once (parameters, per-frame arrays, kernel copies).  Plain arithmetic, no
    pass over the data.
    """
    refuse_absurd_allocation(8 * n_doubles, what,
                             "use fewer states, mixture components or symbols.")


def raise_for_memory(status):
    """MemoryError for a kernel's NO_MEMORY status (a thread's scratch was not allocated).

    The status is the same number in every HMM kernel module (_hmm_core.pxd).
    """
    if status == _hmm.STATUS_NO_MEMORY:
        raise MemoryError("The HMM kernels could not allocate their per-thread scratch "
                          "(memory proportional to the longest sequence times n_components): "
                          "use fewer threads (n_jobs), shorter sequences or fewer states.")


def n_features_property(width):
    """Return hmmlearn's ``n_features`` property for an emission model of that width.

    ``width(model)`` reads it from the emission parameters (AttributeError
    when they are not set yet); before that, the value a user assigned
    (hmmlearn's tutorials set ``model.n_features`` before sampling from
    hand-set parameters), which ``fit`` checks X against.
    """
    def get(self):
        try:
            return width(self)
        except AttributeError:
            pass
        if "_n_features" in self.__dict__:
            return self._n_features
        raise AttributeError(f"{type(self).__name__}.n_features is not known yet: fit the "
                             "model, set its emission parameters or assign n_features.")

    def set(self, value):
        self._n_features = value

    return property(get, set, doc="Number of features of an observation.")


def check_lengths(lengths, n_samples):
    """Sequence bounds (n_seq + 1,) as intp from ``lengths``; ValueError if bad."""
    if lengths is None:
        return np.array([0, n_samples], dtype=np.intp)
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise ValueError(f"lengths must be a non-empty 1-D array, got shape {lengths.shape}.")
    if not np.issubdtype(lengths.dtype, np.integer):
        if not (np.issubdtype(lengths.dtype, np.floating)
                and np.all(np.isfinite(lengths)) and np.all(lengths == np.round(lengths))):
            raise ValueError(f"lengths must hold integers, got {lengths.dtype}.")
    if np.any(lengths <= 0):
        raise ValueError(
            f"every sequence length must be positive, got {lengths[lengths <= 0][:5]}.")
    offsets = np.zeros(len(lengths) + 1, dtype=np.intp)
    offsets[1:] = np.cumsum(lengths.astype(np.intp))
    if offsets[-1] != n_samples:
        raise ValueError(
            f"lengths sum to {offsets[-1]} but X has {n_samples} samples.")
    return offsets


def initial_covariance(X, covariance_type, min_covar):
    """Return hmmlearn's starting covariance, ``cov(X) + min_covar I``, as the type keeps it.

    Only what the covariance type keeps is computed: the per-feature variances
    for "diag" (shape (d,)), the mean of every entry of the matrix for
    "spherical" (a scalar, through ``sum_ij cov_ij = var(sum_j x_j)``), both
    O(n d); the whole (d, d) matrix, O(n d^2), only for "full" and "tied".
    Data whose squares overflow get a ValueError here, before EM or a
    decomposition meets an infinite matrix.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if covariance_type in ("full", "tied"):
        cv = np.atleast_2d(np.cov(X.T)) + min_covar * np.eye(d)
    else:
        centered = X - X.mean(axis=0)
        if covariance_type == "diag":
            cv = np.einsum("ij,ij->j", centered, centered) / (n - 1) + min_covar
        else:
            row_sums = centered.sum(axis=1)
            cv = (row_sums @ row_sums) / (n - 1) / d**2 + min_covar / d
    if not np.all(np.isfinite(cv)):
        raise ValueError(
            "The covariance of X is not finite: its values are too large to square "
            "(|x| above ~1e154). Rescale X (e.g. sklearn.preprocessing.StandardScaler).")
    return cv


def _normalize_rows(new, old, name):
    """Return ``new`` divided by its row sums; rows with no mass keep ``old`` (and warn)."""
    sums = new.sum(axis=-1, keepdims=True)
    empty = sums[..., 0] <= 0
    out = new / np.where(sums > 0, sums, 1.0)
    if np.any(empty):
        out[empty] = old[empty]
        warnings.warn(f"{name}: {int(np.sum(empty))} row(s) received no expected "
                      f"counts; their previous values are kept.", RuntimeWarning,
                      stacklevel=2)
    return out


class BaseHMM(DocLinkMixin, BaseEstimator):
    """Hidden Markov model with EM fitting; subclass it for an emission model.

    Parameters are hmmlearn's (see ``GaussianHMM``), plus ``n_init`` (EM
    restarts from different initializations, the one of highest final
    log-likelihood kept) and ``n_jobs`` (threads: None = OpenMP default,
    -1 = all cores).  ``implementation`` is accepted for compatibility:
    "log" and "scaling" compute the same numbers here, because the compiled
    forward-backward shifts each frame by its maximum log-likelihood before
    scaling, which gives the range of log space at the speed of scaling.
    """

    _emission_param_names = ()

    def _store_params(self, args):
        """Keep the constructor's arguments as attributes; ``args`` is its ``locals()``.

        scikit-learn's rule for ``__init__``: store every parameter under its
        own name, nothing else.  Each emission class keeps hmmlearn's explicit
        signature (``get_params`` reads it) and calls this as its whole body,
        before any other local exists.
        """
        for name, value in args.items():
            if name != "self":
                setattr(self, name, value)

    def _base_params_check(self):
        if not isinstance(self.n_components, (int, np.integer)) or self.n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {self.n_components!r}.")
        if self.algorithm not in DECODER_ALGORITHMS:
            raise ValueError(
                f"algorithm must be one of {DECODER_ALGORITHMS}, got {self.algorithm!r}.")
        if self.implementation not in IMPLEMENTATIONS:
            raise ValueError(
                f"implementation must be one of {IMPLEMENTATIONS}, got {self.implementation!r}.")
        if (isinstance(self.n_iter, bool) or not isinstance(self.n_iter, (int, np.integer))
                or self.n_iter < 0):
            # 0 is hmmlearn's "initialize only".
            raise ValueError(f"n_iter must be a non-negative integer, got {self.n_iter!r}.")
        if not isinstance(self.n_init, (int, np.integer)) or self.n_init < 1:
            raise ValueError(f"n_init must be a positive integer, got {self.n_init!r}.")
        if not isinstance(self.tol, (int, float, np.number)) or np.isnan(self.tol):
            # A negative tol (or -inf) is allowed: it runs all n_iter iterations.
            raise ValueError(f"tol must be a number, got {self.tol!r}.")

    # ---- parameter checks -------------------------------------------------

    def _check(self):
        """Validate the model's parameters before any computation."""
        K = self.n_components
        sp = np.asarray(self.startprob_, dtype=np.float64)
        tm = np.asarray(self.transmat_, dtype=np.float64)
        if sp.shape != (K,):
            raise ValueError(f"startprob_ must have shape ({K},), got {sp.shape}.")
        if tm.shape != (K, K):
            raise ValueError(f"transmat_ must have shape ({K}, {K}), got {tm.shape}.")
        for name, a in (("startprob_", sp), ("transmat_", tm)):
            if not np.all(np.isfinite(a)) or np.any(a < 0):
                raise ValueError(f"{name} must hold finite non-negative probabilities.")
            s = a.sum(axis=-1)
            if not np.allclose(s, 1):
                raise ValueError(f"{name} rows must sum to 1, got sums {s}.")
        self.startprob_, self.transmat_ = sp, tm
        self._check_emissions()

    def _check_n_features(self, X):
        """Raise ValueError unless X is as wide as the emission parameters.

        Those are the parameters of a fitted model, or the ones a fit keeps when
        init_params leaves them.
        """
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} "
                             f"is expecting {self.n_features} features as input.")

    @property
    def monitor_(self):
        """The ``ConvergenceMonitor`` of EM (hmmlearn's), there from construction on.

        Assign another one (e.g. a subclass with its own ``converged``)
        before ``fit`` to change the stopping rule, as with hmmlearn.  The
        one the model makes itself follows ``tol``, ``n_iter`` and
        ``verbose`` as they are when ``fit`` starts.
        """
        monitor = self.__dict__.get("_monitor")
        if monitor is None:
            monitor = self._monitor = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
            monitor._follows_params = True
        return monitor

    @monitor_.setter
    def monitor_(self, monitor):
        self._monitor = monitor

    # ---- initialization ---------------------------------------------------

    def _needs_init(self, code, name):
        """Whether ``fit`` initializes ``name``; hmmlearn logs when that overwrites it."""
        if code in self.init_params:
            if hasattr(self, name):
                _log.warning("Even though the %r attribute is set, it will be overwritten "
                             "during initialization because 'init_params' contains %r",
                             name, code)
            return True
        return not hasattr(self, name)

    def _check_and_set_n_features(self, X):
        """ValueError unless X is as wide as an ``n_features`` assigned before fitting.

        Only an assigned value that no emission parameter overrides is
        checked (emission parameters are checked by ``_check_n_features``).
        """
        assigned = self.__dict__.get("_n_features")
        if assigned is not None and X.shape[1] != self.n_features:
            raise ValueError(f"Unexpected number of dimensions, got {X.shape[1]} but "
                             f"expected {self.n_features}")

    def _init(self, X, lengths=None):
        """Initialize the parameters ``init_params`` names, as ``fit`` does before EM.

        hmmlearn's hook, with its signature: X is validated as ``fit``
        validates it; ``lengths`` is accepted for that signature, only the
        variational models' initialization reads it (the number of
        sequences).  ``random_state`` seeds it.
        """
        self._base_params_check()
        X = self._validate_X(X, fitting=True)
        self._check_size(len(X), X.shape[1] if X.ndim == 2 else 1)
        # Only the variational models read lengths (their number); hmmlearn
        # checks nothing else about them here.
        self._initialize(X, self.random_state, lengths=lengths if np.ndim(lengths) == 1 else None)

    def _initialize(self, X, random_state, lengths=None):
        """Initialize from validated X as hmmlearn: Dirichlet start and transitions, emissions.

        ``lengths`` (None: X is one sequence) is read by the variational
        models only, whose starting posteriors count sequences and frames.
        """
        self._check_and_set_n_features(X)
        K = self.n_components
        rs = check_random_state(random_state)
        if self._needs_init("s", "startprob_"):
            self.startprob_ = rs.dirichlet(np.full(K, 1.0 / K))
        if self._needs_init("t", "transmat_"):
            self.transmat_ = rs.dirichlet(np.full(K, 1.0 / K), size=K)
        self._init_emissions(X, random_state)
        self._warn_if_degenerate(X)

    def _warn_if_degenerate(self, X):
        """Hmmlearn's log record when X has fewer values than the free parameters."""
        per_param = self._get_n_fit_scalars_per_param()
        n_fit_scalars = sum(per_param.get(p, 0) for p in set(self.params))
        if X.size < n_fit_scalars:
            _log.warning("Fitting a model with %d free scalar parameters with only %d data "
                         "points will result in a degenerate solution.", n_fit_scalars, X.size)

    # ---- E and M steps ----------------------------------------------------

    def _n_threads(self):
        return effective_n_threads(self.n_jobs)

    def _forward_backward(self, X, offsets, n_threads, forward_only=False, flp=None):
        """(per-sequence log-likelihoods, posteriors, transition counts).

        ``forward_only``: only the log-likelihoods are meaningful (half the work).
        ``flp``: the per-frame log-likelihoods if the caller already has them.
        """
        if flp is None:
            flp = self._log_likelihood(X, n_threads)
        n_seq = len(offsets) - 1
        posteriors = np.empty_like(flp)
        logprob = np.empty(n_seq)
        trans = np.empty((self.n_components, self.n_components))
        with single_threaded_blas():
            status = _hmm.forward_backward(flp, offsets, self.startprob_, self.transmat_,
                                           posteriors, logprob, trans, n_threads,
                                           forward_only)
        self._raise_for_loglik_status(status)
        return logprob, posteriors, trans

    def _sequence_logprob(self, X, offsets, n_threads):
        """Log-likelihood of each sequence: the forward pass only."""
        return self._forward_backward(X, offsets, n_threads, forward_only=True)[0]

    @staticmethod
    def _raise_for_loglik_status(status):
        raise_for_memory(status)
        if status == _hmm.STATUS_BAD_LOGLIK:
            raise ValueError("the emission log-likelihoods hold NaN or +inf: check the "
                             "model parameters (variances must be positive, "
                             "probabilities finite).")

    @staticmethod
    def _raise_if_impossible(logprob):
        bad = np.flatnonzero(logprob == -np.inf)
        if len(bad):
            raise ValueError(
                f"sequence(s) {bad[:10].tolist()} have probability zero under the model "
                "(a zero in startprob_/transmat_/emissions forbids them): posteriors "
                "and state paths are undefined.")

    def _do_estep(self, X, offsets, n_threads):
        """(sufficient statistics of one E-step, total log-likelihood)."""
        logprob, posteriors, trans = self._forward_backward(X, offsets, n_threads)
        self._raise_if_impossible(logprob)
        stats = {"nobs": len(offsets) - 1,
                 "start": posteriors[offsets[:-1]].sum(axis=0),
                 "trans": trans}
        stats.update(self._emission_stats(X, posteriors, n_threads))
        return stats, float(logprob.sum())

    def _em_objective(self, logprob):
        """Return what ``monitor_`` records for an E-step of log-likelihood ``logprob``.

        The log-likelihood itself; the variational models return their lower
        bound (ELBO), which needs the parameters before the M-step.
        """
        return logprob

    def _do_mstep(self, stats):
        """Hmmlearn's MAP update under Dirichlet priors; zeros stay zero."""
        if "s" in self.params:
            sp = np.maximum(self.startprob_prior - 1 + stats["start"], 0)
            sp = np.where(self.startprob_ == 0, 0, sp)
            self.startprob_ = _normalize_rows(sp, self.startprob_, "startprob_")
        if "t" in self.params:
            tm = np.maximum(self.transmat_prior - 1 + stats["trans"], 0)
            tm = np.where(self.transmat_ == 0, 0, tm)
            self.transmat_ = _normalize_rows(tm, self.transmat_, "transmat_")
        self._mstep_emissions(stats)

    # ---- public API -------------------------------------------------------

    @dask_dispatch
    @method_doc(_docs.FIT)
    def fit(self, X, lengths=None):
        self._base_params_check()
        X = self._validate_X(X, fitting=True)
        offsets = check_lengths(lengths, len(X))
        self._check_size(len(X), X.shape[1] if X.ndim == 2 else 1)
        n_threads = self._n_threads()
        names = ("startprob_", "transmat_") + tuple(self._emission_param_names)
        if self.n_init == 1:
            seeds = [self.random_state]
        else:
            seeds = check_random_state(self.random_state).randint(
                np.iinfo(np.int32).max, size=self.n_init)
        monitor = self.monitor_
        if getattr(monitor, "_follows_params", False):
            monitor.tol, monitor.n_iter, monitor.verbose = self.tol, self.n_iter, self.verbose
        start = {n: getattr(self, n) for n in names if hasattr(self, n)}
        best, best_lp = None, -np.inf
        for seed in seeds:
            for n, v in start.items():
                setattr(self, n, v)
            self._initialize(X, seed, lengths=np.diff(offsets))
            self._check()
            self._check_n_features(X)
            run = monitor if len(seeds) == 1 else copy.deepcopy(monitor)
            run._reset()
            for _ in range(self.n_iter):
                stats, logprob = self._do_estep(X, offsets, n_threads)
                # Per-state d x d factorizations gain nothing from BLAS
                # threads, and woken right after the E-step's OpenMP region
                # they fight its spinning threads: a small triangular solve
                # then takes orders of magnitude longer than alone.
                with single_threaded_blas():
                    objective = self._em_objective(logprob)
                    self._do_mstep(stats)
                run.report(objective)
                if run.converged:
                    break
            # n_iter=0 (initialization only) leaves no history: the first start is kept.
            final = run.history[-1] if run.history else -np.inf
            if best is None or final > best_lp:
                best_lp = final
                best = ({n: getattr(self, n) for n in names}, run)
        for n, v in best[0].items():
            setattr(self, n, v)
        self._monitor = best[1]
        return self

    def _check_size(self, n_samples, n_features):
        """ValueError for sizes no machine here could hold (see ``check_model_size``)."""
        K = float(self.n_components)
        # transmat_ and its transposed copy, the (n, K) log-likelihoods and
        # posteriors, and the emission model's own arrays.
        check_model_size(2 * K * K + 2 * n_samples * K + self._emission_doubles(n_samples,
                                                                                n_features),
                         f"n_components={self.n_components} states on {n_samples} samples")

    def _emission_doubles(self, n_samples, n_features):
        """Float64 values the emission model allocates in a fit (means and variances)."""
        return 2.0 * self.n_components * n_features

    def _prepare(self, X, lengths):
        check_is_fitted(self, "startprob_")
        self._base_params_check()
        self._check()
        X = self._validate_X(X, fitting=False)
        self._check_n_features(X)
        return X, check_lengths(lengths, len(X)), self._n_threads()

    @dask_dispatch
    @method_doc(_docs.SCORE_SAMPLES)
    def score_samples(self, X, lengths=None):
        X, offsets, n_threads = self._prepare(X, lengths)
        logprob, posteriors, _ = self._forward_backward(X, offsets, n_threads)
        self._raise_if_impossible(logprob)
        return float(logprob.sum()), posteriors

    @dask_dispatch
    @method_doc(_docs.SCORE)
    def score(self, X, lengths=None, per_sequence=False):
        X, offsets, n_threads = self._prepare(X, lengths)
        logprob = self._sequence_logprob(X, offsets, n_threads)
        return logprob if per_sequence else float(logprob.sum())

    @dask_dispatch
    @method_doc(_docs.DECODE)
    def decode(self, X, lengths=None, algorithm=None):
        algorithm = algorithm or self.algorithm
        if algorithm not in DECODER_ALGORITHMS:
            raise ValueError(f"algorithm must be one of {DECODER_ALGORITHMS}, got {algorithm!r}.")
        if algorithm == "map":
            _, posteriors = self.score_samples(X, lengths)
            return float(posteriors.max(axis=1).sum()), np.argmax(posteriors, axis=1)
        X, offsets, n_threads = self._prepare(X, lengths)
        states = np.empty(len(X), dtype=np.intp)
        logprob = np.empty(len(offsets) - 1)
        self._viterbi(X, offsets, n_threads, states, logprob)
        self._raise_if_impossible(logprob)
        return float(logprob.sum()), states

    def _viterbi(self, X, offsets, n_threads, states, logprob):
        """Fill ``states`` and per-sequence ``logprob`` with the Viterbi answer."""
        flp = self._log_likelihood(X, n_threads)
        with np.errstate(divide="ignore"):
            log_sp, log_tm = np.log(self.startprob_), np.log(self.transmat_)
        status = _hmm.viterbi(flp, offsets, log_sp, log_tm, states, logprob, n_threads)
        self._raise_for_loglik_status(status)

    @dask_dispatch
    @method_doc(_docs.PREDICT)
    def predict(self, X, lengths=None):
        return self.decode(X, lengths)[1]

    @dask_dispatch
    @method_doc(_docs.PREDICT_PROBA)
    def predict_proba(self, X, lengths=None):
        return self.score_samples(X, lengths)[1]

    @method_doc(_docs.SAMPLE_SEQUENCES)
    def sample_sequences(self, n_sequences, n_samples, random_state=None, currstate=None):
        check_is_fitted(self, "startprob_")
        self._check()
        n_sequences = check_n_samples(n_sequences, "n_sequences")
        n_samples = check_n_samples(n_samples)
        if currstate is not None and not 0 <= int(currstate) < self.n_components:
            raise ValueError(f"currstate must be in [0, {self.n_components}), got {currstate}.")
        rs = check_random_state(self.random_state if random_state is None else random_state)
        uniform = rs.random_sample((n_sequences, n_samples))
        states = np.empty((n_sequences, n_samples), dtype=np.intp)
        _hmm.sample_states(uniform, np.cumsum(self.startprob_),
                           np.ascontiguousarray(np.cumsum(self.transmat_, axis=1)),
                           -1 if currstate is None else int(currstate), states,
                           self._n_threads())
        states = states.ravel()
        X = self._sample_emissions(states, rs)
        return X, states, np.full(n_sequences, n_samples)

    @method_doc(_docs.SAMPLE)
    def sample(self, n_samples=1, random_state=None, currstate=None):
        X, states, _ = self.sample_sequences(1, n_samples, random_state, currstate)
        return X, states

    def get_stationary_distribution(self):
        """Stationary distribution of the states (left eigenvector of eigenvalue 1)."""
        check_is_fitted(self, "transmat_")
        eigvals, eigvecs = linalg.eig(np.asarray(self.transmat_).T)
        eigvec = np.real_if_close(eigvecs[:, np.argmax(eigvals)])
        return eigvec / eigvec.sum()

    def _get_n_fit_scalars_per_param(self):
        K = self.n_components
        counts = {"s": K - 1, "t": K * (K - 1)}
        counts.update(self._emission_param_counts())
        return counts

    def aic(self, X, lengths=None):
        """Akaike information criterion: -2 log L + 2 (number of free parameters)."""
        n_params = sum(self._get_n_fit_scalars_per_param().values())
        return -2 * self.score(X, lengths=lengths) + 2 * n_params

    def bic(self, X, lengths=None):
        """Bayesian information criterion: -2 log L + (free parameters) log n."""
        n_params = sum(self._get_n_fit_scalars_per_param().values())
        return -2 * self.score(X, lengths=lengths) + n_params * np.log(len(X))
