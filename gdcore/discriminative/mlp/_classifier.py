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
from gdcore.discriminative.mlp._docs import ATTRS, EXAMPLE, PARAMS, class_doc, method_doc

# The start of the examples of the docstrings below.
_EXAMPLE = EXAMPLE.format(data="load_iris", name="MLPClassifier", network="""\
clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
...                     max_iter=1000, random_state=0)""")


class MLPClassifier(ClassifierMixin, BaseMLP):
    # numpydoc docstring: set below the class from _docs' shared entries

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

    @available_if(has_partial_fit)
    @method_doc("""Update the network with one epoch over (X, y).

Only for the stochastic solvers ('sgd', 'adam').""", ["X", "y_clf", "sample_weight", "classes"],
                "self : MLPClassifier\n    The updated estimator.", """\
>>> from sklearn.datasets import load_iris
>>> from gdcore import MLPClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
>>> for start in range(0, 150, 50):
...     clf = clf.partial_fit(X[start::3], y[start::3], classes=[0, 1, 2])
>>> clf.classes_, clf.n_iter_
(array([0, 1, 2]), 1)""")
    def partial_fit(self, X, y, sample_weight=None, classes=None):
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
    @method_doc("Return the most probable class of each row.", ["X"], """\
y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    The predicted classes (a label-indicator matrix for multilabel
    targets).""", _EXAMPLE + "clf.predict(X[[0, 50, 100]])\narray([0, 1, 2])")
    def predict(self, X):
        check_is_fitted(self)
        return self._predict_validated(self._check_predict_X(X)[0])

    @delegate_to_peer
    @method_doc("Return the probability of each class for each row.", ["X"], """\
proba : ndarray of shape (n_samples, n_classes)
    Probabilities in X's floating dtype, columns in the order of
    ``classes_`` (for multilabel targets, each label's own
    probability).""", _EXAMPLE + "clf.predict_proba(X[:2]).shape\n(2, 3)")
    def predict_proba(self, X):
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
    @method_doc("Return the logarithm of :meth:`predict_proba`.", ["X"], """\
log_proba : ndarray of shape (n_samples, n_classes)
    Log-probabilities, columns in the order of ``classes_``.""",
                _EXAMPLE + "clf.predict_log_proba(X[:2]).shape\n(2, 3)")
    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


MLPClassifier.__doc__ = class_doc(
    """Multi-layer perceptron classifier, trained by Adam, SGD or L-BFGS.

A drop-in for ``sklearn.neural_network.MLPClassifier``: the same
parameters, defaults, fitted attributes and training steps (Glorot
initialization, minibatches, schedules, early stopping), with every
numeric step a compiled kernel of the dense network.  The output is a
softmax, or a logistic for binary and multilabel targets; the loss is
the cross-entropy.  Sparse X is fitted by scikit-learn's estimator.""",
    [name for name in PARAMS if name != "loss"],
    ATTRS, "MLPRegressor : The same network for regression.\n"
    "LogisticRegression : The network without hidden layers.",
    _EXAMPLE + ("clf.predict(X[[0, 50, 100]])\narray([0, 1, 2])\n"
                    ">>> [w.shape for w in clf.coefs_]\n[(4, 16), (16, 3)]"))
