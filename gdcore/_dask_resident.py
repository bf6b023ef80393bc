"""Dask actors holding a fit's blocks on the workers, and waiting on them while they live.

A fit that makes many short passes over the same blocks (L-BFGS: one per
loss evaluation) pays, per pass, the round trip more than the kernels'
scheduling: a task goes client -> scheduler -> worker -> scheduler ->
client, then its result worker -> client.  An *actor* (an object living on
one worker, its methods called from the client straight to that worker)
takes one message each way and no scheduler: ``Residents`` puts one actor
on every worker holding blocks of the fit, holding those blocks (the
worker's own arrays, not copies), and a pass is one method call per
worker.  The worker's threads each run a contiguous run of its blocks, as
one task per thread would; the client orders the per-block results, so a
pass returns what the task path returns, in the same order.

A pass lasts as long as its busiest worker, and the scheduler often leaves
persisted blocks unevenly spread (8 blocks on 2 workers: 5 and 3, a pass
then 5/4 of the even one).  ``balanced`` moves blocks to the actors of the
least loaded workers until the bytes per thread are as even as whole
blocks allow: each moved block travels once and is held twice for the
fit, repaid after a few passes.

An actor is never moved or recomputed by the scheduler: a worker lost
mid-fit takes its actor with it.  ``Residents.call`` then returns None and
``BlockPasses`` goes on with tasks, which the scheduler reruns on the
workers left (the blocks recomputed from their graph where needed).  The
fits whose state lives only in actors (boosting's and the forests' shards)
stop instead, with ``WorkerLost``; all of them wait on their calls through
``result_while_alive``, which notices a lost worker within
``LIVENESS_SECONDS``.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

# While a call to the workers holding a fit's state runs, the client checks
# this often that they are alive: a worker lost is noticed within about this
# time rather than at the connection timeout (30 s by default).  Each check
# asks the scheduler once (about a millisecond), only for calls longer than
# this: the LogisticRegression and HistGradientBoosting cases of `gdcore
# bench dask` make calls of tens to hundreds of milliseconds, which never ask.
LIVENESS_SECONDS = 1.0


class WorkerLost(RuntimeError):
    """A worker holding part of a fit's state was lost: the fit cannot go on."""


def lost_workers(client, workers):
    """Return the addresses in ``workers`` that the scheduler no longer knows, sorted."""
    alive = set(client.scheduler_info(n_workers=-1)["workers"])
    return sorted(set(workers) - alive)


def raise_if_lost(client, workers, what, cause=None):
    """Raise WorkerLost (from ``cause``) if a worker of ``workers``, holding ``what``, is gone."""
    lost = lost_workers(client, workers)
    if lost:
        raise WorkerLost(
            f"A Dask worker holding part of {what} was lost ({lost[0]}); the rows it held "
            "are gone with it. Refit (persisting X first makes that cheaper).") from cause


def result_while_alive(wait, client, workers, what):
    """Return ``wait(LIVENESS_SECONDS)``, called again while ``workers`` are all alive.

    ``wait(timeout)`` returns the call's result or raises TimeoutError.  A
    call to a lost worker fails only at the connection timeout, so the
    workers are checked at every timeout, and when the call fails (the
    failure is then reported as WorkerLost, naming ``what``).
    """
    while True:
        try:
            return wait(LIVENESS_SECONDS)
        except TimeoutError:
            raise_if_lost(client, workers, what)
        except WorkerLost:
            raise
        except Exception as exc:
            raise_if_lost(client, workers, what, exc)
            raise


def run_blocks(func, rows, args):
    """Apply ``func`` to each row of block items (a run of a worker's blocks), in order."""
    return [func(*row, *args) for row in rows]


def balanced(groups, sizes, threads):
    """Return ``groups`` (worker -> block indices) with blocks moved to even the load.

    The load of a worker is its blocks' bytes (``sizes``) per thread.  A
    block moves from the most to the least loaded worker while that lowers
    the larger of their two loads (so the loads only ever get more even).
    """
    groups = {w: list(blocks) for w, blocks in groups.items()}

    def load(w):
        return sum(sizes[i] for i in groups[w]) / threads.get(w, 1)

    while len(groups) > 1:
        src, dst = max(groups, key=load), min(groups, key=load)
        top = load(src)
        best = min(((max(top - sizes[i] / threads.get(src, 1),
                         load(dst) + sizes[i] / threads.get(dst, 1)), i) for i in groups[src]),
                   default=(top, None))
        if best[0] >= top:
            break
        groups[src].remove(best[1])
        groups[dst].append(best[1])
    return {w: sorted(blocks) for w, blocks in groups.items() if blocks}


class _Resident:
    """The blocks of one fit on one worker (the actor): named columns of per-block items."""

    def __init__(self, columns, n_threads):
        self.columns, self.n_threads = columns, n_threads

    def run(self, func, names, args, each, keep=None):
        """``func(*items of names, *each[i], *args)`` per block (kept as column ``keep``)."""
        rows = list(zip(*[self.columns[n] for n in names]))
        if each is not None:
            rows = [(*r, *e) for r, e in zip(rows, each)]
        runs = np.array_split(np.arange(len(rows)), max(1, min(self.n_threads, len(rows))))
        if len(runs) == 1:
            out = run_blocks(func, rows, args)
        else:
            # The kernels release the GIL: one thread per run, as one task per thread.
            with ThreadPoolExecutor(len(runs)) as pool:
                parts = pool.map(lambda run: run_blocks(func, [rows[i] for i in run], args),
                                 runs)
                out = [value for part in parts for value in part]
        if keep is None:
            return out
        self.columns[keep] = out
        return None


class Residents:
    """One ``_Resident`` actor per worker holding blocks of the fit (client side).

    ``groups``: worker address -> the indices of the blocks it holds;
    ``columns``: name -> per-block items (futures of blocks on that worker,
    in-memory values or None); ``threads``: worker address -> threads.
    """

    def __init__(self, client, groups, columns, threads):
        self.client = client
        self.names = set(columns)
        self.groups = list(groups.items())
        self._futures = [client.submit(_Resident, {n: [items[i] for i in blocks]
                                                   for n, items in columns.items()},
                                       threads.get(where, 1), actor=True, pure=False,
                                       workers=[where])
                         for where, blocks in self.groups]
        self.actors = [f.result() for f in self._futures]

    def call(self, n, func, names, args, each=None, keep=None):
        """Per-block results of ``func`` in block order (``keep``: kept there, None each).

        Returns None if a worker holding blocks was lost: the caller goes on
        without the actors.
        """
        workers = [where for where, _ in self.groups]
        try:
            calls = [actor.run(func, names, args,
                               None if each is None else [each[i] for i in blocks], keep)
                     for actor, (_, blocks) in zip(self.actors, self.groups)]
            values = [result_while_alive(c.result, self.client, workers, "the fit")
                      for c in calls]
        except WorkerLost:
            return None
        except Exception:
            # Calling an actor looks its worker up, which may be gone.
            if lost_workers(self.client, workers):
                return None
            raise
        if keep is not None:
            self.names.add(keep)
        out = [None] * n
        for (_, blocks), results in zip(self.groups, values):
            for i, value in zip(blocks, results or [None] * len(blocks)):
                out[i] = value
        return out


def actors_by_worker(client, sources, blocks, y_blocks, w_blocks, group, *args):
    """One ``group(rows, *args)`` actor per worker, over the blocks it holds.

    The blocks of X, y and weights are computed once on the workers (always
    persisted); each worker's rows go to the actor made there.  Returns
    (workers: the address of each actor's worker, None if unknown; members:
    the block indices of each actor; actor futures; the ``BlockPasses``
    holding the blocks: release it once the actors are made).
    """
    import distributed

    from gdcore._dask_passes import BlockPasses

    passes = BlockPasses(sources, 0, X=blocks, y=y_blocks, w=w_blocks)
    rows = list(zip(*(passes.columns[c] for c in ("X", "y", "w"))))
    xs = [r[0] for r in rows if isinstance(r[0], distributed.Future)]
    distributed.wait(xs)
    where = client.who_has(xs)
    by_worker = {}
    for i, r in enumerate(rows):
        holders = where.get(getattr(r[0], "key", None)) or (None,)
        by_worker.setdefault(holders[0], []).append(i)
    actors = [client.submit(group, [rows[i] for i in members], *args, actor=True,
                            pure=False, workers=None if w is None else [w])
              for w, members in by_worker.items()]
    return list(by_worker), list(by_worker.values()), actors, passes


def gather_rows(shards, offsets, rows):
    """Return X[rows] (in the order of ``rows``, repeats kept), gathered from the shards.

    ``shards.call("take", each=...)`` returns each shard's rows; shard p holds
    the rows ``offsets[p]:offsets[p + 1]`` (boosting's and the forests' shards).
    """
    part = np.searchsorted(offsets, rows, side="right") - 1
    each = [(rows[part == p] - offsets[p],) for p in range(len(offsets) - 1)]
    pieces = shards.call("take", each=each)
    out = np.empty((len(rows),) + pieces[0].shape[1:], dtype=pieces[0].dtype)
    for p, piece in enumerate(pieces):
        out[part == p] = piece
    return out
