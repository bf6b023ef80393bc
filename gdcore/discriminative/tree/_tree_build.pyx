"""Growing decision trees, and forests of them in parallel.

One tree is grown from the root by repeatedly finding the best split of a
node (``_tree_split``), partitioning the node's sample indices in place and
queueing the two children, as in scikit-learn's tree builders (Breiman et
al., CART, 1984; Breiman, Random Forests, 2001):

- depth first (no ``max_leaf_nodes``): a stack, node ids in preorder;
- best first (``max_leaf_nodes``): a max-heap on the impurity improvement,
  the split of a node found when it is created.

Histogram mode with every feature searched (decision trees' default): a node's
histograms of all features are kept until it is split; then only the smaller
child's are built from its samples and the larger child's are the parent's
minus the smaller's (LightGBM's subtraction trick), so each level costs
O(n_smaller * d) instead of O(n * d).  Depth first keeps at most ~depth
histograms alive.  Node histograms (and exact sorted scans) are spread over
features with ``prange`` when the node is large.

Nodes with fewer than HIST_MIN_FILL samples per bin skip histograms and
sort their codes instead (a counting sort for one-byte codes).  A node's
weights and classes are gathered once into node-ordered arrays before its
features are searched (``gather_node``), and small nodes read a row-major
copy of the codes (``col8_of``): the bottom of a fully grown tree is many
small nodes whose samples are scattered over the training set.

Forests grow trees in ``prange`` over trees, one thread per tree, each from
its own 64-bit seed, so a forest is identical on any number of threads.
Feature draws come from the seed's splitmix64 stream and bootstrap draws
from a second stream (``_tree_draws.pxd``): a forest's tree is then
the tree a DecisionTree with the same seed grows on the drawn rows, as in
scikit-learn (its ``estimators_samples_`` contract).  A node costs
O(n_node * mtry) (plus O(bins) per histogram); a tree about O(n log n * mtry).
NumPy twin: ``gdcore/discriminative/tree/_reference/tree_build.py`` (the same trees from the same
seeds, grown recursively in Python).  The stack / heap of nodes to split is
``_tree_frontier.pxd``, a tree's bootstrap and balanced weights ``_tree_draws.pxd``.
"""

import numpy as np

from cython.parallel cimport prange
from libc.math cimport INFINITY, floor
from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

from gdcore._cy._openmp cimport omp_get_thread_num

from gdcore.discriminative.tree._tree_cuts cimport clf_impurity
from gdcore.discriminative.tree._tree_draws cimport balance_subsample, draw_counts
from gdcore.discriminative.tree._tree_frontier cimport (
    Frontier, Record, frontier_free, frontier_pop, frontier_pop_max, frontier_push,
    frontier_sift_up,
)
from gdcore.discriminative.tree._tree_nodes cimport Node, Tree, set_split, tree_add_node
from gdcore.discriminative.tree._tree_split cimport (
    Limits, Split, TreeData, feature_histogram, gather_node, node_stats, partition,
    random_split, rng_int, scan_histogram, scan_sorted, tree_data,
)

cdef double EPSILON = 2.220446049250313e-16

cdef enum:
    OK = 0
    NO_MEMORY = 1
    # Nodes with fewer samples x features than this are searched on one
    # thread: below it an OpenMP fork/join (microseconds) costs more than it
    # saves.  Measured by `gdcore bench tree` (DecisionTreeClassifier fit).
    MIN_PARALLEL_WORK = 65536
    # At most this many node histograms kept for subtraction (depth first
    # needs ~depth of them; best first does not use them).
    MAX_HISTS = 128
    # Nodes with fewer than HIST_MIN_FILL samples per histogram bin are
    # searched by sorting (see _use_hist): a histogram's O(bins) clear and
    # scan per feature only pays off once the node fills its bins, while a
    # counting sort's second pass and its candidate cut per distinct value
    # cost more than the histogram's once it does.  Measured by `gdcore bench
    # tree` (RandomForestClassifier(100) fit, DecisionTreeClassifier fit).
    HIST_MIN_FILL = 1

STATUS_OK = OK
STATUS_NO_MEMORY = NO_MEMORY


NODE_DTYPE = np.dtype({
    "names": ["left_child", "right_child", "feature", "threshold", "impurity",
              "n_node_samples", "weighted_n_node_samples", "missing_go_to_left"],
    "formats": [np.intp, np.intp, np.intp, np.float64, np.float64, np.intp,
                np.float64, np.uint8],
    "offsets": [<Py_ssize_t> &(<Node*> NULL).left_child,
                <Py_ssize_t> &(<Node*> NULL).right_child,
                <Py_ssize_t> &(<Node*> NULL).feature,
                <Py_ssize_t> &(<Node*> NULL).threshold,
                <Py_ssize_t> &(<Node*> NULL).impurity,
                <Py_ssize_t> &(<Node*> NULL).n_node_samples,
                <Py_ssize_t> &(<Node*> NULL).weighted_n_node_samples,
                <Py_ssize_t> &(<Node*> NULL).missing_go_to_left],
    "itemsize": sizeof(Node),
})


cdef struct Params:
    Py_ssize_t max_depth
    Py_ssize_t min_samples_split
    Py_ssize_t min_samples_leaf
    double min_weight_fraction_leaf
    Py_ssize_t max_features
    Py_ssize_t max_leaf_nodes      # 0: no limit (depth first)
    double min_impurity_decrease
    bint random_splitter
    int n_threads                  # threads inside one tree
    Py_ssize_t n_draw              # bootstrap draws; 0: no bootstrap
    const double* draw_cum         # (n,) running sums of the weights to draw by, or NULL
    bint balanced_subsample        # class weights from each bootstrap sample


cdef struct Builder:
    const TreeData* t
    Params p
    Limits lim
    uint64_t rng
    double W_root
    Py_ssize_t* idx
    double* w
    Py_ssize_t* features
    double* nw                     # (n,) the node's weights and classes in node order
    int* ny                        # (gather_node), while its split is searched
    Split* fbest                   # (d,) per-feature best, merged in feature order
    uint64_t* keys                 # (n_threads, 2 n) sort keys and their radix-sort buffer
    double* scratch                # (n_threads, 4 S)
    double* total                  # (3 S) totals of the node, its left and right child
    # (d, 2 S) the children's stats at each feature's best cut, or NULL (the
    # children's sums are then recounted)
    double* cut_stats
    double child_imp[2]            # impurities of the children
    double* hists[MAX_HISTS]       # node histograms, (d, hist_bins, S) each
    bint hist_used[MAX_HISTS]
    Py_ssize_t hist_size
    Tree tree
    Frontier fr                    # nodes still to split (stack or heap)


cdef int _hist_take(Builder* b) noexcept nogil:
    """A free histogram buffer id, or -1 (none left, or out of memory)."""
    cdef int h
    for h in range(MAX_HISTS):
        if not b.hist_used[h]:
            if b.hists[h] == NULL:
                b.hists[h] = <double*> malloc(b.hist_size * sizeof(double))
                if b.hists[h] == NULL:
                    return -1
            b.hist_used[h] = True
            return h
    return -1


cdef inline void _hist_give(Builder* b, int h) noexcept nogil:
    if h >= 0:
        b.hist_used[h] = False


cdef inline bint _gather(Builder* b, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """Gather the node's weights and classes into b.nw, b.ny (see gather_node)."""
    return gather_node(b.t, b.idx, start, end, b.w, b.nw, b.ny)


cdef void _all_histograms(Builder* b, Py_ssize_t start, Py_ssize_t end,
                          double* H) noexcept nogil:
    cdef const TreeData* t = b.t
    cdef Py_ssize_t f, HS = t.hist_bins * (2 + t.K)
    cdef int nt = b.p.n_threads if (end - start) * t.d >= MIN_PARALLEL_WORK else 1
    cdef bint g = _gather(b, start, end)
    cdef const double* nw = b.nw if g else NULL
    cdef const int* ny = b.ny if g else NULL
    for f in prange(t.d, schedule="dynamic", num_threads=nt):
        feature_histogram(t, b.idx, start, end, b.w, nw, ny, f, H + f * HS)


cdef void _subtract(Builder* b, double* big, const double* small) noexcept nogil:
    cdef const TreeData* t = b.t
    cdef Py_ssize_t f, j, S = 2 + t.K, HS = t.hist_bins * S
    for f in range(t.d):
        for j in range(f * HS, f * HS + (t.n_bins[f] + 1) * S):
            big[j] -= small[j]


cdef void _merge(Builder* b, Split* best) noexcept nogil:
    """The best of the per-feature bests, first in feature order on ties."""
    cdef Py_ssize_t f
    for f in range(b.t.d):
        if b.fbest[f].feature >= 0 and b.fbest[f].proxy > best.proxy:
            best[0] = b.fbest[f]


cdef void _search_all(Builder* b, Py_ssize_t start, Py_ssize_t end, int hist,
                      Split* best) noexcept nogil:
    """Best split over every feature, parallel over features: from the node's
    histograms ``hists[hist]``, or (hist < 0) by sorting the node's codes."""
    cdef const TreeData* t = b.t
    cdef Py_ssize_t f, n = t.n, S = 2 + t.K, HS = t.hist_bins * S
    cdef int nt = b.p.n_threads if (end - start) * t.d >= MIN_PARALLEL_WORK else 1
    cdef int tid
    cdef bint g = hist < 0 and _gather(b, start, end)
    cdef const double* nw = b.nw if g else NULL
    cdef const int* ny = b.ny if g else NULL
    for f in range(t.d):
        b.fbest[f].feature = -1
        b.fbest[f].proxy = -INFINITY
        b.fbest[f].stats = b.cut_stats + f * 2 * S if b.cut_stats != NULL else NULL
    if hist >= 0:
        for f in prange(t.d, schedule="dynamic", num_threads=nt):
            tid = omp_get_thread_num()
            scan_histogram(t, b.hists[hist] + f * HS, f, b.total, b.lim, &b.fbest[f],
                           b.scratch + tid * 4 * S)
    else:
        for f in prange(t.d, schedule="dynamic", num_threads=nt):
            tid = omp_get_thread_num()
            scan_sorted(t, b.idx, start, end, b.w, nw, ny, f, b.total, b.lim, &b.fbest[f],
                        b.keys + tid * 2 * n, b.scratch + tid * 4 * S)
    _merge(b, best)


cdef void _search_drawn(Builder* b, Py_ssize_t start, Py_ssize_t end,
                        Split* best) noexcept nogil:
    """Best split over features drawn at random, scikit-learn's rule: stop after
    max_features features unless all of them were constant in the node."""
    cdef const TreeData* t = b.t
    cdef Py_ssize_t j, k, f, tmp, visited = 0, varying = 0
    cdef bint varies
    cdef bint g = _gather(b, start, end)
    cdef const double* nw = b.nw if g else NULL
    cdef const int* ny = b.ny if g else NULL
    for j in range(t.d):
        k = j + rng_int(&b.rng, t.d - j)
        tmp = b.features[j]
        b.features[j] = b.features[k]
        b.features[k] = tmp
        f = b.features[j]
        if b.p.random_splitter:
            varies = random_split(t, b.idx, start, end, b.w, nw, ny, f, b.total, b.lim,
                                  best, &b.rng, b.scratch)
        elif _use_hist(b, end - start):
            feature_histogram(t, b.idx, start, end, b.w, nw, ny, f, b.hists[0])
            varies = scan_histogram(t, b.hists[0], f, b.total, b.lim, best, b.scratch)
        else:
            varies = scan_sorted(t, b.idx, start, end, b.w, nw, ny, f, b.total, b.lim, best,
                                 b.keys, b.scratch)
        visited += 1
        varying += varies
        if visited >= b.p.max_features and varying > 0:
            break


cdef inline bint _use_hist(Builder* b, Py_ssize_t n_node) noexcept nogil:
    """Histograms pay off on nodes with more samples than bins: a histogram
    costs O(n_node + bins) per feature to build and scan, a sorted scan
    O(n_node log n_node).  A deep tree has many small nodes, where building
    and scanning every bin would dominate the fit."""
    return b.t.codes8 != NULL and n_node >= HIST_MIN_FILL * b.t.hist_bins


cdef bint _cheap_leaf(Builder* b, Py_ssize_t n_node, Py_ssize_t depth) noexcept nogil:
    return (depth >= b.p.max_depth or n_node < b.p.min_samples_split
            or n_node < 2 * b.p.min_samples_leaf)


cdef bint _split_node(Builder* b, Py_ssize_t start, Py_ssize_t end, Py_ssize_t depth,
                      int* hist, double* impurity, Split* best, Py_ssize_t* pos,
                      double* improvement, bint known) noexcept nogil:
    """Node stats (unless known: already in b.total), then its best split
    applied to idx, children's stats left in b.total; False if it is a leaf."""
    cdef const TreeData* t = b.t
    cdef Py_ssize_t S = 2 + t.K
    cdef double W, W_l
    if not known:
        node_stats(t, b.idx, start, end, b.w, b.total, impurity)
    W = b.total[1]
    best.feature = -1
    best.proxy = -INFINITY
    best.stats = b.cut_stats
    if (_cheap_leaf(b, end - start, depth) or W < 2 * b.lim.min_weight_leaf
            or impurity[0] <= EPSILON):
        return False
    if b.p.max_features < t.d or b.p.random_splitter:
        _search_drawn(b, start, end, best)
    elif _use_hist(b, end - start):
        if hist[0] < 0:
            hist[0] = _hist_take(b)
            if hist[0] >= 0:
                _all_histograms(b, start, end, b.hists[hist[0]])
        if hist[0] >= 0:
            _search_all(b, start, end, hist[0], best)
        else:  # no memory for a kept histogram: search feature by feature
            _search_drawn(b, start, end, best)
    else:
        _search_all(b, start, end, -1, best)
    if best.feature < 0:
        return False
    # the search's sort keys (2 n of them) are free again: partition's scratch
    pos[0] = partition(t, b.idx, start, end, best, <Py_ssize_t*> b.keys)
    # children's impurities for the improvement (scikit-learn's definition)
    if best.stats != NULL:
        # the sums the split search added up at its cut: with integral
        # weights the same bits as a recount over each child's samples,
        # which would be one more pass over the node
        memcpy(b.total + S, best.stats, 2 * S * sizeof(double))
        b.child_imp[0] = clf_impurity(t, b.total + S)
        b.child_imp[1] = clf_impurity(t, b.total + 2 * S)
    else:
        node_stats(t, b.idx, start, pos[0], b.w, b.total + S, &b.child_imp[0])
        node_stats(t, b.idx, pos[0], end, b.w, b.total + 2 * S, &b.child_imp[1])
    W_l = b.total[S + 1]
    improvement[0] = (W / b.W_root) * (impurity[0] - b.total[2 * S + 1] / W * b.child_imp[1]
                                       - W_l / W * b.child_imp[0])
    return improvement[0] + EPSILON >= b.p.min_impurity_decrease


cdef void _child_histograms(Builder* b, Record* parent, Record* left,
                            Record* right) noexcept nogil:
    """Give the children histograms when both will be searched: the smaller
    one's built from its samples, the larger one's the parent's minus it."""
    cdef Record* small = left
    cdef Record* large = right
    cdef int h
    left.hist = -1
    right.hist = -1
    if parent.hist < 0:
        return
    if (_cheap_leaf(b, left.end - left.start, left.depth)
            or _cheap_leaf(b, right.end - right.start, right.depth)
            or not _use_hist(b, left.end - left.start)
            or not _use_hist(b, right.end - right.start)):
        _hist_give(b, parent.hist)
        return
    if right.end - right.start < left.end - left.start:
        small = right
        large = left
    h = _hist_take(b)
    if h < 0:
        _hist_give(b, parent.hist)
        return
    _all_histograms(b, small.start, small.end, b.hists[h])
    _subtract(b, b.hists[parent.hist], b.hists[h])
    small.hist = h
    large.hist = parent.hist


cdef int _grow_depth_first(Builder* b, Py_ssize_t n_root) noexcept nogil:
    cdef Py_ssize_t S = 2 + b.t.K
    cdef Record r, left, right
    cdef Split best
    cdef double impurity = 0.0, improvement = 0.0
    cdef Py_ssize_t pos = 0, node
    cdef bint split
    r.start = 0
    r.end = n_root
    r.depth = 0
    r.parent = -1
    r.is_left = False
    r.hist = -1
    if not frontier_push(&b.fr, &r, NULL):
        return NO_MEMORY
    while b.fr.n > 0:
        r = frontier_pop(&b.fr, b.total)
        if r.known:
            impurity = r.impurity
        split = _split_node(b, r.start, r.end, r.depth, &r.hist, &impurity, &best,
                            &pos, &improvement, r.known)
        node = tree_add_node(&b.tree, b.t.K, b.t.y_cls != NULL, b.total, r.parent,
                             r.is_left, not split, &best, impurity, r.end - r.start, r.depth)
        if node < 0:
            return NO_MEMORY
        if not split:
            _hist_give(b, r.hist)
            continue
        left.start = r.start
        left.end = pos
        left.is_left = True
        right.start = pos
        right.end = r.end
        right.is_left = False
        left.depth = right.depth = r.depth + 1
        left.parent = right.parent = node
        _child_histograms(b, &r, &left, &right)
        left.impurity = b.child_imp[0]
        right.impurity = b.child_imp[1]
        if (not frontier_push(&b.fr, &right, b.total + 2 * S)
                or not frontier_push(&b.fr, &left, b.total + S)):
            return NO_MEMORY
    return OK


cdef int _add_frontier(Builder* b, Py_ssize_t start, Py_ssize_t end, Py_ssize_t depth,
                       Py_ssize_t parent, bint is_left) noexcept nogil:
    """Best first: create a node as a leaf, find its split, queue it if it has one."""
    cdef Record r
    cdef double impurity = 0.0
    cdef int hist = -1
    cdef bint split
    r.improvement = 0.0
    r.pos = start
    split = _split_node(b, start, end, depth, &hist, &impurity, &r.split, &r.pos,
                        &r.improvement, False)
    _hist_give(b, hist)
    r.node = tree_add_node(&b.tree, b.t.K, b.t.y_cls != NULL, b.total, parent, is_left, True,
                           &r.split, impurity, end - start, depth)
    if r.node < 0:
        return NO_MEMORY
    if split:
        r.start = start
        r.end = end
        r.depth = depth
        if not frontier_push(&b.fr, &r, NULL):
            return NO_MEMORY
        frontier_sift_up(&b.fr)
    return OK


cdef int _grow_best_first(Builder* b, Py_ssize_t n_root) noexcept nogil:
    cdef Py_ssize_t splits_left = b.p.max_leaf_nodes - 1
    cdef Record r
    if _add_frontier(b, 0, n_root, 0, -1, False) != OK:
        return NO_MEMORY
    while b.fr.n > 0 and splits_left > 0:
        r = frontier_pop_max(&b.fr)
        set_split(&b.tree.nodes[r.node], False, &r.split)
        splits_left -= 1
        if _add_frontier(b, r.start, r.pos, r.depth + 1, r.node, True) != OK:
            return NO_MEMORY
        if _add_frontier(b, r.pos, r.end, r.depth + 1, r.node, False) != OK:
            return NO_MEMORY
    return OK


cdef void _free_builder(Builder* b) noexcept nogil:
    cdef int h
    free(b.idx)
    free(b.w)
    free(b.features)
    free(b.nw)
    free(b.ny)
    free(b.fbest)
    free(b.keys)
    free(b.scratch)
    free(b.total)
    free(b.cut_stats)
    frontier_free(&b.fr)
    for h in range(MAX_HISTS):
        free(b.hists[h])


cdef bint _integral(const double* w, Py_ssize_t n, double total) noexcept nogil:
    """Whether every weight is a whole number and every sum of them exact in a
    double: then class weights added in any order give the same bits (the
    split search's sums can stand for a recount, see _split_node)."""
    cdef Py_ssize_t i
    if not total <= 9007199254740992.0:     # 2 ** 53
        return False
    for i in range(n):
        if w[i] != floor(w[i]):
            return False
    return True


cdef int _build_one(const TreeData* t, Params p, uint64_t seed, const double* weight,
                    Tree* out) noexcept nogil:
    """Grow one tree into out (its arrays then belong to the caller)."""
    cdef Builder b
    cdef Py_ssize_t S = 2 + t.K, i, m = 0, n = max(t.n, 1)
    cdef int nt = max(p.n_threads, 1), status = NO_MEMORY
    memset(&b, 0, sizeof(Builder))
    b.t = t
    b.p = p
    b.rng = seed
    b.hist_size = t.d * t.hist_bins * S
    b.fr.S = S
    b.idx = <Py_ssize_t*> malloc(n * sizeof(Py_ssize_t))
    b.w = <double*> malloc(n * sizeof(double))
    b.features = <Py_ssize_t*> malloc(t.d * sizeof(Py_ssize_t))
    b.nw = <double*> malloc(n * sizeof(double))
    b.ny = <int*> malloc(n * sizeof(int))
    b.fbest = <Split*> malloc(t.d * sizeof(Split))
    b.scratch = <double*> malloc(nt * 4 * S * sizeof(double))
    b.total = <double*> malloc(3 * S * sizeof(double))
    b.keys = <uint64_t*> malloc(nt * 2 * n * sizeof(uint64_t))
    # hists[0] is the one-feature histogram of feature-by-feature searches
    if (b.idx != NULL and b.w != NULL and b.features != NULL and b.fbest != NULL
            and b.nw != NULL and b.ny != NULL
            and b.scratch != NULL and b.total != NULL
            and b.keys != NULL
            and (t.codes8 == NULL or _hist_take(&b) == 0)):
        if p.n_draw > 0:
            # keys: free until growth.  Rows drawn by weight carry their
            # weight in their counts (scikit-learn 1.9), else counts x weight.
            draw_counts(seed, t.n, p.n_draw, p.draw_cum, <double*> b.keys)
            for i in range(t.n):
                b.w[i] = (<double*> b.keys)[i] * (1.0 if p.draw_cum != NULL else weight[i])
            if p.balanced_subsample and t.y_cls != NULL:
                balance_subsample(t, p.n_draw, <double*> b.keys, b.scratch, b.w)
        else:
            memcpy(b.w, weight, t.n * sizeof(double))
        b.W_root = 0.0
        for i in range(t.n):
            if b.w[i] != 0.0:  # zero weight: left out of the tree, as in scikit-learn
                b.idx[m] = i
                m += 1
                b.W_root += b.w[i]
        for i in range(t.d):
            b.features[i] = i
        if t.y_cls != NULL and _integral(b.w, t.n, b.W_root):
            b.cut_stats = <double*> malloc(t.d * 2 * S * sizeof(double))
        b.lim.min_samples_leaf = p.min_samples_leaf
        b.lim.min_weight_leaf = p.min_weight_fraction_leaf * b.W_root
        if m == 0:
            status = OK  # every weight zero: the caller rejects this before
        elif p.max_leaf_nodes > 0:
            status = _grow_best_first(&b, m)
        else:
            status = _grow_depth_first(&b, m)
    out[0] = b.tree
    _free_builder(&b)
    return status


def bootstrap_counts(uint64_t seed, Py_ssize_t n, Py_ssize_t n_draw,
                     const double[::1] draw_cum=None):
    """The in-bag counts of the tree grown from ``seed`` (for out-of-bag scores);
    ``draw_cum`` as in build_trees."""
    cdef double[::1] counts = np.zeros(max(n, 1))
    draw_counts(seed, n, n_draw, _cum(draw_cum, n), &counts[0])
    return np.asarray(counts)[:n]


cdef const double* _cum(const double[::1] draw_cum, Py_ssize_t n) except? NULL:
    """The running sums to draw by (checked), or NULL to draw uniformly."""
    if draw_cum is None:
        return NULL
    if draw_cum.shape[0] != n or n == 0 or not draw_cum[n - 1] > 0.0:
        raise ValueError("draw_cum must hold the n running sums of the weights, "
                         "with a positive total.")
    return &draw_cum[0]


def build_trees(
    codes8, codes32,                   # IN (d, n) uint8 or uint32 codes (one is None)
    const int[::1] n_bins,             # IN (d,) value bins per feature
    const double[:, ::1] table,        # IN (d, stride) values / edges
    const uint8_t[::1] is_exact,       # IN (d,)
    y_cls, y_reg,                      # IN (n, n_outputs) int32 / float64 (one is None)
    const int[::1] class_offset,       # IN (n_outputs,)
    int K, int criterion,
    const double[::1] weight,          # IN (n,) sample weights
    const uint64_t[::1] seeds,         # IN (n_trees,) one seed per tree
    Py_ssize_t max_depth, Py_ssize_t min_samples_split, Py_ssize_t min_samples_leaf,
    double min_weight_fraction_leaf, Py_ssize_t max_features, Py_ssize_t max_leaf_nodes,
    double min_impurity_decrease, bint random_splitter, Py_ssize_t n_draw,
    int n_threads, bint balanced_subsample=False,
    const double[::1] draw_cum=None,   # IN (n,) running sums of the weights to draw
                                       # by (bootstrap in proportion to them), or None
):
    """Grow len(seeds) trees, in parallel over trees (or, for one tree, over
    features); returns a list of (nodes as NODE_DTYPE, values (n_nodes, K),
    max_depth), or raises MemoryError.  Bootstrap draws: uniform, each row's
    counts times its weight; with ``draw_cum``, in proportion to the weights,
    the counts alone."""
    cdef TreeData t
    cdef Params p
    cdef Py_ssize_t n_trees = seeds.shape[0], k
    cdef const double* cum = _cum(draw_cum, weight.shape[0]) if n_draw > 0 else NULL
    cdef Tree* trees = <Tree*> calloc(max(n_trees, 1), sizeof(Tree))
    cdef int[::1] status = np.zeros(max(n_trees, 1), dtype=np.intc)
    cdef int outer = n_threads if n_trees > 1 else 1
    cdef uint8_t* rows8 = NULL
    if trees == NULL:
        raise MemoryError("no memory for the trees")
    t = tree_data(codes8, codes32, n_bins, table, is_exact, y_cls, y_reg, class_offset,
                  K, criterion)
    if t.codes8 != NULL and t.n > 0:
        # the row-major copy small nodes read (see ROWWISE_MAX_BYTES)
        rows8 = <uint8_t*> malloc(t.n * t.d)
        if rows8 == NULL:
            free(trees)
            raise MemoryError("no memory for the row-major codes")
        with nogil:
            _transpose(t.codes8, t.n, t.d, rows8)
        t.rows8 = rows8
    p.max_depth = max_depth
    p.min_samples_split = min_samples_split
    p.min_samples_leaf = min_samples_leaf
    p.min_weight_fraction_leaf = min_weight_fraction_leaf
    p.max_features = max_features
    p.max_leaf_nodes = max_leaf_nodes
    p.min_impurity_decrease = min_impurity_decrease
    p.random_splitter = random_splitter
    p.n_threads = 1 if n_trees > 1 else n_threads
    p.n_draw = n_draw
    p.draw_cum = cum
    p.balanced_subsample = balanced_subsample
    with nogil:
        for k in prange(n_trees, schedule="dynamic", num_threads=outer):
            status[k] = _build_one(&t, p, seeds[k], &weight[0], &trees[k])
    result = []
    try:
        for k in range(n_trees):
            if status[k] != OK:
                raise MemoryError("not enough memory to grow the trees")
            result.append(_to_arrays(&trees[k], K))
    finally:
        for k in range(n_trees):
            free(trees[k].nodes)
            free(trees[k].values)
        free(trees)
        free(rows8)
    return result


cdef void _transpose(const uint8_t* cols, Py_ssize_t n, Py_ssize_t d,
                     uint8_t* rows) noexcept nogil:
    """rows (n, d) = cols (d, n) transposed, in tiles of TILE rows: a tile's
    rows (TILE x d bytes) stay in cache while each column is read in order
    into them; a one-off O(n d) copy per fit, small beside growing the trees
    (`gdcore bench tree`, RandomForestClassifier(100) fit)."""
    cdef Py_ssize_t i0 = 0, i, f, TILE = 256
    while i0 < n:
        for f in range(d):
            for i in range(i0, min(i0 + TILE, n)):
                rows[i * d + f] = cols[f * n + i]
        i0 += TILE


cdef object _to_arrays(Tree* tr, Py_ssize_t K):
    nodes = np.empty(tr.n_nodes, dtype=NODE_DTYPE)
    values = np.empty((tr.n_nodes, K))
    cdef double[:, ::1] v = values
    cdef unsigned char[::1] raw = nodes.view(np.uint8)
    if tr.n_nodes > 0:
        memcpy(&raw[0], tr.nodes, tr.n_nodes * sizeof(Node))
        memcpy(&v[0, 0], tr.values, tr.n_nodes * K * sizeof(double))
    return nodes, values, tr.max_depth
