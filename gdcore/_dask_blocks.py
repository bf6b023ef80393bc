"""Dask collections as row blocks: what every family's Dask implementation reads X with.

A Dask array or DataFrame becomes a list of delayed row blocks (NumPy
blocks or pandas partitions), y and weights are cut like X
(``aligned_blocks``), and per-block statistics are added in a fixed tree
(``tree_sum``) so the rounding is the same on every run.  What can be known
without a pass over the data (rows per block, bytes, columns, dtype,
feature names) is read from the collection's metadata.  dask is imported
only when a function here is called (gdcore imports without it).
"""

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


def nbytes(X):
    """X's size in bytes if known without a pass over the data (a Dask array's), else None."""
    X = as_row_collection(X)
    size = getattr(X, "nbytes", None) if not _is_dataframe_like(X) else None
    return None if size is None or np.isnan(size) else int(size)


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


def unique_labels(y_part, return_counts=False):
    """Sorted distinct labels of one block of y (1-D, or one column); with their counts if asked."""
    y = np.asarray(y_part)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one target per row), got shape {y.shape}.")
    return np.unique(y, return_counts=return_counts)


def distributed_unique(y_blocks):
    """Sorted distinct labels of y from its blocks: np.unique per block, unions in a tree."""
    delayed = _dask().delayed
    parts = [delayed(unique_labels, pure=True)(b) for b in y_blocks]
    return compute(tree_sum(parts, np.union1d))[0]


def current_client():
    """Return the ``distributed.Client`` Dask computes on, or None (its local scheduler)."""
    if "distributed" not in sys.modules:
        return None
    scheduler = _dask().config.get("scheduler", None)
    if scheduler is not None and scheduler not in ("dask.distributed", "distributed"):
        return None
    try:
        return sys.modules["distributed"].default_client()
    except ValueError:
        return None


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


# ---------------------------------------------------------------- metadata

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
