"""The numpydoc docstrings of the neighbour estimators, from shared entries.

NearestNeighbors, KNeighborsClassifier and KNeighborsRegressor share most of
their parameters and attributes; each entry is written once here and each
class docstring lists its own, in its constructor's order; the two entries
that differ by class take their words from ``class_doc``'s fields.
"""

from functools import partial

from gdcore._docstrings import class_doc as _class_doc
from gdcore._docstrings import method_doc as _method_doc

PARAMS = {
    "n_neighbors": """n_neighbors : int, default=5
    Number of neighbours {n_neighbors}.""",
    "radius": """radius : float, default=1.0
    Radius ``radius_neighbors`` uses by default.""",
    "weights": """weights : {{"uniform", "distance"}}, callable or None, default="uniform"
    {weights}: equal, 1 / distance, or a callable mapping the
    (n_queries, n_neighbors) distances to weights.  None is uniform.""",
    "algorithm": """algorithm : {"auto", "ball_tree", "kd_tree", "brute"}, default="auto"
    Accepted for scikit-learn compatibility and validated; the search is
    always an exact blocked brute force.""",
    "leaf_size": """leaf_size : int, default=30
    Accepted for scikit-learn compatibility (tree leaf size); unused.""",
    "metric": """metric : str, callable or DistanceMetric, default="minkowski"
    Distance.  euclidean, l2, sqeuclidean, cosine, manhattan, cityblock,
    l1, chebyshev, infinity, minkowski and precomputed run on gdcore's
    kernels (euclidean, l2 and cosine also on sparse X); any other metric
    scikit-learn accepts is served by scikit-learn's estimator.""",
    "p": """p : float, default=2
    Power of the Minkowski metric (1: manhattan, 2: euclidean).""",
    "metric_params": """metric_params : dict, default=None
    Extra keyword arguments of the metric (``p`` is read from here too).""",
    "n_jobs": """n_jobs : int, default=None
    Threads of the search: None uses OpenMP's default, -1 all cores.""",
}

ATTRS = {
    "classes_": """classes_ : ndarray of shape (n_classes,) or list of such arrays
    Class labels (one array per output for multi-output y).""",
    "effective_metric_": """effective_metric_ : str
    The metric searched (minkowski with p = 1, 2, inf becomes manhattan,
    euclidean, chebyshev).""",
    "effective_metric_params_": """effective_metric_params_ : dict
    Parameters of the effective metric.""",
    "n_features_in_": """n_features_in_ : int
    Number of features seen during fit.""",
    "n_samples_fit_": """n_samples_fit_ : int
    Number of training points.""",
    "outputs_2d_": """outputs_2d_ : bool
    Whether y had several outputs.""",
}

ARGS = {
    "X.fit": """X : array-like or sparse matrix of shape (n_samples, n_features)
    Training points, or (n_samples, n_samples) distances if
    metric="precomputed".""",
    "y.none": """y : None
    Ignored; present for API consistency.""",
    "y.labels": """y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Class labels.""",
    "y.targets": """y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Targets.""",
    "X.query": """X : array-like or sparse matrix of shape (n_queries, n_features)
    Query points (distances to the training points if
    metric="precomputed"), or None for the training points, each
    excluded from its own neighbours.""",
}

method_doc = partial(_method_doc, ARGS)

_SEARCH = ["algorithm", "leaf_size", "metric", "p", "metric_params", "n_jobs"]
_FITTED = ["effective_metric_", "effective_metric_params_", "n_features_in_",
           "n_samples_fit_"]


def class_doc(summary, params, attrs, see_also, examples, **fields):
    """Return a class docstring from the tables, with the per-class ``fields`` filled in."""
    table = {k: v.format(**fields) if k in fields else v
             for k, v in PARAMS.items()}
    return _class_doc(table, ATTRS, summary, params, attrs, see_also, examples)


NEAREST_NEIGHBORS = class_doc(
    """Unsupervised exact neighbour search (kneighbors, radius_neighbors, graphs).

Parameters are scikit-learn's.  ``algorithm`` and ``leaf_size`` are
accepted and ignored: gdcore always searches exactly by blocked brute
force, which for d above ~10 is faster than trees and needs no build.
What the kernels do not serve (other metrics, sparse X with a metric
other than euclidean or cosine) is fitted and served by
``sklearn.neighbors.NearestNeighbors``.""",
    ["n_neighbors", "radius", *_SEARCH], _FITTED,
    """KNeighborsClassifier : Vote among the nearest neighbours.
KNeighborsRegressor : Average the nearest neighbours' targets.""",
    """>>> import numpy as np
>>> from gdcore.discriminative.neighbors import NearestNeighbors
>>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
>>> nn = NearestNeighbors(n_neighbors=2).fit(X)
>>> dist, ind = nn.kneighbors([[0.1, 0.0]])
>>> ind.tolist()
[[0, 1]]
>>> np.round(dist, 2).tolist()
[[0.1, 0.9]]""",
    n_neighbors="``kneighbors`` returns by default")

K_NEIGHBORS_CLASSIFIER = class_doc(
    """Classifier voting among the k nearest training points (exact search).

Parameters are scikit-learn's; see NearestNeighbors for ``algorithm``.
Ties between classes go to the first class in ``classes_``, as in
scikit-learn.  What the kernels do not serve is fitted by
``sklearn.neighbors.KNeighborsClassifier``.""",
    ["n_neighbors", "weights", *_SEARCH], ["classes_", *_FITTED, "outputs_2d_"],
    """NearestNeighbors : The search alone.
KNeighborsRegressor : Average the nearest neighbours' targets.""",
    """>>> from sklearn.datasets import load_iris
>>> from gdcore.discriminative.neighbors import KNeighborsClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = KNeighborsClassifier(n_neighbors=5).fit(X[::2], y[::2])
>>> round(clf.score(X[1::2], y[1::2]), 2)
0.99""",
    n_neighbors="that vote", weights="Vote weights")

K_NEIGHBORS_REGRESSOR = class_doc(
    """Regressor averaging the targets of the k nearest training points (exact search).

Parameters are scikit-learn's; see NearestNeighbors for ``algorithm``.
What the kernels do not serve is fitted by
``sklearn.neighbors.KNeighborsRegressor``.""",
    ["n_neighbors", "weights", *_SEARCH], _FITTED,
    """NearestNeighbors : The search alone.
KNeighborsClassifier : Vote among the nearest neighbours.""",
    """>>> from sklearn.datasets import load_diabetes
>>> from gdcore.discriminative.neighbors import KNeighborsRegressor
>>> X, y = load_diabetes(return_X_y=True)
>>> reg = KNeighborsRegressor(n_neighbors=10).fit(X[::2], y[::2])
>>> reg.predict(X[1::2]).shape
(221,)""",
    n_neighbors="averaged", weights="Weights of the average")
