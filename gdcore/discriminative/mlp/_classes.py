"""Multi-layer perceptrons on the compiled dense-layer core: classifier and regressor.

Drop-in for ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor``: the
same parameters, defaults and fitted attributes (``coefs_``, ``intercepts_``,
``loss_curve_``, ``n_iter_``, ...), ``sample_weight`` in ``fit`` and
``partial_fit``, plus ``n_jobs``, ``dtype`` and a "leaky_relu" activation.

Precision: networks train in float32 by default (``dtype="float32"``: half
the memory traffic, twice the SIMD width in gemm), in float64 with
``dtype="float64"``, or in the input's precision with ``dtype=None``
(scikit-learn's rule).  Probabilities and regression predictions are returned
in float64.

Regression reports the loss as the mean over rows of (1/2) sum over outputs
of squared error, the function its gradient is the gradient of (scikit-learn
averages over outputs in the reported loss but not in its gradient; for one
output the two agree).
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from gdcore._fallback import delegate_to_peer
from gdcore._validation import FLOAT_DTYPES, refuse_dates
from gdcore.discriminative.mlp._base import BaseMLP


def _check_solver(est):
    """partial_fit exists only for the stochastic solvers (scikit-learn's rule)."""
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(f"partial_fit is only available for stochastic "
                             f"optimizers. {est.solver!r} is not stochastic.")
    return True


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier, trained by Adam, SGD or L-BFGS.

    The output is a softmax, or a logistic for binary and multilabel targets.

    Parameters are scikit-learn's ``MLPClassifier``'s, plus ``n_jobs`` (OpenMP
    threads of the dense kernels; None: OpenMP's default) and ``dtype``
    ("float32", "float64" or None for the input's).
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
        """Fit the network to X (n_samples, n_features) and labels y."""
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_check_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y); ``classes`` is required on the first call."""
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
        """Return the most probable class of each row (a label indicator for multilabel)."""
        check_is_fitted(self)
        return self._predict_validated(self._check_predict_X(X))

    @delegate_to_peer
    def predict_proba(self, X):
        """Class probabilities (float64), columns in the order of ``classes_``."""
        check_is_fitted(self)
        Z = self._forward_logits(self._check_predict_X(X)).astype(np.float64)
        if self.out_activation_ == "softmax":
            Z -= Z.max(axis=1, keepdims=True)
            P = np.exp(Z)
            return P / P.sum(axis=1, keepdims=True)
        # exp(-|z|) never overflows: sigmoid(z) = 1/(1+e^-z) or e^z/(1+e^z).
        E = np.exp(-np.abs(Z))
        P = np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E))
        if self.n_outputs_ == 1:
            return np.hstack([1 - P, P])
        return P

    @delegate_to_peer
    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor, trained by Adam, SGD or L-BFGS.

    Identity output and squared error, or exp output and Poisson deviance.

    Parameters are scikit-learn's ``MLPRegressor``'s (``loss`` first, as
    there), plus ``n_jobs`` and ``dtype``.
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
        """Fit the network to X (n_samples, n_features) and targets y."""
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_check_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y)."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def _predict_validated(self, X):
        Z = self._forward_logits(X).astype(np.float64)
        if self.out_activation_ == "exp":
            Z = np.exp(Z)
        return Z.ravel() if self.n_outputs_ == 1 else Z

    @delegate_to_peer
    def predict(self, X):
        """Predicted targets (float64), one row per row of X."""
        check_is_fitted(self)
        return self._predict_validated(self._check_predict_X(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
