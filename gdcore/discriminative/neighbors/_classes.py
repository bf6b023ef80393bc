"""NearestNeighbors, KNeighborsClassifier, KNeighborsRegressor on the exact search.

Drop-in for scikit-learn's classes of the same names (same parameters and
defaults); the search itself lives in ``neighbors_base``.  Predictions are
vectorized over all queries: votes are one ``bincount`` per output.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import StrOptions

from gdcore._fallback import delegate_to_peer
from gdcore._validation import check_classification_targets
from gdcore.discriminative.neighbors._base import NeighborsBase


class NearestNeighbors(NeighborsBase):
    """Unsupervised exact neighbour search (kneighbors, radius_neighbors, graphs).

    Parameters are scikit-learn's.  ``algorithm`` and ``leaf_size`` are
    accepted and ignored: gdcore always searches exactly by blocked brute
    force, which for d above ~10 is faster than trees and needs no build.
    What the kernels do not serve (sparse X, other metrics) is fitted and
    served by ``sklearn.neighbors.NearestNeighbors``.
    """

    _peer_class = "sklearn.neighbors.NearestNeighbors"

    def __init__(self, *, n_neighbors=5, radius=1.0, algorithm="auto", leaf_size=30,
                 metric="minkowski", p=2, metric_params=None, n_jobs=None):
        super().__init__(n_neighbors=n_neighbors, radius=radius, algorithm=algorithm,
                         leaf_size=leaf_size, metric=metric, p=p,
                         metric_params=metric_params, n_jobs=n_jobs)

    def fit(self, X, y=None):
        """Store the training points (and their gemm operands)."""
        X, by_peer = self._begin_fit(X)
        if not by_peer:
            self._fit(X)
        return self


_ZERO_WEIGHTS = ("All neighbors of some sample is getting zero weights. Please modify "
                 "'weights' to avoid this case if you are using a user-defined function.")


def _weights(dist, weights):
    """Per-neighbour weights (None = uniform), scikit-learn's rules.

    'distance' is 1 / d; a query with a neighbour at distance 0 gives all
    its weight to its zero-distance neighbours.  A callable must give each
    query some non-zero weight (scikit-learn's error otherwise).
    """
    if weights is None or weights == "uniform":
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
    if not (w != 0).any(axis=1).all():
        raise ValueError(_ZERO_WEIGHTS)
    return w


class _KNeighborsSupervised(NeighborsBase):
    _parameter_constraints: dict = {
        **{k: v for k, v in NeighborsBase._parameter_constraints.items() if k != "radius"},
        "weights": [StrOptions({"uniform", "distance"}), callable, None],
    }

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
        dist, ind = self.kneighbors(X)
        return ind, _weights(dist, self.weights)


class KNeighborsClassifier(ClassifierMixin, _KNeighborsSupervised):
    """Classifier voting among the k nearest training points (exact search).

    Parameters are scikit-learn's; see NearestNeighbors for ``algorithm``.
    Votes are weighted by ``weights`` ('uniform', 'distance' or a callable
    mapping the (n_queries, k) distances to weights).  Ties between classes
    go to the first class in ``classes_``, as in scikit-learn.  What the
    kernels do not serve is fitted by ``sklearn.neighbors.KNeighborsClassifier``.
    """

    _peer_class = "sklearn.neighbors.KNeighborsClassifier"

    def fit(self, X, y):
        """Store the training points and encode the labels (one or several outputs)."""
        X, by_peer = self._begin_fit(X, y)
        if by_peer:
            return self
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

    @delegate_to_peer
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
            probas.append(votes / votes.sum(axis=1, keepdims=True))
        return probas if self.outputs_2d_ else probas[0]

    @delegate_to_peer
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
    callable mapping the (n_queries, k) distances to weights).  What the
    kernels do not serve is fitted by ``sklearn.neighbors.KNeighborsRegressor``.
    """

    _peer_class = "sklearn.neighbors.KNeighborsRegressor"

    def fit(self, X, y):
        """Store the training points and the targets (one or several outputs)."""
        X, by_peer = self._begin_fit(X, y)
        if by_peer:
            return self
        self._y = np.asarray(self._fit(X, y, y_numeric=True), dtype=np.float64)
        return self

    @delegate_to_peer
    def predict(self, X):
        """Weighted mean of the neighbours' targets: (n_queries,) or (n_queries, n_outputs)."""
        ind, w = self._neighbour_weights(X)
        Y = self._y[:, None] if self._y.ndim == 1 else self._y
        neigh = Y[ind]                         # (n_q, k, n_outputs)
        if w is None:
            out = neigh.mean(axis=1)
        else:
            out = np.einsum("qk,qko->qo", w, neigh) / w.sum(axis=1)[:, None]
        return out[:, 0] if self._y.ndim == 1 else out
