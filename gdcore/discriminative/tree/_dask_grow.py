"""Growing a batch of forest trees on the shards: large nodes level by level, small ones whole.

PLANET (Panda et al., VLDB 2009), as Spark MLlib grows its forests: the
open large nodes of every tree of the batch are served by one call to the
shards per level (each shard applies the previous level's splits to its
rows and returns the histograms of the nodes' drawn features; the client
adds them in partition order and picks the splits, ``_dask_split``), so a
batch costs about the depth of its large part in round trips.  A node with
at most ``LOCAL_ROWS`` in-bag rows is grown whole by one worker with the
compiled builder (``_dask_shards.grow_subtree``) and grafted under its
parent; the nodes are numbered in preorder as the builder numbers them.

A node's feature draws and ExtraTrees cut come from a seed derived from the
tree's seed and the node's path from the root (``node_seed``), so a forest
depends neither on the growth order nor on the partitioning or the cluster.
"""

import functools

import numpy as np

from gdcore.discriminative.tree._dask_shards import exact_grids
from gdcore.discriminative.tree._dask_split import EPSILON, Rules, search_feature
from gdcore.discriminative.tree._tree_build import NODE_DTYPE

# Nodes with at most this many in-bag rows are grown whole on one worker:
# their rows (d + 12 bytes each, ~10 MB at d = 40) travel once, worker to
# worker, instead of one round trip per level of their subtree, and the
# compiled builder grows them at its own speed.  Smaller spreads a tree over
# more tasks (and more levels of round trips); larger gathers more bytes per
# task and leaves fewer tasks to spread over the workers.  Measured by the
# RandomForestClassifier case of `gdcore bench dask`.
LOCAL_ROWS = 200_000


def node_seed(tree_seed, key):
    """Return the seed of node ``key`` (1 the root, 2k and 2k + 1 node k's children)."""
    return np.random.SeedSequence(int(tree_seed), spawn_key=(int(key),))


class _Node:
    __slots__ = ("tree", "key", "depth", "total", "impurity", "rng", "perm", "pos",
                 "visited", "varying", "best", "split", "children", "sub")

    def __init__(self, tree, key, depth, total=None, rules=None):
        self.tree, self.key, self.depth = tree, key, depth
        self.split = self.children = self.sub = self.rng = self.best = None
        self.visited = self.varying = 0
        self.total = self.impurity = None
        if total is not None:
            self.set_total(total, rules)

    def set_total(self, total, rules):
        self.total = np.asarray(total, dtype=np.float64)
        self.impurity = float(rules.impurity(self.total))


class BatchGrower:
    """The trees of one batch: ``grow()`` returns their node arrays, values and depths."""

    def __init__(self, ctx, trees):
        self.ctx, self.trees = ctx, trees     # trees: (key, seed) pairs
        self.seeds = dict(trees)
        self.rules, self.roots = {}, {}
        self.open, self.ops = [], []
        self.waiting, self.ready, self.futures, self.submitted = [], [], [], []

    # -- decisions ------------------------------------------------------------

    def _decide(self, node):
        """Make a new node a leaf, a subtree for one worker, or open (histograms asked)."""
        rules = self.rules[node.tree]
        if rules.is_leaf(node.total, node.impurity, node.depth):
            return
        if node.total[0] <= LOCAL_ROWS:
            self.waiting.append(node)
            return
        self._open(node)

    def _open(self, node):
        ctx = self.ctx
        node.rng = np.random.default_rng(node_seed(self.seeds[node.tree], node.key))
        if ctx.mtry >= ctx.d and not ctx.random_splitter:
            node.perm = np.arange(ctx.d)
        else:
            node.perm = node.rng.permutation(ctx.d)
        node.pos = 0
        self.open.append(node)

    def _chunk(self, node):
        step = self.ctx.d if node.pos == 0 and self.ctx.mtry >= self.ctx.d else self.ctx.mtry
        return node.perm[node.pos: node.pos + step]

    def _search(self, node, features, hist):
        """Visit the features as the builder does; True once the node is decided."""
        ctx, rules = self.ctx, self.rules[node.tree]
        rng = node.rng if ctx.random_splitter else None
        for j, f in enumerate(features):
            varies, cand = search_feature(rules, int(f), hist[j], node.total, rng)
            node.visited += 1
            node.varying += bool(varies)
            if cand is not None and (node.best is None or cand[0] > node.best[1][0]):
                node.best = (int(f), cand)
            if node.visited >= ctx.mtry and node.varying > 0:
                return True
        node.pos += len(features)
        return node.pos >= ctx.d

    def _finish(self, node):
        rules = self.rules[node.tree]
        if node.best is None:
            return
        f, (_, b, thr, missing_left, L, R) = node.best
        if rules.improvement(node.total, node.impurity, L, R) + EPSILON < rules.mid:
            return
        node.split = (f, thr, missing_left)
        self.ops.append(("split", node.tree, node.key, f, b, missing_left))
        node.children = (_Node(node.tree, 2 * node.key, node.depth + 1, L, rules),
                         _Node(node.tree, 2 * node.key + 1, node.depth + 1, R, rules))
        for child in node.children:
            self._decide(child)

    # -- rounds -----------------------------------------------------------------

    def grow(self):
        ctx = self.ctx
        starts = ctx.shards.start(self.trees)
        self.grids = {}
        for t, (key, _) in enumerate(self.trees):
            count = sum(s[t][0] for s in starts)
            if not ctx.exact_as_is:
                maxabs = functools.reduce(np.maximum, [s[t][1] for s in starts])
                self.grids[key] = exact_grids(count, maxabs)
            if count == 0:
                # only with scikit-learn < 1.9, which draws bootstrap rows
                # uniformly, then weighs them: all drawn rows of weight zero
                raise ValueError(f"Tree {key}'s bootstrap sample holds only rows of weight "
                                 "zero: drop the zero-weight rows from X, or compute X "
                                 "into memory.")
            root = self.roots[key] = _Node(key, 1, 0)
            if count > LOCAL_ROWS:
                self._open(root)
            else:
                self.waiting.append(root)
        try:
            self._rounds()
            return [self._assemble(self.roots[key]) for key, _ in self.trees]
        finally:
            ctx.shards.end([key for key, _ in self.trees])

    def _rounds(self):
        ctx = self.ctx
        while True:
            # every subtree decided so far has its rows in one range once the
            # queued splits are applied: after this call
            self.ready, self.waiting = self.waiting, []
            asked = [(node, self._chunk(node)) for node in self.open]
            ops = self.ops + [("hist", n.tree, n.key, feats, self.grids.get(n.tree))
                              for n, feats in asked]
            self.ops, self.open = [], []
            if not ops:
                self._submit(self.ready)
                break
            outputs = ctx.shards.run(ops)
            self._submit(self.ready)
            for i, (node, feats) in enumerate(asked):
                # each level's sums are exact: added in any order (the groups'
                # sums here), then the levels in order
                levels = functools.reduce(np.add, [o[i] for o in outputs])
                hist = functools.reduce(np.add, levels)
                if node.total is None:
                    self._root_total(node, levels)
                    if self.rules[node.tree].is_leaf(node.total, node.impurity, 0):
                        continue
                if self._search(node, feats, hist):
                    self._finish(node)
                else:
                    self.open.append(node)
        for node, result in zip(self.submitted, ctx.shards.gather(self.futures)):
            node.sub = result

    def _root_total(self, root, levels):
        """Set the root's statistics: its first feature's bins added (exact per level)."""
        total = functools.reduce(np.add, levels[:, 0].sum(axis=1))
        self.rules[root.tree] = Rules(self.ctx.classifier, self.ctx.entropy, self.ctx.K,
                                      self.ctx.limits, self.ctx.bins, float(total[1]))
        root.set_total(total, self.rules[root.tree])

    def _submit(self, nodes):
        ctx = self.ctx
        for node in nodes:
            seed = self.seeds[node.tree]
            limits = dict(ctx.limits)
            if node.depth:
                limits["max_depth"] -= node.depth
                # the builder scales these by the subtree's total weight
                scale = self.rules[node.tree].W_root / node.total[1]
                limits["min_weight_fraction_leaf"] *= scale
                limits["min_impurity_decrease"] *= scale
            sub_seed = int(node_seed(seed, node.key).generate_state(1, np.uint64)[0])
            build = dict(K=ctx.K, criterion=ctx.criterion, seed=sub_seed,
                         n_jobs=ctx.n_jobs, limits=limits)
            self.futures.append(ctx.shards.subtree(node.tree, node.key, build))
            self.submitted.append(node)

    # -- assembly -------------------------------------------------------------------

    def _assemble(self, root):
        """Return the node array in preorder (the builder's numbering), values, depth."""
        pieces, values, depth = [], [], [0]
        count = [0]

        def emit(node):
            first = count[0]
            if node.sub is not None:
                nodes, vals, sub_depth = node.sub
                nodes = nodes.copy()
                inner = nodes["left_child"] >= 0
                nodes["left_child"][inner] += first
                nodes["right_child"][inner] += first
                pieces.append(nodes)
                values.append(vals)
                count[0] += len(nodes)
                depth[0] = max(depth[0], node.depth + int(sub_depth))
                return first
            rec = np.zeros(1, dtype=NODE_DTYPE)
            rec["left_child"] = rec["right_child"] = -1
            rec["feature"], rec["threshold"] = -2, -2.0
            rec["impurity"] = node.impurity
            rec["n_node_samples"] = int(node.total[0])
            rec["weighted_n_node_samples"] = node.total[1]
            pieces.append(rec)
            t = node.total
            values.append(t[None, 2:2 + self.ctx.K] if self.ctx.classifier
                          else np.array([[t[2] / t[1]]]))
            count[0] += 1
            depth[0] = max(depth[0], node.depth)
            if node.split is not None:
                f, thr, missing_left = node.split
                rec["feature"], rec["threshold"] = f, thr
                rec["missing_go_to_left"] = missing_left
                rec["left_child"] = emit(node.children[0])
                rec["right_child"] = emit(node.children[1])
            return first

        emit(root)
        return np.concatenate(pieces), np.concatenate(values, axis=0), depth[0]
