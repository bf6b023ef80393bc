"""Row bookkeeping of a boosting tree: partition, leaf updates, binned walks.

``partition`` splits a node's slice of the row array in place, stably (rows
keep their order on each side), in O(rows) and one read of each row's code:
each chunk of rows splits into its left run (in place) and its right run (in
a buffer), and prefix sums of the left counts place every run.  A stable partition is
unique, so the result does not depend on the number of chunks or threads.

``add_leaf_values`` adds each leaf's value to the raw predictions of the
training rows that reached it, read off the final partition (each leaf owns
a slice of the row array), with no walk down the tree (scikit-learn's
``_update_raw_predictions``).  ``predict_binned`` walks rows the tree did
not partition (rows left out by ``subsample``, the validation set) on their
bin codes.  NumPy twin: ``gdcore/discriminative/boosting/_reference/boosting_rows.py``.
"""

import numpy as np

from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t
from libc.string cimport memcpy, memmove

from gdcore._cy._prefetch cimport GDCORE_PREFETCH

ctypedef fused code_t:
    uint8_t
    uint32_t

cdef enum:
    # Rows below which a partition runs as one chunk: a few microseconds of
    # work, less than starting a parallel region.
    MIN_PARALLEL_ROWS = 16384
    # Rows ahead whose code the partition prefetches: a node's rows are
    # sorted, so nearby rows share a line of the column, and a memory access
    # (the column is out of cache after the histograms stream every code)
    # must be asked for hundreds of rows early to arrive in time.  `gdcore
    # bench boosting` (binary 1,000,000 x 40); 16 left the load waiting.
    PREFETCH_ROWS = 256


cdef inline bint _goes_left(uint32_t code, uint32_t bin_, uint32_t missing_code,
                            bint missing_left, const uint32_t* bits) noexcept nogil:
    """Numerical split (bits NULL): code <= bin_; categorical: bit ``code`` of bits."""
    cdef uint32_t missing = code == missing_code
    if bits != NULL:
        if missing:
            return missing_left
        return code < 256 and (bits[code >> 5] >> (code & 31)) & 1
    # numerical: select without a branch (``partition`` writes both sides)
    return (missing & missing_left) | ((1 - missing) & (code <= bin_))


def partition(
    const code_t[:, ::1] codes,        # IN (d, n)
    int32_t[::1] rows,                 # IN/OUT (m,) the node's rows; left ones first after
    int32_t[::1] buffer,               # TMP (m,)
    Py_ssize_t feature, Py_ssize_t bin_, Py_ssize_t missing_code, bint missing_left,
    const uint32_t[::1] left_bits,     # IN (8,) categories going left, or (0,) if numerical
    int n_threads,
):
    """Move the rows going left (code <= bin_, or missing when missing_left) first.

    A categorical split (``left_bits`` of 8 words) sends code c left when bit
    ``c % 32`` of word ``c // 32`` is set.  Returns the number of rows going left.
    One pass reads each row's code: a chunk keeps its left rows in place, at
    its start (never past the row being read), and its right rows in
    ``buffer``; the left runs then move down in chunk order and the right
    runs are copied after them.
    """
    cdef Py_ssize_t m = rows.shape[0], c, i, lo, hi, nl, nr, n_left = 0, n_chunks, size, go
    cdef int32_t r
    cdef const code_t* col = &codes[feature, 0]
    cdef const uint32_t* bits = &left_bits[0] if left_bits.shape[0] == 8 else NULL
    cdef int64_t[::1] lefts, left_at
    if m == 0:
        return 0
    n_chunks = max(1, n_threads) if m >= MIN_PARALLEL_ROWS else 1
    size = (m + n_chunks - 1) // n_chunks
    lefts = np.zeros(n_chunks, dtype=np.int64)
    left_at = np.zeros(n_chunks, dtype=np.int64)
    with nogil:
        for c in prange(n_chunks, schedule="static", num_threads=n_chunks):
            lo = c * size
            hi = min(m, lo + size)
            nl = 0
            nr = 0
            for i in range(lo, hi):
                if i + PREFETCH_ROWS < hi:
                    # scattered rows: ask for a later row's code now
                    GDCORE_PREFETCH(col + rows[i + PREFETCH_ROWS], 3)
                r = rows[i]
                # the row is written to both sides and only one count moves:
                # no branch on the split's outcome, which is a coin flip the
                # predictor misses about every other row (lo + nl <= i, so
                # no unread row is overwritten)
                go = _goes_left(col[r], bin_, missing_code, missing_left, bits)
                rows[lo + nl] = r
                buffer[lo + nr] = r
                nl = nl + go
                nr = nr + 1 - go
            lefts[c] = nl
        for c in range(n_chunks):
            left_at[c] = n_left
            n_left += lefts[c]
        for c in range(1, n_chunks):  # in chunk order: each run moves down, onto stale rows
            if lefts[c]:
                memmove(&rows[left_at[c]], &rows[c * size], lefts[c] * sizeof(int32_t))
        for c in prange(n_chunks, schedule="static", num_threads=n_chunks):
            lo = c * size
            nr = min(m, lo + size) - lo - lefts[c]
            if nr:
                memcpy(&rows[n_left + lo - left_at[c]], &buffer[lo], nr * sizeof(int32_t))
    return n_left


def add_leaf_values(
    double[::1] raw,                   # IN/OUT (n,) raw predictions of one output
    const int32_t[::1] rows,           # IN (m,) the partitioned rows
    const int64_t[::1] starts,         # IN (L,) each leaf's slice of rows
    const int64_t[::1] stops,          # IN (L,)
    const double[::1] values,          # IN (L,) leaf values (already shrunk)
    int n_threads,
):
    """raw[rows[starts[l]:stops[l]]] += values[l] for every leaf l (disjoint rows)."""
    cdef Py_ssize_t leaf, i
    with nogil:
        for leaf in prange(starts.shape[0], schedule="dynamic", num_threads=n_threads):
            for i in range(starts[leaf], stops[leaf]):
                raw[rows[i]] += values[leaf]


def predict_binned(
    const code_t[:, ::1] codes,        # IN (d, n) bin codes
    const int32_t[::1] rows,           # IN (m,) rows to walk
    const int32_t[::1] left,           # IN (nodes,) left child, -1 at leaves
    const int32_t[::1] right,          # IN (nodes,)
    const int32_t[::1] feature,        # IN (nodes,)
    const uint32_t[::1] bin_,          # IN (nodes,) last bin going left
    const uint8_t[::1] missing_left,   # IN (nodes,)
    const uint32_t[::1] missing_code,  # IN (d,) code of NaN per feature
    const uint8_t[::1] is_cat,         # IN (nodes,) 1 where the split is categorical
    const uint32_t[:, ::1] cat_bits,   # IN (nodes, 8) categories going left
    const double[::1] value,           # IN (nodes,)
    double[::1] raw,                   # IN/OUT (n,) raw[rows[i]] += leaf value
    int n_threads,
):
    """Add the tree's leaf value to raw for each of the given rows."""
    cdef Py_ssize_t i, r, node, f
    with nogil:
        for i in prange(rows.shape[0], schedule="static", num_threads=n_threads):
            r = rows[i]
            node = 0
            while left[node] >= 0:
                f = feature[node]
                if _goes_left(codes[f, r], bin_[node], missing_code[f], missing_left[node],
                              &cat_bits[node, 0] if is_cat[node] else NULL):
                    node = left[node]
                else:
                    node = right[node]
            raw[r] += value[node]
