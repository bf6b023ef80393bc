"""Split finding for decision trees: criteria, histograms, exact and random splits.

A node's samples are ``idx[start:end]``.  Every finder accumulates, left to
right along one feature, the statistics ``[count, weight, K target sums]``
(K = the weighted class counts of every output, or the weighted target sums
for regression) and asks ``proxy`` how good each cut is.  ``proxy`` is
scikit-learn's proxy impurity improvement (Breiman et al., CART, 1984): for
gini/entropy ``-(W_L * imp_L + W_R * imp_R)``, for squared error
``sum_k S_Lk^2 / W_L + S_Rk^2 / W_R``, for Poisson
``sum_k S_Lk log(S_Lk / W_L) + S_Rk log(S_Rk / W_R)``; larger is better,
and only a strictly larger one replaces the best so far, as in scikit-learn.

Three finders, all O(1) per candidate cut:

- ``scan_histogram`` (``max_bins`` an int, the default): the node's histogram
  of one feature over its <= 256 bins, built by ``feature_histogram`` in one
  pass over the node's samples, O(n_node + bins) per feature (Ke et al.,
  LightGBM, NIPS 2017).  The builder gets the larger child's histogram as
  parent minus smaller child, so only the smaller side's samples are read.
- ``scan_sorted`` (``max_bins=None``, and small nodes in histogram mode): the
  node's codes of one feature (ranks of the distinct values) sorted,
  O(n_node log n_node) as scikit-learn's BestSplitter sorts the values, or
  O(n_node + 256) by counting sort for one-byte codes.  Same cuts, same
  thresholds as the histogram scan.
- ``random_split`` (ExtraTrees, Geurts et al. 2006): one threshold drawn
  uniformly between the node's smallest and largest value, O(n_node).

For one-output classification on quantile bins without leaf minimums, both
scans evaluate only boundary cuts (Fayyad and Irani, Machine Learning, 1992): a cut
between two codes whose samples are all of one class is skipped, since the
weighted impurity is concave along such a run and the run's ends (evaluated)
are never worse; the chosen split is the same.  The cut evaluation itself
(criteria, thresholds, missing sides) is ``_tree_cuts.pxd``; sorting,
``_tree_sort.pxd``.

Missing values (NaN, code ``n_bins[f]``) are tried on both sides of every
cut, plus the cut "all values left, missing right" (threshold +inf), as
scikit-learn >= 1.3 does.  A cut between two distinct values a < b gets
scikit-learn's threshold a/2 + b/2 (a if that rounds to b); a cut between
quantile bins gets the bin edge.  NumPy twin:
``gdcore/discriminative/tree/_reference/tree_split.py``.
"""

import numpy as np

from libc.math cimport INFINITY, NAN, log
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from gdcore._cy._prefetch cimport GDCORE_PREFETCH

from gdcore.discriminative.tree._tree_cuts cimport (
    bin_class, clf_impurity, consider_cut, consider_missing_alone, cut_proxy, too_close,
)
from gdcore.discriminative.tree._tree_sort cimport group_class, radix_sort_keys, sort_keys

# Nodes with at least this many values sort by radix (a pass per code byte)
# instead of quicksort: a radix pass costs O(n + 256) whatever n, so it only
# beats the quicksort's O(n log n) once n is well above the 256 buckets.
cdef Py_ssize_t RADIX_MIN = 256
# Nodes of at most SORT_SMALL values sort their one-byte codes by insertion
# (sort_keys) instead of counting: a counting sort's clear and prefix sum
# over every bin cost more than an insertion sort of so few keys, and a fully
# grown tree's deepest nodes are that small.  Measured by `gdcore bench tree`
# (RandomForestClassifier(100) fit).
cdef Py_ssize_t SORT_SMALL = 16
# Samples ahead whose code the node's passes (histogram, sorted scan's
# gather, partition) prefetch: enough to cover a
# miss to L3 behind the additions of that many samples.  Measured by
# `gdcore bench tree` (RandomForestClassifier(100) fit).
cdef Py_ssize_t PREFETCH_AHEAD = 16
# scikit-learn's: sums below EPSILON are "zero" for Poisson (_tree_cuts.pxd).
cdef double EPSILON = 2.220446049250313e-16

# The criterion codes, for the Python callers.
CRITERION_GINI = CRIT_GINI
CRITERION_ENTROPY = CRIT_ENTROPY
CRITERION_SQUARED_ERROR = CRIT_SQUARED_ERROR
CRITERION_POISSON = CRIT_POISSON


cdef double proxy(const TreeData* t, const double* L, const double* R) noexcept nogil:
    """scikit-learn's proxy impurity improvement of the cut L | R (larger is better)."""
    return cut_proxy(t, L, R)


cdef void node_stats(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                     Py_ssize_t end, const double* w, double* total,
                     double* impurity) noexcept nogil:
    """total = [count, weight, K sums] of the node; impurity as scikit-learn defines it."""
    cdef Py_ssize_t p, i
    cdef int o
    cdef double y, mean, sq = 0.0, loss = 0.0
    memset(total, 0, (2 + t.K) * sizeof(double))
    for p in range(start, end):
        add_sample(t, idx[p], w[idx[p]], total)
    if t.y_cls != NULL:
        impurity[0] = clf_impurity(t, total)
        return
    if t.criterion == CRIT_SQUARED_ERROR:
        for p in range(start, end):
            i = idx[p]
            for o in range(t.n_outputs):
                y = t.y_reg[i * t.n_outputs + o]
                sq += w[i] * y * y
        impurity[0] = sq / total[1]
        for o in range(t.n_outputs):
            mean = total[2 + o] / total[1]
            impurity[0] -= mean * mean
        impurity[0] /= t.n_outputs
        return
    for o in range(t.n_outputs):  # half Poisson deviance, as scikit-learn's poisson_loss
        if total[2 + o] <= EPSILON:
            impurity[0] = INFINITY
            return
        mean = total[2 + o] / total[1]
        for p in range(start, end):
            i = idx[p]
            y = t.y_reg[i * t.n_outputs + o]
            if y > 0.0:
                loss += w[i] * y * log(y / mean)
    impurity[0] = loss / (total[1] * t.n_outputs)


cdef bint gather_node(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                      Py_ssize_t end, const double* w, double* nw,
                      int* ny) noexcept nogil:
    """nw[p - start], ny[p - start] = weight and class stat of sample idx[p], for
    one-output classification; False (nothing written) otherwise.

    A node's split search reads every sample's weight and class once per
    feature searched; gathered once per node, those reads are in order from
    two short arrays instead of scattered over the training set.
    """
    cdef Py_ssize_t p, i
    if t.y_cls == NULL or t.n_outputs != 1:
        return False
    for p in range(start, end):
        i = idx[p]
        nw[p - start] = w[i]
        ny[p - start] = t.class_offset[0] + t.y_cls[i]
    return True


cdef void feature_histogram(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                            Py_ssize_t end, const double* w, const double* nw,
                            const int* ny, Py_ssize_t f, double* hist) noexcept nogil:
    """hist[b] = stats of the node's samples in bin b of feature f, b <= n_bins[f].

    nw, ny: the node's gather_node arrays, or NULL.
    """
    cdef Py_ssize_t S = 2 + t.K, p, i, st
    cdef const uint8_t* col = col8_of(t, f, end - start, &st)
    memset(hist, 0, (t.n_bins[f] + 1) * S * sizeof(double))
    if nw != NULL:
        for p in range(start, end):
            if p + PREFETCH_AHEAD < end:
                # the node's samples are scattered: a later sample's code is
                # asked for now, to arrive while this one is added
                GDCORE_PREFETCH(col + idx[p + PREFETCH_AHEAD] * st, 3)
            add_gathered(nw, ny, p - start, hist + col[idx[p] * st] * S)
        return
    for p in range(start, end):
        i = idx[p]
        add_sample(t, i, w[i], hist + col[i * st] * S)


cdef bint scan_histogram(const TreeData* t, const double* hist, Py_ssize_t f,
                         const double* total, Limits lim, Split* best,
                         double* scratch) noexcept nogil:
    """Best cut of feature f from its node histogram; False if f is constant here.

    scratch: 4 * (2 + K) doubles.
    """
    cdef Py_ssize_t S = 2 + t.K, nb = t.n_bins[f], b, s, bl = -1
    cdef double* left = scratch
    cdef double* L = scratch + S
    cdef double* R = scratch + 2 * S
    cdef const double* miss = hist + nb * S
    cdef const double* h
    cdef bint varies = False
    # Only boundary cuts, as in scan_sorted (Fayyad and Irani): a cut between
    # two bins whose samples are all of one class is skipped.
    cdef bint runs = (t.y_cls != NULL and t.n_outputs == 1 and not t.is_exact[f]
                      and lim.min_samples_leaf <= 1 and lim.min_weight_leaf <= 0.0)
    cdef int cls = -1, prev = -1
    memset(left, 0, S * sizeof(double))
    for b in range(nb):
        h = hist + b * S
        if h[0] == 0.0:
            continue
        if runs:
            cls = bin_class(h, t.K)
        if bl >= 0:
            varies = True
            if not (runs and cls >= 0 and cls == prev) and not too_close(t, f, bl, b):
                consider_cut(t, f, bl, b, left, miss, total, lim, best, L, R, NAN, 2)
        for s in range(S):
            left[s] += h[s]
        bl = b
        prev = cls
    consider_missing_alone(t, f, miss, total, lim, best, scratch + 3 * S, L, R)
    return varies or (miss[0] > 0.0 and miss[0] < total[0])


cdef bint scan_sorted(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                      Py_ssize_t end, const double* w, const double* nw, const int* ny,
                      Py_ssize_t f, const double* total,
                      Limits lim, Split* best, uint64_t* keys,
                      double* scratch) noexcept nogil:
    """Best exact cut of feature f by sorting the node's codes; False if constant.

    keys: 2 * (end - start) uint64; scratch: 4 * (2 + K) doubles.  A key is
    (code << 32 | position), so the sort also fixes the order of equal codes.
    nw, ny: the node's gather_node arrays, or NULL.
    """
    cdef Py_ssize_t S = 2 + t.K, nb = t.n_bins[f], p, q, m = 0, i, st = 1
    cdef uint64_t c, cn, max_code = 0
    cdef double* left = scratch
    cdef double* L = scratch + S
    cdef double* R = scratch + 2 * S
    cdef double* miss = scratch + 3 * S
    cdef bint varies = False, runs
    cdef int pure = -1
    cdef Py_ssize_t count[257]
    cdef const uint8_t* col8
    cdef uint8_t* node8
    memset(left, 0, S * sizeof(double))
    memset(miss, 0, S * sizeof(double))
    if t.codes8 != NULL:
        col8 = col8_of(t, f, end - start, &st)
    if t.codes8 != NULL and end - start <= SORT_SMALL:
        for p in range(start, end):
            i = idx[p]
            c = col8[i * st]
            if <Py_ssize_t> c == nb:
                add_sample(t, i, w[i], miss)
            else:
                keys[m] = (c << 32) | <uint64_t> (p - start)
                m += 1
        sort_keys(keys, m)
    elif t.codes8 != NULL:
        # One-byte codes: a counting sort, O(m + bins), in place of the
        # quicksort, which would be the costliest step of a forest fit's
        # small nodes (measured by `gdcore bench tree`,
        # RandomForestClassifier(100) fit).  The node's codes are gathered
        # once into the free upper half of keys, so the second pass reads
        # them in order instead of gathering them through idx again.
        node8 = <uint8_t*> (keys + (end - start))
        memset(count, 0, (nb + 1) * sizeof(Py_ssize_t))
        for p in range(start, end):
            if p + PREFETCH_AHEAD < end:
                GDCORE_PREFETCH(col8 + idx[p + PREFETCH_AHEAD] * st, 3)
            i = idx[p]
            node8[p - start] = col8[i * st]
            if node8[p - start] == nb:
                add_sample(t, i, w[i], miss)
            else:
                count[node8[p - start] + 1] += 1
        for q in range(nb):
            count[q + 1] += count[q]
        m = count[nb]
        for p in range(end - start):
            c = node8[p]
            if <Py_ssize_t> c != nb:
                keys[count[c]] = (c << 32) | <uint64_t> p
                count[c] += 1
    else:
        for p in range(start, end):
            i = idx[p]
            c = code_of(t, f, i)
            if <Py_ssize_t> c == nb:
                add_sample(t, i, w[i], miss)
            else:
                keys[m] = (c << 32) | <uint64_t> (p - start)
                max_code = c if c > max_code else max_code
                m += 1
        if m >= RADIX_MIN:
            keys = radix_sort_keys(keys, keys + m, m, max_code)
        else:
            sort_keys(keys, m)
    # Boundary cuts only (see the module docstring): not with leaf minimums,
    # which can rule out a run's end, nor on exact features, whose too_close
    # rule can skip it.
    runs = (nw != NULL and not t.is_exact[f] and lim.min_samples_leaf <= 1
            and lim.min_weight_leaf <= 0.0)
    for q in range(m):
        p = <Py_ssize_t> (keys[q] & 0xFFFFFFFFULL)
        if nw != NULL:
            add_gathered(nw, ny, p, left)
        else:
            i = idx[start + p]
            add_sample(t, i, w[i], left)
        if runs:
            if q == 0 or (keys[q - 1] >> 32) != (keys[q] >> 32):
                pure = ny[p]
            elif ny[p] != pure:
                pure = -1
        if q + 1 < m:
            c = keys[q] >> 32
            cn = keys[q + 1] >> 32
            if cn != c:
                varies = True
                if runs and pure >= 0 and group_class(keys, ny, q + 1, m) == pure:
                    continue
                if not too_close(t, f, c, cn):
                    consider_cut(t, f, c, cn, left, miss, total, lim, best, L, R, NAN, 2)
    consider_missing_alone(t, f, miss, total, lim, best, left, L, R)
    return varies or (miss[0] > 0.0 and m > 0)


cdef bint random_split(const TreeData* t, const Py_ssize_t* idx, Py_ssize_t start,
                       Py_ssize_t end, const double* w, const double* nw, const int* ny,
                       Py_ssize_t f, const double* total, Limits lim, Split* best,
                       uint64_t* rng, double* scratch) noexcept nogil:
    """One random cut of feature f (ExtraTrees); False if f is constant here.

    Exact features: threshold uniform between the node's smallest and largest
    value (scikit-learn's RandomSplitter).  Quantile-binned features: a bin
    edge drawn uniformly between the node's smallest and largest bin.
    Missing values go to the better side (scikit-learn draws the side).
    nw, ny: the node's gather_node arrays, or NULL.  One-byte codes are read
    as the other finders read them (``col8_of``: a small node's from the
    row-major copy), so the node's samples cost a cache line each, not one
    per feature drawn.
    """
    cdef Py_ssize_t S = 2 + t.K, nb = t.n_bins[f], p, i, c, lo = nb, hi = -1, bl, st = 1
    cdef Py_ssize_t a, b, mid
    cdef const double* v = t.table + f * t.stride
    cdef const uint8_t* col8 = NULL
    cdef double* left = scratch
    cdef double* L = scratch + S
    cdef double* R = scratch + 2 * S
    cdef double* miss = scratch + 3 * S
    cdef double thr
    memset(left, 0, S * sizeof(double))
    memset(miss, 0, S * sizeof(double))
    if t.codes8 != NULL:
        col8 = col8_of(t, f, end - start, &st)
    for p in range(start, end):
        c = col8[idx[p] * st] if col8 != NULL else code_of(t, f, idx[p])
        if c != nb:
            lo = c if c < lo else lo
            hi = c if c > hi else hi
    if hi <= lo or too_close(t, f, lo, hi):
        return False
    if t.is_exact[f]:
        thr = v[lo] + rng_uniform(rng) * (v[hi] - v[lo])
        if thr >= v[hi]:
            thr = v[lo]
        a = lo  # bl = the last code with v[code] <= thr, in [lo, hi)
        b = hi
        while b - a > 1:
            mid = (a + b) >> 1
            if v[mid] <= thr:
                a = mid
            else:
                b = mid
        bl = a
    else:
        bl = lo + rng_int(rng, hi - lo)
        thr = v[bl]
    for p in range(start, end):
        i = idx[p]
        c = col8[i * st] if col8 != NULL else code_of(t, f, i)
        if c == nb:
            if nw != NULL:
                add_gathered(nw, ny, p - start, miss)
            else:
                add_sample(t, i, w[i], miss)
        elif c <= bl:
            if nw != NULL:
                add_gathered(nw, ny, p - start, left)
            else:
                add_sample(t, i, w[i], left)
    consider_cut(t, f, bl, bl + 1, left, miss, total, lim, best, L, R, thr, 2)
    return True


cdef Py_ssize_t partition(const TreeData* t, Py_ssize_t* idx, Py_ssize_t start,
                          Py_ssize_t end, const Split* s, Py_ssize_t* right) noexcept nogil:
    """Reorder idx[start:end] so the left child comes first, each child's samples
    in their order in the node (as the NumPy twin's rows[go_left]); return the
    left child's end.  right: end - start scratch.

    Branch-free: every sample is written both to the left run (in place,
    behind the reads) and to ``right``, and only the side it goes to
    advances; the side is as unpredictable as the data, so a branch on it
    would be mispredicted half the time.
    """
    cdef Py_ssize_t nb = t.n_bins[s.feature], n_left = start, n_right = 0, p, i, c, st = 1
    cdef const uint8_t* col8 = NULL
    cdef bint go_left
    if t.codes8 != NULL:
        col8 = col8_of(t, s.feature, end - start, &st)
    for p in range(start, end):
        if col8 != NULL and p + PREFETCH_AHEAD < end:
            GDCORE_PREFETCH(col8 + idx[p + PREFETCH_AHEAD] * st, 3)
        i = idx[p]
        c = col8[i * st] if col8 != NULL else code_of(t, s.feature, i)
        go_left = s.missing_left if c == nb else c <= s.bin
        idx[n_left] = i
        right[n_right] = i
        n_left += go_left
        n_right += 1 - go_left
    memcpy(idx + n_left, right, n_right * sizeof(Py_ssize_t))
    return n_left


# ---------------------------------------------------------------------------
# Test entry points: one node, one feature, against
# gdcore/discriminative/tree/_reference/tree_split.py

cdef TreeData tree_data(codes8, codes32, const int[::1] n_bins, const double[:, ::1] table,
                        const uint8_t[::1] is_exact, y_cls, y_reg,
                        const int[::1] class_offset, int K, int criterion):
    """Borrow the arrays' memory (the caller keeps them alive) into a TreeData."""
    cdef TreeData t
    cdef Py_ssize_t f
    cdef const uint8_t[:, ::1] c8
    cdef const uint32_t[:, ::1] c32
    cdef const int[:, ::1] yc
    cdef const double[:, ::1] yr
    t.codes8 = NULL
    t.rows8 = NULL
    t.codes32 = NULL
    if codes8 is not None:
        c8 = codes8
        t.codes8 = &c8[0, 0]
        t.d, t.n = c8.shape[0], c8.shape[1]
    else:
        c32 = codes32
        t.codes32 = &c32[0, 0]
        t.d, t.n = c32.shape[0], c32.shape[1]
    t.n_bins = &n_bins[0]
    t.table = &table[0, 0]
    t.stride = table.shape[1]
    t.hist_bins = 1
    for f in range(t.d):
        t.hist_bins = max(t.hist_bins, n_bins[f] + 1)
    t.is_exact = &is_exact[0]
    t.y_cls = NULL
    t.y_reg = NULL
    if y_cls is not None:
        yc = y_cls
        t.y_cls = &yc[0, 0]
        t.n_outputs = yc.shape[1]
    else:
        yr = y_reg
        t.y_reg = &yr[0, 0]
        t.n_outputs = yr.shape[1]
    t.class_offset = &class_offset[0]
    t.K = K
    t.criterion = criterion
    return t


def best_split(
    codes8, codes32,                   # IN (d, n) uint8 or uint32 codes (one is None)
    const int[::1] n_bins,             # IN (d,)
    const double[:, ::1] table,        # IN (d, stride)
    const uint8_t[::1] is_exact,       # IN (d,)
    y_cls, y_reg,                      # IN (n, n_outputs) int32 / float64 (one is None)
    const int[::1] class_offset,       # IN (n_outputs,)
    int K, int criterion,
    const Py_ssize_t[::1] idx,         # IN (n_node,) the node's samples
    const double[::1] weight,          # IN (n,)
    Py_ssize_t min_samples_leaf, double min_weight_leaf,
    int method,                        # 0 histogram, 1 sorted, 2 random
    uint64_t seed,
):
    """Best split of one node over all features, as (feature, bin, threshold,
    missing_left, proxy, n_left), plus the node's (total, impurity)."""
    cdef TreeData t = tree_data(codes8, codes32, n_bins, table, is_exact, y_cls, y_reg,
                                class_offset, K, criterion)
    cdef Py_ssize_t S = 2 + K, m = idx.shape[0], f
    cdef double[::1] total = np.zeros(S)
    cdef double[::1] scratch = np.zeros(4 * S)
    cdef double[::1] hist = np.zeros(t.hist_bins * S)
    cdef uint64_t[::1] keys = np.zeros(2 * max(m, 1), dtype=np.uint64)
    cdef double[::1] nw = np.zeros(max(m, 1))
    cdef int[::1] ny = np.zeros(max(m, 1), dtype=np.intc)
    cdef const double* pnw = NULL
    cdef const int* pny = NULL
    cdef double impurity = 0.0
    cdef Limits lim
    cdef Split best
    cdef uint64_t rng = seed
    lim.min_samples_leaf = min_samples_leaf
    lim.min_weight_leaf = min_weight_leaf
    best.feature = -1
    best.proxy = -INFINITY
    best.stats = NULL
    if m == 0:
        return None, np.asarray(total), 0.0
    node_stats(&t, &idx[0], 0, m, &weight[0], &total[0], &impurity)
    if gather_node(&t, &idx[0], 0, m, &weight[0], &nw[0], &ny[0]):
        pnw = &nw[0]  # as the builder searches (one-output classification)
        pny = &ny[0]
    for f in range(t.d):
        if method == 0:
            feature_histogram(&t, &idx[0], 0, m, &weight[0], pnw, pny, f, &hist[0])
            scan_histogram(&t, &hist[0], f, &total[0], lim, &best, &scratch[0])
        elif method == 1:
            scan_sorted(&t, &idx[0], 0, m, &weight[0], pnw, pny, f, &total[0], lim, &best,
                        &keys[0], &scratch[0])
        else:
            random_split(&t, &idx[0], 0, m, &weight[0], pnw, pny, f, &total[0], lim, &best,
                         &rng, &scratch[0])
    if best.feature < 0:
        return None, np.asarray(total), impurity
    return ((best.feature, best.bin, best.threshold, bool(best.missing_left),
             best.proxy, best.n_left), np.asarray(total), impurity)


def histogram(
    const uint8_t[:, ::1] codes8, const int[::1] n_bins, y_cls, y_reg,
    const int[::1] class_offset, int K,
    const Py_ssize_t[::1] idx, const double[::1] weight, Py_ssize_t f,
    double[:, ::1] hist,               # OUT (n_bins[f] + 1, 2 + K)
):
    """The node histogram of feature f (bins, then the missing bin)."""
    cdef double[:, ::1] table = np.zeros((codes8.shape[0], 1))
    cdef uint8_t[::1] exact = np.zeros(codes8.shape[0], dtype=np.uint8)
    cdef TreeData t = tree_data(codes8, None, n_bins, table, exact, y_cls, y_reg,
                                class_offset, K, CRIT_GINI)
    if idx.shape[0] == 0:
        hist[:, :] = 0.0
        return
    feature_histogram(&t, &idx[0], 0, idx.shape[0], &weight[0], NULL, NULL, f, &hist[0, 0])
