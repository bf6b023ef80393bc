"""Row-wise outputs on a Dask collection: the in-memory method per block, as a lazy Dask array.

``rowwise("predict_proba", ...)`` is the Dask implementation of a method
that maps rows to rows: the fitted estimator (a copy, one graph key) runs
its own in-memory method on every block, so the Dask result equals the
in-memory one block by block.  Nothing is computed until the user computes
the returned array.
"""

import copy
import importlib

import numpy as np

from gdcore._dask_blocks import _dask, as_row_collection, block_sizes, broadcast, row_blocks


def lazy_rows(func, X, n_out, dtype, *args):
    """``func(block, *args)`` for every row block, as one lazy Dask array.

    ``n_out``: None for a 1-D result per block, else its number of columns.
    Block sizes unknown (a DataFrame) give a Dask array with unknown chunks.
    """
    da = importlib.import_module("dask.array")
    X = as_row_collection(X)
    if isinstance(X, da.Array):
        # One blockwise layer, a task per block: no Delayed objects or
        # from_delayed aliases to build, send and schedule per block.
        chunks, axes = (X.chunks[0],), {"drop_axis": 1} if X.ndim == 2 else {}
        if n_out is not None:
            chunks, axes = (X.chunks[0], (n_out,)), {} if X.ndim == 2 else {"new_axis": 1}
        meta = np.empty((0,) * len(chunks), dtype=dtype)
        return X.map_blocks(func, *args, chunks=chunks, dtype=dtype, meta=meta, **axes)
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
