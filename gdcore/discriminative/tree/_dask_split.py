"""Splits of a forest's large nodes chosen on the client from summed shard histograms.

The compiled builder's rules (``_tree_split.pyx``, ``_tree_cuts.pxd``),
applied to a node's histograms instead of its rows: the same candidate cuts
in the same order (cut positions ascending, missing values right then left,
then "missing alone"), the same boundary-cut rule (Fayyad and Irani), the
same leaf minimums, the same criteria computed with the same floating-point
operations in the same order, and a candidate replaces the best only if
strictly better.  With statistics that are exact in float64 (integer
weights of classes) a node gets the split the builder gives it; otherwise
the sums differ from the builder's by rounding only.

Statistics rows are ``[count, weight, K class weights]`` (classification)
or ``[count, weight, sum w y, sum w y^2]`` (squared error).
"""

import numpy as np

# the compiled builder's constants (_tree_build.pyx, _tree_cuts.pxd)
EPSILON = np.finfo(np.float64).eps
FEATURE_THRESHOLD = 1e-7
INV_LN2 = 1.4426950408889634


class Rules:
    """The forest's criterion and constraints, as the builder resolves them."""

    def __init__(self, classifier, entropy, K, limits, bins, W_root):
        self.classifier, self.entropy, self.K = classifier, entropy, K
        self.msl = limits["min_samples_leaf"]
        self.mss = limits["min_samples_split"]
        self.max_depth = limits["max_depth"]
        self.mid = limits["min_impurity_decrease"]
        self.mwl = limits["min_weight_fraction_leaf"] * W_root
        self.W_root = W_root
        self.bins = bins
        # boundary cuts only (_tree_split.pyx): one-output classification
        # without leaf minimums, on quantile-binned features
        self.runs = classifier and self.msl <= 1 and self.mwl <= 0.0

    def impurity(self, s):
        """Return the impurity of statistics rows ``s`` (..., S), as ``node_stats``."""
        s = np.asarray(s, dtype=np.float64)
        W = s[..., 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            if not self.classifier:
                imp = s[..., 3] / W
                mean = s[..., 2] / W
                return imp - mean * mean
            acc = np.zeros(W.shape)
            for c in range(self.K):
                p = s[..., 2 + c] / W
                if self.entropy:
                    acc = np.where(s[..., 2 + c] > 0.0, acc - p * np.log(p) * INV_LN2, acc)
                else:
                    acc = acc + p * p
            imp = acc if self.entropy else 1.0 - acc
        return np.where(W <= 0.0, 0.0, imp)

    def proxy(self, L, R):
        """scikit-learn's proxy improvement of cuts L | R (``cut_proxy``)."""
        if self.classifier:
            return -(L[..., 1] * self.impurity(L) + R[..., 1] * self.impurity(R))
        with np.errstate(divide="ignore", invalid="ignore"):
            return L[..., 2] * L[..., 2] / L[..., 1] + R[..., 2] * R[..., 2] / R[..., 1]

    def is_leaf(self, total, impurity, depth):
        """Apply the builder's stopping rules, checked before a node is searched."""
        n, W = total[0], total[1]
        return (depth >= self.max_depth or n < self.mss or n < 2 * self.msl
                or W < 2 * self.mwl or impurity <= EPSILON)

    def improvement(self, total, impurity, L, R):
        W = total[1]
        imp_l, imp_r = self.impurity(L), self.impurity(R)
        return (W / self.W_root) * (impurity - R[1] / W * imp_r - L[1] / W * imp_l)

    def threshold(self, f, bl, br):
        """Return the threshold of the cut between bins bl < br (``cut_threshold``)."""
        v = self.bins.table[f]
        if not self.bins.is_exact[f]:
            return float(v[bl])
        thr = v[bl] / 2.0 + v[br] / 2.0
        return float(v[bl]) if thr == v[br] or np.isinf(thr) else float(thr)

    def too_close(self, f, bl, br):
        v = self.bins.table[f]
        return bool(self.bins.is_exact[f]) and bool(v[br] <= v[bl] + FEATURE_THRESHOLD)


def _candidates(rules, total, left, miss, sides):
    """Proxies of cuts with missing values right (then left): shape (cuts, sides)."""
    q = np.full((len(left), sides), -np.inf)
    Ls = []
    for side in range(sides):
        if side == 1 and miss[0] == 0.0:
            break
        L = left + (miss if side == 1 else 0.0)
        R = total - L
        ok = ((L[:, 0] >= rules.msl) & (R[:, 0] >= rules.msl) & (L[:, 1] >= rules.mwl)
              & (R[:, 1] >= rules.mwl) & (L[:, 1] > 0.0) & (R[:, 1] > 0.0))
        if ok.any():
            q[ok, side] = rules.proxy(L[ok], R[ok])
        Ls.append(L)
    return q, Ls


def search_feature(rules, f, hist, total, rng=None):
    """Best cut of feature f from its node histogram: (varies, best or None).

    best = (proxy, bin, threshold, missing_left, L, R).  ``rng``: an
    ExtraTrees draw (one random cut) instead of every cut.
    """
    nb = int(rules.bins.n_bins[f])
    vals, miss = hist[:nb], hist[nb]
    present = np.flatnonzero(vals[:, 0] != 0.0)
    cum = np.cumsum(vals, axis=0)
    if rng is not None:
        if len(present) < 2 or rules.too_close(f, present[0], present[-1]):
            return False, None
        lo, hi = int(present[0]), int(present[-1])
        v = rules.bins.table[f]
        if rules.bins.is_exact[f]:
            thr = v[lo] + rng.random() * (v[hi] - v[lo])
            if thr >= v[hi]:
                thr = v[lo]
            bl = lo + int(np.searchsorted(v[lo:hi + 1], thr, side="right")) - 1
            bl = min(max(bl, lo), hi - 1)
        else:
            bl = lo + int(rng.integers(hi - lo))
            thr = v[bl]
        cuts, thresholds = np.array([bl]), [float(thr)]
        q, Ls = _candidates(rules, total, cum[cuts], miss, 2)
    else:
        varies = len(present) >= 2 or (0.0 < miss[0] < total[0])
        bl, br = present[:-1], present[1:]
        keep = np.ones(len(bl), dtype=bool)
        if rules.bins.is_exact[f]:
            v = rules.bins.table[f]
            keep = ~(v[br] <= v[bl] + FEATURE_THRESHOLD)
        if rules.runs and not rules.bins.is_exact[f] and len(bl):
            one = (vals[:, 2:] > 0.0).sum(axis=1) == 1
            cls = np.where(one, np.argmax(vals[:, 2:] > 0.0, axis=1), -1)
            keep &= ~((cls[br] >= 0) & (cls[br] == cls[bl]))
        cuts, ends = bl[keep], br[keep]
        thresholds = None
        q, Ls = _candidates(rules, total, cum[cuts], miss, 2)
        alone = 0.0 < miss[0] and miss[0] != total[0]
        if alone:
            qa, La = _candidates(rules, total, (total - miss)[None, :], miss, 1)
        if not q.size and not alone:
            return varies, None
    flat = q.ravel()
    best = int(np.argmax(flat)) if flat.size else -1
    best_q = flat[best] if flat.size else -np.inf
    if rng is None and alone and qa[0, 0] > best_q:
        L = La[0][0]
        R = total - L
        return varies, (qa[0, 0], nb - 1, np.inf, False, L, R)
    if rng is not None:
        varies = True
    if not best_q > -np.inf:
        return varies, None
    i, side = divmod(best, q.shape[1])
    L = Ls[side][i]
    R = total - L
    thr = thresholds[i] if thresholds is not None else rules.threshold(f, cuts[i], ends[i])
    missing_left = side == 1 if miss[0] > 0.0 else bool(L[0] > R[0])
    return varies, (best_q, int(cuts[i]), thr, missing_left, L, R)
