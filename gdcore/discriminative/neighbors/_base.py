"""Exact neighbour search shared by the k-nearest-neighbour estimators.

gdcore always searches by brute force, blocked (``gdcore.discriminative.neighbors._neighbors``):
on modern CPUs a gemm-tiled scan of the whole database is exact and beats
trees for d above ~10, and it has no build cost.  ``algorithm`` and
``leaf_size`` are accepted for scikit-learn compatibility and only validated.

Metrics and how they are searched (``_METRICS``):
- euclidean, sqeuclidean, cosine: BLAS tiles, then exact recomputation;
  for the Euclidean ones both sides are shifted by the database mean first
  (distances do not change, the rounding of the dot products shrinks).
- manhattan, chebyshev, minkowski (any p > 0): direct loops.
  minkowski with p = 1, 2, inf is manhattan, euclidean, chebyshev.
- precomputed: X holds distances to the training points; sorted in NumPy.

Everything else scikit-learn accepts is fitted and served by scikit-learn's
estimator of the same name (``_params.fallback_reason``).
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator
from sklearn.metrics import pairwise_distances
from sklearn.utils.validation import check_is_fitted, validate_data

from gdcore._dask import dask_dispatch
from gdcore._fallback import PeerFallbackMixin, delegate_to_peer
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import FLOAT_DTYPES, check_X, raise_for_status, refuse_dates
from gdcore.discriminative.neighbors import (
    _gemm_search,
    _neighbors,
    _neighbors_fit,
    _neighbors_sparse,
    _params,
)

# user's metric name -> (kernel, kernel metric code, name for scipy's cdist)
_METRICS = {
    "euclidean": ("gemm", _neighbors.METRIC_SQEUCLIDEAN, "euclidean"),
    "l2": ("gemm", _neighbors.METRIC_SQEUCLIDEAN, "euclidean"),
    "sqeuclidean": ("gemm", _neighbors.METRIC_SQEUCLIDEAN, "sqeuclidean"),
    "cosine": ("gemm", _neighbors.METRIC_COSINE, "cosine"),
    "manhattan": ("direct", _neighbors.METRIC_MANHATTAN, "cityblock"),
    "cityblock": ("direct", _neighbors.METRIC_MANHATTAN, "cityblock"),
    "l1": ("direct", _neighbors.METRIC_MANHATTAN, "cityblock"),
    "chebyshev": ("direct", _neighbors.METRIC_CHEBYSHEV, "chebyshev"),
    "infinity": ("direct", _neighbors.METRIC_CHEBYSHEV, "chebyshev"),
    "minkowski": ("direct", _neighbors.METRIC_MINKOWSKI, "minkowski"),
    "precomputed": ("precomputed", None, None),
}
_KERNEL_ERRORS = {
    _neighbors.STATUS_OUT_OF_MEMORY: "out of memory for the search buffers",
    _neighbors.STATUS_TOO_MANY_ROWS: "the database has more than 2**31 - 1 rows or "
                                     "features; split it",
}
_MODE_ERROR = 'Unsupported mode, must be one of "connectivity", or "distance" but got "{}" instead'

# Rows of queries per block in the NumPy paths (precomputed sort, radius
# search): 1024 x n_train float64 is 8 MB per 1000 training points.
_CHUNK_ROWS = 1024


def _effective_metric(metric, p):
    """scikit-learn's rule: minkowski with p = 1, 2, inf is a named metric."""
    if metric == "minkowski":
        if p == 1:
            return "manhattan"
        if p == 2:
            return "euclidean"
        if np.isinf(p):
            return "chebyshev"
    return metric


class NeighborsBase(PeerFallbackMixin, BaseEstimator):
    """Fit (store the database) and the exact queries every neighbour model offers."""

    _parameter_constraints: dict = dict(_params.CONSTRAINTS)

    def __init__(self, n_neighbors=5, radius=1.0, *, algorithm="auto", leaf_size=30,
                 metric="minkowski", p=2, metric_params=None, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.radius = radius
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ fit
    def _fallback_reason(self, X, y=None, **fit_params):
        return _params.fallback_reason(self, X, _METRICS)

    def _begin_fit(self, X, y=None):
        """Validate the parameters; fit through scikit-learn if the kernels cannot serve.

        Returns True when scikit-learn fitted the model.  X may be a fitted
        gdcore neighbour estimator: its database is used, as scikit-learn
        does with its own.
        """
        self._validate_params()
        _params.check_n_neighbors(self.n_neighbors)
        effective_n_threads(self.n_jobs)
        if isinstance(X, NeighborsBase):
            X._check_is_fitted()
            X = X.__dict__.get("_peer", X.__dict__.get("_fit_X"))
        return X, self._fit_peer_if_needed(X, y)

    def _fit(self, X, y="no_validation", y_numeric=False):
        """Validate and store the database; returns the validated y, if one is given."""
        metric = _effective_metric(self.metric, _params.effective_p(self))
        p = _params.check_p(self, metric)
        refuse_dates(X)
        is_sparse = sparse.issparse(X)
        if isinstance(y, str) and y == "no_validation":
            X = check_X(self, X, reset=True, accept_sparse=is_sparse)
        else:
            X, y = validate_data(self, X, y, reset=True, dtype=FLOAT_DTYPES, order="C",
                                 multi_output=True, y_numeric=y_numeric,
                                 accept_sparse="csr" if is_sparse else False)
        if metric == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(
                    f"With metric='precomputed', X must be a square distance matrix, "
                    f"got shape {X.shape}."
                )
            _check_non_negative(X)
        self._p = p
        self.effective_metric_ = metric
        self.effective_metric_params_ = {"p": p} if metric == "minkowski" else {}
        self._limit = _params.magnitude_limit(metric, p, X.shape[1], X.dtype)
        self._sparse = is_sparse
        if is_sparse:
            X = _canonical_csr(X, self._limit)
            self._csc = X.tocsc()
            self._csc.sort_indices()
            self._csc.indices = self._csc.indices.astype(np.intc, copy=False)
            self._csc.indptr = self._csc.indptr.astype(np.intc, copy=False)
            self._y_sqnorms = _csr_sqnorms(X)
        else:
            self._prepare_database(X)
        self.n_samples_fit_ = X.shape[0]
        self._fit_X = X
        self._fit_method = "brute"  # scikit-learn's name for the search that serves it
        return y

    def _prepare_database(self, X):
        """Check X's range; compute what the gemm kernel needs besides X.

        That is a shift, row scales and the operands' squared norms.  The
        kernel makes its operands tile by tile (X shifted by its mean, or
        rows scaled to norm 1 for cosine), so no copy of the database is
        held beyond X itself (``_operand_chunks``).  They are float32
        whenever their values fit float32 comfortably, float64 data
        included: the kernel verifies every answer in double, and float32
        tiles run faster (twice the flops per SIMD instruction, half the
        bytes; measured by `gdcore bench neighbors`, kneighbors k=10
        float64).  Values beyond 1e15 (squares near float32's limit) or all
        below 1e-15 keep float64 tiles.

        The row norms, column sums and max |X| come from one parallel pass
        (``_neighbors_fit``); unshifted Euclidean rows already in the tiles'
        type are their own operands, so that pass is all fit computes, and
        nothing the size of X is allocated (`gdcore bench --growth`,
        neighbors: the time and memory of fit + search).
        """
        kind, code, _ = _METRICS[self.effective_metric_]
        self._shift = None
        if kind != "gemm":
            _params.check_magnitude(X, self._limit)
            return
        sqnorms, sums, peak = np.empty(len(X)), np.empty(X.shape[1]), np.zeros(1)
        status = _neighbors_fit.database_stats(X, sqnorms, sums, peak,
                                               effective_n_threads(self.n_jobs))
        raise_for_status(status, _KERNEL_ERRORS)
        if peak[0] > self._limit:
            _params.check_magnitude(X, self._limit)   # raises, naming the column
        if code == _neighbors.METRIC_SQEUCLIDEAN:
            self._shift = _useful_shift(sums / len(X), sqnorms)
            self._y_scale = np.empty(0)
        else:
            self._shift = np.zeros(X.shape[1])
            self._y_scale = 1.0 / _nonzero(np.sqrt(sqnorms))
        if not len(self._y_scale) and not self._shift.any():
            self._gemm_dtype = _gemm_dtype(peak[0])
            if self._gemm_dtype == X.dtype:
                self._yg_sqnorms = sqnorms.astype(self._gemm_dtype)
                return
        else:
            self._gemm_dtype = _gemm_dtype(max(
                (float(np.abs(c).max()) for c in _operand_chunks(X, self._shift, self._y_scale)),
                default=0.0))
        del sqnorms
        self._yg_sqnorms = np.empty(len(X), dtype=self._gemm_dtype)
        start = 0
        for c in _operand_chunks(X, self._shift, self._y_scale):
            c = c.astype(self._gemm_dtype)
            self._yg_sqnorms[start:start + len(c)] = np.einsum("ij,ij->i", c, c,
                                                                dtype=np.float64)
            start += len(c)

    # ------------------------------------------------------------ queries
    def _check_query(self, X):
        """Return validated queries in the training dtype; None means the training set."""
        if X is None:
            return self._fit_X, True
        if self.__dict__.get("_sparse"):
            X = check_X(self, X, reset=False, accept_sparse=True)
            X = sparse.csr_matrix(X) if not sparse.issparse(X) else X
            return _canonical_csr(X.astype(self._fit_X.dtype, copy=False), self._limit), False
        if sparse.issparse(X):
            # Dense database, sparse queries: scikit-learn's brute force searches
            # them as dense rows; its trees and sparse distance graphs do not.
            if self.effective_metric_ == "precomputed":
                setting = "metric='precomputed'"
            elif self.algorithm in ("kd_tree", "ball_tree"):
                setting = f"algorithm={self.algorithm!r}"
            else:
                setting = None
            if setting:
                raise ValueError(
                    f"{type(self).__name__} was fitted on dense X with {setting} and cannot "
                    f"search sparse queries: pass X.toarray(), or fit on sparse X.")
            X = check_X(self, X, reset=False, accept_sparse=True).toarray()
        X = check_X(self, X, reset=False)
        if self.effective_metric_ == "precomputed":
            if X.shape[1] != self.n_samples_fit_:
                raise ValueError(
                    f"With metric='precomputed', X must have one column per training "
                    f"sample ({self.n_samples_fit_}), got {X.shape[1]}."
                )
            _check_non_negative(X)
        X = np.ascontiguousarray(X, dtype=self._fit_X.dtype)
        _params.check_magnitude(X, self._limit)
        return X, False

    def _check_k(self, n_neighbors, query_is_train):
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
            raise ValueError(f"n_neighbors must be a positive integer, got {k!r}.")
        available = self.n_samples_fit_ - int(query_is_train)
        if k > available:
            excluded = " once each point is excluded from its own neighbours"
            raise ValueError(
                f"Expected n_neighbors <= n_samples_fit ({available}"
                f"{excluded if query_is_train else ''}),"
                f" but n_neighbors = {k}."
            )
        return int(k)

    @dask_dispatch
    @delegate_to_peer
    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Return the n_neighbors nearest training points of each query, nearest first.

        Ties in distance are broken by the lower index, with scikit-learn's
        exception for a point with more than n_neighbors duplicates of lower
        index (see ``_self_ties_as_sklearn``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_queries, n_features), default=None
            Query points (distances to the training points if
            metric="precomputed").  None: the training points, none of them
            returned as its own neighbour.
        n_neighbors : int, default=None
            Neighbours per query; None uses the estimator's ``n_neighbors``.
        return_distance : bool, default=True
            Whether to return the distances too.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries, n_neighbors)
            Distances, nearest first (only if return_distance).
        neigh_ind : ndarray of shape (n_queries, n_neighbors)
            Indices of the neighbours among the training points.

        Examples
        --------
        >>> from gdcore.discriminative.neighbors import NearestNeighbors
        >>> nn = NearestNeighbors(n_neighbors=1).fit([[0.0], [1.0], [3.0]])
        >>> nn.kneighbors([[2.9]], return_distance=False).tolist()
        [[2]]
        """
        self._check_is_fitted()
        Q, query_is_train = self._check_query(X)
        k = self._check_k(n_neighbors, query_is_train)
        dist, ind = self._search(Q, k, query_is_train)
        if query_is_train:
            self._self_ties_as_sklearn(dist, ind)
        return (dist, ind) if return_distance else ind

    def _self_ties_as_sklearn(self, dist, ind):
        """Rewrite, in place, the rows where scikit-learn's X=None answer differs.

        scikit-learn takes the k + 1 nearest of each training point, itself
        included, and drops it; when more than k duplicates of lower index
        push it out of those k + 1, it drops the first instead.  The answer
        then differs from "the k nearest others" only in rows whose k-th
        neighbour is a duplicate (distance 0) of lower index: those rows
        (rare) are recomputed exactly.
        """
        rows = np.flatnonzero((dist[:, -1] == 0) & (ind[:, -1] < np.arange(len(ind))))
        if len(rows) == 0 or self.effective_metric_ == "precomputed":
            return
        k = ind.shape[1]
        D = self._exact_distances(self._fit_X[rows])
        for r, row in enumerate(rows):
            twins = np.flatnonzero(D[r] == 0)
            if np.count_nonzero(twins < row) > k:
                ind[row] = twins[1:k + 1]
                dist[row] = 0

    def _search(self, Q, k, exclude_self):
        kind, code, _ = _METRICS[self.effective_metric_]
        if kind == "precomputed":
            return _precomputed_top_k(Q, k, exclude_self)
        n_threads = effective_n_threads(self.n_jobs)
        dist = np.empty((Q.shape[0], k), dtype=Q.dtype)
        ind = np.empty((Q.shape[0], k), dtype=np.intp)
        X = self._fit_X
        if self.__dict__.get("_sparse"):
            C = self._csc
            status = _neighbors_sparse.kneighbors_csr(
                Q.data, Q.indices, Q.indptr, X.data, X.indices, X.indptr, C.data, C.indices,
                C.indptr, self._y_sqnorms, code, exclude_self, dist, ind, n_threads)
            raise_for_status(status, _KERNEL_ERRORS)
            if self.effective_metric_ in ("euclidean", "l2"):
                np.sqrt(dist, out=dist)
        elif kind == "gemm":
            with single_threaded_blas():
                status = _gemm_search.kneighbors_gemm(Q, X, self._shift, self._y_scale,
                                                      self._yg_sqnorms, code, exclude_self,
                                                      dist, ind, n_threads, _GEMM_PRODUCT)
            raise_for_status(status, _KERNEL_ERRORS)
            if self.effective_metric_ in ("euclidean", "l2"):
                np.sqrt(dist, out=dist)
        else:
            status = _neighbors.kneighbors_direct(Q, X, code, self._p, exclude_self, dist, ind,
                                            n_threads)
            raise_for_status(status, _KERNEL_ERRORS)
        return dist, ind

    @dask_dispatch
    @delegate_to_peer
    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        """Sparse (n_queries, n_samples_fit) graph of the k nearest neighbours.

        mode='connectivity' stores ones, mode='distance' the distances.
        """
        if mode not in ("connectivity", "distance"):
            raise ValueError(_MODE_ERROR.format(mode))
        dist, ind = self.kneighbors(X, n_neighbors, return_distance=True)
        n_q, k = ind.shape
        data = np.ones(n_q * k) if mode == "connectivity" else dist.ravel()
        return sparse.csr_matrix((data, ind.ravel(), np.arange(0, n_q * k + 1, k)),
                                 shape=(n_q, self.n_samples_fit_))

    @dask_dispatch
    @delegate_to_peer
    def radius_neighbors(self, X=None, radius=None, return_distance=True, sort_results=False):
        """Training points within ``radius`` of each query (distance <= radius).

        ``radius`` is one number, or one per query.  Returns object arrays of
        per-query distance and index arrays, as scikit-learn does.  Distances
        are exact (SciPy's cdist, float64), in blocks of queries; with
        sort_results they are nearest first, ties by index.  With X=None each
        point is excluded from its own neighbours.
        """
        self._check_is_fitted()
        if sort_results and not return_distance:
            raise ValueError("return_distance must be True if sort_results is True.")
        Q, query_is_train = self._check_query(X)
        radius = _check_radius(self.radius if radius is None else radius, len(Q))
        dists = np.empty(Q.shape[0], dtype=object)
        inds = np.empty(Q.shape[0], dtype=object)
        for start in range(0, Q.shape[0], _CHUNK_ROWS):
            D = self._exact_distances(Q[start:start + _CHUNK_ROWS])
            if query_is_train:
                rows = np.arange(D.shape[0])
                D[rows, start + rows] = np.inf
            bound = radius if np.ndim(radius) == 0 else radius[start:start + len(D), None]
            rows, cols = np.nonzero(D <= bound)
            vals = D[rows, cols]
            if sort_results:
                order = np.lexsort((cols, vals, rows))
                rows, cols, vals = rows[order], cols[order], vals[order]
            bounds = np.searchsorted(rows, np.arange(D.shape[0] + 1))
            for r in range(D.shape[0]):  # splitting into arrays, no arithmetic
                inds[start + r] = cols[bounds[r]:bounds[r + 1]]
                dists[start + r] = vals[bounds[r]:bounds[r + 1]].astype(Q.dtype)
        return (dists, inds) if return_distance else inds

    @delegate_to_peer
    def radius_neighbors_graph(self, X=None, radius=None, mode="connectivity",
                               sort_results=False):
        """Sparse graph of the neighbours within ``radius`` (see radius_neighbors)."""
        if mode not in ("connectivity", "distance"):
            raise ValueError(_MODE_ERROR.format(mode))
        dists, inds = self.radius_neighbors(X, radius, True, sort_results)
        counts = np.array([len(i) for i in inds], dtype=np.intp)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        cols = np.concatenate(list(inds)) if len(inds) else np.empty(0, np.intp)
        data = (np.ones(len(cols)) if mode == "connectivity"
                else np.concatenate(list(dists)) if len(dists) else np.empty(0))
        return sparse.csr_matrix((data, cols.astype(np.intp), indptr),
                                 shape=(len(inds), self.n_samples_fit_))

    def _exact_distances(self, Q):
        """(len(Q), n_samples_fit) exact distances in float64."""
        if self.effective_metric_ == "precomputed":
            return np.array(Q, dtype=np.float64)
        name = _METRICS[self.effective_metric_][2]
        if sparse.issparse(Q):
            return pairwise_distances(Q, self._fit_X, metric=name).astype(np.float64)
        if name == "cosine":
            # scikit-learn's convention: a zero vector is at distance 1 from all.
            A, B = _unit_rows(Q.astype(np.float64)), _unit_rows(self._fit_X.astype(np.float64))
            return np.clip(1.0 - A @ B.T, 0.0, 2.0)
        kwargs = {"p": self._p} if name == "minkowski" else {}
        return cdist(Q.astype(np.float64), self._fit_X.astype(np.float64), name, **kwargs)

    def _check_is_fitted(self):
        check_is_fitted(self, "n_samples_fit_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # served by scikit-learn (fallback_reason)
        tags.input_tags.pairwise = self.metric == "precomputed"
        tags.input_tags.positive_only = self.metric == "precomputed"
        return tags


def _check_radius(radius, n_queries):
    """Return radius checked: a non-negative number, or one per query (as scikit-learn)."""
    r = np.asarray(radius, dtype=np.float64) if not isinstance(radius, Real) else radius
    if np.ndim(r) == 1 and len(r) == n_queries and (r >= 0).all():
        return r
    if np.ndim(r) == 0 and r >= 0:
        return float(r)
    raise ValueError(f"radius must be a non-negative number or one per query "
                     f"({n_queries}), got {radius!r}.")


def _canonical_csr(X, limit):
    """CSR X with sorted, unique column indices held as C ints (the CSR kernel's form).

    Values beyond ``limit`` (whose distances overflow) are refused.
    """
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if limit is not None and X.nnz and float(np.abs(X.data).max()) > limit:
        raise ValueError(f"X has values above {limit:.3g} in magnitude, whose distances "
                         f"overflow {np.dtype(X.dtype).name}; rescale X.")
    if X.indices.dtype != np.intc or X.indptr.dtype != np.intc:
        X = sparse.csr_matrix((X.data, X.indices.astype(np.intc), X.indptr.astype(np.intc)),
                              shape=X.shape)
    return X


def _csr_sqnorms(X):
    """Squared norms of a CSR matrix's rows, in float64."""
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    return np.bincount(rows, weights=np.square(X.data, dtype=np.float64),
                       minlength=X.shape[0])


# The gemm kernel's products on float32 tiles: 16-bit integers where the CPU
# has AVX-512 VNNI (twice float32's multiply-adds per instruction, every
# answer verified all the same; float64 tiles ignore it), else float32.
# Measured by `gdcore bench neighbors` (kneighbors k=10 float32).
_GEMM_PRODUCT = (_neighbors.PRODUCT_INT16 if _neighbors.int16_ready()
                 else _neighbors.PRODUCT_FLOAT)


# The database mean is subtracted from both sides only when it is larger than
# this share of the rows' spread: below it, centering shrinks the norms that
# bound the products' rounding (and so the verification's rescans) by at
# most that share, and the kernel can multiply the rows as they are, without
# copying each tile (`gdcore bench neighbors`, kneighbors k=10 float32 d=512).
_SHIFT_SHARE = 0.01


def _useful_shift(mean, sqnorms):
    """Return the database's ``mean`` where centering matters, else zeros.

    ``sqnorms`` are the rows' squared norms (float64).  The spread (the sum
    of the columns' variances) is their mean minus the mean's squared norm,
    with no centered copy of X: the subtraction loses digits only when the
    mean dominates the spread, where the answer (centre) is clear anyway.
    """
    spread = max(0.0, float(sqnorms.mean()) - float(mean @ mean))
    return mean if mean @ mean > _SHIFT_SHARE * spread else np.zeros(len(mean))


def _gemm_dtype(scale):
    """Return the gemm tiles' type for operands of largest magnitude ``scale``."""
    return np.dtype(np.float32 if 1e-15 <= scale <= 1e15 else np.float64)


def _nonzero(norms):
    """``norms`` with zeros replaced by 1 (a zero row stays zero when divided)."""
    norms[norms == 0] = 1.0
    return norms


def _unit_rows(X):
    """Rows scaled to norm 1 (computed in float64); zero rows stay zero."""
    return X / _nonzero(np.sqrt(np.einsum("ij,ij->i", X, X, dtype=np.float64)))[:, None]


# Rows per chunk of gemm operands made at fit: 2**20 values (8 MB in
# float64), so that fit never holds a copy of the database.
_OPERAND_CHUNK_VALUES = 2**20


def _operand_chunks(X, shift, y_scale):
    """Yield the kernel's gemm operands of X, in float64, a chunk of rows at a time.

    Row j is (X_j - shift) * y_scale[j] (y_scale empty: 1), as
    ``kneighbors_gemm`` makes it before rounding to its tile type.
    """
    rows = max(1, _OPERAND_CHUNK_VALUES // max(1, X.shape[1]))
    for start in range(0, len(X), rows):
        c = X[start:start + rows] - shift
        if len(y_scale):
            c *= y_scale[start:start + rows, None]
        yield c


def _check_non_negative(D):
    if (D < 0).any():
        raise ValueError("Negative values in data passed to a precomputed distance matrix.")


def _precomputed_top_k(D, k, exclude_self):
    """Row-wise k smallest of a distance matrix, ties by index (stable sort)."""
    dist = np.empty((D.shape[0], k), dtype=D.dtype)
    ind = np.empty((D.shape[0], k), dtype=np.intp)
    for start in range(0, D.shape[0], _CHUNK_ROWS):
        block = np.array(D[start:start + _CHUNK_ROWS])
        if exclude_self:
            rows = np.arange(block.shape[0])
            block[rows, start + rows] = np.inf
        order = np.argsort(block, axis=1, kind="stable")[:, :k]
        ind[start:start + len(block)] = order
        dist[start:start + len(block)] = np.take_along_axis(block, order, axis=1)
    return dist, ind
