"""Multi-layer perceptrons on the compiled dense-layer core: classifier and regressor.

Drop-in for ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor``: the
same parameters, defaults and fitted attributes (``coefs_``, ``intercepts_``,
``loss_curve_``, ``n_iter_``, ...), plus ``n_jobs`` and a "leaky_relu"
activation.  float32 input trains in float32, float64 in float64.  Regression
reports the loss as mean over rows of (1/2) sum over outputs of squared error,
the function its gradient is the gradient of (scikit-learn also averages over
outputs in the reported loss; for one output the two agree).
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d

from gdcore.discriminative.mlp_base import BaseMLP


def _stochastic(est):
    return est.solver in ("sgd", "adam")


class _MLPParams:
    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, max_fun=15000, n_jobs=None):
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


class MLPClassifier(ClassifierMixin, _MLPParams, BaseMLP):
    """Multi-layer perceptron classifier (softmax output, or logistic for
    binary and multilabel targets), trained by Adam, SGD or L-BFGS.

    Parameters are scikit-learn's ``MLPClassifier``'s; ``n_jobs`` sets the
    OpenMP threads of the dense kernels (None: OpenMP's default).
    """

    def _encode_targets(self, y, first_fit):
        if first_fit or not hasattr(self, "_label_binarizer"):
            if type_of_target(y) == "continuous":
                raise ValueError("Unknown label type: continuous targets given to "
                                 "a classifier; use MLPRegressor.")
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        elif len(np.setdiff1d(unique_labels(y), self.classes_)):
            raise ValueError(f"`y` has classes not in `self.classes_` {self.classes_}.")
        Y = self._label_binarizer.transform(y)
        out = "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"
        return Y, out

    def _stratify_validation(self):
        return self.n_outputs_ == 1

    def _validation_score(self, X, y):
        return accuracy_score(y, self._predict_validated(X))

    def fit(self, X, y):
        """Fit the network to X (n_samples, n_features) and labels y."""
        self._validate_params()
        y = self._check_y(y)
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y); ``classes`` is required on the first call."""
        if not _stochastic(self):
            raise AttributeError(f"partial_fit is only available for stochastic "
                                 f"optimizers. {self.solver!r} is not stochastic.")
        self._validate_params()
        y = self._check_y(y)
        first = not hasattr(self, "classes_")
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._label_binarizer = LabelBinarizer().fit(np.asarray(classes))
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={classes}` is not the same as on the last "
                             f"call to partial_fit, was: {self.classes_}")
        return self._fit(X, y, incremental=True)

    def _check_y(self, y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 1 and y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        return y

    def _predict_validated(self, X):
        Z = self._forward_logits(X)
        if self.n_outputs_ == 1:
            Z = Z.ravel()
            return self._label_binarizer.inverse_transform(Z, threshold=0.0)
        return self._label_binarizer.inverse_transform(Z, threshold=0.0) \
            if self._label_binarizer.y_type_ == "multilabel-indicator" \
            else self.classes_[np.argmax(Z, axis=1)]

    def predict(self, X):
        """The most probable class of each row (a label indicator for multilabel)."""
        check_is_fitted(self)
        return self._predict_validated(self._check_predict_X(X))

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        check_is_fitted(self)
        Z = self._forward_logits(self._check_predict_X(X)).astype(np.float64)
        if self.out_activation_ == "softmax":
            Z -= Z.max(axis=1, keepdims=True)
            P = np.exp(Z)
            return P / P.sum(axis=1, keepdims=True)
        P = 1.0 / (1.0 + np.exp(-Z))
        if self.n_outputs_ == 1:
            return np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _MLPParams, BaseMLP):
    """Multi-layer perceptron regressor (identity output, squared error),
    trained by Adam, SGD or L-BFGS.

    Parameters are scikit-learn's ``MLPRegressor``'s; ``n_jobs`` sets the
    OpenMP threads of the dense kernels.
    """

    def _encode_targets(self, y, first_fit):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return Y, "identity"

    def _validation_score(self, X, y):
        return r2_score(y, self._predict_validated(X))

    def _check_y(self, y):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        return y

    def fit(self, X, y):
        """Fit the network to X (n_samples, n_features) and targets y."""
        self._validate_params()
        return self._fit(X, self._check_y(y), incremental=False)

    def partial_fit(self, X, y):
        """One epoch over (X, y)."""
        if not _stochastic(self):
            raise AttributeError(f"partial_fit is only available for stochastic "
                                 f"optimizers. {self.solver!r} is not stochastic.")
        self._validate_params()
        return self._fit(X, self._check_y(y), incremental=True)

    def _predict_validated(self, X):
        Z = self._forward_logits(X)
        return Z.ravel() if self.n_outputs_ == 1 else Z

    def predict(self, X):
        """Predicted targets, one row per row of X."""
        check_is_fitted(self)
        return self._predict_validated(self._check_predict_X(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
