"""The distributed layer: gdcore's estimators on Dask collections.

One dispatch mechanism for every estimator.  A public method whose first
argument may be a Dask collection carries ``@dask_dispatch``; when it is one,
the call goes to the implementation its family registered in the family's
``_dask.py`` module (``@implements("GaussianMixture.fit")``), found by walking
the estimator's class hierarchy, so subclasses inherit it.  With NumPy input
the decorator costs one ``sys.modules`` lookup: dask is never imported by
gdcore unless the user's own code imported it (a Dask collection cannot exist
otherwise), so gdcore imports and runs without dask installed.

A family's ``_dask.py`` imports this module alone (``from gdcore import
_dask``) and finds here what every implementation shares, each in a module
of its own:

- ``gdcore._dask_blocks``: a Dask array or DataFrame as a list of delayed
  row blocks (``row_blocks``, ``aligned_blocks``; X never gathered on the
  client), its metadata, and ``tree_sum``, a reduction of per-block
  statistics in a fixed tree (fan-in ``SPLIT_EVERY``);
- ``gdcore._dask_passes``: ``BlockPasses``, the repeated passes of one fit
  (EM iterations, loss evaluations) over blocks persisted on the workers
  once per fit (unless X would not fit in the cluster's memory: then each
  pass recomputes them there, out of core), one task per worker thread or
  one actor call per worker (``gdcore._dask_resident``) a pass, with no Dask
  graph built per pass;
- ``gdcore._dask_outputs``: ``rowwise``, a row-wise method (predict,
  predict_proba, ...) mapped over the blocks, returning a lazy Dask array.

The kernels run inside the tasks exactly as on one machine: a block is
validated and scored by the estimator's own in-memory code, so the Dask path
adds only the order in which per-block sums are added (equal to the
in-memory fit to rounding, ~1e-12 relative in float64).
"""

import functools
import importlib

from gdcore._dask_blocks import (
    _dask,
    _is_dataframe_like,
    add_arrays,
    aligned_blocks,
    as_row_collection,
    block_sizes,
    broadcast,
    compute,
    current_client,
    distributed_unique,
    float_dtype,
    is_dask_collection,
    n_blocks,
    n_columns,
    nbytes,
    row_blocks,
    set_feature_metadata,
    tree_sum,
    unique_labels,
)
from gdcore._dask_outputs import rowwise
from gdcore._dask_passes import BlockPasses

# What the families' ``_dask.py`` modules read as ``_dask.<name>``.
__all__ = [
    "BlockPasses", "_dask", "_is_dataframe_like", "add_arrays", "aligned_blocks",
    "as_row_collection", "block_sizes", "broadcast", "compute", "current_client",
    "dask_dispatch", "distributed_unique", "float_dtype", "implements", "is_dask_collection",
    "n_blocks", "n_columns", "nbytes", "row_blocks", "rowwise", "set_feature_metadata",
    "tree_sum", "unique_labels",
]

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
    wrapper._dask_dispatch = True
    return wrapper
