"""What forest classifiers and regressors read from their trees: predictions and OOB scores.

The classifier averages the trees' class fractions, the regressor their leaf
means (``_BaseForest._mean_values``, one compiled walk over the packed
forest); both score the rows each tree left out of its bootstrap sample.
"""

import warnings

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from gdcore._dask import dask_dispatch
from gdcore._fallback import delegate_to_peer
from gdcore._validation import check_classification_targets


class _ForestClassifierMixin(ClassifierMixin):
    _is_classifier = True

    def _validate_y_class_weight(self, y, sample_weight):
        """Return (class codes, expanded class weights or None): scikit-learn's forest hook.

        As in scikit-learn 1.9: "balanced" weighs each class by the inverse of
        its sample-weighted frequency; "balanced_subsample" with bootstrap
        returns None (each tree's draw is balanced in the kernel).  Sets
        ``classes_`` and ``n_classes_`` per output, as scikit-learn's does.
        """
        check_classification_targets(y)
        y = np.asarray(y)
        y = y.reshape(len(y), -1)
        codes = np.zeros(y.shape, dtype=np.intp)
        self.classes_, self.n_classes_ = [], []
        for k in range(y.shape[1]):
            classes, codes[:, k] = np.unique(y[:, k], return_inverse=True)
            self.classes_.append(classes)
            self.n_classes_.append(len(classes))
        if self.class_weight is None:
            return codes, None
        if isinstance(self.class_weight, (dict, list)):
            return codes, compute_sample_weight(self.class_weight, y)
        if self.warm_start:
            warnings.warn('class_weight presets "balanced" or "balanced_subsample" are not '
                          "recommended for warm_start if the fitted data differs from the "
                          'full dataset. In order to use "balanced" weights, use '
                          'compute_class_weight ("balanced", classes, y). In place of y '
                          "you can use a large enough sample of the full training set "
                          "target to properly estimate the class frequency distributions. "
                          "Pass the resulting weights as the class_weight parameter.",
                          stacklevel=4)
        if self.class_weight == "balanced_subsample" and self.bootstrap:
            return codes, None
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        expanded = np.ones(len(y))
        for k, n_k in enumerate(self.n_classes_):
            counts = np.bincount(codes[:, k], weights=w, minlength=n_k)
            with np.errstate(divide="ignore"):
                expanded *= (counts.sum() / (n_k * counts))[codes[:, k]]
        return codes, expanded

    @delegate_to_peer
    @dask_dispatch
    def predict_proba(self, X):
        """Return the mean over trees of the class fractions of the leaves reached.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify; NaN (dense X) is routed as learned.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Class probabilities in the order of ``classes_`` (a list per
            output if y had several columns).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import RandomForestClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> rf = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
        >>> rf.predict_proba(X[:1])
        array([[1., 0., 0.]])
        """
        proba = self._mean_values(self._X(X))
        if self.n_outputs_ == 1:
            return proba[:, 0, : self.n_classes_]
        return [proba[:, o, :k] for o, k in enumerate(self.n_classes_)]

    @delegate_to_peer
    @dask_dispatch
    def predict_log_proba(self, X):
        """Return the logarithm of ``predict_proba`` (-inf for a zero probability).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Log class probabilities (a list per output if y had several columns).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import ExtraTreesClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> et = ExtraTreesClassifier(n_estimators=10, random_state=0).fit(X, y)
        >>> et.predict_log_proba(X[:1])
        array([[  0., -inf, -inf]])
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba) if self.n_outputs_ == 1 else [np.log(p) for p in proba]

    @delegate_to_peer
    @dask_dispatch
    def predict(self, X):
        """Return the class with the largest mean probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify; NaN (dense X) is routed as learned.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted class labels.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import RandomForestClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y).predict(X[:3])
        array([0, 0, 0])
        """
        proba = self._mean_values(self._X(X))
        if self.n_outputs_ == 1:
            return self.classes_[np.argmax(proba[:, 0, : self.n_classes_], axis=1)]
        return np.stack([c[np.argmax(proba[:, o, : len(c)], axis=1)]
                         for o, c in enumerate(self.classes_)], axis=1)

    def _set_oob_score_and_attributes(self, data, n_draw, n_threads):
        """Set scikit-learn's OOB attributes.

        The score is ``oob_score(y, predicted)`` over every row, on class
        indices (subset accuracy by default, so a multi-output row counts only
        when all its outputs are right).
        """
        y_type = type_of_target(data.y_cls if self.n_outputs_ > 1 else data.y_cls[:, 0])
        if y_type == "multiclass-multioutput":
            raise ValueError("The type of target cannot be used to compute OOB estimates. "
                             f"Got {y_type} while only the following are supported: "
                             "continuous, continuous-multioutput, binary, multiclass, "
                             "multilabel-indicator.")
        decision = self._oob_values(data, n_draw, n_threads)
        pred = np.stack([np.argmax(decision[:, o, :k], axis=1)
                         for o, k in enumerate(data.n_classes)], axis=1)
        y = data.y_cls
        if self.n_outputs_ == 1:
            pred, y = pred[:, 0], y[:, 0]
        score = self.oob_score if callable(self.oob_score) else accuracy_score
        # scikit-learn's layout: (n_samples, n_classes, n_outputs), the last
        # axis dropped for one output (classes padded with 0 where outputs differ)
        width = int(max(data.n_classes))
        self.oob_decision_function_ = np.stack(
            [decision[:, o, :width] for o in range(self.n_outputs_)], axis=-1)
        if self.n_outputs_ == 1:
            self.oob_decision_function_ = self.oob_decision_function_[:, :, 0]
        self.oob_score_ = score(y, pred)


class _ForestRegressorMixin(RegressorMixin):
    _is_classifier = False

    @delegate_to_peer
    @dask_dispatch
    def predict(self, X):
        """Return the mean over trees of the leaf means.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict; NaN (dense X) is routed as learned.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from gdcore import RandomForestRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> RandomForestRegressor(n_estimators=5).fit(X, y).predict(X[:4]).shape
        (4,)
        """
        pred = self._mean_values(self._X(X))[:, :, 0]
        return pred[:, 0] if self.n_outputs_ == 1 else pred

    def _set_oob_score_and_attributes(self, data, n_draw, n_threads):
        """Set scikit-learn's OOB attributes: ``oob_score(y, predicted)`` (R^2 by default)."""
        pred = self._oob_values(data, n_draw, n_threads)[:, :, 0]
        self.oob_prediction_ = pred[:, 0] if self.n_outputs_ == 1 else pred
        score = self.oob_score if callable(self.oob_score) else r2_score
        y = data.y_reg[:, 0] if self.n_outputs_ == 1 else data.y_reg
        self.oob_score_ = score(y, self.oob_prediction_)
