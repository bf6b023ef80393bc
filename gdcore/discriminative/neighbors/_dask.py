"""k-nearest neighbours on a Dask collection: a sharded database, top-k merged.

``fit`` on a Dask collection keeps the database where it is: each partition
becomes one shard, a ``NearestNeighbors`` fitted on the worker (the
estimator's own validation and gemm operands) and persisted there with its
labels (class codes or targets).  The client keeps only the shard sizes.

A query block is searched against every shard by the compiled exact search
(``kneighbors`` of the shard), each shard's indices are offset to X's row
numbers, and the shards' k nearest are merged by (distance, index): the
order of the one-machine search, which breaks ties by the lower index.  The
distances are the kernel's exact ones, which do not depend on the shard, so
the neighbours are those of one machine.

``kneighbors`` returns lazy Dask arrays; ``predict`` and ``predict_proba``
vote (or average) per query block from the merged neighbours' labels.  A
model fitted on a Dask collection serves NumPy queries too (computed
results), and ``X=None`` (the training rows, each excluded from its own
neighbours by scikit-learn's rule: the k + 1 nearest, itself dropped).
``kneighbors_graph`` and ``radius_neighbors`` return what they return on one
machine (a SciPy CSR matrix; object arrays of per-query arrays), computed
from the shards.  Not served on a Dask collection: multi-output y and
metrics the kernels do not serve (a ValueError names the remedy).
"""

import functools
import importlib

import numpy as np
from scipy import sparse

from gdcore import _dask
from gdcore._validation import check_classification_targets
from gdcore.discriminative.neighbors import _params
from gdcore.discriminative.neighbors._base import _MODE_ERROR
from gdcore.discriminative.neighbors._classes import NearestNeighbors, _weights


class _Shard(NearestNeighbors):
    """One shard of the database: a NearestNeighbors that tells Dask its true size.

    Dask sizes an object it does not know by ``sys.getsizeof``: a few dozen
    bytes for an estimator holding hundreds of MB.  The scheduler, which
    places a task where moving its inputs costs least, would then ship the
    shard to the query block instead of the query block to the shard.
    """

    def __sizeof__(self):
        return object.__sizeof__(self) + sum(
            v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


def _fit_shard(template, part, labels):
    shard = _Shard(**template.get_params()).fit(part)
    shard.labels_ = None if labels is None else np.asarray(labels)
    return shard


def _shard_search(shard, offset, queries, k):
    k = min(k, shard.n_samples_fit_)
    dist, ind = shard.kneighbors(queries, n_neighbors=k)
    labels = None if shard.labels_ is None else shard.labels_[ind]
    return dist, ind + offset, labels


def _merge(k, *found):
    dist = np.concatenate([f[0] for f in found], axis=1)
    ind = np.concatenate([f[1] for f in found], axis=1)
    order = np.lexsort((ind, dist), axis=-1)[:, :k]
    labels = None
    if found[0][2] is not None:
        labels = np.take_along_axis(np.concatenate([f[2] for f in found], axis=1), order, 1)
    return (np.take_along_axis(dist, order, 1), np.take_along_axis(ind, order, 1), labels)


def _template(estimator):
    return NearestNeighbors(n_neighbors=estimator.n_neighbors, algorithm=estimator.algorithm,
                            leaf_size=estimator.leaf_size, metric=estimator.metric,
                            p=estimator.p, metric_params=estimator.metric_params,
                            n_jobs=estimator.n_jobs)


def _fit(estimator, X, y, kind):
    est = estimator
    est._validate_params()
    _params.check_n_neighbors(est.n_neighbors)
    reason = est._fallback_reason(X, y)
    if reason is not None or est.metric == "precomputed":
        raise ValueError(f"{type(est).__name__} on a Dask collection searches with the "
                         f"compiled kernels only ({reason or 'metric precomputed'} is not "
                         "served there): compute X into memory for that metric.")
    X = _dask.as_row_collection(X)
    _dask.set_feature_metadata(est, X)
    blocks = _dask.row_blocks(X)
    labels = [None] * len(blocks)
    if kind != "unsupervised":
        if y is None:
            raise ValueError(f"{type(est).__name__} requires y to be passed, but the target "
                             "y is None.")
        labels = _dask.aligned_blocks(y, X, "y")
        if kind == "classifier":
            est.classes_ = _dask.distributed_unique(labels)
            check_classification_targets(est.classes_)
            est.outputs_2d_ = False
            labels = [_dask._dask().delayed(_codes, pure=True)(b, est.classes_)
                      for b in labels]
        else:
            labels = [_dask._dask().delayed(_targets, pure=True)(b) for b in labels]
    dask = _dask._dask()
    template = _template(est)
    shards = dask.persist(*[dask.delayed(_fit_shard, pure=True)(template, b, lab)
                            for b, lab in zip(blocks, labels)])
    facts = dask.compute(*[dask.delayed(_shard_facts)(s) for s in shards])
    sizes = [f[0] for f in facts]
    for name in ("effective_metric_", "effective_metric_params_", "_fit_method"):
        setattr(est, name, facts[0][1][name])
    est._dask_dtype = _dask.float_dtype(X)
    for stale in ("_fit_X", "_Yg", "_yg_sqnorms", "_y", "_peer"):
        est.__dict__.pop(stale, None)
    est.n_samples_fit_ = int(sum(sizes))
    est._dask_shards = list(zip(shards, np.cumsum([0, *sizes[:-1]]).tolist()))
    return est


def _shard_facts(shard):
    return shard.n_samples_fit_, {name: getattr(shard, name) for name in
                                  ("effective_metric_", "effective_metric_params_",
                                   "_fit_method")}


def _codes(y_part, classes):
    y = np.asarray(y_part)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError("y with several outputs is not served on a Dask collection; "
                         "fit one model per output.")
    return np.searchsorted(classes, y)


def _targets(y_part):
    y = np.asarray(y_part, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError("y with several outputs is not served on a Dask collection; "
                         "fit one model per output.")
    return y


@_dask.implements("NearestNeighbors.fit")
def fit_unsupervised(estimator, X, y=None):
    """NearestNeighbors.fit on a Dask collection: the database sharded on the workers."""
    return _fit(estimator, X, None, "unsupervised")


@_dask.implements("KNeighborsClassifier.fit")
def fit_classifier(estimator, X, y=None):
    """KNeighborsClassifier.fit on a Dask collection (y partitioned like X)."""
    return _fit(estimator, X, y, "classifier")


@_dask.implements("KNeighborsRegressor.fit")
def fit_regressor(estimator, X, y=None):
    """KNeighborsRegressor.fit on a Dask collection (y partitioned like X)."""
    return _fit(estimator, X, y, "regressor")


def _shard_rows(shard):
    return shard._fit_X


def _drop_self(offset, merged):
    """Drop each training row from its own k + 1 nearest, as scikit-learn does for X=None.

    The row's own index is dropped where it is; when more than k duplicates
    of lower index pushed it out, the first neighbour is dropped instead.
    """
    dist, ind, labels = merged
    n, k = ind.shape[0], ind.shape[1] - 1
    keep = ind != (offset + np.arange(n))[:, None]
    keep[keep.all(axis=1), 0] = False
    return tuple(None if a is None else a[keep].reshape(n, k) for a in (dist, ind, labels))


def _queries(estimator, X):
    """Return (query blocks, rows per block or None, were they in memory, float dtype).

    ``X=None``: the training rows, shard by shard.
    """
    if "_dask_shards" not in estimator.__dict__:
        raise ValueError(f"{type(estimator).__name__} was fitted in memory: query it with "
                         "in-memory arrays, or fit it on the Dask collection.")
    if X is None:
        delayed = _dask._dask().delayed
        shards = estimator._dask_shards
        ends = [offset for _, offset in shards[1:]] + [estimator.n_samples_fit_]
        return ([delayed(_shard_rows, pure=True)(shard) for shard, _ in shards],
                [end - offset for (_, offset), end in zip(shards, ends)], False,
                estimator._dask_dtype)
    in_memory = not _dask.is_dask_collection(X)
    if in_memory:
        da = importlib.import_module("dask.array")
        X = da.from_array(np.asarray(X))
    X = _dask.as_row_collection(X)
    if _dask.n_columns(X) != estimator.n_features_in_:
        raise ValueError(f"X has {_dask.n_columns(X)} features, but "
                         f"{type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input.")
    dtype = np.float32 if _dask.float_dtype(X) == np.float32 else np.float64
    return _dask.row_blocks(X), _dask.block_sizes(X), in_memory, dtype


def _search_blocks(estimator, X, k):
    """Return (rows per query block, were they in memory, merged delayed per block, k, dtype)."""
    blocks, sizes, in_memory, dtype = _queries(estimator, X)
    k = estimator.n_neighbors if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"n_neighbors must be a positive integer, got {k!r}.")
    available = estimator.n_samples_fit_ - (X is None)
    if k > available:
        excluded = " once each point is excluded from its own neighbours" if X is None else ""
        raise ValueError(f"Expected n_neighbors <= n_samples_fit ({available}{excluded}),"
                         f" but n_neighbors = {k}.")
    k = int(k)
    # X=None: the k + 1 nearest including the row itself, which is then dropped.
    search = k + (X is None)
    delayed = _dask._dask().delayed
    merged = []
    for i, block in enumerate(blocks):
        found = [delayed(_shard_search, pure=True)(shard, offset, block, search)
                 for shard, offset in estimator._dask_shards]
        m = _dask.tree_sum(found, functools.partial(_merge, search))
        if X is None:
            m = delayed(_drop_self, pure=True)(estimator._dask_shards[i][1], m)
        merged.append(m)
    return sizes, in_memory, merged, k, dtype


def _lazy(sizes, merged, func, n_out, dtype):
    da = importlib.import_module("dask.array")
    delayed = _dask._dask().delayed
    pieces = []
    for i, m in enumerate(merged):
        rows = np.nan if sizes is None else sizes[i]
        shape = (rows,) if n_out is None else (rows, n_out)
        pieces.append(da.from_delayed(delayed(func, pure=True)(m), shape=shape, dtype=dtype))
    return da.concatenate(pieces, axis=0)


def _finish(result, in_memory):
    if not in_memory:
        return result
    if isinstance(result, tuple):
        return tuple(_dask.compute(*result))
    return _dask.compute(result)[0]


@_dask.implements("NearestNeighbors.kneighbors", "KNeighborsClassifier.kneighbors",
                  "KNeighborsRegressor.kneighbors")
def kneighbors(estimator, X=None, n_neighbors=None, return_distance=True):
    """(distances, indices) of the n_neighbors nearest training rows, as lazy Dask arrays.

    ``X=None``: the training rows, none returned as its own neighbour
    (scikit-learn's rule for duplicates).  In-memory queries get computed
    arrays.
    """
    sizes, in_memory, merged, k, dtype = _search_blocks(estimator, X, n_neighbors)
    ind = _lazy(sizes, merged, _second, k, np.intp)
    if not return_distance:
        return _finish(ind, in_memory)
    return _finish((_lazy(sizes, merged, _first, k, dtype), ind), in_memory)


@_dask.implements("NearestNeighbors.kneighbors_graph", "KNeighborsClassifier.kneighbors_graph",
                  "KNeighborsRegressor.kneighbors_graph")
def kneighbors_graph(estimator, X=None, n_neighbors=None, mode="connectivity"):
    """Sparse (n_queries, n_samples_fit) graph of the k nearest (a SciPy CSR matrix)."""
    if mode not in ("connectivity", "distance"):
        raise ValueError(_MODE_ERROR.format(mode))
    sizes, _, merged, k, _ = _search_blocks(estimator, X, n_neighbors)
    found = _dask.compute(*merged)
    dist = np.concatenate([f[0] for f in found])
    ind = np.concatenate([f[1] for f in found])
    n_q = len(ind)
    data = np.ones(n_q * k) if mode == "connectivity" else dist.ravel()
    return sparse.csr_matrix((data, ind.ravel(), np.arange(0, n_q * k + 1, k)),
                             shape=(n_q, estimator.n_samples_fit_))


def _shard_radius(shard, offset, queries, radius, own):
    """One shard's neighbours within radius of a query block (``own``: the shard's own rows)."""
    dist, ind = shard.radius_neighbors(None if own else queries, radius)
    return dist, [i + offset for i in ind]


def _merge_radius(sort_results, *found):
    n = len(found[0][0])
    dist, ind = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for r in range(n):   # per query: concatenation in shard order = ascending index
        d = np.concatenate([f[0][r] for f in found])
        i = np.concatenate([f[1][r] for f in found]).astype(np.intp)
        if sort_results:
            order = np.lexsort((i, d))
            d, i = d[order], i[order]
        dist[r], ind[r] = d, i
    return dist, ind


@_dask.implements("NearestNeighbors.radius_neighbors", "KNeighborsClassifier.radius_neighbors",
                  "KNeighborsRegressor.radius_neighbors")
def radius_neighbors(estimator, X=None, radius=None, return_distance=True, sort_results=False):
    """Training rows within ``radius`` of each query: object arrays, computed.

    Each query block is searched in every shard by the shard's own exact
    ``radius_neighbors`` (``X=None``: a shard's own rows exclude
    themselves), the indices offset to X's rows and concatenated in shard
    order, which is the one-machine order (by index; with sort_results by
    distance, ties by index).  The result has one array per query, so it is
    computed: it lives on the client, as on one machine.
    """
    if sort_results and not return_distance:
        raise ValueError("return_distance must be True if sort_results is True.")
    blocks, sizes, _, _ = _queries(estimator, X)
    radius = getattr(estimator, "radius", None) if radius is None else radius
    if radius is None:
        raise ValueError("radius must be given: this estimator has no default radius.")
    if np.ndim(radius) == 0:
        radii = [float(radius)] * len(blocks)
    else:
        if sizes is None:
            raise ValueError("radius per query needs the query blocks' sizes known: pass "
                             "one radius, or X as a Dask array with known chunks.")
        radius = np.asarray(radius, dtype=np.float64)
        if radius.shape != (sum(sizes),):
            raise ValueError(f"radius has shape {radius.shape}; one radius per query "
                             f"needs shape ({sum(sizes)},).")
        bounds = np.cumsum([0, *sizes])
        radii = [radius[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    delayed = _dask._dask().delayed
    merged = []
    for j, (block, r) in enumerate(zip(blocks, radii)):
        found = [delayed(_shard_radius, pure=True)(shard, offset, block, r,
                                                   X is None and i == j)
                 for i, (shard, offset) in enumerate(estimator._dask_shards)]
        merged.append(delayed(_merge_radius, pure=True)(sort_results, *found))
    parts = _dask.compute(*merged)
    dist = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, dtype=object)
    ind = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, dtype=object)
    return (dist, ind) if return_distance else ind


def _first(m):
    return m[0]


def _second(m):
    return m[1]


def _proba(weights, n_classes, merged):
    dist, _, codes = merged
    w = _weights(dist, weights)
    w = np.ones(codes.shape) if w is None else w
    n_q = codes.shape[0]
    rows = np.repeat(np.arange(n_q), codes.shape[1])
    votes = np.bincount(rows * n_classes + codes.ravel(), weights=w.ravel(),
                        minlength=n_q * n_classes).reshape(n_q, n_classes)
    return votes / votes.sum(axis=1, keepdims=True)


def _label(weights, classes, merged):
    return classes[np.argmax(_proba(weights, len(classes), merged), axis=1)]


def _mean(weights, merged):
    dist, _, targets = merged
    w = _weights(dist, weights)
    if w is None:
        return targets.mean(axis=1)
    return np.einsum("qk,qk->q", w, targets) / w.sum(axis=1)


@_dask.implements("KNeighborsClassifier.predict_proba")
def predict_proba(estimator, X):
    """Weighted share of each class among the merged neighbours, as a lazy Dask array."""
    sizes, in_memory, merged, _, _ = _search_blocks(estimator, X, None)
    n_classes = len(estimator.classes_)
    func = functools.partial(_proba, estimator.weights, n_classes)
    return _finish(_lazy(sizes, merged, func, n_classes, np.float64), in_memory)


@_dask.implements("KNeighborsClassifier.predict")
def predict_class(estimator, X):
    """Return the class with the largest weighted vote, as a lazy Dask array."""
    sizes, in_memory, merged, _, _ = _search_blocks(estimator, X, None)
    func = functools.partial(_label, estimator.weights, estimator.classes_)
    return _finish(_lazy(sizes, merged, func, None, estimator.classes_.dtype), in_memory)


@_dask.implements("KNeighborsRegressor.predict")
def predict_value(estimator, X):
    """Weighted mean of the merged neighbours' targets, as a lazy Dask array."""
    sizes, in_memory, merged, _, _ = _search_blocks(estimator, X, None)
    func = functools.partial(_mean, estimator.weights)
    return _finish(_lazy(sizes, merged, func, None, np.float64), in_memory)

