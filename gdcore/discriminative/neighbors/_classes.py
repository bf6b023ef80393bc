"""NearestNeighbors, KNeighborsClassifier, KNeighborsRegressor on the exact search.

Drop-in for scikit-learn's classes of the same names (same parameters and
defaults); the search itself lives in ``neighbors_base``.  Predictions are
vectorized over all queries: votes are one ``bincount`` per output.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from gdcore._validation import check_classification_targets
from gdcore.discriminative.neighbors._base import NeighborsBase


class NearestNeighbors(NeighborsBase):
    """Unsupervised exact neighbour search (kneighbors, radius_neighbors, graphs).

    Parameters are scikit-learn's.  ``algorithm`` and ``leaf_size`` are
    accepted and ignored: gdcore always searches exactly by blocked brute
    force, which for d above ~10 is faster than trees and needs no build.
    """

    def __init__(self, *, n_neighbors=5, radius=1.0, algorithm="auto", leaf_size=30,
                 metric="minkowski", p=2, metric_params=None, n_jobs=None):
        super().__init__(n_neighbors=n_neighbors, radius=radius, algorithm=algorithm,
                         leaf_size=leaf_size, metric=metric, p=p,
                         metric_params=metric_params, n_jobs=n_jobs)

    def fit(self, X, y=None):
        """Store the training points (and their gemm operands)."""
        self._fit(X)
        return self


def _weights(dist, weights):
    """Per-neighbour weights (None = uniform), scikit-learn's rules.

    'distance' is 1 / d; a query with a neighbour at distance 0 gives all
    its weight to its zero-distance neighbours.
    """
    if weights == "uniform":
        return None
    if weights == "distance":
        with np.errstate(divide="ignore"):
            w = 1.0 / dist.astype(np.float64)
        zero = dist == 0
        rows = zero.any(axis=1)
        w[rows] = zero[rows]
        return w
    w = np.asarray(weights(dist), dtype=np.float64)
    if w.shape != dist.shape:
        raise ValueError(
            f"weights callable must return an array of shape {dist.shape}, got {w.shape}."
        )
    return w


def _check_weights(weights):
    if weights in ("uniform", "distance") or callable(weights):
        return weights
    raise ValueError(f"weights must be 'uniform', 'distance' or a callable, got {weights!r}.")


class _KNeighborsSupervised(NeighborsBase):
    def __init__(self, n_neighbors=5, *, weights="uniform", algorithm="auto", leaf_size=30,
                 p=2, metric="minkowski", metric_params=None, n_jobs=None):
        super().__init__(n_neighbors=n_neighbors, radius=None, algorithm=algorithm,
                         leaf_size=leaf_size, metric=metric, p=p,
                         metric_params=metric_params, n_jobs=n_jobs)
        self.weights = weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _neighbour_weights(self, X):
        _check_weights(self.weights)
        dist, ind = self.kneighbors(X)
        return ind, _weights(dist, self.weights)


class KNeighborsClassifier(ClassifierMixin, _KNeighborsSupervised):
    """Classifier voting among the k nearest training points (exact search).

    Parameters are scikit-learn's; see NearestNeighbors for ``algorithm``.
    Votes are weighted by ``weights`` ('uniform', 'distance' or a callable
    mapping the (n_queries, k) distances to weights).  Ties between classes
    go to the first class in ``classes_``, as in scikit-learn.
    """

    def fit(self, X, y):
        """Store the training points and encode the labels (one or several outputs)."""
        _check_weights(self.weights)
        y = np.asarray(self._fit(X, y))
        self.outputs_2d_ = y.ndim == 2 and y.shape[1] > 1
        Y = y.reshape(len(y), -1) if y.ndim > 1 else y[:, None]
        check_classification_targets(y)
        classes, codes = [], []
        for col in Y.T:
            c, code = np.unique(col, return_inverse=True)
            classes.append(c)
            codes.append(code)
        self.classes_ = classes if self.outputs_2d_ else classes[0]
        self._y = np.stack(codes, axis=1) if self.outputs_2d_ else codes[0]
        return self

    def predict_proba(self, X):
        """Weighted share of each class among the neighbours: (n_queries, n_classes).

        With several outputs, a list of such arrays, one per output.
        """
        ind, w = self._neighbour_weights(X)
        classes = self.classes_ if self.outputs_2d_ else [self.classes_]
        codes = self._y if self.outputs_2d_ else self._y[:, None]
        n_q = ind.shape[0]
        w = np.ones(ind.shape) if w is None else w
        rows = np.repeat(np.arange(n_q), ind.shape[1])
        probas = []
        for o, cls in enumerate(classes):
            votes = np.bincount(rows * len(cls) + codes[ind, o].ravel(), weights=w.ravel(),
                                minlength=n_q * len(cls)).reshape(n_q, len(cls))
            total = votes.sum(axis=1, keepdims=True)
            total[total == 0] = 1.0  # all-zero callable weights: an all-zero row
            probas.append(votes / total)
        return probas if self.outputs_2d_ else probas[0]

    def predict(self, X):
        """Return the class with the largest weighted vote."""
        probas = self.predict_proba(X)
        if not self.outputs_2d_:
            return self.classes_[np.argmax(probas, axis=1)]
        return np.stack([c[np.argmax(p, axis=1)] for c, p in zip(self.classes_, probas)],
                        axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class KNeighborsRegressor(RegressorMixin, _KNeighborsSupervised):
    """Regressor averaging the targets of the k nearest training points (exact search).

    Parameters are scikit-learn's; see NearestNeighbors for ``algorithm``.
    The average is weighted by ``weights`` ('uniform', 'distance' or a
    callable mapping the (n_queries, k) distances to weights).
    """

    def fit(self, X, y):
        """Store the training points and the targets (one or several outputs)."""
        _check_weights(self.weights)
        self._y = np.asarray(self._fit(X, y, y_numeric=True), dtype=np.float64)
        return self

    def predict(self, X):
        """Weighted mean of the neighbours' targets: (n_queries,) or (n_queries, n_outputs)."""
        ind, w = self._neighbour_weights(X)
        Y = self._y[:, None] if self._y.ndim == 1 else self._y
        neigh = Y[ind]                         # (n_q, k, n_outputs)
        if w is None:
            out = neigh.mean(axis=1)
        else:
            total = w.sum(axis=1)[:, None]
            total[total == 0] = 1.0
            out = np.einsum("qk,qko->qo", w, neigh) / total
        return out[:, 0] if self._y.ndim == 1 else out
