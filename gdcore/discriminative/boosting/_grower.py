"""Leaf-wise (best-first) growth of one boosting tree on the compiled kernels.

The grower keeps the splittable leaves in a heap keyed by their best split's
gain and always splits the best one (Shi 2007; LightGBM's leaf-wise growth),
until ``max_leaf_nodes`` leaves, ``max_depth``, or no leaf has a positive
gain.  Per split: the node's rows are partitioned in place
(``_boosting_rows.partition``, from the node's row array into the
other one), the smaller child's histograms are built from
its rows and the larger child's are the parent's minus the smaller's
(``_boosting_hist``), then each child's best split is found
(``_boosting_split``: a threshold of a numerical feature or a set of
categories of a categorical one, which the partition reads as a bitset).
The order of operations, the monotonic bounds (children of a constrained
split are bounded by the midpoint of their two values), the
interaction-constraint sets and the tie-breaking are scikit-learn's
``grower.py``, so both grow the same tree from the same gradients.  The
tree is returned as flat node arrays in depth-first order.
"""

from heapq import heappop, heappush

import numpy as np

from gdcore.discriminative.boosting import _boosting_hist, _boosting_rows, _boosting_split

# Bins scanned per node below which the split search runs on one thread: the
# scan takes microseconds, less than waking a second thread on a busy
# machine.  Measured by `gdcore bench boosting`.
MIN_PARALLEL_SCAN = 1 << 16

# the ``left_bits`` of a numerical split (``_boosting_rows.partition``)
NUMERICAL = np.zeros(0, dtype=np.uint32)


class _Node:
    """One node while growing: its rows are ``start:stop`` of row array ``side``.

    Side 0 is the grower's ``rows``, side 1 its ``buffer``.
    """

    __slots__ = ("depth", "start", "stop", "side", "g", "h", "value", "lower", "upper",
                 "hist", "split", "left", "right", "is_leaf", "allowed", "cst_sets")

    def __init__(self, depth, start, stop, g, h, value, side=0):
        self.depth, self.start, self.stop, self.side = depth, start, stop, side
        self.g, self.h, self.value = g, h, value
        self.lower, self.upper = -np.inf, np.inf
        self.hist = self.split = self.left = self.right = None
        self.is_leaf = False
        self.allowed = None
        self.cst_sets = None

    @property
    def n(self):
        return self.stop - self.start

    def __lt__(self, other):
        # heapq pops the smallest: the largest gain first (scikit-learn's order)
        return self.split[0] > other.split[0]


class TreeGrower:
    """Grow one tree on the gradients of one output.

    Parameters
    ----------
    data : dict
        ``codes`` (d, n) bin codes, ``n_bins`` (d,) int32 non-missing bins,
        ``missing_code`` (d,) uint32, ``has_missing`` (d,) uint8,
        ``is_categorical`` (d,) uint8 (categorical features: codes are categories),
        ``monotonic_cst`` (d,) int8, ``interaction_cst`` (list of sets or
        None).
    rows : ndarray of int32
        The rows this tree is grown on (all rows, or a subsample); partitioned
        in place.
    gradients, hessians : ndarray of float32
        Per row; ``hessians`` is ignored when ``constant_hessian``.
    features : ndarray of int32
        The features this tree may split on (``colsample_bytree``).
    params : dict
        ``max_leaf_nodes``, ``max_depth``, ``min_samples_leaf``, ``l2``,
        ``min_hessian``, ``shrinkage``, ``feature_fraction`` (per split),
        ``rng`` (numpy Generator for the per-split feature draw).
    """

    def __init__(self, data, rows, all_rows, gradients, hessians, constant_hessian,
                 features, params, n_threads):
        self.d = data
        self.rows, self.all_rows = rows, all_rows
        self.buffer = np.empty_like(rows)
        self.g, self.hs = gradients, hessians
        self.constant_hessian = constant_hessian
        self.features = features
        self.p = params
        self.n_threads = n_threads
        self.n_bins_total = int(data["n_bins"].max(initial=0)) + 1
        self.splittable, self.leaves = [], []
        # histograms of finished nodes, reused: a node's (d, B, 3) array is
        # too large for the allocator to keep, and each new one would fault
        # in fresh pages
        self.free_hists = []
        self.with_cst = bool(np.any(data["monotonic_cst"] != 0))
        self.any_categorical = bool(np.any(data["is_categorical"]))
        m, d = len(rows), len(data["n_bins"])
        # one layout for every node of the tree, by the histograms' size
        self.rowwise = _boosting_hist.rowwise(d, self.n_bins_total, constant_hessian)
        # every node's scratch histograms (``build_rowwise``, ``build_root``)
        self.scratch = np.empty(d * self.n_bins_total * 4 + 8)
        if not self.rowwise:  # the gradients in each node's row order
            self.ordered_g = np.empty(m, dtype=gradients.dtype)
            self.ordered_h = np.empty(m, dtype=gradients.dtype)

    def _hist(self, node, features):
        hist = self._new_hist()
        rows = self._rows(node.side)[node.start:node.stop]
        all_rows = self.all_rows and node.start == 0 and node.n == len(self.g)
        counts = self.d.get("root_counts") if all_rows else None
        if counts is not None and counts[1][features].all():
            _boosting_hist.build_root(self.d["codes"], self.g, self.hs, self.constant_hessian,
                                      features, counts[0], self.scratch, hist, self.n_threads)
            return hist
        args = (rows, all_rows, self.g, self.hs, self.constant_hessian, features)
        if self.rowwise:
            _boosting_hist.build_rowwise(self.d["codes_rows"], *args, self.scratch, hist,
                                         self.n_threads)
        else:
            _boosting_hist.build(self.d["codes"], *args, self.ordered_g[:node.n],
                                 self.ordered_h[:node.n], hist, self.n_threads)
        if all_rows:  # every later tree's root counts the same rows
            if counts is None:
                counts = self.d["root_counts"] = (np.zeros(hist.shape[:2]),
                                                  np.zeros(len(hist), dtype=bool))
            counts[0][features] = hist[features, :, 2]
            counts[1][features] = True
        return hist

    def _new_hist(self):
        """Return a (d, B, 3) array for a node's histograms, a freed one when there is."""
        if self.free_hists:
            return self.free_hists.pop()
        return np.empty((len(self.d["n_bins"]), self.n_bins_total, 3))

    def _release(self, node):
        """Give the node's histograms back for the next node to reuse."""
        if node.hist is not None:
            self.free_hists.append(node.hist)
            node.hist = None

    def _allowed(self, node):
        """Features the node may split on: the tree's, the interaction sets', a draw."""
        feats = self.features if node.allowed is None else node.allowed
        frac = self.p["feature_fraction"]
        if frac < 1.0:
            k = max(1, int(np.ceil(frac * len(feats))))
            mask = np.zeros(len(feats), dtype=bool)
            mask[:k] = True
            self.p["rng"].shuffle(mask)
            feats = feats[mask]
        return np.ascontiguousarray(feats, dtype=np.int32)

    def grow(self):
        """Grow the tree; return its node arrays (see ``_flatten``)."""
        n = len(self.rows)
        cst = self.d["interaction_cst"]
        root_feats = self.features
        if cst is not None:
            allowed = sorted(set().union(*cst))
            root_feats = np.array([f for f in allowed if f in set(self.features.tolist())],
                                  dtype=np.int32)
        root = _Node(0, 0, n, 0.0, 0.0, 0.0)
        if cst is not None:
            root.allowed, root.cst_sets = root_feats, list(range(len(cst)))
        hist_feats = root_feats if len(root_feats) else self.features[:1]
        root.hist = self._hist(root, hist_feats)
        if len(hist_feats):
            f0 = hist_feats[0]
            root.g = float(root.hist[f0, :, 0].sum())
            root.h = float(n if self.constant_hessian else root.hist[f0, :, 1].sum())
        self.root = root
        if n < 2 * self.p["min_samples_leaf"] or root.h < self.p["min_hessian"] \
                or not len(hist_feats):
            self._finalize(root)
        else:
            self._push(root)
        while self.splittable:
            self._split_next()
        for leaf in self.leaves:  # every leaf's rows into ``rows``, for the caller
            if leaf.side:
                self.rows[leaf.start:leaf.stop] = self.buffer[leaf.start:leaf.stop]
        return self._flatten()

    def _finalize(self, node):
        node.is_leaf = True
        self._release(node)
        self.leaves.append(node)

    def _push(self, node):
        feats = self._allowed(node)
        k = len(feats)
        if k == 0:
            self._finalize(node)
            return
        gain = np.empty(k)
        bins = np.zeros(k, dtype=np.int32)
        mleft = np.empty(k, dtype=np.uint8)
        left = np.empty((k, 3))
        bits = None
        p = self.p
        common = (float(node.n), node.g, node.h, node.value, node.lower, node.upper, p["l2"],
                  p["min_hessian"], float(p["min_samples_leaf"]), 0.0, self.constant_hessian)
        if not self.any_categorical:  # the kernel writes the outputs in place
            self._numerical(node, feats, common, (gain, bins, mleft, left))
            is_cat = None
        else:
            is_cat = self.d["is_categorical"][feats].astype(bool)
            num, cat = np.flatnonzero(~is_cat), np.flatnonzero(is_cat)
            if len(num):
                out = (np.empty(len(num)), np.empty(len(num), np.int32),
                       np.empty(len(num), np.uint8), np.empty((len(num), 3)))
                self._numerical(node, np.ascontiguousarray(feats[num]), common, out)
                gain[num], bins[num], mleft[num], left[num] = out
            if len(cat):
                bits = np.zeros((k, 8), dtype=np.uint32)
                out = (np.empty(len(cat)), np.empty(len(cat), np.uint8),
                       np.empty((len(cat), 3)), np.zeros((len(cat), 8), np.uint32))
                _boosting_split.best_categorical_splits(
                    node.hist, np.ascontiguousarray(feats[cat]), self.d["n_bins"],
                    self.d["has_missing"], *common, *out,
                    self.n_threads if len(cat) * self.n_bins_total >= MIN_PARALLEL_SCAN else 1)
                gain[cat], mleft[cat], left[cat], bits[cat] = out
        # the first best feature in the candidates' order (scikit-learn's tie-breaking)
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            self._finalize(node)
            return
        node.split = (float(gain[j]), int(feats[j]), int(bins[j]), bool(mleft[j]),
                      float(left[j, 0]), float(left[j, 1]), int(left[j, 2]),
                      bits[j].copy() if bits is not None and is_cat[j] else NUMERICAL)
        heappush(self.splittable, node)

    def _numerical(self, node, feats, common, out):
        """Best numerical split of each of feats into out (gain, bin, missing_left, left)."""
        _boosting_split.best_splits(
            node.hist, feats, self.d["n_bins"], self.d["has_missing"],
            self.d["monotonic_cst"], *common, *out,
            self.n_threads if len(feats) * self.n_bins_total >= MIN_PARALLEL_SCAN else 1)

    def _split_next(self):
        node = heappop(self.splittable)
        _, f, b, mleft, gl, hl, nl, bits = node.split
        p = self.p
        node_value = _value_bounded
        depth = node.depth + 1
        # the split's left count is the partition's (both count the same rows),
        # so every decision below is taken before the rows move
        # the partition writes the children's rows into the other array
        left = _Node(depth, node.start, node.start + nl, gl, hl,
                     node_value(gl, hl, node.lower, node.upper, p["l2"]), 1 - node.side)
        gr, hr = node.g - gl, node.h - hl
        right = _Node(depth, node.start + nl, node.stop, gr, hr,
                      node_value(gr, hr, node.lower, node.upper, p["l2"]), 1 - node.side)
        node.left, node.right = left, right
        if self.d["interaction_cst"] is not None:
            sets, allowed = [], set()
            for i in node.cst_sets:
                if f in self.d["interaction_cst"][i]:
                    sets.append(i)
                    allowed.update(self.d["interaction_cst"][i])
            feats = np.array(sorted(allowed & set(self.features.tolist())), dtype=np.int32)
            left.allowed = right.allowed = feats
            left.cst_sets = right.cst_sets = sets
        if not self.d["has_missing"][f]:
            # no NaN in training: unseen NaN follows the larger child
            node.split = node.split[:3] + (left.n > right.n,) + node.split[4:]
        n_leaves = len(self.leaves) + len(self.splittable) + 2
        if p["max_leaf_nodes"] is not None and n_leaves == p["max_leaf_nodes"]:
            self._partition(node, None)
            self._finalize(left)
            self._finalize(right)
            while self.splittable:
                self._finalize(self.splittable.pop())
            self._release(node)
            return
        if p["max_depth"] is not None and depth == p["max_depth"]:
            self._partition(node, None)
            self._finalize(left)
            self._finalize(right)
            self._release(node)
            return
        for child in (left, right):
            if child.n < 2 * p["min_samples_leaf"]:
                self._finalize(child)
        if self.with_cst:
            self._bound_children(node, left, right, f)
        if left.is_leaf and right.is_leaf:
            self._partition(node, None)
        else:
            small, large = (left, right) if left.n < right.n else (right, left)
            feats = self._hist_features(small)
            _, early = self._partition(node, feats)
            small.hist = self._hist(small, feats) if early is None else early
            _boosting_hist.subtract(node.hist, small.hist, feats, self.n_threads)
            large.hist, node.hist = node.hist, None  # the parent's, turned into the sibling's
            for child in (left, right):
                if not child.is_leaf:
                    self._push(child)
        self._release(node)
        for child in (left, right):
            if child.is_leaf:
                self._release(child)

    def _partition(self, node, small_features):
        """Write the node's rows into the other row array, left ones first; return (n_left, early).

        The rows going left by ``node.split`` come first, each side in row order.

        ``small_features`` is None when neither child needs histograms, else
        the features of the smaller child's (``node.left`` when it has fewer
        rows, else ``node.right``).  ``early`` is None, and the caller builds
        them with ``_hist``; an override may return them built in the same
        pass over the rows (``_new_hist`` array, rows ``small_features``).
        """
        _, f, b, mleft, _, _, nl, bits = node.split
        lo, hi = node.start, node.stop
        n_left = _boosting_rows.partition(
            self.d["codes"], self._rows(node.side)[lo:hi], self._rows(1 - node.side)[lo:hi],
            f, b, int(self.d["missing_code"][f]), mleft, bits, nl, self.n_threads)
        return n_left, None

    def _rows(self, side):
        """Return the row array the nodes of this side keep their rows in."""
        return self.buffer if side else self.rows

    def _hist_features(self, node):
        feats = self.features if node.allowed is None else node.allowed
        return np.ascontiguousarray(feats, dtype=np.int32)

    def _bound_children(self, node, left, right, f):
        cst = self.d["monotonic_cst"][f]
        if cst == 0:
            lo_l = lo_r = node.lower
            up_l = up_r = node.upper
        else:
            mid = (left.value + right.value) / 2
            if cst == 1:
                lo_l, up_l, lo_r, up_r = node.lower, mid, mid, node.upper
            else:
                lo_l, up_l, lo_r, up_r = mid, node.upper, node.lower, mid
        left.lower, left.upper = lo_l, up_l
        right.lower, right.upper = lo_r, up_r

    def _flatten(self):
        """Node arrays in depth-first order (scikit-learn's predictor order).

        Returns a dict of ``left``, ``right`` (int32, -1 at leaves),
        ``feature`` (int32), ``bin`` (uint32), ``missing_left`` (uint8),
        ``value`` (float64, shrunk at leaves), ``count`` (float64), ``gain``
        (float64, 0 at leaves), ``is_cat`` (uint8) and ``cat_bits`` ((nodes, 8)
        uint32, the codes going left of a categorical split),
        ``leaf_start``/``leaf_stop`` (int64 slices of the partitioned rows, -1
        at inner nodes).
        """
        order, stack = [], [self.root]
        while stack:
            nd = stack.pop()
            order.append(nd)
            if not nd.is_leaf:
                stack.append(nd.right)
                stack.append(nd.left)
        ids = {id(nd): i for i, nd in enumerate(order)}
        m = len(order)
        out = dict(left=np.full(m, -1, np.int32), right=np.full(m, -1, np.int32),
                   feature=np.zeros(m, np.int32), bin=np.zeros(m, np.uint32),
                   missing_left=np.zeros(m, np.uint8), value=np.zeros(m),
                   count=np.zeros(m), gain=np.zeros(m), is_cat=np.zeros(m, np.uint8),
                   cat_bits=np.zeros((m, 8), np.uint32),
                   leaf_start=np.full(m, -1, np.int64), leaf_stop=np.full(m, -1, np.int64))
        shrink = self.p["shrinkage"]
        for i, nd in enumerate(order):
            out["count"][i] = nd.n
            if nd.is_leaf:
                out["value"][i] = nd.value * shrink
                out["leaf_start"][i], out["leaf_stop"][i] = nd.start, nd.stop
            else:
                out["value"][i] = nd.value
                out["left"][i], out["right"][i] = ids[id(nd.left)], ids[id(nd.right)]
                out["gain"][i] = nd.split[0]
                out["feature"][i], out["bin"][i] = nd.split[1], nd.split[2]
                out["missing_left"][i] = nd.split[3]
                if len(nd.split[7]):
                    out["is_cat"][i], out["cat_bits"][i] = 1, nd.split[7]
        return out


def _value_bounded(g, h, lower, upper, l2):
    """-G / (H + l2) clipped to [lower, upper] (``_boosting_split.node_value``)."""
    v = -g / (h + l2 + 1e-15)
    return min(max(v, lower), upper)
