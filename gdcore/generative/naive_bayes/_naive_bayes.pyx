"""Naive Bayes kernels: per-class sufficient statistics and joint log-likelihoods.

Naive Bayes assumes the features are independent given the class, so
log P(x, c) = log P(c) + sum_j log P(x_j | c): every kernel here is one pass
over the rows of X, O(n * d * k) for the likelihoods and O(n * d) for the
statistics.  NaN in X means "missing": a missing x_j contributes nothing to
sum_j (it is marginalized out, since its density integrates to 1) and nothing
to the statistics of feature j.  Where a model cannot marginalize (the
multinomial ones), the caller asks for NaN to be an error instead.

Validation is fused into the same pass (inf, NaN where not allowed, negative
counts, categories out of range), which is why the estimators skip
scikit-learn's separate finiteness scan: one memory pass instead of two on data
far larger than cache.

Parallel layout.  Statistics are summed over a fixed partition of the rows into
chunks that depends only on the data's shape, each chunk into its own partial
array, then merged in chunk order: the result is bit-identical on any number
of threads.  Likelihoods are per row, so rows are simply split among threads.

Every entry point returns a status code (0 = ok, see STATUS_*); the caller
raises the error with the GIL held.  The NumPy twin is
``gdcore/generative/naive_bayes/_reference.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport floor, isinf, isnan
from libc.stdlib cimport free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._cy._math cimport all_finite, all_finite_non_negative

cdef enum:
    OK = 0
    FOUND_INF = 1        # an infinite value in X
    FOUND_NAN = 2        # NaN where the model cannot treat it as missing
    FOUND_NEGATIVE = 3   # a negative count, or a negative category code
    BAD_CATEGORY = 4     # a category code that is not an integer, or unseen
    NO_MEMORY = 5        # a per-thread buffer could not be allocated

    # Rows per likelihood block: small enough that the scan leaves the tile
    # in L1/L2 for the gemm (OpenBLAS's skinny gemm, n = the number of
    # classes, also packs less per call with small blocks); too small and
    # the per-call overhead of the gemm dominates.  Measured by
    # ``gdcore bench naive_bayes`` (MultinomialNB predict_proba).
    BLOCK_ROWS = 16
    # The statistics partition: at most 64 chunks of at least 2048 rows, and
    # the chunks' partial arrays together at most 2**24 doubles (128 MiB):
    # more chunks balance the threads better, each costs a partial to fill
    # and merge.  Measured by ``gdcore bench naive_bayes`` (fit cases).
    MAX_CHUNKS = 64
    MIN_CHUNK_ROWS = 2048
    MAX_PARTIAL_DOUBLES = 16777216

# The status codes, for the Python callers.
STATUS_OK = OK
STATUS_INF = FOUND_INF
STATUS_NAN = FOUND_NAN
STATUS_NEGATIVE = FOUND_NEGATIVE
STATUS_BAD_CATEGORY = BAD_CATEGORY
STATUS_NO_MEMORY = NO_MEMORY


def n_stat_chunks(Py_ssize_t n_rows, Py_ssize_t state_size):
    """Number of row chunks for the statistics: a function of the shape only."""
    cdef Py_ssize_t n = max(1, min(MAX_CHUNKS, n_rows // MIN_CHUNK_ROWS))
    return max(1, min(n, MAX_PARTIAL_DOUBLES // max(1, state_size)))


def gaussian_class_stats(
    const floating[:, ::1] X,      # IN (n, d), NaN = missing
    const int[::1] y,              # IN (n,) class index in [0, k)
    const double[::1] weight,      # IN (n,) sample weight
    double[:, ::1] count,          # OUT (k, d) weight of the observed values
    double[:, ::1] mean,           # OUT (k, d) weighted mean of the observed values
    double[:, ::1] ssd,            # OUT (k, d) weighted sum of squared deviations
    int n_threads,
):
    """Per class and feature: observed weight, mean and sum of squared deviations.

    Two passes (mean first, then squared deviations around it), as NumPy's
    var does, so the variance does not lose digits when the mean is large.
    A (class, feature) with no observed weight gets mean 0 and ssd 0.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = count.shape[0]
    cdef Py_ssize_t n_chunks = n_stat_chunks(n, 2 * k * d)
    cdef double[:, :, ::1] part_w = np.zeros((n_chunks, k, d))
    cdef double[:, :, ::1] part_s = np.zeros((n_chunks, k, d))
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef Py_ssize_t ch, i, j, c, start, stop
    cdef double w, x, dev
    cdef const floating* xr
    cdef double* acc_w
    cdef double* acc_s
    cdef const double* mean_c

    with nogil:
        for ch in prange(n_chunks, schedule="static", num_threads=n_threads):
            start = (n * ch) // n_chunks
            stop = (n * (ch + 1)) // n_chunks
            for i in range(start, stop):
                c = y[i]
                w = weight[i]
                xr = &X[i, 0]
                acc_w = &part_w[ch, c, 0]
                acc_s = &part_s[ch, c, 0]
                if all_finite(xr, d):  # the common case, vectorized
                    for j in range(d):
                        acc_w[j] += w
                        acc_s[j] += w * xr[j]
                    continue
                for j in range(d):
                    x = xr[j]
                    if isnan(x):
                        continue
                    if isinf(x):
                        status[ch] = FOUND_INF
                    acc_w[j] += w
                    acc_s[j] += w * x
    err = _first_error(status)
    if err != OK:
        return err
    with nogil:
        _merge_chunks(part_w, count)
        _merge_chunks(part_s, mean)
        for c in range(k):
            for j in range(d):
                mean[c, j] = mean[c, j] / count[c, j] if count[c, j] > 0 else 0.0

        part_s[:, :, :] = 0.0
        for ch in prange(n_chunks, schedule="static", num_threads=n_threads):
            start = (n * ch) // n_chunks
            stop = (n * (ch + 1)) // n_chunks
            for i in range(start, stop):
                c = y[i]
                w = weight[i]
                xr = &X[i, 0]
                acc_s = &part_s[ch, c, 0]
                mean_c = &mean[c, 0]
                if all_finite(xr, d):
                    for j in range(d):
                        dev = xr[j] - mean_c[j]
                        acc_s[j] += w * dev * dev
                    continue
                for j in range(d):
                    if not isnan(xr[j]):
                        dev = xr[j] - mean_c[j]
                        acc_s[j] += w * dev * dev
        _merge_chunks(part_s, ssd)
    return OK


def gaussian_jll(
    const floating[:, ::1] X,           # IN (n, d), NaN = missing
    const double[:, ::1] mean_t,        # IN (d, k) class means, transposed
    const double[:, ::1] var_t,         # IN (d, k) class variances, transposed
    const double[::1] class_log_prior,  # IN (k,)
    double[:, ::1] jll,                 # OUT (n, k) log P(x, c)
    int n_threads,
):
    """log P(c) + sum over observed j of log N(x_j; mean_cj, var_cj).

    Parameters come transposed (d, k) so the innermost loop runs over classes
    with independent accumulators, which the compiler vectorizes; a feature
    loop innermost would be a serial floating-point reduction.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = jll.shape[1]
    cdef double[:, ::1] log_norm = np.log(2.0 * np.pi * np.asarray(var_t))
    cdef double[:, ::1] inv_var = 1.0 / np.asarray(var_t)
    cdef int[::1] status = np.zeros(n, dtype=np.intc)
    cdef Py_ssize_t i, j, c
    cdef double x, dev
    cdef double* row

    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            row = &jll[i, 0]
            for c in range(k):
                row[c] = 0.0
            for j in range(d):
                x = X[i, j]
                if isnan(x):
                    continue
                if isinf(x):
                    status[i] = FOUND_INF
                for c in range(k):
                    dev = x - mean_t[j, c]
                    row[c] += log_norm[j, c] + dev * dev * inv_var[j, c]
            for c in range(k):
                row[c] = class_log_prior[c] - 0.5 * row[c]
    return _first_error(status)


def discrete_class_counts(
    const floating[:, ::1] X,      # IN (n, d) counts or binary values; NaN = missing
    const int[::1] y,              # IN (n,) class index
    const double[::1] weight,      # IN (n,)
    double[:, ::1] feature_count,  # OUT (k, d) sum of weight * x over observed x
    double[:, ::1] missing_count,  # OUT (k, d) sum of weight over missing x
    bint allow_nan,
    bint require_non_negative,
    bint binarize,
    double threshold,              # with binarize: x > threshold counts as 1
    int n_threads,
):
    """Weighted feature counts per class, for the multinomial and Bernoulli models.

    One pass: binarization, the finiteness and sign checks, and the sums.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = feature_count.shape[0]
    cdef Py_ssize_t n_chunks = n_stat_chunks(n, 2 * k * d)
    cdef double[:, :, ::1] part_f = np.zeros((n_chunks, k, d))
    cdef double[:, :, ::1] part_m = np.zeros((n_chunks, k, d))
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef Py_ssize_t ch, i, j, c, start, stop
    cdef double w, x
    cdef const floating* xr
    cdef double* acc

    with nogil:
        for ch in prange(n_chunks, schedule="static", num_threads=n_threads):
            start = (n * ch) // n_chunks
            stop = (n * (ch + 1)) // n_chunks
            for i in range(start, stop):
                c = y[i]
                w = weight[i]
                xr = &X[i, 0]
                acc = &part_f[ch, c, 0]
                if (all_finite_non_negative(xr, d) if require_non_negative
                        else all_finite(xr, d)):  # the common case, vectorized
                    if binarize:
                        for j in range(d):
                            acc[j] += w if xr[j] > threshold else 0.0
                    else:
                        for j in range(d):
                            acc[j] += w * xr[j]
                    continue
                for j in range(d):
                    x = xr[j]
                    if isnan(x):
                        if not allow_nan:
                            status[ch] = FOUND_NAN
                        part_m[ch, c, j] += w
                        continue
                    if isinf(x):
                        status[ch] = FOUND_INF
                    elif require_non_negative and x < 0:
                        status[ch] = FOUND_NEGATIVE
                    if binarize:
                        x = 1.0 if x > threshold else 0.0
                    acc[j] += w * x
    err = _first_error(status)
    if err != OK:
        return err
    with nogil:
        _merge_chunks(part_f, feature_count)
        _merge_chunks(part_m, missing_count)
    return OK


def linear_jll(
    const floating[:, ::1] X,          # IN (n, d); NaN = missing if allowed
    const floating[:, ::1] weights,    # IN (k, d) per-class feature weights
    const double[::1] class_offset,    # IN (k,)
    const double[:, ::1] missing_offset,  # IN (k, d) taken off when x_j is missing
    floating[:, ::1] jll,              # OUT (n, k) X @ weights.T + class_offset
    bint allow_nan,
    bint binarize,
    double threshold,
    int n_threads,
):
    """Scores that are linear in x: multinomial, complement and Bernoulli NB.

    jll[i, c] = class_offset[c] + sum_j w[c, j] x_ij - sum_{j missing} m[c, j].

    Each block of BLOCK_ROWS rows is scanned (finiteness, NaN, binarization)
    and then multiplied by ``weights.T`` with one gemm while still in cache.
    A block that needs no rewriting is multiplied in place; otherwise it is
    copied to a per-thread buffer with NaN as 0 and binarized values.
    Call with BLAS held to one thread.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = weights.shape[0]
    cdef Py_ssize_t n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    cdef int[::1] status = np.zeros(n_blocks, dtype=np.intc)
    cdef Py_ssize_t blk, i, j, c, start, rows
    cdef bint rewrite
    cdef floating x
    cdef floating* buf
    cdef const floating* src

    if n == 0 or k == 0:
        return OK
    if d == 0:
        for i in range(n):
            for c in range(k):
                jll[i, c] = class_offset[c]
        return OK
    with nogil, parallel(num_threads=n_threads):
        buf = <floating*> malloc(BLOCK_ROWS * d * sizeof(floating))
        for blk in prange(n_blocks, schedule="static"):
            start = blk * BLOCK_ROWS
            rows = min(BLOCK_ROWS, n - start)
            rewrite = binarize
            if not all_finite(&X[start, 0], rows * d):
                for i in range(start, start + rows):
                    for j in range(d):
                        x = X[i, j]
                        if isnan(x):
                            rewrite = True
                            if not allow_nan:
                                status[blk] = FOUND_NAN
                        elif isinf(x):
                            status[blk] = FOUND_INF
            if status[blk] != OK:
                continue
            src = &X[start, 0]
            if rewrite and buf == NULL:
                status[blk] = NO_MEMORY
                continue
            if rewrite:
                for i in range(rows):
                    for j in range(d):
                        x = X[start + i, j]
                        if isnan(x):
                            x = 0
                        elif binarize:
                            x = 1 if x > threshold else 0
                        buf[i * d + j] = x
                src = buf
            gemm(False, True, <int> rows, <int> k, <int> d, 1.0, src, <int> d,
                 &weights[0, 0], <int> d, 0.0, &jll[start, 0], <int> k)
            for i in range(start, start + rows):
                for c in range(k):
                    jll[i, c] += class_offset[c]
                if rewrite:
                    for j in range(d):
                        if isnan(X[i, j]):
                            for c in range(k):
                                jll[i, c] -= missing_offset[c, j]
        free(buf)
    return _first_error(status)


def categorical_class_counts(
    const floating[:, ::1] X,        # IN (n, d) category codes 0, 1, ...; NaN = missing
    const int[::1] y,                # IN (n,)
    const double[::1] weight,        # IN (n,)
    const Py_ssize_t[::1] offsets,   # IN (d + 1,) column j's categories start at offsets[j]
    double[:, ::1] category_count,   # OUT (k, offsets[d]) weight per class and category
    int n_threads,
):
    """Weighted count of each (class, feature, category); codes must be in range."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = category_count.shape[0]
    cdef Py_ssize_t width = category_count.shape[1]
    cdef Py_ssize_t n_chunks = n_stat_chunks(n, k * width)
    cdef double[:, :, ::1] part = np.zeros((n_chunks, k, width))
    cdef int[::1] status = np.zeros(n_chunks, dtype=np.intc)
    cdef Py_ssize_t ch, i, j, c, start, stop, code

    with nogil:
        for ch in prange(n_chunks, schedule="static", num_threads=n_threads):
            start = (n * ch) // n_chunks
            stop = (n * (ch + 1)) // n_chunks
            for i in range(start, stop):
                c = y[i]
                for j in range(d):
                    code = _category(X[i, j], offsets[j + 1] - offsets[j], &status[ch])
                    if code >= 0:
                        part[ch, c, offsets[j] + code] += weight[i]
    err = _category_error(status)
    if err != OK:
        return err
    with nogil:
        _merge_chunks(part, category_count)
    return OK


def categorical_jll(
    const floating[:, ::1] X,            # IN (n, d) category codes; NaN = missing
    const double[:, ::1] log_prob_t,     # IN (offsets[d], k) log P(x_j = v | c), transposed
    const Py_ssize_t[::1] offsets,       # IN (d + 1,)
    const double[::1] class_log_prior,   # IN (k,)
    double[:, ::1] jll,                  # OUT (n, k)
    int n_threads,
):
    """log P(c) + sum over observed j of log P(x_j | c), by table look-up."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = jll.shape[1]
    cdef int[::1] status = np.zeros(n, dtype=np.intc)
    cdef Py_ssize_t i, j, c, code
    cdef double* row

    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            row = &jll[i, 0]
            for c in range(k):
                row[c] = class_log_prior[c]
            for j in range(d):
                code = _category(X[i, j], offsets[j + 1] - offsets[j], &status[i])
                if code >= 0:
                    for c in range(k):
                        row[c] += log_prob_t[offsets[j] + code, c]
    return _category_error(status)


cdef inline Py_ssize_t _category(double x, Py_ssize_t n_categories,
                                 int* status) noexcept nogil:
    """The code of a category value, -1 when missing (NaN) or invalid (status set)."""
    if isnan(x):
        return -1
    if isinf(x):
        status[0] = FOUND_INF
        return -1
    if x < 0:
        status[0] = FOUND_NEGATIVE
        return -1
    if x != floor(x) or x >= n_categories:
        if status[0] != FOUND_NEGATIVE:
            status[0] = BAD_CATEGORY
        return -1
    return <Py_ssize_t> x


cdef int _category_error(const int[::1] status) noexcept nogil:
    """A negative code first (scikit-learn's error for it), else the first error."""
    cdef Py_ssize_t i
    for i in range(status.shape[0]):
        if status[i] == FOUND_NEGATIVE:
            return FOUND_NEGATIVE
    return _first_error(status)


cdef void _merge_chunks(const double[:, :, ::1] part, double[:, ::1] out) noexcept nogil:
    """out = the sum of the chunks' partial results, added in chunk order.

    The order is fixed by the chunk count, a function of the shape alone, so
    the thread count never changes a statistic.
    """
    cdef Py_ssize_t ch, c, j
    out[:, :] = 0.0
    for ch in range(part.shape[0]):
        for c in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[c, j] += part[ch, c, j]


cdef int _first_error(const int[::1] status) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(status.shape[0]):
        if status[i] != OK:
            return status[i]
    return OK
