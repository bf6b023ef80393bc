"""The worker side of the forests on Dask: shards of rows, their histograms and subtrees.

A *shard* is one partition's rows on the worker that holds it: its bin
codes (one byte a cell, X dropped once binned), its targets and sample
weights, and for every tree of the batch being grown its bootstrap weights
and its in-bag rows ordered so that each open node's rows are one slice
(``ranges``), as the compiled builder orders its ``idx``.  The shards of
one worker live in one Dask actor (``_Group``): a call from the client costs
one message per worker, never moves through the scheduler, and the state is
never silently replaced by a recomputed copy (see ``boosting/_dask.py``).

``grow_subtree`` runs as an ordinary task on any worker: it asks every
group (actor) for the rows of one small node, so the rows travel worker to
worker, never through the client, and grows the node's whole subtree there
with the compiled builder.

Sums that do not depend on the partitioning: where the statistics are not
integers (sample weights, regression targets), each row's value is split
into ``LEVELS`` parts on fixed grids (``exact_grids``, from the tree's
largest value and row count) whose sums are exact in float64 in any order
(the pre-rounding of Demmel and Nguyen's reproducible summation, ReproBLAS):
a histogram is then the same, bit for bit, for any partitioning, to about
2**-100 of the largest sum.
"""

import functools

import numpy as np

from gdcore._threads import effective_n_threads
from gdcore._validation import check_sample_weight, check_X
from gdcore.discriminative.tree import _tree_build, _tree_split

# Parts per value: each level keeps about 52 - log2(rows) more bits, so three
# give more bits than a float64 sum of the values has; two would do for
# small trees, four cost one more pass over a node's rows per feature for
# no bit a float64 result can hold.
LEVELS = 3


def exact_grids(n, maxabs):
    """(LEVELS, columns) powers of two: the grids whose multiples n values sum exactly.

    A column's first grid puts n times its largest magnitude below 2**52
    grid steps; each next grid does the same for the remainders.
    """
    steps = int(np.ceil(np.log2(max(int(n), 2))))
    exp = np.frexp(np.maximum(n * np.asarray(maxabs, dtype=np.float64), 1e-300))[1]
    out = []
    for _ in range(LEVELS):
        out.append(np.ldexp(1.0, exp - 52))
        exp = exp - 53 + steps
    return np.array(out)


def split_exact(values, grids):
    """``values`` (m, columns) as LEVELS parts, each a multiple of its level's grid.

    Sums of the parts are exact; the remainder past the last level (below
    its grid) is dropped the same way for every row wherever it is.
    """
    rest, parts = values, []
    for g in grids:
        part = np.rint(rest / g) * g
        rest = rest - part
        parts.append(part)
    return parts


class _Shard:
    """One partition's rows and, per tree of the current batch, its weights and node order."""

    def __init__(self, X, y, w, est, classes):
        X = check_X(est, X, reset=False, allow_nan=True, dtype=np.float32)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError("A forest on a Dask collection fits one output: y must be 1-D, "
                             f"got shape {y.shape}; compute X and y into memory for "
                             "several outputs.")
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} rows in a partition where X has {len(X)}: "
                             "partition y like X.")
        self.sw = None if w is None else check_sample_weight(np.asarray(w), X)
        if classes is not None:
            self.y_cls = np.searchsorted(classes, y).astype(np.int32).reshape(-1, 1)
            self.y_reg = self.y_hist = None
        else:
            y = np.asarray(y, dtype=np.float64)
            if not np.isfinite(y).all():
                raise ValueError("y contains NaN or inf; regression targets must be finite.")
            self.y_cls = None
            self.y_reg = np.ascontiguousarray(y.reshape(-1, 1))
            # histogram columns [count, weight, sum w y, sum w y^2]: y^2 is the
            # second "output", so children's squared-error impurity needs no rows
            self.y_hist = np.ascontiguousarray(np.column_stack([y, y * y]))
        self.X, self.n = X, len(X)
        self.n_threads = effective_n_threads(est.n_jobs)
        self.trees = {}

    def weights(self):
        return np.ones(self.n) if self.sw is None else self.sw

    def take(self, rows):
        return self.X[rows]

    def bin(self, bins):
        """Codes of X (X dropped): feature-major (d, n) uint8, as the compiled builder reads."""
        self.codes = bins.transform(self.X, self.n_threads)
        self.X = None
        self.n_bins = bins.n_bins

    def start(self, key, counts, by_weight):
        """Start tree ``key`` from its bootstrap counts here (None: no bootstrap).

        Returns the in-bag rows here and the largest magnitude of each
        statistic (``exact_grids`` makes the sums exact from them).
        """
        sw = self.weights()
        if counts is None:
            w = sw    # read only: every tree shares it
        else:
            # drawn by weight: the counts carry the weights (scikit-learn 1.9)
            w = counts.copy() if by_weight else counts * sw
        idx = np.flatnonzero(w != 0).astype(np.int32)
        self.trees[key] = dict(w=w, idx=idx, ranges={1: (0, len(idx))})
        return len(idx), np.abs(self._row_stats(w[idx], idx)).max(axis=0, initial=0.0)

    def _row_stats(self, w, idx):
        """Per row its weighted statistics: [w] (classes) or [w, w y, w y^2]."""
        if self.y_cls is not None:
            return w[:, None]
        return np.column_stack([w, w * self.y_hist[idx, 0], w * self.y_hist[idx, 1]])

    def run(self, ops, width, K):
        """Apply the ops (``split``, then ``hist``) in order; return the histograms asked for.

        A histogram is (levels, features, width, 2 + K): row b of feature f
        the statistics of the node's rows in bin b, row ``n_bins[f]`` its
        missing values (as ``_tree_split.histogram`` lays them out); one
        level when the sums are exact as they are, else ``LEVELS``.
        """
        out = []
        for op in ops:
            if op[0] == "split":
                self._split(*op[1:])
            else:
                out.append(self._hist(*op[1:], width, K))
        return out

    def _split(self, key, node, f, b, missing_left):
        """Reorder the node's rows, left child first (a stable partition: row order kept)."""
        tree = self.trees[key]
        lo, hi = tree["ranges"].pop(node)
        rows = tree["idx"][lo:hi]
        c = self.codes[f, rows]
        left = np.where(c == self.n_bins[f], bool(missing_left), c <= b)
        n_left = int(np.count_nonzero(left))
        tree["idx"][lo:hi] = np.concatenate([rows[left], rows[~left]])
        tree["ranges"][2 * node] = (lo, lo + n_left)
        tree["ranges"][2 * node + 1] = (lo + n_left, hi)

    def _hist(self, key, node, features, grids, width, K):
        tree = self.trees[key]
        lo, hi = tree["ranges"][node]
        idx = tree["idx"][lo:hi].astype(np.intp)
        classes = self.y_cls is not None
        S = 2 + (K if classes else 2)
        out = np.zeros((1 if grids is None else LEVELS, len(features), width, S))
        if hi == lo:
            return out
        if grids is None:
            # integer statistics: the compiled histogram's sums are exact
            offset = np.zeros(1, dtype=np.int32)
            for j, f in enumerate(features):
                _tree_split.histogram(self.codes, self.n_bins, self.y_cls, self.y_hist, offset,
                                      K if classes else 2, idx, tree["w"], int(f),
                                      out[0, j, : self.n_bins[f] + 1])
            return out
        parts = split_exact(self._row_stats(tree["w"][idx], idx), grids)
        cls = self.y_cls[idx, 0] if classes else None
        for j, f in enumerate(features):
            c = self.codes[f, idx].astype(np.intp)
            out[0, j, :, 0] = np.bincount(c, minlength=width)
            for level, part in enumerate(parts):
                h = out[level, j]
                h[:, 1] = np.bincount(c, part[:, 0], minlength=width)
                if classes:
                    h[:, 2:] = np.bincount(c * K + cls, part[:, 0],
                                           minlength=width * K).reshape(width, K)
                else:
                    h[:, 2] = np.bincount(c, part[:, 1], minlength=width)
                    h[:, 3] = np.bincount(c, part[:, 2], minlength=width)
        return out

    def node_rows(self, key, node):
        """Return the node's codes (d, m), targets and weights, rows in partition order."""
        tree = self.trees[key]
        lo, hi = tree["ranges"][node]
        rows = np.sort(tree["idx"][lo:hi])
        y = self.y_cls if self.y_cls is not None else self.y_reg
        return self.codes[:, rows], y[rows], tree["w"][rows]

    def end(self, keys):
        for key in keys:
            self.trees.pop(key, None)


class _Group:
    """The shards of the partitions one worker holds: one actor, one message per call."""

    def __init__(self, parts, est, classes):
        self.shards = [_Shard(X, y, w, est, classes) for X, y, w in parts]

    def run_each(self, method, each, args):
        """``method(*each[i], *args)`` on the group's shards, in order."""
        return [getattr(s, method)(*e, *args) for s, e in zip(self.shards, each)]

    def run(self, ops, width, K):
        """Every shard's ``run``, the histograms added: exact sums, so in any order."""
        outs = [s.run(ops, width, K) for s in self.shards]
        return [functools.reduce(np.add, hists) for hists in zip(*outs)]

    def configure(self, n, n_draw, draw_cum, offsets):
        """Keep the fit's bootstrap (once per fit): rows in all, draws per tree, weights.

        ``offsets``: the first global row of each of the group's shards.
        """
        self.draws = (n, n_draw, draw_cum, offsets)

    def start(self, trees):
        """Start every tree of a batch: (key, seed) pairs; per shard, per tree, root stats.

        The bootstrap counts of all n rows come from the tree's seed
        (``_tree_build.bootstrap_counts``, the in-memory draw), computed once
        per tree and worker and sliced at each shard's offset: every row
        gets the weight it has in the in-memory forest, however X is
        partitioned.
        """
        n, n_draw, draw_cum, offsets = self.draws
        out = [[] for _ in self.shards]
        for key, seed in trees:
            counts = None
            if n_draw:
                counts = _tree_build.bootstrap_counts(np.uint64(seed), n, n_draw, draw_cum)
            for s, (shard, off) in enumerate(zip(self.shards, offsets)):
                part = None if counts is None else counts[off: off + shard.n]
                out[s].append(shard.start(key, part, draw_cum is not None))
        return out

    def node_rows(self, key, node):
        return [s.node_rows(key, node) for s in self.shards]

    def end(self, keys):
        for s in self.shards:
            s.end(keys)


def _value(result):
    """Return an actor call's value (a Dask ActorFuture) or a local call's (itself)."""
    return result.result() if hasattr(result, "result") and callable(result.result) else result


def grow_subtree(groups, members, key, node, build, bins):
    """Grow the subtree of one small node on this worker; (nodes, values, depth).

    ``groups``: every group (actors, or local objects); ``members``: each
    group's partition numbers, so the rows are put in partition order
    whatever the placement (the subtree is then the same for any cluster).
    ``build``: the compiled builder's arguments besides the rows and ``bins``.
    """
    pieces = {}
    calls = [g.node_rows(key, node) for g in groups]
    for call, parts in zip(calls, members):
        for p, piece in zip(parts, _value(call)):
            pieces[p] = piece
    order = sorted(pieces)
    codes = np.ascontiguousarray(np.concatenate([pieces[p][0] for p in order], axis=1))
    y = np.ascontiguousarray(np.concatenate([pieces[p][1] for p in order]))
    w = np.ascontiguousarray(np.concatenate([pieces[p][2] for p in order]))
    classifier = y.dtype == np.int32
    b = bins
    grown = _tree_build.build_trees(
        codes, None, b.n_bins, b.table, b.is_exact, y if classifier else None,
        None if classifier else y, np.zeros(1, dtype=np.int32), build["K"],
        build["criterion"], w, np.asarray([build["seed"]], dtype=np.uint64),
        n_draw=0, n_threads=effective_n_threads(build["n_jobs"]), **build["limits"])
    return grown[0]
