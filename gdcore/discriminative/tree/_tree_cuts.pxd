# Evaluating one candidate cut, for the split finders of _tree_split.pyx (see
# its docstring): the criteria (gini and entropy impurity, scikit-learn's
# proxy improvement for every criterion), a cut's threshold, the cut tried
# with missing values on either side, and the Fayyad-Irani class of a
# histogram bin.  Inline helpers, O(K) per cut; they run at every candidate
# cut of every split search.  Constants are scikit-learn's: no cut between
# values closer than FEATURE_THRESHOLD = 1e-7 (float32 noise), Poisson sums
# below 2.220446049250313e-16 (EPSILON) are zero.
from libc.math cimport INFINITY, log
from libc.string cimport memcpy

from gdcore.discriminative.tree._tree_split cimport (
    CRIT_ENTROPY, CRIT_GINI, CRIT_SQUARED_ERROR, Limits, Split, TreeData,
)


cdef inline double clf_impurity(const TreeData* t, const double* s) noexcept nogil:
    """Gini or entropy (bits) of the class weights in s, averaged over outputs."""
    cdef double W = s[1], imp = 0.0, acc = 0.0, p
    cdef int o, c, lo, hi
    if W <= 0.0:
        return 0.0
    if t.n_outputs == 1:
        # One output (every forest of one target): the loop below without its
        # output bookkeeping, the same operations in the same order, so the
        # same bits.  Called twice per candidate cut, the innermost step of
        # every split search.
        if t.criterion == CRIT_GINI:
            for c in range(2, 2 + t.K):
                p = s[c] / W
                acc += p * p
            return 1.0 - acc
        for c in range(2, 2 + t.K):
            if s[c] > 0.0:
                p = s[c] / W
                acc -= p * log(p) * 1.4426950408889634  # 1 / ln 2: bits
        return acc
    for o in range(t.n_outputs):
        lo = 2 + t.class_offset[o]
        hi = 2 + (t.class_offset[o + 1] if o + 1 < t.n_outputs else t.K)
        acc = 0.0
        if t.criterion == CRIT_GINI:
            # sum of squared fractions, not sum s^2 / W^2: W * W underflows to 0
            # when every weight is tiny (a division by zero)
            for c in range(lo, hi):
                p = s[c] / W
                acc += p * p
            imp += 1.0 - acc
        else:
            for c in range(lo, hi):
                if s[c] > 0.0:
                    p = s[c] / W
                    acc -= p * log(p) * 1.4426950408889634  # 1 / ln 2: bits
            imp += acc
    return imp / t.n_outputs


cdef inline double cut_proxy(const TreeData* t, const double* L, const double* R) noexcept nogil:
    """proxy, inlined into the scans (it is evaluated at every candidate cut)."""
    cdef double s = 0.0
    cdef int o
    if t.criterion == CRIT_GINI or t.criterion == CRIT_ENTROPY:
        return -(L[1] * clf_impurity(t, L) + R[1] * clf_impurity(t, R))
    if t.criterion == CRIT_SQUARED_ERROR:
        for o in range(t.n_outputs):
            s += L[2 + o] * L[2 + o] / L[1] + R[2 + o] * R[2 + o] / R[1]
        return s
    for o in range(t.n_outputs):  # Poisson: a side with no positive target is invalid
        if L[2 + o] <= 2.220446049250313e-16 or R[2 + o] <= 2.220446049250313e-16:
            return -INFINITY
        s += L[2 + o] * log(L[2 + o] / L[1]) + R[2 + o] * log(R[2 + o] / R[1])
    return s


cdef inline double cut_threshold(const TreeData* t, Py_ssize_t f, Py_ssize_t bl,
                                 Py_ssize_t br) noexcept nogil:
    """The threshold of the cut between value bins bl < br (scikit-learn's midpoint)."""
    cdef const double* v = t.table + f * t.stride
    cdef double thr
    if not t.is_exact[f]:
        return v[bl]
    thr = v[bl] / 2.0 + v[br] / 2.0
    if thr == v[br] or thr == INFINITY or thr == -INFINITY:
        thr = v[bl]
    return thr


cdef extern from *:
    """
    /* The gini proxy of a two-class cut: the four class fractions divided
       as one vector (two SSE2 divisions, one AVX), where the scalar loop
       queues four divisions on the divider, the costliest step of a forest's
       split search.  Each lane is the IEEE quotient, and the sums are taken in
       clf_impurity's order (0 + p0^2 + p1^2, then cut_proxy's), so the same
       bits as the scalar code, which other compilers get. */
    #if defined(__GNUC__) || defined(__clang__)
    typedef double gd_gini_v4 __attribute__((vector_size(32)));
    static inline double gd_gini2_proxy(double wl, double l0, double l1,
                                        double wr, double r0, double r1) {
        const gd_gini_v4 num = {l0, l1, r0, r1}, den = {wl, wl, wr, wr};
        gd_gini_v4 p = num / den;
        p = p * p;
        return -(wl * (1.0 - (p[0] + p[1])) + wr * (1.0 - (p[2] + p[3])));
    }
    #else
    static inline double gd_gini2_proxy(double wl, double l0, double l1,
                                        double wr, double r0, double r1) {
        const double a = l0 / wl, b = l1 / wl, c = r0 / wr, d = r1 / wr;
        return -(wl * (1.0 - (a * a + b * b)) + wr * (1.0 - (c * c + d * d)));
    }
    #endif
    """
    double gd_gini2_proxy(double wl, double l0, double l1, double wr, double r0,
                          double r1) noexcept nogil


cdef inline void gini_cut(const TreeData* t, Py_ssize_t f, Py_ssize_t bl, Py_ssize_t br,
                          const double* left, const double* total, Limits lim, Split* best,
                          double* L, double* R, double threshold) noexcept nogil:
    """consider_cut for one output, gini, no missing value in the node: the
    forests' default and the commonest candidate cut there is.

    The same operations in the same order as the general path (L = left,
    R = total - left, clf_impurity of each side, cut_proxy), so the same
    bits, without building L and R for a cut that loses: the class sums are
    read in place and the sides are written out only for a new best.
    """
    cdef Py_ssize_t S = 2 + t.K, s, c
    cdef double wL = left[1], wR = total[1] - left[1], accL = 0.0, accR = 0.0, p, q
    if left[0] < lim.min_samples_leaf or total[0] - left[0] < lim.min_samples_leaf:
        return
    if wL < lim.min_weight_leaf or wR < lim.min_weight_leaf:
        return
    if wL <= 0.0 or wR <= 0.0:
        return
    if S == 4:
        q = gd_gini2_proxy(wL, left[2], left[3], wR, total[2] - left[2], total[3] - left[3])
    else:
        for c in range(2, S):
            p = left[c] / wL
            accL += p * p
            p = (total[c] - left[c]) / wR
            accR += p * p
        q = -(wL * (1.0 - accL) + wR * (1.0 - accR))
    if q > best.proxy:
        for s in range(S):
            L[s] = left[s]
            R[s] = total[s] - left[s]
        best.proxy = q
        best.feature = f
        best.bin = bl
        best.threshold = threshold if threshold == threshold else cut_threshold(t, f, bl, br)
        best.missing_left = L[0] > R[0]
        best.n_left = <Py_ssize_t> L[0]
        if best.stats != NULL:
            memcpy(best.stats, L, S * sizeof(double))
            memcpy(best.stats + S, R, S * sizeof(double))


cdef inline void consider_cut(const TreeData* t, Py_ssize_t f, Py_ssize_t bl, Py_ssize_t br,
                              const double* left, const double* miss, const double* total,
                              Limits lim, Split* best, double* L, double* R,
                              double threshold, int sides) noexcept nogil:
    """Try the cut 'value codes <= bl' with missing values right, then (if
    sides == 2) left.  Without missing values in the node, NaN at predict time
    goes to the side with more samples (scikit-learn's rule).

    ``threshold`` NaN means "compute it from bl, br" (only done for a new best).
    Kept small so the compiler inlines it, and gini_cut with it, into the
    scans' loops; the other criteria and missing sides take ``sided_cut``.
    """
    if miss[0] == 0.0 and t.n_outputs == 1 and t.criterion == CRIT_GINI:
        gini_cut(t, f, bl, br, left, total, lim, best, L, R, threshold)
    else:
        sided_cut(t, f, bl, br, left, miss, total, lim, best, L, R, threshold, sides)


cdef inline void sided_cut(const TreeData* t, Py_ssize_t f, Py_ssize_t bl, Py_ssize_t br,
                           const double* left, const double* miss, const double* total,
                           Limits lim, Split* best, double* L, double* R,
                           double threshold, int sides) noexcept nogil:
    """consider_cut for any criterion, missing values on either side."""
    cdef Py_ssize_t S = 2 + t.K, s
    cdef int side
    cdef double q
    for side in range(sides):
        if side == 1 and miss[0] == 0.0:
            break
        for s in range(S):
            L[s] = left[s] + (miss[s] if side == 1 else 0.0)
            R[s] = total[s] - L[s]
        if L[0] < lim.min_samples_leaf or R[0] < lim.min_samples_leaf:
            continue
        if L[1] < lim.min_weight_leaf or R[1] < lim.min_weight_leaf:
            continue
        if L[1] <= 0.0 or R[1] <= 0.0:
            continue
        q = cut_proxy(t, L, R)
        if q > best.proxy:
            best.proxy = q
            best.feature = f
            best.bin = bl
            best.threshold = threshold if threshold == threshold else cut_threshold(t, f, bl, br)
            best.missing_left = side == 1 if miss[0] > 0.0 else L[0] > R[0]
            best.n_left = <Py_ssize_t> L[0]
            if best.stats != NULL:
                memcpy(best.stats, L, S * sizeof(double))
                memcpy(best.stats + S, R, S * sizeof(double))


cdef inline void consider_missing_alone(const TreeData* t, Py_ssize_t f,
                                        const double* miss, const double* total,
                                        Limits lim, Split* best, double* left,
                                        double* L, double* R) noexcept nogil:
    """The cut 'every value left, missing right' (threshold +inf)."""
    cdef Py_ssize_t S = 2 + t.K, s
    if miss[0] == 0.0 or miss[0] == total[0]:
        return
    for s in range(S):
        left[s] = total[s] - miss[s]
    consider_cut(t, f, t.n_bins[f] - 1, t.n_bins[f], left, miss, total, lim, best, L, R,
                 INFINITY, 1)


cdef inline bint too_close(const TreeData* t, Py_ssize_t f, Py_ssize_t bl,
                           Py_ssize_t br) noexcept nogil:
    """scikit-learn does not cut between values closer than FEATURE_THRESHOLD."""
    cdef const double* v = t.table + f * t.stride
    return t.is_exact[f] and v[br] <= v[bl] + 1e-7  # FEATURE_THRESHOLD


cdef inline int bin_class(const double* h, int K) noexcept nogil:
    """The one class with weight in the histogram bin h, or -1 if several."""
    cdef int c, found = -1
    for c in range(K):
        if h[2 + c] > 0.0:
            if found >= 0:
                return -1
            found = c
    return found
