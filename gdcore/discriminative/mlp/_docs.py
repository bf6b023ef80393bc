"""The numpydoc docstrings of MLPClassifier and MLPRegressor, from shared entries.

The two networks share every parameter (PARAMS, in the constructors' order)
but MLPRegressor's ``loss`` and every attribute (ATTRS) but MLPClassifier's
``classes_``; their methods share the arguments (ARGS) X, y and
sample_weight.  Each entry is written once here; each docstring lists its own.
"""

from functools import partial

from gdcore._docstrings import class_doc as base_class_doc
from gdcore._docstrings import method_doc as base_method_doc

PARAMS = {
    "loss": """loss : {'squared_error', 'poisson'}, default='squared_error'
    The loss: half the squared error, or the Poisson deviance with an
    exp output (non-negative targets).""",
    "hidden_layer_sizes": """hidden_layer_sizes : array-like of shape (n_layers - 2,), \
default=(100,)
    The i-th element is the number of neurons of the i-th hidden layer.""",
    "activation": """activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu'}, \
default='relu'
    Activation of the hidden layers: f(x) = x, 1 / (1 + exp(-x)),
    tanh(x), max(0, x), or max(0.01 x, x) ('leaky_relu', gdcore's
    addition).""",
    "solver": """solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
    The weight optimizer: SciPy's L-BFGS-B on the full batch (converges
    fast on small data), minibatch stochastic gradient descent, or Adam.""",
    "alpha": """alpha : float, default=0.0001
    Strength of the L2 penalty on the weights (not the intercepts),
    divided by the sample size as in scikit-learn.""",
    "batch_size": """batch_size : int or 'auto', default='auto'
    Minibatch size of the stochastic solvers; 'auto' is
    ``min(200, n_samples)``.  Unused by 'lbfgs'.""",
    "learning_rate": """learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
    Step-size schedule of 'sgd': constant ``learning_rate_init``,
    ``learning_rate_init / t ** power_t``, or divided by 5 each time the
    loss stops improving.""",
    "learning_rate_init": """learning_rate_init : float, default=0.001
    Initial step size of 'sgd' and 'adam'.""",
    "power_t": """power_t : float, default=0.5
    Exponent of the 'invscaling' schedule.""",
    "max_iter": """max_iter : int, default=200
    Maximum epochs of the stochastic solvers (each row seen once per
    epoch), or iterations of 'lbfgs'.""",
    "shuffle": """shuffle : bool, default=True
    Shuffle the rows at each epoch (stochastic solvers).""",
    "random_state": """random_state : int, RandomState instance or None, default=None
    Seeds the weight initialization, the shuffling and the
    early-stopping split; an int gives reproducible fits.""",
    "tol": """tol : float, default=1e-4
    Improvement of the loss (or validation score) below which an epoch
    counts as no improvement; 'lbfgs' stops when its projected gradient
    is below ``tol``.""",
    "verbose": """verbose : bool, default=False
    Print the loss at each iteration.""",
    "warm_start": """warm_start : bool, default=False
    Continue from the previous fit's weights instead of new ones.""",
    "momentum": """momentum : float, default=0.9
    Momentum of 'sgd', in [0, 1].""",
    "nesterovs_momentum": """nesterovs_momentum : bool, default=True
    Use Nesterov's momentum with 'sgd'.""",
    "early_stopping": """early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the rows and stop when their
    score stops improving for ``n_iter_no_change`` epochs; the weights
    of the best epoch are kept.  Stochastic solvers only.""",
    "validation_fraction": """validation_fraction : float, default=0.1
    Share of the training rows held out for early stopping.""",
    "beta_1": """beta_1 : float, default=0.9
    Decay of Adam's first-moment estimates, in [0, 1).""",
    "beta_2": """beta_2 : float, default=0.999
    Decay of Adam's second-moment estimates, in [0, 1).""",
    "epsilon": """epsilon : float, default=1e-8
    Adam's numerical-stability constant.""",
    "n_iter_no_change": """n_iter_no_change : int, default=10
    Epochs without an improvement of ``tol`` before stopping (stochastic
    solvers).""",
    "max_fun": """max_fun : int, default=15000
    Maximum loss evaluations of 'lbfgs'.""",
    "n_jobs": """n_jobs : int or None, default=None
    OpenMP threads of the dense kernels (None: OpenMP's default; -1: all
    cores).""",
    "dtype": """dtype : {'float32', 'float64'} or None, default='float32'
    Precision of the weights and of the training arithmetic: float32
    halves the memory traffic and doubles the SIMD width of the
    products; None trains in X's precision (scikit-learn's rule).""",
}

ARGS = {
    "X": """X : {array-like, sparse matrix} of shape (n_samples, n_features)
    The input rows.""",
    "y": """y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Class labels of MLPClassifier (a label-indicator matrix for multilabel
    targets), or targets of MLPRegressor (non-negative for
    ``loss='poisson'``).""",
    "y_clf": """y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Class labels, or a label-indicator matrix for multilabel targets.""",
    "y_reg": """y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Targets (non-negative for ``loss='poisson'``).""",
    "sample_weight": """sample_weight : array-like of shape (n_samples,), default=None
    Weight of each row in the loss; None weighs every row 1.""",
    "classes": """classes : array-like of shape (n_classes,), default=None
    Every class of the whole data; required on the first call, as
    later batches may lack some.""",
}

ATTRS = {
    "classes_": """classes_ : ndarray of shape (n_classes,) or list of ndarray
    The class labels (one array per output for multilabel targets).""",
    "loss_": """loss_ : float
    The loss at the end of the fit (data term plus penalty).""",
    "best_loss_": """best_loss_ : float or None
    The smallest loss of the stochastic solvers' epochs; None with
    early stopping.""",
    "loss_curve_": """loss_curve_ : list of float
    The loss at the end of each epoch (stochastic solvers).""",
    "validation_scores_": """validation_scores_ : list of float or None
    The held-out score of each epoch with ``early_stopping=True``.""",
    "best_validation_score_": """best_validation_score_ : float or None
    The best of ``validation_scores_``.""",
    "t_": """t_ : int
    Rows seen by the stochastic solvers.""",
    "coefs_": """coefs_ : list of ndarray of shape (n_units_in, n_units_out)
    The weight matrix of each layer, in the training dtype.""",
    "intercepts_": """intercepts_ : list of ndarray of shape (n_units_out,)
    The bias vector of each layer.""",
    "n_features_in_": """n_features_in_ : int
    Number of features seen in ``fit``.""",
    "feature_names_in_": """feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen in ``fit``, when X had string column names.""",
    "n_iter_": """n_iter_ : int
    Epochs (stochastic solvers) or iterations ('lbfgs') of the last fit.""",
    "n_layers_": """n_layers_ : int
    Number of layers, input and output included.""",
    "n_outputs_": """n_outputs_ : int
    Number of outputs.""",
    "out_activation_": """out_activation_ : str
    The output link.""",
}

# How each example starts: a network (``network``, its construction)
# fitted on standardized bundled data; each example goes on with its use.
EXAMPLE = """\
>>> from sklearn.datasets import {data}
>>> from sklearn.preprocessing import StandardScaler
>>> from gdcore import {name}
>>> X, y = {data}(return_X_y=True)
>>> X = StandardScaler().fit_transform(X)
>>> {network}.fit(X, y)
>>> """


# The assembly every family's _docs shares, bound to this folder's entries.
class_doc = partial(base_class_doc, PARAMS, ATTRS)
method_doc = partial(base_method_doc, ARGS)
