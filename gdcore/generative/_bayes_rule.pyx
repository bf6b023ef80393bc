"""Bayes' rule on joint log-likelihoods: P(c | x) = exp(jll_c - logsumexp(jll)).

Every Bayes classifier's ``predict_proba`` ends here.  Each row is shifted by
its maximum before exponentiating (no overflow), O(n k), parallel over rows.
With few classes NumPy's reductions along the short axis are slow, and its
max / exp / sum / divide chain makes four passes with temporaries where this
kernel makes one; next to the compiled likelihood pass it would be a large
share of ``predict_proba``, as ``gdcore bench naive_bayes`` (predict_proba
cases) measures.

A row is *undefined* when its largest entry is not finite or it holds a NaN:
all -inf means the row is impossible under every class (0 / 0), +inf or NaN
means a degenerate or overflowed likelihood.  Such a row gets NaN
probabilities and is counted; the caller raises (``gdcore.generative._base``),
so no NaN ever reaches ``predict``.  A defined row's sum is at least 1 (its
maximum contributes exp(0)), so the division is always defined.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY, NAN, isfinite, isnan

from gdcore._cy._math cimport exp_or_zero

cdef enum:
    # Rows per parallel chunk: enough work per chunk to outweigh a thread's
    # start-up; below two chunks one thread does it all.  Measured by
    # ``gdcore bench naive_bayes`` (predict_proba).
    CHUNK_ROWS = 8192


def posterior_from_joint(
    const floating[:, ::1] jll,     # IN (n, k) log P(x, c)
    double[:, ::1] proba,           # OUT (n, k) P(c | x); NaN on undefined rows
    int n_threads,
):
    """proba = exp(jll - row max) normalized to sum to one per row.

    Returns the number of undefined rows (see the module docstring).
    """
    cdef Py_ssize_t n = jll.shape[0], k = jll.shape[1]
    cdef Py_ssize_t n_chunks = (n + CHUNK_ROWS - 1) // CHUNK_ROWS
    cdef Py_ssize_t ch, i, c, stop
    cdef Py_ssize_t n_undefined = 0
    cdef double top, s
    cdef bint has_nan
    if n_chunks < 2:
        n_threads = 1
    with nogil:
        for ch in prange(n_chunks, schedule="static", num_threads=n_threads):
            stop = min(n, (ch + 1) * CHUNK_ROWS)
            for i in range(ch * CHUNK_ROWS, stop):
                top = -INFINITY
                has_nan = False
                for c in range(k):
                    if jll[i, c] > top:
                        top = jll[i, c]
                    elif isnan(jll[i, c]):
                        has_nan = True
                if has_nan or not isfinite(top):
                    n_undefined += 1
                    for c in range(k):
                        proba[i, c] = NAN
                    continue
                s = 0.0
                for c in range(k):
                    proba[i, c] = exp_or_zero(jll[i, c] - top)
                    s = s + proba[i, c]
                for c in range(k):
                    proba[i, c] = proba[i, c] / s
    return n_undefined
