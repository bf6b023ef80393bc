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
from gdcore.discriminative.mlp._docs import ATTRS, EXAMPLE, PARAMS, class_doc, method_doc

# The start of the examples of the docstrings below.
_EXAMPLE = EXAMPLE.format(data="load_diabetes", name="MLPRegressor", network="""\
reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", alpha=1.0,
...                    max_iter=2000, random_state=0)""")


class MLPRegressor(RegressorMixin, BaseMLP):
    # numpydoc docstring: set below the class from _docs' shared entries

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
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha,
            batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            n_jobs=n_jobs, dtype=dtype)
        self.loss = loss

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

    @available_if(has_partial_fit)
    @method_doc("""Update the network with one epoch over (X, y).

Only for the stochastic solvers ('sgd', 'adam').""", ["X", "y_reg", "sample_weight"],
                "self : MLPRegressor\n    The updated estimator.", """\
>>> from sklearn.datasets import load_diabetes
>>> from gdcore import MLPRegressor
>>> X, y = load_diabetes(return_X_y=True)
>>> reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
>>> for _ in range(3):
...     reg = reg.partial_fit(X, y)
>>> reg.t_
1326""")
    def partial_fit(self, X, y, sample_weight=None):
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def _predict_validated(self, X):
        Z = self._forward_logits(X).astype(np.float64)
        if self.out_activation_ == "exp":
            Z = np.exp(Z)
        return Z.ravel() if self.n_outputs_ == 1 else Z

    @delegate_to_peer
    @method_doc("Return the predicted targets.", ["X"], """\
y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    The predictions, in X's floating dtype.""", _EXAMPLE + "reg.predict(X[:3]).shape\n(3,)")
    def predict(self, X):
        check_is_fitted(self)
        X, out_dtype = self._check_predict_X(X)
        return self._predict_validated(X).astype(out_dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags


MLPRegressor.__doc__ = class_doc(
    """Multi-layer perceptron regressor, trained by Adam, SGD or L-BFGS.

A drop-in for ``sklearn.neural_network.MLPRegressor`` on the compiled
dense network: identity output and squared error, or exp output and
Poisson deviance.  Sparse X is fitted by scikit-learn's estimator.""",
    list(PARAMS), [name for name in ATTRS if name != "classes_"],
    "MLPClassifier : The same network for classification.",
    _EXAMPLE + "reg.predict(X[:3]).shape\n(3,)\n>>> bool(reg.score(X, y) > 0.5)\nTrue")
