"""MLPClassifier: a multi-layer perceptron on the compiled dense-layer core.

Drop-in for ``sklearn.neural_network.MLPClassifier``: the same parameters,
defaults and fitted attributes (``coefs_``, ``intercepts_``, ``loss_curve_``,
``n_iter_``, ...), ``sample_weight`` in ``fit`` and ``partial_fit``, plus
``n_jobs``, ``dtype`` and a "leaky_relu" activation.  The training loop is
``_base.BaseMLP``'s, shared with MLPRegressor.

Precision: networks train in float32 by default (``dtype="float32"``: half
the memory traffic, twice the SIMD width in gemm), in float64 with
``dtype="float64"``, or in the input's precision with ``dtype=None``
(scikit-learn's rule).  Probabilities are returned in X's float dtype, as
scikit-learn's: float32 rows give float32 answers, float64 (or integer) rows
float64 ones.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from gdcore._fallback import delegate_to_peer
from gdcore._validation import FLOAT_DTYPES, refuse_dates
from gdcore.discriminative.mlp._base import BaseMLP, has_partial_fit


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier, trained by Adam, SGD or L-BFGS.

    A drop-in for ``sklearn.neural_network.MLPClassifier``: the same
    parameters, defaults, fitted attributes and training steps (Glorot
    initialization, minibatches, schedules, early stopping), with every
    numeric step a compiled kernel of the dense network.  The output is a
    softmax, or a logistic for binary and multilabel targets; the loss is
    the cross-entropy.  Sparse X is fitted by scikit-learn's estimator.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The i-th element is the number of neurons of the i-th hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
        Activation of the hidden layers: f(x) = x, 1 / (1 + exp(-x)),
        tanh(x), max(0, x), or max(0.01 x, x) ('leaky_relu', gdcore's
        addition).
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer: SciPy's L-BFGS-B on the full batch (converges
        fast on small data), minibatch stochastic gradient descent, or Adam.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the intercepts),
        divided by the sample size as in scikit-learn.
    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is
        ``min(200, n_samples)``.  Unused by 'lbfgs'.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule of 'sgd': constant ``learning_rate_init``,
        ``learning_rate_init / t ** power_t``, or divided by 5 each time the
        loss stops improving.
    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum epochs of the stochastic solvers (each row seen once per
        epoch), or iterations of 'lbfgs'.
    shuffle : bool, default=True
        Shuffle the rows at each epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the shuffling and the
        early-stopping split; an int gives reproducible fits.
    tol : float, default=1e-4
        Improvement of the loss (or validation score) below which an epoch
        counts as no improvement; 'lbfgs' stops when its projected gradient
        is below ``tol``.
    verbose : bool, default=False
        Print the loss at each iteration.
    warm_start : bool, default=False
        Continue from the previous fit's weights instead of new ones.
    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when their
        score stops improving for ``n_iter_no_change`` epochs; the weights
        of the best epoch are kept.  Stochastic solvers only.
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimates, in [0, 1).
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before stopping (stochastic
        solvers).
    max_fun : int, default=15000
        Maximum loss evaluations of 'lbfgs'.
    n_jobs : int or None, default=None
        OpenMP threads of the dense kernels (None: OpenMP's default; -1: all
        cores).
    dtype : {'float32', 'float64'} or None, default='float32'
        Precision of the weights and of the training arithmetic: float32
        halves the memory traffic and doubles the SIMD width of the
        products; None trains in X's precision (scikit-learn's rule).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        The class labels (one array per output for multilabel targets).
    loss_ : float
        The loss at the end of the fit (data term plus penalty).
    best_loss_ : float or None
        The smallest loss of the stochastic solvers' epochs; None with
        early stopping.
    loss_curve_ : list of float
        The loss at the end of each epoch (stochastic solvers).
    validation_scores_ : list of float or None
        The held-out score of each epoch with ``early_stopping=True``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    t_ : int
        Rows seen by the stochastic solvers.
    coefs_ : list of ndarray of shape (n_units_in, n_units_out)
        The weight matrix of each layer, in the training dtype.
    intercepts_ : list of ndarray of shape (n_units_out,)
        The bias vector of each layer.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in ``fit``, when X had string column names.
    n_iter_ : int
        Epochs (stochastic solvers) or iterations ('lbfgs') of the last fit.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        The output link.

    See Also
    --------
    MLPRegressor : The same network for regression.
    LogisticRegression : The network without hidden layers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from gdcore import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
    ...             max_iter=1000, random_state=0).fit(X, y)
    >>> clf.predict(X[[0, 50, 100]])
    array([0, 1, 2])
    >>> [w.shape for w in clf.coefs_]
    [(4, 16), (16, 3)]
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, max_fun=15000, n_jobs=None, dtype="float32"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.n_jobs = n_jobs
        self.dtype = dtype

    def _validate_input(self, X, y, incremental, reset):
        refuse_dates(X)
        X, y = validate_data(self, X, y, multi_output=True, dtype=FLOAT_DTYPES,
                             order="C", reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if type_of_target(y) == "continuous":
            raise ValueError("Unknown label type: continuous targets given to a "
                             "classifier; use MLPRegressor.")
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_)):
                raise ValueError(f"`y` has classes not in `self.classes_`. "
                                 f"`self.classes_` has {self.classes_}. 'y' has {classes}.")
        return X, y, self._label_binarizer.transform(y)

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _stratify_validation(self):
        return self.n_outputs_ == 1

    def _validation_score(self, X, y, sample_weight):
        return accuracy_score(y, self._predict_validated(X), sample_weight=sample_weight)

    _peer_class = "sklearn.neural_network.MLPClassifier"

    def fit(self, X, y, sample_weight=None):
        """Fit the network to the training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a label-indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss; None weighs every row 1.

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from gdcore import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
        ...                     max_iter=1000, random_state=0).fit(X, y)
        >>> clf.n_layers_, clf.out_activation_
        (3, 'softmax')
        """
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(has_partial_fit)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the network with one epoch over (X, y).

        Only for the stochastic solvers ('sgd', 'adam').

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels of the rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss; None weighs every row 1.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data; required on the first call, as
            later batches may lack some.

        Returns
        -------
        self : MLPClassifier
            The updated estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
        >>> for start in range(0, 150, 50):
        ...     clf = clf.partial_fit(X[start::3], y[start::3], classes=[0, 1, 2])
        >>> clf.classes_, clf.n_iter_
        (array([0, 1, 2]), 1)
        """
        self._validate_params()
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer = LabelBinarizer().fit(y)
            else:
                self._label_binarizer = LabelBinarizer().fit(np.asarray(classes))
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={classes}` is not the same as on the last "
                             f"call to partial_fit, was: {self.classes_}")
        return self._fit(X, y, sample_weight, incremental=True)

    def _predict_validated(self, X):
        Z = self._forward_logits(X)
        if self.n_outputs_ == 1:
            Z = Z.ravel()
        if self._label_binarizer.y_type_ == "multiclass":
            return self.classes_[np.argmax(Z, axis=1)]
        return self._label_binarizer.inverse_transform(Z, threshold=0.0)

    @delegate_to_peer
    def predict(self, X):
        """Return the most probable class of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted classes (a label-indicator matrix for multilabel
            targets).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from gdcore import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
        ...                     max_iter=1000, random_state=0).fit(X, y)
        >>> clf.predict(X[[0, 50, 100]])
        array([0, 1, 2])
        """
        check_is_fitted(self)
        return self._predict_validated(self._check_predict_X(X)[0])

    @delegate_to_peer
    def predict_proba(self, X):
        """Return the probability of each class for each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in X's floating dtype, columns in the order of
            ``classes_`` (for multilabel targets, each label's own
            probability).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from gdcore import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
        ...                     max_iter=1000, random_state=0).fit(X, y)
        >>> clf.predict_proba(X[:2]).shape
        (2, 3)
        """
        check_is_fitted(self)
        X, out_dtype = self._check_predict_X(X)
        Z = self._forward_logits(X).astype(np.float64)
        if self.out_activation_ == "softmax":
            Z -= Z.max(axis=1, keepdims=True)
            P = np.exp(Z)
            return (P / P.sum(axis=1, keepdims=True)).astype(out_dtype, copy=False)
        # exp(-|z|) never overflows: sigmoid(z) = 1/(1+e^-z) or e^z/(1+e^z).
        E = np.exp(-np.abs(Z))
        P = np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E))
        if self.n_outputs_ == 1:
            P = np.hstack([1 - P, P])
        return P.astype(out_dtype, copy=False)

    @delegate_to_peer
    def predict_log_proba(self, X):
        """Return the logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from gdcore import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
        ...                     max_iter=1000, random_state=0).fit(X, y)
        >>> clf.predict_log_proba(X[:2]).shape
        (2, 3)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
