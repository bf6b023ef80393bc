"""``BlockPasses``: the repeated passes of one fit over its row blocks on Dask.

A fit on a Dask collection (EM iterations, loss evaluations, histogram
rounds) makes many passes over the same blocks, each reduced to small
statistics on the client.  This module decides where the blocks live for
the fit (persisted on the workers when they fit in their memory, else
recomputed at each pass, out of core), how a pass is sent (one task per
worker thread over the blocks held there, one task per block for lazy
blocks, or one actor call per worker: ``gdcore._dask_resident``) and adds
the per-block results in block order, so the rounding depends neither on
the workers nor on where the blocks are.
"""

import functools
import importlib
import sys

import numpy as np

from gdcore._dask_blocks import (
    SPLIT_EVERY,
    _dask,
    _reduce,
    compute,
    current_client,
    is_dask_collection,
    tree_sum,
)
from gdcore._dask_resident import Residents, balanced, run_blocks

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

