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
from gdcore.discriminative.neighbors._base import NeighborsBase


class NearestNeighbors(NeighborsBase):
    """Unsupervised exact neighbour search (kneighbors, radius_neighbors, graphs).

    Parameters are scikit-learn's.  ``algorithm`` and ``leaf_size`` are
    accepted and ignored: gdcore always searches exactly by blocked brute
    force, which for d above ~10 is faster than trees and needs no build.
    What the kernels do not serve (other metrics, sparse X with a metric
    other than euclidean or cosine) is fitted and served by
    ``sklearn.neighbors.NearestNeighbors``.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours ``kneighbors`` returns by default.
    radius : float, default=1.0
        Radius ``radius_neighbors`` uses by default.
    algorithm : {"auto", "ball_tree", "kd_tree", "brute"}, default="auto"
        Accepted for scikit-learn compatibility and validated; the search is
        always an exact blocked brute force.
    leaf_size : int, default=30
        Accepted for scikit-learn compatibility (tree leaf size); unused.
    metric : str, callable or DistanceMetric, default="minkowski"
        Distance.  euclidean, l2, sqeuclidean, cosine, manhattan, cityblock,
        l1, chebyshev, infinity, minkowski and precomputed run on gdcore's
        kernels (euclidean, l2 and cosine also on sparse X); any other metric
        scikit-learn accepts is served by scikit-learn's estimator.
    p : float, default=2
        Power of the Minkowski metric (1: manhattan, 2: euclidean).
    metric_params : dict, default=None
        Extra keyword arguments of the metric (``p`` is read from here too).
    n_jobs : int, default=None
        Threads of the search: None uses OpenMP's default, -1 all cores.

    Attributes
    ----------
    effective_metric_ : str
        The metric searched (minkowski with p = 1, 2, inf becomes manhattan,
        euclidean, chebyshev).
    effective_metric_params_ : dict
        Parameters of the effective metric.
    n_features_in_ : int
        Number of features seen during fit.
    n_samples_fit_ : int
        Number of training points.

    See Also
    --------
    KNeighborsClassifier : Vote among the nearest neighbours.
    KNeighborsRegressor : Average the nearest neighbours' targets.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore.discriminative.neighbors import NearestNeighbors
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    >>> nn = NearestNeighbors(n_neighbors=2).fit(X)
    >>> dist, ind = nn.kneighbors([[0.1, 0.0]])
    >>> ind.tolist()
    [[0, 1]]
    >>> np.round(dist, 2).tolist()
    [[0.1, 0.9]]
    """

    _peer_class = "sklearn.neighbors.NearestNeighbors"

    def __init__(self, *, n_neighbors=5, radius=1.0, algorithm="auto", leaf_size=30,
                 metric="minkowski", p=2, metric_params=None, n_jobs=None):
        super().__init__(n_neighbors=n_neighbors, radius=radius, algorithm=algorithm,
                         leaf_size=leaf_size, metric=metric, p=p,
                         metric_params=metric_params, n_jobs=n_jobs)

    @dask_dispatch
    def fit(self, X, y=None):
        """Store the training points (and what the search needs: norms, a shift).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training points, or (n_samples, n_samples) distances if
            metric="precomputed".
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : NearestNeighbors
            The fitted estimator.

        Examples
        --------
        >>> from gdcore.discriminative.neighbors import NearestNeighbors
        >>> NearestNeighbors(n_neighbors=1).fit([[0.0], [1.0]]).n_samples_fit_
        2
        """
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
    """Classifier voting among the k nearest training points (exact search).

    Parameters are scikit-learn's; see NearestNeighbors for ``algorithm``.
    Ties between classes go to the first class in ``classes_``, as in
    scikit-learn.  What the kernels do not serve is fitted by
    ``sklearn.neighbors.KNeighborsClassifier``.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours that vote.
    weights : {"uniform", "distance"}, callable or None, default="uniform"
        Vote weights: equal, 1 / distance, or a callable mapping the
        (n_queries, n_neighbors) distances to weights.  None is uniform.
    algorithm : {"auto", "ball_tree", "kd_tree", "brute"}, default="auto"
        Accepted for scikit-learn compatibility and validated; the search is
        always an exact blocked brute force.
    leaf_size : int, default=30
        Accepted for scikit-learn compatibility (tree leaf size); unused.
    metric : str, callable or DistanceMetric, default="minkowski"
        Distance.  euclidean, l2, sqeuclidean, cosine, manhattan, cityblock,
        l1, chebyshev, infinity, minkowski and precomputed run on gdcore's
        kernels (euclidean, l2 and cosine also on sparse X); any other metric
        scikit-learn accepts is served by scikit-learn's estimator.
    p : float, default=2
        Power of the Minkowski metric (1: manhattan, 2: euclidean).
    metric_params : dict, default=None
        Extra keyword arguments of the metric (``p`` is read from here too).
    n_jobs : int, default=None
        Threads of the search: None uses OpenMP's default, -1 all cores.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of such arrays
        Class labels (one array per output for multi-output y).
    effective_metric_ : str
        The metric searched.
    effective_metric_params_ : dict
        Parameters of the effective metric.
    n_features_in_ : int
        Number of features seen during fit.
    n_samples_fit_ : int
        Number of training points.
    outputs_2d_ : bool
        Whether y had several outputs.

    See Also
    --------
    NearestNeighbors : The search alone.
    KNeighborsRegressor : Average the nearest neighbours' targets.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gdcore.discriminative.neighbors import KNeighborsClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = KNeighborsClassifier(n_neighbors=5).fit(X[::2], y[::2])
    >>> round(clf.score(X[1::2], y[1::2]), 2)
    0.99
    """

    _peer_class = "sklearn.neighbors.KNeighborsClassifier"

    @dask_dispatch
    def fit(self, X, y):
        """Store the training points and encode the labels (one or several outputs).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training points, or (n_samples, n_samples) distances if
            metric="precomputed".
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels.

        Returns
        -------
        self : KNeighborsClassifier
            The fitted estimator.

        Examples
        --------
        >>> from gdcore.discriminative.neighbors import KNeighborsClassifier
        >>> KNeighborsClassifier(n_neighbors=1).fit([[0.0], [1.0]], ["a", "b"]).classes_
        array(['a', 'b'], dtype='<U1')
        """
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
    def predict_proba(self, X):
        """Return the weighted share of each class among the neighbours.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_queries, n_features)
            Query points (distances to the training points if
            metric="precomputed"), or None for the training points, each
            excluded from its own neighbours.

        Returns
        -------
        proba : ndarray of shape (n_queries, n_classes) or list of such arrays
            Class probabilities in the order of ``classes_``; with several
            outputs, one array per output.

        Examples
        --------
        >>> from gdcore.discriminative.neighbors import KNeighborsClassifier
        >>> clf = KNeighborsClassifier(n_neighbors=2).fit([[0.0], [1.0], [5.0]], [0, 1, 1])
        >>> clf.predict_proba([[0.4]]).tolist()
        [[0.5, 0.5]]
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

    @dask_dispatch
    @delegate_to_peer
    def predict(self, X):
        """Return the class with the largest weighted vote.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_queries, n_features)
            Query points (distances to the training points if
            metric="precomputed"), or None for the training points.

        Returns
        -------
        y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
            Predicted class labels.

        Examples
        --------
        >>> from gdcore.discriminative.neighbors import KNeighborsClassifier
        >>> clf = KNeighborsClassifier(n_neighbors=1).fit([[0.0], [1.0]], ["a", "b"])
        >>> clf.predict([[0.2], [0.9]]).tolist()
        ['a', 'b']
        """
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
    What the kernels do not serve is fitted by
    ``sklearn.neighbors.KNeighborsRegressor``.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours averaged.
    weights : {"uniform", "distance"}, callable or None, default="uniform"
        Weights of the average: equal, 1 / distance, or a callable mapping
        the (n_queries, n_neighbors) distances to weights.  None is uniform.
    algorithm : {"auto", "ball_tree", "kd_tree", "brute"}, default="auto"
        Accepted for scikit-learn compatibility and validated; the search is
        always an exact blocked brute force.
    leaf_size : int, default=30
        Accepted for scikit-learn compatibility (tree leaf size); unused.
    metric : str, callable or DistanceMetric, default="minkowski"
        Distance.  euclidean, l2, sqeuclidean, cosine, manhattan, cityblock,
        l1, chebyshev, infinity, minkowski and precomputed run on gdcore's
        kernels (euclidean, l2 and cosine also on sparse X); any other metric
        scikit-learn accepts is served by scikit-learn's estimator.
    p : float, default=2
        Power of the Minkowski metric (1: manhattan, 2: euclidean).
    metric_params : dict, default=None
        Extra keyword arguments of the metric (``p`` is read from here too).
    n_jobs : int, default=None
        Threads of the search: None uses OpenMP's default, -1 all cores.

    Attributes
    ----------
    effective_metric_ : str
        The metric searched.
    effective_metric_params_ : dict
        Parameters of the effective metric.
    n_features_in_ : int
        Number of features seen during fit.
    n_samples_fit_ : int
        Number of training points.

    See Also
    --------
    NearestNeighbors : The search alone.
    KNeighborsClassifier : Vote among the nearest neighbours.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from gdcore.discriminative.neighbors import KNeighborsRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = KNeighborsRegressor(n_neighbors=10).fit(X[::2], y[::2])
    >>> reg.predict(X[1::2]).shape
    (221,)
    """

    _peer_class = "sklearn.neighbors.KNeighborsRegressor"

    @dask_dispatch
    def fit(self, X, y):
        """Store the training points and the targets (one or several outputs).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training points, or (n_samples, n_samples) distances if
            metric="precomputed".
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : KNeighborsRegressor
            The fitted estimator.

        Examples
        --------
        >>> from gdcore.discriminative.neighbors import KNeighborsRegressor
        >>> KNeighborsRegressor(n_neighbors=1).fit([[0.0], [1.0]], [2.0, 3.0]).n_samples_fit_
        2
        """
        X, by_peer = self._begin_fit(X, y)
        if by_peer:
            return self
        self._y = np.asarray(self._fit(X, y, y_numeric=True), dtype=np.float64)
        return self

    @dask_dispatch
    @delegate_to_peer
    def predict(self, X):
        """Return the weighted mean of the neighbours' targets.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_queries, n_features)
            Query points (distances to the training points if
            metric="precomputed"), or None for the training points.

        Returns
        -------
        y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
            Predicted targets.

        Examples
        --------
        >>> from gdcore.discriminative.neighbors import KNeighborsRegressor
        >>> reg = KNeighborsRegressor(n_neighbors=2).fit([[0.0], [1.0], [5.0]], [1.0, 3.0, 9.0])
        >>> reg.predict([[0.4]]).tolist()
        [2.0]
        """
        ind, w = self._neighbour_weights(X)
        Y = self._y[:, None] if self._y.ndim == 1 else self._y
        neigh = Y[ind]                         # (n_q, k, n_outputs)
        if w is None:
            out = neigh.mean(axis=1)
        else:
            out = np.einsum("qk,qko->qo", w, neigh) / w.sum(axis=1)[:, None]
        return out[:, 0] if self._y.ndim == 1 else out
