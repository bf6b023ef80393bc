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
- ``BlockPasses``: the repeated passes of one fit (EM iterations, loss
  evaluations).  With a ``distributed.Client`` the blocks are persisted on
  the workers once per fit (unless X would not fit in the cluster's memory:
  then each pass recomputes them there, out of core) and each pass submits
  one task per worker thread, which runs over the blocks held there, with
  no Dask graph built per pass;
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

from gdcore._dask_resident import Residents, balanced, run_blocks

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
    wrapper._dask_dispatch = True
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


def unique_labels(y_part):
    """Sorted distinct labels of one block of y (1-D, or one column)."""
    y = np.asarray(y_part)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per row), got shape {y.shape}.")
    return np.unique(y)


def distributed_unique(y_blocks):
    """Sorted distinct labels of y from its blocks: np.unique per block, unions in a tree."""
    delayed = _dask().delayed
    parts = [delayed(unique_labels, pure=True)(b) for b in y_blocks]
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


# ---------------------------------------------------------------- passes

# A pass over blocks that are not all persisted (an out-of-core fit) with at
# most this many blocks brings their statistics straight to the client,
# which adds them: one hop fewer per pass than a reduction task on a worker
# (the scheduler's and workers' latency per hop is what a pass costs beyond
# its kernels: ``gdcore bench dask``).  Beyond it the workers add them in a
# tree first, so the client receives O(SPLIT_EVERY) of them.
GATHER_PARTS = 32

# Blocks are persisted for a fit only when X takes at most this share of the
# workers' total memory limit: the rest is left to the statistics, the
# kernels' scratch and the user's other persisted data.  Larger X is
# recomputed from its graph at every pass (an out-of-core fit: slower, but
# never a worker killed for memory).
PERSIST_MEMORY_SHARE = 0.5


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


def _persisted(sources):
    """{key: future} of the persisted blocks of the Dask collections in ``sources``."""
    futures_of = importlib.import_module("distributed").futures_of
    return {f.key: f for src in sources if is_dask_collection(src) for f in futures_of(src)}


def _is_lazy(item):
    return is_dask_collection(item) and not isinstance(
        item, sys.modules["distributed"].Future)


class BlockPasses:
    """Passes over the row blocks of one fit, each reduced to small statistics on the client.

    ``columns``: named lists of per-block items (delayed blocks of X, y or
    weights, in-memory arrays, or None), all of one length.  ``sources``: the
    Dask collections the blocks come from (their persisted blocks are used
    where they are).  ``nbytes``: X's size if known, which decides whether
    lazy blocks are persisted.

    With a ``distributed.Client`` and persisted blocks, a pass (``run``,
    ``results``) submits one task per worker thread, pinned to the worker
    holding its blocks (a contiguous run of them), which applies the
    function to each block and returns the per-block results: one round
    trip, a handful of tasks and one copy of the arguments per thread
    instead of one per block, no graph construction, unique keys (a pass
    with the same parameters as an earlier one is computed again, never
    confused with its released results).  The client adds the results in
    block order, so the rounding depends neither on the workers nor on
    where the blocks are.  Blocks that are not persisted get one task per
    block (``map``) and a tree reduction; without a Client each pass is one
    ``dask.compute`` of a delayed graph on Dask's local scheduler.

    ``resident=True`` (a fit of many short passes): with persisted blocks,
    the first pass puts one actor on each worker holding them
    (``gdcore._dask_resident``), and ``run``, ``results`` and ``keep`` go
    to the actors, without the scheduler; the columns kept there exist only
    there until a worker is lost, when they are recomputed as futures and
    the passes go on with tasks.
    """

    def __init__(self, sources=(), nbytes=None, persist=True, resident=False, **columns):
        self.client = current_client()
        self._resident = resident and self.client is not None
        # The actors (built at the first pass) and how each column kept in
        # them was made, to remake it as futures if a worker is lost.
        self._residents, self._kept = None, {}
        self.columns = {}
        self._futures = {} if self.client is None else _persisted(sources)
        lengths = {len(c) for c in columns.values()}
        if len(lengths) != 1:
            raise ValueError("every column of the blocks needs one item per block.")
        self.n = lengths.pop()
        # Worker address -> threads, and block key -> the worker holding it
        # (looked up once, at the first pass that needs it).
        self._threads, self._where = {}, {}
        if self.client is not None:
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
            self._threads = {a: max(1, int(w.get("nthreads", 1) or 1))
                             for a, w in workers.items()}
            memory = sum(w.get("memory_limit", 0) or 0 for w in workers.values())
            persist = persist and nbytes is not None and (
                memory == 0 or nbytes <= PERSIST_MEMORY_SHARE * memory)
        for name, items in columns.items():
            self.add(name, items, persist)

    def add(self, name, items, persist=False):
        """Add a column: persisted (as futures) if asked and not already, with a Client."""
        items = list(items)
        if self.client is not None:
            futures = [self._futures.get(getattr(item, "key", None))
                       if is_dask_collection(item) else None for item in items]
            lazy = [i for i, f in enumerate(futures) if f is None and is_dask_collection(items[i])]
            if lazy and persist:
                done = self.client.compute([items[i] for i in lazy])
                for i, f in zip(lazy, done):
                    futures[i] = f
            items = [item if f is None else f for item, f in zip(items, futures)]
        self.columns[name] = items

    def _rows(self, names, each):
        rows = list(zip(*[self.columns[n] for n in names]))
        if each is not None:
            rows = [(*r, *e) for r, e in zip(rows, _tuples(each))]
        return rows

    def _on_workers(self, names):
        """Return the actors if ``resident`` and they hold ``names`` (built at first), else None."""
        if not self._resident:
            return None
        if self._residents is None:
            rows = self._rows(list(self.columns), None)
            where = self._placement(rows) if self._grouped(rows) else [None]
            if None in where:
                self._resident = False
                return None
            groups = {address: [] for address in self._threads}
            for i, address in enumerate(where):
                groups.setdefault(address, []).append(i)
            first = [next(x for x in r if isinstance(x, sys.modules["distributed"].Future))
                     for r in rows]
            size = self.client.nbytes([f.key for f in first], summary=False)
            groups = balanced(groups, [size.get(f.key, 1) for f in first], self._threads)
            self._residents = Residents(self.client, groups, self.columns, self._threads)
        return self._residents if set(names) <= self._residents.names else None

    def _leave(self):
        """Go on with tasks (a worker holding an actor was lost): kept columns as futures."""
        self._resident, self._residents = False, None
        kept, self._kept = self._kept, {}
        for name, (func, names, args) in kept.items():
            self.columns[name] = self.map(func, names, *args)

    def _grouped(self, rows):
        """Whether a pass over ``rows`` runs as one task per worker thread (all persisted)."""
        return self.client is not None and not any(_is_lazy(x) for r in rows for x in r)

    def _placement(self, rows):
        """Per row, the address of the worker holding its first future (None: anywhere)."""
        Future = sys.modules["distributed"].Future
        first = [next((x for x in r if isinstance(x, Future)), None) for r in rows]
        new = list({f.key: f for f in first if f is not None and f.key not in self._where}
                   .values())
        if new:
            # Persisting may still be under way: where a block is is known once it is.
            sys.modules["distributed"].wait(new)
            holders = self.client.who_has(new)
            for f in new:
                found = sorted(holders.get(f.key, ()))
                self._where[f.key] = found[0] if found else None
        return [None if f is None else self._where[f.key] for f in first]

    def results(self, func, names, *args, each=None):
        """``func(*block items of names, *each[i], *args)`` per block, on the client in order.

        With persisted blocks: one task per worker thread over the blocks
        held there (a worker that died meanwhile: its blocks' tasks run where
        the scheduler recomputes them).
        """
        residents = self._on_workers(names)
        if residents is not None:
            out = residents.call(self.n, func, names, args, _tuples(each))
            if out is not None:
                return out
            self._leave()
        rows = self._rows(names, each)
        if not self._grouped(rows):
            return self.gather(self.map(func, names, *args, each=each))
        groups = {}
        for i, where in enumerate(self._placement(rows)):
            groups.setdefault(where, []).append(i)
        runs, futures = [], []
        for where, blocks in groups.items():
            threads = (self._threads.get(where, 1) if where is not None
                       else sum(self._threads.values()) or 1)
            for run in np.array_split(np.asarray(blocks), min(threads, len(blocks))):
                pin = {} if where is None else {"workers": [where],
                                                "allow_other_workers": True}
                runs.append(run)
                futures.append(self.client.submit(run_blocks, func,
                                                  [rows[i] for i in run], args,
                                                  pure=False, **pin))
        out = [None] * len(rows)
        for run, values in zip(runs, self.client.gather(futures)):
            for i, value in zip(run, values):
                out[i] = value
        return out

    def map(self, func, names, *args, each=None):
        """``func(*block items of names, *each[i], *args)`` per block: futures (or delayed)."""
        if any(n in self._kept for n in names):
            self._leave()
        rows = self._rows(names, each)
        if self.client is None or any(_is_lazy(x) for r in rows for x in r):
            delayed = _dask().delayed
            calls = [delayed(func, pure=False)(*r, *args) for r in rows]
            if self.client is None:
                return calls
            return self.client.compute(calls)
        return [self.client.submit(func, *r, *args, pure=False) for r in rows]

    def keep(self, name, func, names, *args):
        """Map ``func`` and keep its per-block results on the workers as column ``name``."""
        residents = self._on_workers(names)
        if residents is not None:
            if residents.call(self.n, func, names, args, keep=name) is not None:
                self._kept[name] = (func, names, args)
                self.columns[name] = [None] * self.n
                return
            self._leave()
        parts = self.map(func, names, *args)
        if self.client is None:
            parts = list(_dask().persist(*parts))
        self.columns[name] = parts

    def reduce(self, parts, combine):
        """Return the parts combined in a fixed order, on the client.

        Up to ``GATHER_PARTS`` parts are gathered and added in block order
        on the client; more are added in a fixed tree (``SPLIT_EVERY``) of
        tasks on the workers first.
        """
        if len(parts) <= GATHER_PARTS:
            return functools.reduce(combine, self.gather(parts))
        if self.client is None:
            return compute(tree_sum(parts, combine))[0]
        level = list(parts)
        reduce = functools.partial(_reduce, combine)
        while len(level) > 1:
            level = [self.client.submit(reduce, *level[i:i + SPLIT_EVERY], pure=False)
                     if len(level[i:i + SPLIT_EVERY]) > 1 else level[i]
                     for i in range(0, len(level), SPLIT_EVERY)]
        return level[0].result()

    def run(self, func, names, combine, *args, each=None):
        """One pass: ``func`` per block, the results combined in block order."""
        if self._grouped(self._rows(names, each)):
            return functools.reduce(combine, self.results(func, names, *args, each=each))
        return self.reduce(self.map(func, names, *args, each=each), combine)

    def gather(self, parts):
        """Every part on the client, in block order."""
        if self.client is None:
            return list(compute(*parts))
        return self.client.gather(parts)

    def release(self):
        """Drop the persisted blocks and actors (the workers free what no one else holds)."""
        self.columns.clear()
        self._futures.clear()
        self._residents, self._kept = None, {}


def _tuples(each):
    """Per-block extra arguments as tuples (a tuple gives several, anything else one)."""
    return None if each is None else [e if isinstance(e, tuple) else (e,) for e in each]


# ---------------------------------------------------------------- prediction

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
