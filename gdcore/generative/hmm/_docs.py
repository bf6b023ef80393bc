"""The numpydoc docstrings of the HMM methods, from shared entries.

Every estimator of the family inherits ``BaseHMM``'s methods, and
``HMMClassifier``'s methods share theirs; their X / lengths parameters and
the fitted model of their examples are written once here.
"""

from gdcore._docstrings import numpydoc

_X_LENGTHS = """X : array-like of shape (n_samples, n_features)
    The observations of all sequences, concatenated row-wise.
lengths : array-like of int of shape (n_sequences,), default=None
    Length of each sequence; they must be positive and sum to
    n_samples.  None: X is one sequence."""

_SETUP = """>>> import numpy as np
>>> from gdcore.generative.hmm import GaussianHMM
>>> rng = np.random.RandomState(0)
>>> X = np.concatenate([rng.normal(m, 1.0, (50, 2)) for m in (0, 6, 0, 6)])
>>> model = GaussianHMM(n_components=2, random_state=0).fit(X, lengths=[100, 100])"""


_CLF_X = """X : array-like of shape (n_samples, n_features)
    Sequences, concatenated row-wise."""

_CLF_LENGTHS = """lengths : array-like of int of shape (n_sequences,), default=None
    Length of each sequence; None means X is a single sequence."""

_CLF_SETUP = """>>> import numpy as np
>>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
>>> rng = np.random.RandomState(0)
>>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
>>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
>>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)"""


def _doc(template):
    return template.format(x_lengths=_X_LENGTHS, setup=_SETUP)


def method_doc(text):
    """Return a decorator that gives a method the docstring ``text``."""
    def decorate(method):
        method.__doc__ = text
        return method
    return decorate


FIT = _doc("""Estimate the parameters by Baum-Welch (EM), from ``n_init`` starts.

The parameters ``init_params`` names are initialized first (those
already set and not named there are kept), then EM runs until the
log-likelihood gains less than ``tol`` or ``n_iter`` iterations;
``monitor_`` records the log-likelihood of each.  The variational models
run variational Bayes EM instead, and record the lower bound (ELBO).

Parameters
----------
{x_lengths}

Returns
-------
self : object
    The fitted model.

Examples
--------
{setup}
>>> model.transmat_.shape
(2, 2)
""")

SCORE_SAMPLES = _doc("""Return the log-likelihood of X and the posterior state probabilities.

Parameters
----------
{x_lengths}

Returns
-------
log_prob : float
    Log-likelihood of X, summed over sequences.
posteriors : ndarray of shape (n_samples, n_components)
    P(state_t = k | X), each row sums to 1.

See Also
--------
score : The log-likelihood alone (forward pass only, no posteriors).

Examples
--------
{setup}
>>> log_prob, posteriors = model.score_samples(X, lengths=[100, 100])
>>> posteriors.shape
(200, 2)
""")

SCORE = _doc("""Return the log-likelihood of X under the model.

Parameters
----------
{x_lengths}
per_sequence : bool, default=False
    Return one log-likelihood per sequence instead of their sum.

Returns
-------
log_prob : float or ndarray of shape (n_sequences,)
    log P(X), summed over sequences (hmmlearn's), or per sequence.

Examples
--------
{setup}
>>> model.score(X, lengths=[100, 100], per_sequence=True).shape
(2,)
""")

DECODE = _doc("""Return the most likely states of X and a log-probability.

"viterbi": the jointly most likely path and its log joint probability
log P(X, path).
"map": the most likely state of each frame (posterior decoding).
Its first value is hmmlearn 0.3.3's: the sum over frames of the
decoded state's posterior probability, max_k P(state_t = k | X),
which is the expected number of frames whose state is decoded
right.  hmmlearn calls it a log-probability, but it is not one (the
decoded states need not even form a path the model allows);
``score`` gives log P(X), ``predict_proba`` each frame's posteriors.

Parameters
----------
{x_lengths}
algorithm : {{"viterbi", "map"}}, default=None
    The decoder; None uses the model's ``algorithm``.

Returns
-------
log_prob : float
    For "viterbi", log P(X, path) summed over sequences; for "map",
    the sum of the decoded states' posterior probabilities.
state_sequence : ndarray of shape (n_samples,)
    The decoded state of each frame.

Examples
--------
{setup}
>>> log_prob, states = model.decode(X, lengths=[100, 100])
>>> states.shape
(200,)
""")

PREDICT = _doc("""Return the most likely state of each frame (decoded by ``algorithm``).

Parameters
----------
{x_lengths}

Returns
-------
state_sequence : ndarray of shape (n_samples,)
    The decoded state of each frame.

Examples
--------
{setup}
>>> model.predict(X, lengths=[100, 100]).shape
(200,)
""")

PREDICT_PROBA = _doc("""Return the posterior probability of each state at each frame.

Parameters
----------
{x_lengths}

Returns
-------
posteriors : ndarray of shape (n_samples, n_components)
    P(state_t = k | X), each row sums to 1.

Examples
--------
{setup}
>>> model.predict_proba(X, lengths=[100, 100]).sum(axis=1).round(6)[:3]
array([1., 1., 1.])
""")

SAMPLE_SEQUENCES = _doc("""Draw ``n_sequences`` independent sequences of ``n_samples`` frames each.

State paths are drawn in one compiled pass, then the emissions.

Parameters
----------
n_sequences : int
    Number of sequences.
n_samples : int
    Frames per sequence.
random_state : int, RandomState instance or None, default=None
    Seeds the draws; None uses the model's ``random_state``.
currstate : int, default=None
    State of every sequence's first frame; None draws it from
    ``startprob_``.

Returns
-------
X : ndarray of shape (n_sequences * n_samples, n_features)
    The sequences, concatenated, ready for ``fit(X, lengths)``.
states : ndarray of shape (n_sequences * n_samples,)
    The state of each frame.
lengths : ndarray of shape (n_sequences,)
    Length of each sequence (all ``n_samples``).

Examples
--------
{setup}
>>> X_new, states, lengths = model.sample_sequences(3, 10, random_state=1)
>>> X_new.shape, lengths.tolist()
((30, 2), [10, 10, 10])
""")

SAMPLE = _doc("""Draw one sequence from the model, as hmmlearn.

Parameters
----------
n_samples : int, default=1
    Number of frames.
random_state : int, RandomState instance or None, default=None
    Seeds the draws; None uses the model's ``random_state``.
currstate : int, default=None
    State of the first frame; None draws it from ``startprob_``.

Returns
-------
X : ndarray of shape (n_samples, n_features)
    The observations.
state_sequence : ndarray of shape (n_samples,)
    The state of each frame.

Examples
--------
{setup}
>>> X_new, states = model.sample(5, random_state=1)
>>> X_new.shape, states.shape
((5, 2), (5,))
""")


# ---- the variational models' class docstrings: their shared entries --------

VARIATIONAL_START_TRANS_PRIORS = """\
startprob_prior : float, array-like of shape (n_components,) or None, default=None
    Dirichlet prior on ``startprob_``; None: 1 / n_components.
transmat_prior : float, array-like of shape (n_components, n_components) or None, \
default=None
    Dirichlet prior on each row of ``transmat_``; None: 1 / n_components."""

VARIATIONAL_FIT_PARAMS = """\
algorithm : {"viterbi", "map"}, default="viterbi"
    Decoder used by ``decode`` and ``predict``.
random_state : int, RandomState instance or None, default=None
    Seeds the initialization (and ``sample`` when it is given none).
n_iter : int, default=100
    Maximum number of iterations (0: initialize only).
tol : float, default=1e-6
    Fitting stops when the lower bound gains less than ``tol``.
verbose : bool, default=False
    Print each iteration's lower bound to stderr."""

VARIATIONAL_RUN_PARAMS = """\
implementation : {"log", "scaling"}, default="log"
    Accepted for hmmlearn compatibility; both compute the same numbers.
n_init : int, default=1
    Restarts from different initializations; the best final lower
    bound is kept.
n_jobs : int or None, default=None
    Threads of the compiled kernels (None: OpenMP's default, -1: all)."""

VARIATIONAL_START_TRANS_ATTRIBUTES = """\
startprob_prior_, startprob_posterior_ : ndarray of shape (n_components,)
    Dirichlet prior and posterior of the initial state distribution.
transmat_prior_, transmat_posterior_ : ndarray of shape (n_components, n_components)
    Dirichlet prior and posterior of each row of the transition matrix."""

VARIATIONAL_EXPECTED_ATTRIBUTES = """\
startprob_ : ndarray of shape (n_components,)
    Posterior mean of the initial state distribution.
transmat_ : ndarray of shape (n_components, n_components)
    Posterior mean of the transition matrix."""

VARIATIONAL_MONITOR = """\
monitor_ : ConvergenceMonitor
    Convergence monitor; its ``history`` holds the lower bound (ELBO)
    of each iteration."""


def variational_class_doc(template):
    """Return a variational model's class docstring: ``template`` with the shared entries."""
    return template.format(
        start_trans_priors=VARIATIONAL_START_TRANS_PRIORS, fit_params=VARIATIONAL_FIT_PARAMS,
        run_params=VARIATIONAL_RUN_PARAMS,
        start_trans_attributes=VARIATIONAL_START_TRANS_ATTRIBUTES,
        expected_attributes=VARIATIONAL_EXPECTED_ATTRIBUTES, monitor=VARIATIONAL_MONITOR)


def _clf_doc(summary, params, returns, example):
    """Return an HMMClassifier method's docstring; ``example`` follows the shared setup."""
    return numpydoc(summary, ("Parameters", "\n".join(params)), ("Returns", returns),
                    ("Examples", _CLF_SETUP + "\n" + example))


# HMMClassifier's methods: summary, parameters, returns, the example's last lines

CLASSIFIER_FIT = _clf_doc(
    """Fit one HMM per class on that class's sequences, and the class priors.""",
    [_CLF_X, """y : array-like of shape (n_sequences,)
    One label per sequence.""", _CLF_LENGTHS],
    """self : object
    The fitted classifier.""",
    """>>> len(clf.hmms_)
2""")


CLASSIFIER_PREDICT_JOINT_LOG_PROBA = _clf_doc(
    """Return log P(sequence, c) for every sequence and class.""",
    [_CLF_X, _CLF_LENGTHS],
    """joint_log_proba : ndarray of shape (n_sequences, n_classes)
    Log joint probability of each sequence and class.""",
    """>>> clf.predict_joint_log_proba(X, lengths).shape
(4, 2)""")


CLASSIFIER_PREDICT_LOG_PROBA = _clf_doc(
    """Return log P(c | sequence) for every sequence and class.

A sequence of probability zero under every class's model has no
posterior: a ValueError names it, as for every gdcore Bayes classifier.""",
    [_CLF_X, _CLF_LENGTHS],
    """log_proba : ndarray of shape (n_sequences, n_classes)
    Log posterior of each class, columns in the order of ``classes_``.""",
    """>>> clf.predict_log_proba(X, lengths).shape
(4, 2)""")


CLASSIFIER_PREDICT_PROBA = _clf_doc(
    """Return P(c | sequence) for every sequence and class.

ValueError for a sequence of probability zero under every class.""",
    [_CLF_X, _CLF_LENGTHS],
    """proba : ndarray of shape (n_sequences, n_classes)
    Posterior of each class, columns in the order of ``classes_``.""",
    """>>> clf.predict_proba(X, lengths).sum(axis=1).round(6).tolist()
[1.0, 1.0, 1.0, 1.0]""")


CLASSIFIER_PREDICT = _clf_doc(
    """Return the most probable class of each sequence.

ValueError for a sequence of probability zero under every class.""",
    [_CLF_X, _CLF_LENGTHS],
    """y : ndarray of shape (n_sequences,)
    The predicted class of each sequence.""",
    """>>> clf.predict(X, lengths).tolist()
[0, 0, 1, 1]""")


CLASSIFIER_SCORE = _clf_doc(
    """Return the accuracy over sequences.""",
    [_CLF_X, """y : array-like of shape (n_sequences,)
    True label of each sequence.""", _CLF_LENGTHS,
     """sample_weight : array-like of shape (n_sequences,), default=None
    One weight per sequence."""],
    """score : float
    Fraction (weighted) of sequences classified right.""",
    """>>> clf.score(X, y, lengths)
1.0""")


CLASSIFIER_SCORE_SAMPLES = _clf_doc(
    """Return log p(sequence) = log sum_c P(c) p(sequence | c) of each sequence.""",
    [_CLF_X, _CLF_LENGTHS],
    """log_density : ndarray of shape (n_sequences,)
    Log-likelihood of each sequence under the class mixture.""",
    """>>> clf.score_samples(X, lengths).shape
(4,)""")


CLASSIFIER_SAMPLE = _clf_doc(
    """Draw labelled sequences from the class HMMs.

Labels are drawn from ``class_prior_`` unless ``y`` is given (one
label, or one per sequence); each sequence, of ``n_samples`` frames,
comes from its class's HMM.  X holds the sequences concatenated in
the order of the returned labels, ready for ``fit(X, y, lengths)``.""",
    ["""n_sequences : int, default=1
    Number of sequences.
n_samples : int, default=100
    Frames per sequence.
y : array-like, default=None
    One label for all sequences or one per sequence; None draws them
    from ``class_prior_``.
random_state : int, RandomState instance or None, default=None
    Seeds the draws; None uses the classifier's ``random_state``."""],
    """X : ndarray of shape (n_sequences * n_samples, n_features)
    The sequences, concatenated.
lengths : ndarray of shape (n_sequences,)
    Length of each sequence.
y : ndarray of shape (n_sequences,)
    The label of each sequence.""",
    """>>> X_new, lengths_new, y_new = clf.sample(3, 10, y=1, random_state=0)
>>> X_new.shape, y_new.tolist()
((30, 2), [1, 1, 1])""")
