"""Sequence classification with one hidden Markov model per class.

Each class c gets its own HMM, fitted by Baum-Welch on the sequences labelled
c; a new sequence x_1..x_T is assigned by Bayes' rule,

    P(c | x_1..x_T) = P(c) p(x_1..x_T | c) / sum_k P(k) p(x_1..x_T | k),

with p(x_1..x_T | c) the forward-algorithm likelihood of the class-c model.
This is the classic recipe of isolated-word speech recognition (Rabiner,
1989) and of gesture and activity recognition.  Every class's likelihoods
for all sequences come from one compiled forward pass, parallel over the
sequences (``score(..., per_sequence=True)``), so there is no Python loop per
sequence.

The API is scikit-learn's classifier API with hmmlearn's ``lengths``: X holds
the sequences concatenated row after row, ``lengths`` their lengths, and y
one label per sequence.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from gdcore._doc_link import DocLinkMixin
from gdcore._threads import effective_n_threads
from gdcore._validation import check_classification_targets, check_n_samples, refuse_dates
from gdcore.generative._base import (
    bayes_log_posterior,
    bayes_posterior,
    bayes_predict,
    log_sum_exp_rows,
)
from gdcore.generative.bayes_classifier import class_prior, seeded_clone
from gdcore.generative.hmm import _docs
from gdcore.generative.hmm._base import BaseHMM, check_lengths
from gdcore.generative.hmm._docs import method_doc


def _default_hmm():
    from gdcore.generative.hmm._gaussian import GaussianHMM

    return GaussianHMM(n_components=3, covariance_type="diag", n_iter=50)


def _clone_with_start(hmm, rng):
    """Return a seeded clone of ``hmm`` that keeps the parameters set on it before fitting.

    ``clone`` drops those parameters.  Users of hmmlearn set ``transmat_`` with
    zeros and ``init_params=""`` to train left-right models, the usual shape
    of a per-word model in speech recognition: every class starts from them.
    """
    model = seeded_clone(hmm, rng)
    for name in ("startprob_", "transmat_") + tuple(hmm._emission_param_names):
        if hasattr(hmm, name):
            setattr(model, name, np.copy(getattr(hmm, name)))
    return model


class HMMClassifier(DocLinkMixin, ClassifierMixin, BaseEstimator):
    """Classify whole sequences through Bayes' rule over one HMM per class.

    Parameters
    ----------
    hmm : gdcore HMM, default=None
        The model fitted to each class's sequences (cloned once per class):
        any of gdcore's ``GaussianHMM``, ``CategoricalHMM``, ``PoissonHMM``
        or a subclass of its HMM base.  Parameters already set on it (e.g. a
        left-right ``transmat_`` with ``init_params=""``) are every class's
        starting point.  None means
        ``GaussianHMM(n_components=3, covariance_type="diag", n_iter=50)``.
    priors : array-like of shape (n_classes,), default=None
        Class prior probabilities; the fraction of training sequences in
        each class if None.
    random_state : int, RandomState or None, default=None
        Seeds each class's HMM (its own seed drawn from this one) and
        ``sample``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    hmms_ : list of fitted HMMs
        One per class, in the order of ``classes_``.
    class_prior_ : ndarray of shape (n_classes,)
        Prior probability of each class.
    class_log_prior_ : ndarray of shape (n_classes,)
        Its logarithm.
    n_features_in_ : int
        Number of features seen during ``fit``.

    See Also
    --------
    gdcore.generative.GenerativeClassifier : The same Bayes rule over row densities.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
    >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
    >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
    >>> clf.predict(X, lengths).tolist()
    [0, 0, 1, 1]
    """

    _parameter_constraints = {
        "hmm": "no_validation",
        "priors": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(self, hmm=None, *, priors=None, random_state=None):
        self.hmm = hmm
        self.priors = priors
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        hmm = _default_hmm() if self.hmm is None else self.hmm
        if isinstance(hmm, BaseHMM):
            tags.input_tags.allow_nan = hmm.__sklearn_tags__().input_tags.allow_nan
        return tags

    def _check_X(self, X, reset):
        """2-D, non-empty X with the fitted feature names; dtypes are the HMM's to check.

        Each class's HMM converts X to what it models (floats, integer
        symbols) and decides about NaN, so only the shape and names are
        checked here (and sparse input refused, which no HMM takes).
        """
        refuse_dates(X)
        return validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)

    def _hmm(self):
        hmm = _default_hmm() if self.hmm is None else self.hmm
        if not isinstance(hmm, BaseHMM):
            raise ValueError(
                f"hmm must be a gdcore HMM (GaussianHMM, CategoricalHMM, PoissonHMM, "
                f"...), got {type(hmm).__name__}.")
        return hmm

    @staticmethod
    def _sequence_labels(y, n_sequences):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, one label per sequence; got shape {y.shape}.")
        if len(y) != n_sequences:
            raise ValueError(
                f"y has {len(y)} labels but lengths describe {n_sequences} sequences: "
                "give one label per sequence, not per frame.")
        check_classification_targets(y)
        return y

    @method_doc(_docs.CLASSIFIER_FIT)
    def fit(self, X, y, lengths=None):
        self._validate_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the "
                             "target y is None.")
        hmm = self._hmm()
        X = self._check_X(X, reset=True)
        offsets = check_lengths(lengths, len(X))
        seq_lengths = np.diff(offsets)
        y = self._sequence_labels(y, len(seq_lengths))
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"HMMClassifier needs sequences of at least 2 classes; got only "
                f"{self.classes_[0]!r}.")
        rng = check_random_state(self.random_state)
        frame_class = np.repeat(y_idx, seq_lengths)
        self.hmms_ = []
        for c in range(len(self.classes_)):
            model = _clone_with_start(hmm, rng)
            model.fit(X[frame_class == c], seq_lengths[y_idx == c])
            self.hmms_.append(model)
        counts = np.bincount(y_idx, minlength=len(self.classes_)).astype(np.float64)
        self.class_prior_ = class_prior(counts, self.priors)
        with np.errstate(divide="ignore"):
            self.class_log_prior_ = np.log(self.class_prior_)
        return self

    @method_doc(_docs.CLASSIFIER_PREDICT_JOINT_LOG_PROBA)
    def predict_joint_log_proba(self, X, lengths=None):
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        columns = [hmm.score(X, lengths, per_sequence=True) for hmm in self.hmms_]
        return np.column_stack(columns) + self.class_log_prior_

    @method_doc(_docs.CLASSIFIER_PREDICT_LOG_PROBA)
    def predict_log_proba(self, X, lengths=None):
        return bayes_log_posterior(self.predict_joint_log_proba(X, lengths),
                                   type(self).__name__)

    @method_doc(_docs.CLASSIFIER_PREDICT_PROBA)
    def predict_proba(self, X, lengths=None):
        return bayes_posterior(self.predict_joint_log_proba(X, lengths),
                               effective_n_threads(getattr(self.hmms_[0], "n_jobs", None)),
                               type(self).__name__)

    @method_doc(_docs.CLASSIFIER_PREDICT)
    def predict(self, X, lengths=None):
        jll = self.predict_joint_log_proba(X, lengths)
        return self.classes_[bayes_predict(jll, type(self).__name__)]

    @method_doc(_docs.CLASSIFIER_SCORE)
    def score(self, X, y, lengths=None, sample_weight=None):
        y = self._sequence_labels(y, len(check_lengths(lengths, len(X))) - 1)
        return float(np.average(self.predict(X, lengths) == y, weights=sample_weight))

    @method_doc(_docs.CLASSIFIER_SCORE_SAMPLES)
    def score_samples(self, X, lengths=None):
        return log_sum_exp_rows(self.predict_joint_log_proba(X, lengths))[:, 0]

    @method_doc(_docs.CLASSIFIER_SAMPLE)
    def sample(self, n_sequences=1, n_samples=100, y=None, random_state=None):
        check_is_fitted(self)
        n_sequences = check_n_samples(n_sequences, "n_sequences")
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(self.random_state if random_state is None
                                 else random_state)
        if y is None:
            y_idx = rng.choice(len(self.classes_), size=n_sequences, p=self.class_prior_)
        else:
            y = np.broadcast_to(np.asarray(y), (n_sequences,))
            unknown = ~np.isin(y, self.classes_)
            if np.any(unknown):
                raise ValueError(f"unknown class label(s) {np.unique(y[unknown])[:5]}; "
                                 f"classes_ are {self.classes_}.")
            y_idx = np.searchsorted(self.classes_, y)
        X = None
        for c, hmm in enumerate(self.hmms_):
            seqs = np.flatnonzero(y_idx == c)
            if seqs.size == 0:
                continue
            drawn, _, _ = hmm.sample_sequences(
                seqs.size, n_samples, random_state=rng.randint(np.iinfo(np.int32).max))
            drawn = drawn.reshape(seqs.size, n_samples, -1)
            if X is None:
                X = np.empty((n_sequences, n_samples, drawn.shape[2]), dtype=drawn.dtype)
            X[seqs] = drawn
        return (X.reshape(n_sequences * n_samples, -1),
                np.full(n_sequences, n_samples), self.classes_[y_idx])
