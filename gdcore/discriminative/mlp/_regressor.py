"""MLPRegressor: a multi-layer perceptron on the compiled dense-layer core.

Drop-in for ``sklearn.neural_network.MLPRegressor`` (see ``_classifier`` for
what it adds and for precision): predictions are returned in X's float dtype.

Regression reports the loss as the mean over rows of (1/2) sum over outputs
of squared error, the function its gradient is the gradient of (scikit-learn
averages over outputs in the reported loss but not in its gradient; for one
output the two agree).
"""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from gdcore._fallback import delegate_to_peer
from gdcore._sklearn_compat import StrOptions
from gdcore._validation import FLOAT_DTYPES, refuse_dates
from gdcore.discriminative.mlp._base import BaseMLP, has_partial_fit


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor, trained by Adam, SGD or L-BFGS.

    A drop-in for ``sklearn.neural_network.MLPRegressor`` on the compiled
    dense network: identity output and squared error, or exp output and
    Poisson deviance.  Sparse X is fitted by scikit-learn's estimator.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss: half the squared error, or the Poisson deviance with an
        exp output (non-negative targets).
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
    MLPClassifier : The same network for classification.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import StandardScaler
    >>> from gdcore import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", alpha=1.0,
    ...            max_iter=2000, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> bool(reg.score(X, y) > 0.5)
    True
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu",
                 *, solver="adam", alpha=0.0001, batch_size="auto",
                 learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000, n_jobs=None,
                 dtype="float32"):
        self.loss = loss
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
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=FLOAT_DTYPES, order="C", reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("Some value(s) of y are negative, which is not allowed "
                             "for loss='poisson' (counts or rates are >= 0).")
        return X, y, y.reshape(-1, 1) if y.ndim == 1 else y

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _validation_score(self, X, y, sample_weight):
        pred = self._predict_validated(X)
        if not np.isfinite(pred).all():
            return np.nan  # a diverged network, scored as scikit-learn scores it
        return r2_score(y, pred, sample_weight=sample_weight)

    _peer_class = "sklearn.neural_network.MLPRegressor"

    def fit(self, X, y, sample_weight=None):
        """Fit the network to the training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (non-negative for ``loss='poisson'``).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss; None weighs every row 1.

        Returns
        -------
        self : MLPRegressor
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.preprocessing import StandardScaler
        >>> from gdcore import MLPRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", alpha=1.0,
        ...                    max_iter=2000, random_state=0).fit(X, y)
        >>> [w.shape for w in reg.coefs_]
        [(10, 8), (8, 1)]
        """
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(has_partial_fit)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with one epoch over (X, y).

        Only for the stochastic solvers ('sgd', 'adam').

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets of the rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss; None weighs every row 1.

        Returns
        -------
        self : MLPRegressor
            The updated estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from gdcore import MLPRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
        >>> for _ in range(3):
        ...     reg = reg.partial_fit(X, y)
        >>> reg.t_
        1326
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def _predict_validated(self, X):
        Z = self._forward_logits(X).astype(np.float64)
        if self.out_activation_ == "exp":
            Z = np.exp(Z)
        return Z.ravel() if self.n_outputs_ == 1 else Z

    @delegate_to_peer
    def predict(self, X):
        """Return the predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions, in X's floating dtype.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.preprocessing import StandardScaler
        >>> from gdcore import MLPRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", alpha=1.0,
        ...                    max_iter=2000, random_state=0).fit(X, y)
        >>> reg.predict(X[:3]).shape
        (3,)
        """
        check_is_fitted(self)
        X, out_dtype = self._check_predict_X(X)
        return self._predict_validated(X).astype(out_dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
