"""NearestNeighbors, KNeighborsClassifier, KNeighborsRegressor on the exact search.

Drop-in for scikit-learn's classes of the same names (same parameters and
defaults); the search itself lives in ``neighbors_base``.  Predictions are
vectorized over all queries: votes are one ``bincount`` per output.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from gdcore._dask import dask_dispatch
from gdcore._fallback import delegate_to_peer
from gdcore._sklearn_compat import KNeighborsMixin, StrOptions
from gdcore._validation import check_classification_targets
from gdcore.discriminative.neighbors import _docs
from gdcore.discriminative.neighbors._base import NeighborsBase


class NearestNeighbors(NeighborsBase):
    __doc__ = _docs.NEAREST_NEIGHBORS

    _peer_class = "sklearn.neighbors.NearestNeighbors"

    def __init__(self, *, n_neighbors=5, radius=1.0, algorithm="auto", leaf_size=30,
                 metric="minkowski", p=2, metric_params=None, n_jobs=None):
        super().__init__(n_neighbors=n_neighbors, radius=radius, algorithm=algorithm,
                         leaf_size=leaf_size, metric=metric, p=p,
                         metric_params=metric_params, n_jobs=n_jobs)

    @dask_dispatch
    @_docs.method_doc(
        "Store the training points (and what the search needs: norms, a shift).",
        ["X.fit", "y.none"], """\
self : NearestNeighbors
    The fitted estimator.""", """\
>>> from gdcore.discriminative.neighbors import NearestNeighbors
>>> NearestNeighbors(n_neighbors=1).fit([[0.0], [1.0]]).n_samples_fit_
2""")
    def fit(self, X, y=None):
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


class _KNeighborsSupervised(NeighborsBase, KNeighborsMixin):
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
    __doc__ = _docs.K_NEIGHBORS_CLASSIFIER

    _peer_class = "sklearn.neighbors.KNeighborsClassifier"

    @dask_dispatch
    @_docs.method_doc(
        "Store the training points and encode the labels (one or several outputs).",
        ["X.fit", "y.labels"], """\
self : KNeighborsClassifier
    The fitted estimator.""", """\
>>> from gdcore.discriminative.neighbors import KNeighborsClassifier
>>> KNeighborsClassifier(n_neighbors=1).fit([[0.0], [1.0]], ["a", "b"]).classes_
array(['a', 'b'], dtype='<U1')""")
    def fit(self, X, y):
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

    @dask_dispatch
    @delegate_to_peer
    @_docs.method_doc(
        "Return the weighted share of each class among the neighbours.",
        ["X.query"], """\
proba : ndarray of shape (n_queries, n_classes) or list of such arrays
    Class probabilities in the order of ``classes_``; with several
    outputs, one array per output.""", """\
>>> from gdcore.discriminative.neighbors import KNeighborsClassifier
>>> clf = KNeighborsClassifier(n_neighbors=2).fit([[0.0], [1.0], [5.0]], [0, 1, 1])
>>> clf.predict_proba([[0.4]]).tolist()
[[0.5, 0.5]]""")
    def predict_proba(self, X):
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

    @dask_dispatch
    @delegate_to_peer
    @_docs.method_doc(
        "Return the class with the largest weighted vote.",
        ["X.query"], """\
y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
    Predicted class labels.""", """\
>>> from gdcore.discriminative.neighbors import KNeighborsClassifier
>>> clf = KNeighborsClassifier(n_neighbors=1).fit([[0.0], [1.0]], ["a", "b"])
>>> clf.predict([[0.2], [0.9]]).tolist()
['a', 'b']""")
    def predict(self, X):
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
    __doc__ = _docs.K_NEIGHBORS_REGRESSOR

    _peer_class = "sklearn.neighbors.KNeighborsRegressor"

    @dask_dispatch
    @_docs.method_doc(
        "Store the training points and the targets (one or several outputs).",
        ["X.fit", "y.targets"], """\
self : KNeighborsRegressor
    The fitted estimator.""", """\
>>> from gdcore.discriminative.neighbors import KNeighborsRegressor
>>> KNeighborsRegressor(n_neighbors=1).fit([[0.0], [1.0]], [2.0, 3.0]).n_samples_fit_
2""")
    def fit(self, X, y):
        X, by_peer = self._begin_fit(X, y)
        if by_peer:
            return self
        self._y = np.asarray(self._fit(X, y, y_numeric=True), dtype=np.float64)
        return self

    @dask_dispatch
    @delegate_to_peer
    @_docs.method_doc("Return the weighted mean of the neighbours' targets.", ['X.query'], """\
y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
    Predicted targets.""", """\
>>> from gdcore.discriminative.neighbors import KNeighborsRegressor
>>> reg = KNeighborsRegressor(n_neighbors=2).fit([[0.0], [1.0], [5.0]], [1.0, 3.0, 9.0])
>>> reg.predict([[0.4]]).tolist()
[2.0]""")
    def predict(self, X):
        ind, w = self._neighbour_weights(X)
        Y = self._y[:, None] if self._y.ndim == 1 else self._y
        neigh = Y[ind]                         # (n_q, k, n_outputs)
        if w is None:
            out = neigh.mean(axis=1)
        else:
            out = np.einsum("qk,qko->qo", w, neigh) / w.sum(axis=1)[:, None]
        return out[:, 0] if self._y.ndim == 1 else out
