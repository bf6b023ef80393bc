"""NumPy twin of ``gdcore.discriminative.tree._tree_build``: the same trees, grown in Python.

Depth first (preorder ids) or best first (``max_leaf_nodes``), the same
splitmix64 streams per tree (feature draws from the seed, bootstrap counts
from the seed xor BOOTSTRAP_STREAM), the same stopping rules.  Splits come
from ``tree_split.search_feature``, so the histogram subtraction of the
kernel is not modelled: it changes sums only by rounding.
"""

import heapq

import numpy as np

from gdcore.discriminative.tree._reference import tree_split as ts

EPSILON = np.finfo(np.float64).eps
BOOTSTRAP_STREAM = 0x9E3779B97F4A7C15
NODE_FIELDS = ["left_child", "right_child", "feature", "threshold", "impurity",
               "n_node_samples", "weighted_n_node_samples", "missing_go_to_left"]


def bootstrap_counts(seed, n, n_draw, draw_cum=None):
    """Count each row's draws: uniform, or by weight (draw_cum: running sums).

    A draw by weight picks the first row whose running sum exceeds a uniform
    draw on [0, total).
    """
    rng, counts = [int(seed) ^ BOOTSTRAP_STREAM], np.zeros(n)
    for _ in range(n_draw):
        if draw_cum is None:
            counts[ts.rng_next(rng) % n] += 1.0
            continue
        total = draw_cum[-1]
        u = min((ts.rng_next(rng) >> 11) * (1.0 / 9007199254740992.0) * total,
                np.nextafter(total, 0.0))
        counts[np.searchsorted(draw_cum, u, side="right")] += 1.0
    return counts


class _Grower:
    def __init__(self, codes, n_bins, table, is_exact, y_cls, y_reg, class_offset, K,
                 criterion, w, rng, p):
        self.__dict__.update(codes=codes, n_bins=n_bins, table=table, is_exact=is_exact,
                             y_cls=y_cls, y_reg=y_reg, class_offset=class_offset, K=K,
                             criterion=criterion, w=w, rng=rng, p=p)
        self.n_outputs = (y_cls if y_cls is not None else y_reg).shape[1]
        self.d = codes.shape[0]
        self.features = list(range(self.d))
        self.nodes, self.values, self.max_depth = [], [], 0
        self.W_root = w.sum()
        self.min_weight_leaf = p["min_weight_fraction_leaf"] * self.W_root

    def stats(self, rows):
        s = ts.sample_stats(self.y_cls, self.y_reg, self.class_offset, self.K, rows, self.w)
        total = s.sum(axis=0)
        imp = ts.node_impurity(s, self.y_reg, rows, self.w, total, self.class_offset, self.K,
                               self.n_outputs, self.criterion)
        return s, total, imp

    def split(self, rows, depth):
        """(total, impurity, split or None, left rows, right rows, improvement)."""
        p = self.p
        s, total, imp = self.stats(rows)
        n = len(rows)
        if (depth >= p["max_depth"] or n < p["min_samples_split"]
                or n < 2 * p["min_samples_leaf"] or total[1] < 2 * self.min_weight_leaf
                or imp <= EPSILON):
            return total, imp, None, None, None, 0.0
        best = [None, -np.inf]
        method = 2 if p["random_splitter"] else 1
        args = (self.codes, self.n_bins, self.table, self.is_exact, self.class_offset, self.K,
                self.n_outputs, self.criterion, rows, s, total, p["min_samples_leaf"],
                self.min_weight_leaf, method, self.rng)
        if p["max_features"] >= self.d and not p["random_splitter"]:
            for f in range(self.d):
                ts.search_feature(*args, f, best)
        else:
            visited = varying = 0
            for j in range(self.d):
                k = j + ts.rng_next(self.rng) % (self.d - j)
                self.features[j], self.features[k] = self.features[k], self.features[j]
                varying += ts.search_feature(*args, self.features[j], best)
                visited += 1
                if visited >= p["max_features"] and varying > 0:
                    break
        sp = best[0]
        if sp is None:
            return total, imp, None, None, None, 0.0
        f, bl, thr, miss_left, _, _ = sp
        c = self.codes[f, rows].astype(np.int64)
        go_left = np.where(c == self.n_bins[f], miss_left, c <= bl)
        left, right = rows[go_left], rows[~go_left]
        _, tl, il = self.stats(left)
        _, tr, ir = self.stats(right)
        W = total[1]
        improvement = (W / self.W_root) * (imp - tr[1] / W * ir - tl[1] / W * il)
        if improvement + EPSILON < p["min_impurity_decrease"]:
            return total, imp, None, None, None, 0.0
        return total, imp, sp, left, right, improvement

    def add(self, parent, is_left, sp, total, imp, n, depth):
        node = self.leaf_node(total, imp, n) if sp is None else self.split_node(sp, total, imp, n)
        self.nodes.append(node)
        self.values.append(total[2:] if self.y_cls is not None else total[2:] / total[1])
        nid = len(self.nodes) - 1
        if parent >= 0:
            self.nodes[parent][0 if is_left else 1] = nid
        self.max_depth = max(self.max_depth, depth)
        return nid

    @staticmethod
    def leaf_node(total, imp, n):
        return [-1, -1, -2, -2.0, imp, n, total[1], 0]

    @staticmethod
    def split_node(sp, total, imp, n):
        return [-1, -1, sp[0], sp[2], imp, n, total[1], int(sp[3])]

    def depth_first(self, rows, depth=0, parent=-1, is_left=False):
        total, imp, sp, left, right, _ = self.split(rows, depth)
        nid = self.add(parent, is_left, sp, total, imp, len(rows), depth)
        if sp is not None:
            self.depth_first(left, depth + 1, nid, True)
            self.depth_first(right, depth + 1, nid, False)

    def best_first(self, rows):
        heap, order = [], 0

        def create(rows, depth, parent, is_left):
            nonlocal order
            total, imp, sp, left, right, gain = self.split(rows, depth)
            nid = self.add(parent, is_left, None, total, imp, len(rows), depth)
            if sp is not None:
                heapq.heappush(heap, (-gain, order, nid, sp, left, right, depth))
                order += 1

        create(rows, 0, -1, False)
        for _ in range(self.p["max_leaf_nodes"] - 1):
            if not heap:
                break
            _, _, nid, sp, left, right, depth = heapq.heappop(heap)
            self.nodes[nid][2], self.nodes[nid][3], self.nodes[nid][7] = sp[0], sp[2], int(sp[3])
            create(left, depth + 1, nid, True)
            create(right, depth + 1, nid, False)


def _balanced_factors(y_cls, class_offset, K, counts, n_draw):
    """Per row, the product over outputs of n_draw / (classes drawn * draws of its class)."""
    factor = np.ones(len(counts))
    for o in range(y_cls.shape[1]):
        k = (class_offset[o + 1] if o + 1 < len(class_offset) else K) - class_offset[o]
        drawn = np.bincount(y_cls[:, o], weights=counts, minlength=k)
        with np.errstate(divide="ignore"):
            per_class = np.where(drawn > 0, n_draw / (np.count_nonzero(drawn) * drawn), 0.0)
        factor *= per_class[y_cls[:, o]]
    return factor


def build_trees(codes8, codes32, n_bins, table, is_exact, y_cls, y_reg, class_offset, K,
                criterion, weight, seeds, max_depth, min_samples_split, min_samples_leaf,
                min_weight_fraction_leaf, max_features, max_leaf_nodes, min_impurity_decrease,
                random_splitter, n_draw, n_threads, balanced_subsample=False, draw_cum=None):
    from gdcore.discriminative.tree._tree_build import NODE_DTYPE
    codes = codes8 if codes8 is not None else codes32
    p = dict(max_depth=max_depth, min_samples_split=min_samples_split,
             min_samples_leaf=min_samples_leaf, min_weight_fraction_leaf=min_weight_fraction_leaf,
             max_features=max_features, max_leaf_nodes=max_leaf_nodes,
             min_impurity_decrease=min_impurity_decrease, random_splitter=random_splitter)
    out = []
    for seed in seeds:
        rng = [int(seed)]
        w = np.asarray(weight, dtype=np.float64).copy()
        if n_draw > 0:
            counts = bootstrap_counts(seed, len(w), n_draw, draw_cum)
            w = counts.copy() if draw_cum is not None else w * counts
            if balanced_subsample and y_cls is not None:
                w *= _balanced_factors(y_cls, class_offset, K, counts, n_draw)
        g = _Grower(codes, n_bins, table, is_exact, y_cls, y_reg, class_offset, K, criterion,
                    w, rng, p)
        rows = np.flatnonzero(w != 0)
        if max_leaf_nodes > 0:
            g.best_first(rows)
        else:
            g.depth_first(rows)
        nodes = np.zeros(len(g.nodes), dtype=NODE_DTYPE)
        for i, rec in enumerate(g.nodes):
            nodes[i] = tuple(rec)
        out.append((nodes, np.array(g.values).reshape(len(g.nodes), K), g.max_depth))
    return out
