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
from gdcore.generative.hmm._base import BaseHMM, check_lengths


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

    def fit(self, X, y, lengths=None):
        """Fit one HMM per class on that class's sequences, and the class priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All sequences, concatenated.
        y : array-like of shape (n_sequences,)
            One label per sequence.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None means X is a single sequence.

        Returns
        -------
        self : object
            The fitted classifier.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
        >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
        >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
        >>> len(clf.hmms_)
        2
        """
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

    def predict_joint_log_proba(self, X, lengths=None):
        """Return log P(sequence, c) for every sequence and class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Sequences, concatenated row-wise.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None means X is a single sequence.

        Returns
        -------
        joint_log_proba : ndarray of shape (n_sequences, n_classes)
            Log joint probability of each sequence and class.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
        >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
        >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
        >>> clf.predict_joint_log_proba(X, lengths).shape
        (4, 2)
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        columns = [hmm.score(X, lengths, per_sequence=True) for hmm in self.hmms_]
        return np.column_stack(columns) + self.class_log_prior_

    def predict_log_proba(self, X, lengths=None):
        """Return log P(c | sequence) for every sequence and class.

        A sequence of probability zero under every class's model has no
        posterior: a ValueError names it, as for every gdcore Bayes classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Sequences, concatenated row-wise.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None means X is a single sequence.

        Returns
        -------
        log_proba : ndarray of shape (n_sequences, n_classes)
            Log posterior of each class, columns in the order of ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
        >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
        >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
        >>> clf.predict_log_proba(X, lengths).shape
        (4, 2)
        """
        return bayes_log_posterior(self.predict_joint_log_proba(X, lengths),
                                   type(self).__name__)

    def predict_proba(self, X, lengths=None):
        """Return P(c | sequence) for every sequence and class.

        ValueError for a sequence of probability zero under every class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Sequences, concatenated row-wise.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None means X is a single sequence.

        Returns
        -------
        proba : ndarray of shape (n_sequences, n_classes)
            Posterior of each class, columns in the order of ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
        >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
        >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
        >>> clf.predict_proba(X, lengths).sum(axis=1).round(6).tolist()
        [1.0, 1.0, 1.0, 1.0]
        """
        return bayes_posterior(self.predict_joint_log_proba(X, lengths),
                               effective_n_threads(getattr(self.hmms_[0], "n_jobs", None)),
                               type(self).__name__)

    def predict(self, X, lengths=None):
        """Return the most probable class of each sequence.

        ValueError for a sequence of probability zero under every class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Sequences, concatenated row-wise.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None means X is a single sequence.

        Returns
        -------
        y : ndarray of shape (n_sequences,)
            The predicted class of each sequence.

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
        jll = self.predict_joint_log_proba(X, lengths)
        return self.classes_[bayes_predict(jll, type(self).__name__)]

    def score(self, X, y, lengths=None, sample_weight=None):
        """Return the accuracy over sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Sequences, concatenated row-wise.
        y : array-like of shape (n_sequences,)
            True label of each sequence.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None means X is a single sequence.
        sample_weight : array-like of shape (n_sequences,), default=None
            One weight per sequence.

        Returns
        -------
        score : float
            Fraction (weighted) of sequences classified right.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
        >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
        >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
        >>> clf.score(X, y, lengths)
        1.0
        """
        y = self._sequence_labels(y, len(check_lengths(lengths, len(X))) - 1)
        return float(np.average(self.predict(X, lengths) == y, weights=sample_weight))

    def score_samples(self, X, lengths=None):
        """Return log p(sequence) = log sum_c P(c) p(sequence | c) of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Sequences, concatenated row-wise.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None means X is a single sequence.

        Returns
        -------
        log_density : ndarray of shape (n_sequences,)
            Log-likelihood of each sequence under the class mixture.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
        >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
        >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
        >>> clf.score_samples(X, lengths).shape
        (4,)
        """
        return log_sum_exp_rows(self.predict_joint_log_proba(X, lengths))[:, 0]

    def sample(self, n_sequences=1, n_samples=100, y=None, random_state=None):
        """Draw labelled sequences from the class HMMs.

        Labels are drawn from ``class_prior_`` unless ``y`` is given (one
        label, or one per sequence); each sequence, of ``n_samples`` frames,
        comes from its class's HMM.  X holds the sequences concatenated in
        the order of the returned labels, ready for ``fit(X, y, lengths)``.

        Parameters
        ----------
        n_sequences : int, default=1
            Number of sequences.
        n_samples : int, default=100
            Frames per sequence.
        y : array-like, default=None
            One label for all sequences or one per sequence; None draws them
            from ``class_prior_``.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; None uses the classifier's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_sequences * n_samples, n_features)
            The sequences, concatenated.
        lengths : ndarray of shape (n_sequences,)
            Length of each sequence.
        y : ndarray of shape (n_sequences,)
            The label of each sequence.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore.generative.hmm import GaussianHMM, HMMClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = np.concatenate([rng.normal(m, 1.0, (30, 2)) for m in (0, 0, 5, 5)])
        >>> y, lengths = [0, 0, 1, 1], [30, 30, 30, 30]
        >>> clf = HMMClassifier(GaussianHMM(n_components=2), random_state=0).fit(X, y, lengths)
        >>> X_new, lengths_new, y_new = clf.sample(3, 10, y=1, random_state=0)
        >>> X_new.shape, y_new.tolist()
        ((30, 2), [1, 1, 1])
        """
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
