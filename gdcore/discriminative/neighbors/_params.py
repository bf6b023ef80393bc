"""What the neighbour kernels serve, what goes to scikit-learn, and scikit-learn's rules.

The parameter constraints are scikit-learn's own (``sklearn.neighbors``), so
every value scikit-learn accepts is accepted here; the kernels serve the
metrics of ``_base._METRICS`` on dense X and those of ``SPARSE_METRICS`` on
sparse X, and ``fallback_reason`` sends the rest (sparse X with another
metric, DistanceMetric objects, callables, seuclidean, mahalanobis,
haversine, boolean metrics, weighted minkowski, a fitted index as X, a metric
a tree algorithm refuses) to scikit-learn's estimator of the same name.
"""

import itertools
import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.metrics import DistanceMetric
from sklearn.neighbors import VALID_METRICS, BallTree, KDTree

from gdcore._sklearn_compat import Interval, StrOptions
from gdcore._validation import refuse_large_values

# scikit-learn 1.9's NeighborsBase._parameter_constraints (DistanceMetric as its
# KNeighborsRegressor adds it to the list all its neighbour classes share).
CONSTRAINTS = {
    "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
    "radius": [Interval(Real, 0, None, closed="both"), None],
    "algorithm": [StrOptions({"auto", "ball_tree", "kd_tree", "brute"})],
    "leaf_size": [Interval(Integral, 1, None, closed="left")],
    "p": [Interval(Real, 0, None, closed="right"), None],
    "metric": [StrOptions(set(itertools.chain(*VALID_METRICS.values()))), callable,
               DistanceMetric],
    "metric_params": [dict, None],
    "n_jobs": [Integral, None],
}
# The kernels' row indices are C ints: no database holds more rows, so no
# n_neighbors above this can ever be served, and it is refused at fit.
MAX_NEIGHBORS = 2**31 - 1


def fallback_reason(est, X, served_metrics):
    """Why the kernels cannot fit ``est`` on X (a short reason), or None if they can.

    Type and parameter tests only: no pass over the data.
    """
    if sparse.issparse(X):
        reason = _sparse_reason(est, X)
        if reason:
            return reason
    if isinstance(X, (BallTree, KDTree)) or (
            isinstance(X, BaseEstimator) and hasattr(X, "kneighbors")):
        return "X is a fitted BallTree, KDTree or neighbours estimator"
    metric = est.metric
    if not isinstance(metric, str) or metric not in served_metrics:
        return f"metric {metric!r}"
    extra = set(est.metric_params or {}) - {"p"}
    if extra:
        return f"metric_params {sorted(extra)}"
    if metric == "minkowski" and not _is_positive(effective_p(est)):
        return f"p {effective_p(est)!r}"
    if est.algorithm in ("kd_tree", "ball_tree") and metric not in VALID_METRICS[est.algorithm]:
        # scikit-learn refuses the pair with its own message.
        return f"metric {metric!r} with algorithm={est.algorithm!r}"
    return None


# Metrics the CSR kernel (``_neighbors_sparse``) serves, after scikit-learn's
# minkowski(p=2) -> euclidean rule (sqeuclidean on sparse X goes to
# scikit-learn, which refuses it with its own message).
SPARSE_METRICS = ("euclidean", "l2", "cosine")


def _sparse_reason(est, X):
    """Why the CSR kernel cannot serve sparse X (type and parameter tests), or None."""
    metric = est.metric
    if metric == "minkowski" and not (est.metric_params or {}).keys() - {"p"} \
            and effective_p(est) == 2:
        metric = "euclidean"
    if not isinstance(metric, str) or metric not in SPARSE_METRICS:
        return f"sparse X with metric {est.metric!r}"
    if getattr(X, "nnz", 0) > _INDEX_MAX or max(X.shape) > _INDEX_MAX:
        return "sparse X with 2**31 or more rows, columns or non-zeros"
    return None


# The CSR kernel's row and column indices are C ints.
_INDEX_MAX = 2**31 - 1


def _is_positive(p):
    return isinstance(p, Real) and not isinstance(p, bool) and p > 0


def effective_p(est):
    """p, or metric_params['p'] where given (scikit-learn's precedence)."""
    if est.metric_params and "p" in est.metric_params:
        return est.metric_params["p"]
    return est.p


def check_p(est, metric):
    """Apply scikit-learn's rules for p on a served fit; return p as a float.

    p given twice warns (SyntaxWarning, as scikit-learn); minkowski with
    0 < p < 1 is a semi-metric, which trees cannot search: an error for
    kd_tree and ball_tree, a warning otherwise (the search is exact anyway).
    """
    if est.metric_params and "p" in est.metric_params and est.p is not None:
        warnings.warn("Parameter p is found in metric_params. The corresponding parameter "
                      "from __init__ is ignored.", SyntaxWarning, stacklevel=4)
    p = effective_p(est)
    if metric == "minkowski" and p < 1:
        if est.algorithm in ("kd_tree", "ball_tree"):
            raise ValueError(
                f'algorithm="{est.algorithm}" does not support 0 < p < 1 for the Minkowski '
                'metric. To resolve this problem either set p >= 1 or algorithm="brute".')
        warnings.warn("Mind that for 0 < p < 1, Minkowski metrics are not distance metrics. "
                      "Continuing the execution with `algorithm='brute'`.", UserWarning,
                      stacklevel=4)
    return 2.0 if p is None else float(p)


def check_n_neighbors(n_neighbors):
    """Refuse an n_neighbors no database can serve, before anything is allocated."""
    if n_neighbors is not None and n_neighbors > MAX_NEIGHBORS:
        raise ValueError(
            f"n_neighbors = {n_neighbors} is more than any database gdcore searches can "
            f"hold ({MAX_NEIGHBORS} rows); choose a number of neighbours below the number "
            f"of training samples.")


def magnitude_limit(metric, p, d, dtype):
    """Largest |value| whose distances stay finite in ``dtype`` (None: no limit).

    Coordinates of two points at most M apart in magnitude differ by 2M;
    the kernels accumulate sum |diff|^p (squares for the Euclidean ones,
    and the squared norms of cosine) before any root, so d (2M)^p must
    stay below the dtype's maximum.
    """
    if metric == "precomputed":
        return None
    log_max = math.log(float(np.finfo(dtype).max))
    if metric in ("chebyshev", "infinity"):
        return math.exp(log_max) / 2.0
    power = (1.0 if metric in ("manhattan", "cityblock", "l1")
             else 2.0 if metric in ("euclidean", "l2", "sqeuclidean", "cosine") else p)
    return math.exp(min((log_max - math.log(max(d, 1))) / power, 700.0)) / 2.0


def check_magnitude(X, limit):
    """Refuse values whose distances overflow, naming the column (see magnitude_limit)."""
    if limit is not None:
        refuse_large_values(X, limit, f"whose distances overflow {np.dtype(X.dtype).name}")
