"""Best split of a boosting node from its histograms (Chen & Guestrin 2016, eq. 7).

For each candidate feature the bins are scanned left to right (missing values
go right) and, when the feature has missing values in training, right to left
(missing values go left).  A split with left/right sums (G_L, H_L), (G_R, H_R)
gains ``G v - G_L v_L - G_R v_R`` with ``v = -G / (H + l2)`` clipped to the
node's monotonic bounds; it must leave ``min_samples_leaf`` rows and
``min_hessian`` on each side, beat ``min_gain`` and, for a monotonic feature,
keep ``v_L <= v_R`` (+1) or ``v_L >= v_R`` (-1).  These are scikit-learn's
HistGradientBoosting rules (``splitting.pyx``), including its strict ``>``
tie-breaking (the first bin, then the first feature, wins), so both libraries
grow the same trees on the same histograms.  O(features x bins), parallel
over features; each feature's scan is serial, so any thread count gives the
same split.  NumPy twin: ``gdcore/discriminative/boosting/_reference/boosting_split.py``.
"""

from cython.parallel cimport prange
from libc.stdint cimport int8_t, int32_t, uint8_t, uint32_t


cdef inline double node_value(double g, double h, double lower, double upper,
                              double l2) noexcept nogil:
    """-G / (H + l2), clipped to [lower, upper] (scikit-learn's compute_node_value)."""
    cdef double v = -g / (h + l2 + 1e-15)
    if v < lower:
        return lower
    if v > upper:
        return upper
    return v


cdef inline double _gain(double gl, double hl, double gr, double hr, double loss_node,
                         int8_t cst, double lower, double upper, double l2) noexcept nogil:
    cdef double vl = node_value(gl, hl, lower, upper, l2)
    cdef double vr = node_value(gr, hr, lower, upper, l2)
    if (cst == 1 and vl > vr) or (cst == -1 and vl < vr):
        return -1.0
    return loss_node - gl * vl - gr * vr


cdef void _scan(const double* hist, Py_ssize_t n_bins, bint has_missing, int8_t cst,
                double n_node, double g_node, double h_node, double value,
                double lower, double upper, double l2, double min_hessian,
                double min_samples_leaf, double min_gain, bint constant_hessian,
                double* gain, int32_t* bin_, uint8_t* missing_left, double* g_left,
                double* h_left, double* n_left) noexcept nogil:
    """Both scans of one feature; hist is its (bins, 3) histogram."""
    cdef Py_ssize_t b, end = n_bins - 1 + has_missing
    cdef double gl, hl, nl, gr, hr, nr, gn
    cdef double loss_node = g_node * value
    cdef double best = -1.0
    gain[0] = -1.0
    gl = hl = nl = 0.0
    for b in range(end):
        nl += hist[3 * b + 2]
        nr = n_node - nl
        hl += hist[3 * b + 2] if constant_hessian else hist[3 * b + 1]
        hr = h_node - hl
        gl += hist[3 * b]
        gr = g_node - gl
        if nl < min_samples_leaf:
            continue
        if nr < min_samples_leaf:
            break
        if hl < min_hessian:
            continue
        if hr < min_hessian:
            break
        gn = _gain(gl, hl, gr, hr, loss_node, cst, lower, upper, l2)
        if gn > best and gn > min_gain:
            best = gn
            gain[0], bin_[0], missing_left[0] = gn, <int32_t> b, 0
            g_left[0], h_left[0], n_left[0] = gl, hl, nl
    if not has_missing:
        return
    gr = hr = nr = 0.0
    for b in range(n_bins - 2, -1, -1):
        nr += hist[3 * (b + 1) + 2]
        nl = n_node - nr
        hr += hist[3 * (b + 1) + 2] if constant_hessian else hist[3 * (b + 1) + 1]
        hl = h_node - hr
        gr += hist[3 * (b + 1)]
        gl = g_node - gr
        if nr < min_samples_leaf:
            continue
        if nl < min_samples_leaf:
            break
        if hr < min_hessian:
            continue
        if hl < min_hessian:
            break
        gn = _gain(gl, hl, gr, hr, loss_node, cst, lower, upper, l2)
        if gn > best and gn > min_gain:
            best = gn
            gain[0], bin_[0], missing_left[0] = gn, <int32_t> b, 1
            g_left[0], h_left[0], n_left[0] = gl, hl, nl


def best_splits(
    const double[:, :, ::1] hist,          # IN (d, B, 3) the node's histograms
    const int32_t[::1] features,           # IN (k,) candidate features
    const int32_t[::1] n_bins,             # IN (d,) non-missing bins per feature
    const uint8_t[::1] has_missing,        # IN (d,) feature had NaN in training
    const int8_t[::1] monotonic_cst,       # IN (d,) -1, 0, +1
    double n_node, double g_node, double h_node,
    double value,                          # the node's (bounded) value
    double lower, double upper,            # bounds of the children's values
    double l2, double min_hessian, double min_samples_leaf, double min_gain,
    bint constant_hessian,
    double[::1] gain,                      # OUT (k,) -1 where no valid split
    int32_t[::1] bin_,                     # OUT (k,) last bin going left
    uint8_t[::1] missing_left,             # OUT (k,)
    double[:, ::1] left,                   # OUT (k, 3) left child's (G, H, count)
    int n_threads,
):
    """Best split of each candidate feature; the node's best is the first maximum."""
    cdef Py_ssize_t j, f, k = features.shape[0]
    with nogil:
        for j in prange(k, schedule="static", num_threads=n_threads):
            f = features[j]
            _scan(&hist[f, 0, 0], n_bins[f], has_missing[f], monotonic_cst[f],
                  n_node, g_node, h_node, value, lower, upper, l2, min_hessian,
                  min_samples_leaf, min_gain, constant_hessian, &gain[j], &bin_[j],
                  &missing_left[j], &left[j, 0], &left[j, 1], &left[j, 2])


cdef enum:
    # bins of a categorical feature plus its missing-value bin
    MAX_CATEGORIES = 256

# Smoothing of a category's gradient ratio G / (H + MIN_CAT_SUPPORT), and the
# least hessian (rows, for a constant hessian) a category needs to be sorted:
# larger values keep rare, noisy categories on the right at the price of
# fewer candidate splits.  scikit-learn's MIN_CAT_SUPPORT (LightGBM's
# cat_smooth and min_data_per_group); `gdcore bench boosting` has no
# categorical case, the value is kept for equality with scikit-learn.
cdef double MIN_CAT_SUPPORT = 10.0


cdef void _scan_categorical(
        const double* hist, Py_ssize_t n_bins, bint has_missing, double n_node,
        double g_node, double h_node, double value, double lower, double upper, double l2,
        double min_hessian, double min_samples_leaf, double min_gain,
        bint constant_hessian, double* gain, uint8_t* missing_left, double* g_left,
        double* h_left, double* n_left, uint32_t* bits) noexcept nogil:
    """Best prefix of the categories sorted by G / (H + MIN_CAT_SUPPORT).

    scikit-learn's ``_find_best_bin_to_split_category``: the missing bin is a
    category; categories with too little support always go right; the sorted
    list is scanned from both ends up to its middle, so the left child holds
    at most half of the categories.
    """
    cdef int32_t idx[MAX_CATEGORIES]
    cdef double ratio[MAX_CATEGORIES]
    cdef Py_ssize_t n_used = 0, b, i, j, middle, best_i = -1, s
    cdef int direction, best_direction = 0
    cdef double hb, support = n_node / h_node if h_node > 0 else 0.0
    cdef double gl, hl, nl, gr, hr, nr, gn, best = -1.0
    cdef double loss_node = g_node * value
    cdef int32_t t
    cdef double r
    cdef Py_ssize_t lo, hi
    gain[0] = -1.0
    for b in range(n_bins + has_missing):
        hb = hist[3 * b + 2] if constant_hessian else hist[3 * b + 1]
        if hb * support >= MIN_CAT_SUPPORT:
            # insertion sort; equal ratios end up in decreasing bin order, the
            # order scikit-learn's qsort leaves them in (its comparator puts
            # an equal b before a), so that ties choose the same categories
            r = hist[3 * b] / (hb + MIN_CAT_SUPPORT)
            j = n_used
            while j > 0 and ratio[j - 1] >= r:
                ratio[j], idx[j] = ratio[j - 1], idx[j - 1]
                j -= 1
            ratio[j], idx[j] = r, <int32_t> b
            n_used += 1
    if n_used <= 1:
        return
    for direction in range(1, -2, -2):
        middle = (n_used + 1) // 2 if direction == 1 else (n_used + 1) // 2 - 1
        gl = hl = nl = 0.0
        for i in range(middle):
            s = i if direction == 1 else n_used - 1 - i
            t = idx[s]
            nl += hist[3 * t + 2]
            nr = n_node - nl
            hl += hist[3 * t + 2] if constant_hessian else hist[3 * t + 1]
            hr = h_node - hl
            gl += hist[3 * t]
            gr = g_node - gl
            if nl < min_samples_leaf or hl < min_hessian:
                continue
            if nr < min_samples_leaf or hr < min_hessian:
                break
            gn = _gain(gl, hl, gr, hr, loss_node, 0, lower, upper, l2)
            if gn > best and gn > min_gain:
                best, best_i, best_direction = gn, s, direction
                gain[0], g_left[0], h_left[0], n_left[0] = gn, gl, hl, nl
    if best_i < 0:
        return
    for i in range(8):
        bits[i] = 0
    missing_left[0] = 0
    lo, hi = 0, best_i + 1
    if best_direction == -1:
        lo, hi = best_i, n_used
    for i in range(lo, hi):
        t = idx[i]
        if t == n_bins:
            missing_left[0] = 1
        else:
            bits[t >> 5] |= (<uint32_t> 1) << (t & 31)


def best_categorical_splits(
    const double[:, :, ::1] hist,          # IN (d, B, 3) the node's histograms
    const int32_t[::1] features,           # IN (k,) candidate categorical features
    const int32_t[::1] n_bins,             # IN (d,) categories per feature (<= 255)
    const uint8_t[::1] has_missing,        # IN (d,) feature had NaN in training
    double n_node, double g_node, double h_node,
    double value,                          # the node's (bounded) value
    double lower, double upper,            # bounds of the children's values
    double l2, double min_hessian, double min_samples_leaf, double min_gain,
    bint constant_hessian,
    double[::1] gain,                      # OUT (k,) -1 where no valid split
    uint8_t[::1] missing_left,             # OUT (k,) the missing bin goes left
    double[:, ::1] left,                   # OUT (k, 3) left child's (G, H, count)
    uint32_t[:, ::1] bits,                 # OUT (k, 8) categories (bins) going left
    int n_threads,
):
    """Best categorical split of each candidate feature (sorted-prefix search)."""
    cdef Py_ssize_t j, f, k = features.shape[0]
    for j in range(k):
        if n_bins[features[j]] + has_missing[features[j]] > MAX_CATEGORIES:
            raise ValueError("A categorical feature has more than 255 categories.")
    with nogil:
        for j in prange(k, schedule="static", num_threads=n_threads):
            f = features[j]
            _scan_categorical(&hist[f, 0, 0], n_bins[f], has_missing[f], n_node, g_node,
                              h_node, value, lower, upper, l2, min_hessian,
                              min_samples_leaf, min_gain, constant_hessian, &gain[j],
                              &missing_left[j], &left[j, 0], &left[j, 1], &left[j, 2],
                              &bits[j, 0])
