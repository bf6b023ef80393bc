"""The distributed layer: gdcore's estimators on Dask collections.

One dispatch mechanism for every estimator.  A public method whose first
argument may be a Dask collection carries ``@dask_dispatch``; when it is one,
the call goes to the implementation its family registered in the family's
``_dask.py`` module (``@implements("GaussianMixture.fit")``), found by walking
the estimator's class hierarchy, so subclasses inherit it.  With NumPy input
the decorator costs one ``sys.modules`` lookup: dask is never imported by
gdcore unless the user's own code imported it (a Dask collection cannot exist
otherwise), so gdcore imports and runs without dask installed.

What every family's implementation shares lives here:

- ``row_blocks``: a Dask array or DataFrame as a list of delayed row blocks
  (NumPy blocks or pandas partitions), X never gathered on the client;
- ``tree_sum``: a tree reduction of per-block statistics (fan-in
  ``SPLIT_EVERY``), computed on the cluster of the current
  ``distributed.Client`` (or Dask's default scheduler); only the reduced
  statistics travel to the client;
- ``lazy_rows``: a row-wise method (predict, predict_proba, ...) mapped over
  the blocks, returning a lazy Dask array.

The kernels run inside the tasks exactly as on one machine: a block is
validated and scored by the estimator's own in-memory code, so the Dask path
adds only the order in which per-block sums are added (equal to the
in-memory fit to rounding, ~1e-12 relative in float64).
"""

import copy
import functools
import importlib
import sys

import numpy as np

# Fan-in of the tree reductions: the statistics of at most this many blocks
# are added by one task.  Larger trees have fewer levels (less latency per
# pass); smaller ones keep each task's inputs small.  Statistics are tiny
# next to a block, so any value from 4 to 32 costs about the same.
SPLIT_EVERY = 8


def is_dask_collection(x):
    """Return True if ``x`` is a Dask collection (array, dataframe, series, ...).

    Never imports dask: if the user's code did not import it, ``x`` cannot be
    one.  Otherwise one attribute test.
    """
    if "dask" not in sys.modules:
        return False
    return sys.modules["dask"].is_dask_collection(x)


_IMPLEMENTATIONS = {}


def implements(*names):
    """Register a function as the Dask implementation of ``"Class.method"`` names."""
    def register(func):
        for name in names:
            _IMPLEMENTATIONS[name] = func
        return func
    return register


def _find_implementation(estimator, method):
    for cls in type(estimator).__mro__:
        module = cls.__module__
        if not module.startswith("gdcore."):
            continue
        family = module.rsplit(".", 1)[0]
        try:
            importlib.import_module(family + "._dask")
        except ModuleNotFoundError as exc:
            if exc.name != family + "._dask":
                raise
            continue
        func = _IMPLEMENTATIONS.get(f"{cls.__name__}.{method}")
        if func is not None:
            return func
    return None


def dask_dispatch(method):
    """Send the method to its Dask implementation when X (its first argument) is Dask.

    A model whose fitted state stays on the cluster (the sharded database of
    the neighbour estimators, in ``_dask_shards``) serves in-memory queries
    from there too.
    """
    @functools.wraps(method)
    def wrapper(self, X=None, *args, **kwargs):
        if is_dask_collection(X) or "_dask_shards" in self.__dict__:
            if not is_dask_collection(X) and method.__name__.startswith("fit"):
                # A refit in memory: the model fitted on the cluster is dropped.
                del self.__dict__["_dask_shards"]
                return method(self, X, *args, **kwargs)
            func = _find_implementation(self, method.__name__)
            if func is None:
                raise TypeError(
                    f"{type(self).__name__}.{method.__name__} has no distributed "
                    "implementation for a Dask collection: compute X into memory first "
                    "(X.compute()), or wrap the fitted model in "
                    "dask_ml.wrappers.ParallelPostFit for block-wise prediction.")
            return func(self, X, *args, **kwargs)
        return method(self, X, *args, **kwargs)
    return wrapper


# ---------------------------------------------------------------- collections

def _dask():
    import dask
    return dask


def _is_dataframe_like(x):
    return hasattr(x, "partitions") and hasattr(x, "map_partitions")


def as_row_collection(X, name="X"):
    """Check a Dask collection of rows: a 1-/2-D array (one block across columns) or frame.

    A 2-D array chunked along its columns is rechunked (lazily, on the
    workers) to whole rows; bags, delayed objects and 3-D arrays get a
    TypeError.
    """
    da = importlib.import_module("dask.array")
    if isinstance(X, da.Array):
        if X.ndim not in (1, 2):
            raise ValueError(f"{name} must be a 1-D or 2-D Dask array, got {X.ndim}-D.")
        if X.ndim == 2 and len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        return X
    if _is_dataframe_like(X):
        return X
    raise TypeError(f"{name} is a {type(X).__name__}: gdcore takes a dask.array.Array or a "
                    "dask.dataframe.DataFrame/Series; convert it to one of them.")


def row_blocks(X):
    """Delayed row blocks of a Dask array or DataFrame (NumPy blocks or pandas partitions)."""
    X = as_row_collection(X)
    if _is_dataframe_like(X):
        return list(X.to_delayed())
    return list(X.to_delayed().ravel())


def n_blocks(X):
    X = as_row_collection(X)
    return X.npartitions if _is_dataframe_like(X) else len(X.chunks[0])


def aligned_blocks(y, X, name="y"):
    """Delayed blocks of ``y`` (rows aligned with X's blocks), or None if y is None.

    y may be a Dask collection with the same row partitioning as X (a Dask
    array is rechunked to X's row chunks when both are known) or an
    in-memory array (split at X's block boundaries, which needs them known).
    """
    if y is None:
        return None
    X = as_row_collection(X)
    if is_dask_collection(y):
        y = as_row_collection(y, name)
        da = importlib.import_module("dask.array")
        if isinstance(y, da.Array) and isinstance(X, da.Array):
            if not any(np.isnan(c) for c in X.chunks[0] + y.chunks[0]) and \
                    y.chunks[0] != X.chunks[0]:
                if y.shape[0] != X.shape[0]:
                    raise ValueError(f"{name} has {y.shape[0]} rows but X has {X.shape[0]}.")
                y = y.rechunk({0: X.chunks[0]})
        if n_blocks(y) != n_blocks(X):
            raise ValueError(f"{name} must be partitioned like X: X has {n_blocks(X)} "
                             f"partitions, {name} has {n_blocks(y)}.")
        return row_blocks(y)
    sizes = block_sizes(X)
    if sizes is None:
        raise ValueError(f"{name} is in memory but X's partition sizes are unknown: pass "
                         f"{name} as a Dask collection partitioned like X.")
    y = np.asarray(y)
    if len(y) != sum(sizes):
        raise ValueError(f"{name} has {len(y)} rows but X has {sum(sizes)}.")
    bounds = np.cumsum([0, *sizes])
    delayed = _dask().delayed
    return [delayed(y[a:b], pure=True) for a, b in zip(bounds[:-1], bounds[1:])]


def block_sizes(X):
    """Rows per block if known without a pass over the data, else None."""
    X = as_row_collection(X)
    if _is_dataframe_like(X):
        return None
    sizes = X.chunks[0]
    return None if any(np.isnan(s) for s in sizes) else [int(s) for s in sizes]


def n_columns(X):
    X = as_row_collection(X)
    if _is_dataframe_like(X):
        return len(X.columns) if X.ndim == 2 else 1
    return X.shape[1] if X.ndim == 2 else 1


# ---------------------------------------------------------------- reduction

def tree_sum(parts, combine, split_every=SPLIT_EVERY):
    """One delayed value: ``parts`` combined pairwise-by-groups in a fixed tree.

    The tree's shape depends only on the number of parts, so the order of
    the additions (and the rounding) is the same on every run, whatever the
    workers or their speed.
    """
    delayed = _dask().delayed
    level = list(parts)
    if not level:
        raise ValueError("X has no partitions.")
    merge = delayed(functools.partial(_reduce, combine), pure=True)
    while len(level) > 1:
        level = [merge(*level[i:i + split_every]) if len(level[i:i + split_every]) > 1
                 else level[i] for i in range(0, len(level), split_every)]
    return level[0]


def _reduce(combine, *values):
    return functools.reduce(combine, values)


def _unique(y_part):
    y = np.asarray(y_part)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per row), got shape {y.shape}.")
    return np.unique(y)


def distributed_unique(y_blocks):
    """Sorted distinct labels of y from its blocks: np.unique per block, unions in a tree."""
    delayed = _dask().delayed
    parts = [delayed(_unique, pure=True)(b) for b in y_blocks]
    return compute(tree_sum(parts, np.union1d))[0]


def compute(*values):
    """Compute delayed values on the current Client (or Dask's default scheduler)."""
    return _dask().compute(*values)


def broadcast(value):
    """One graph key holding ``value`` (model parameters), shared by every block's task."""
    return _dask().delayed(value, pure=True)


def add_arrays(a, b):
    """Tuples/lists of arrays (or None, meaning zero) added element-wise."""
    out = []
    for x, y in zip(a, b):
        if x is None:
            out.append(y)
        elif y is None:
            out.append(x)
        else:
            out.append(x + y)
    return type(a)(out)


# ---------------------------------------------------------------- prediction

def lazy_rows(func, X, n_out, dtype, *args):
    """``func(block, *args)`` for every row block, as one lazy Dask array.

    ``n_out``: None for a 1-D result per block, else its number of columns.
    Block sizes unknown (a DataFrame) give a Dask array with unknown chunks.
    """
    da = importlib.import_module("dask.array")
    X = as_row_collection(X)
    delayed = _dask().delayed
    sizes = block_sizes(X)
    pieces = []
    for i, block in enumerate(row_blocks(X)):
        rows = np.nan if sizes is None else sizes[i]
        shape = (rows,) if n_out is None else (rows, n_out)
        pieces.append(da.from_delayed(delayed(func, pure=True)(block, *args), shape=shape,
                                      dtype=dtype))
    return da.concatenate(pieces, axis=0)


def rowwise(method, n_out, dtype=np.float64):
    """Return a Dask implementation of a row-wise method: the in-memory method per block.

    ``n_out(estimator)`` gives the number of output columns (None: 1-D);
    ``dtype`` a dtype or a function of the estimator.
    """
    def run(estimator, X, *args, **kwargs):
        out_dtype = dtype if isinstance(dtype, type) else dtype(estimator)
        # A copy: refitting the estimator before the result is computed must
        # not change it.  One graph key, shared by every block's task.
        shared = broadcast(copy.deepcopy(estimator))
        return lazy_rows(_call_method, X, n_out(estimator), out_dtype, method, shared,
                         args, kwargs)
    run.__name__ = f"dask_{method}"
    return run


def _call_method(block, method, estimator, args, kwargs):
    return getattr(estimator, method)(block, *args, **kwargs)


def set_feature_metadata(estimator, X):
    """``n_features_in_`` and ``feature_names_in_`` from a Dask collection (no data pass)."""
    from sklearn.utils.validation import validate_data
    validate_data(estimator, X, skip_check_array=True, reset=True)
    # scikit-learn reads names from pandas frames only; a Dask frame's are the same.
    if _is_dataframe_like(X) and X.ndim == 2:
        names = np.asarray(list(X.columns), dtype=object)
        if len(names) and all(isinstance(c, str) for c in names):
            estimator.feature_names_in_ = names


def float_dtype(X):
    """float32 if X's values are float32, else float64 (as check_X converts them)."""
    X = as_row_collection(X)
    dtypes = list(X.dtypes) if _is_dataframe_like(X) and X.ndim == 2 else [X.dtype]
    return np.float32 if all(np.dtype(t) == np.float32 for t in dtypes) else np.float64
