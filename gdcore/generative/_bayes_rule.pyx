"""Bayes' rule on joint log-likelihoods: P(c | x) = exp(jll_c - logsumexp(jll)).

Every Bayes classifier's ``predict_proba`` ends here.  Each row is shifted by
its maximum before exponentiating (no overflow), O(n k), parallel over rows.
With few classes NumPy's reductions along the short axis are slow, and its
max / exp / sum / divide chain makes four passes with temporaries where this
kernel makes one; next to the compiled likelihood pass it would be a large
share of ``predict_proba``, as ``gdcore bench naive_bayes`` (predict_proba
cases) measures.
A row whose entries are all -inf (impossible under every class) gives NaN,
as the NumPy twin does (0 / 0).
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY, isinf

from gdcore._cy._math cimport exp_or_zero

cdef enum:
    # Rows per parallel chunk: enough work per chunk to outweigh a thread's
    # start-up; below two chunks one thread does it all.  Measured by
    # ``gdcore bench naive_bayes`` (predict_proba).
    CHUNK_ROWS = 8192


def posterior_from_joint(
    const floating[:, ::1] jll,     # IN (n, k) log P(x, c)
    double[:, ::1] proba,           # OUT (n, k) P(c | x)
    int n_threads,
):
    """proba = exp(jll - row max) normalized to sum to one per row."""
    cdef Py_ssize_t n = jll.shape[0], k = jll.shape[1]
    cdef Py_ssize_t n_chunks = (n + CHUNK_ROWS - 1) // CHUNK_ROWS
    cdef Py_ssize_t ch, i, c, stop
    cdef double top, s
    if n_chunks < 2:
        n_threads = 1
    with nogil:
        for ch in prange(n_chunks, schedule="static", num_threads=n_threads):
            stop = min(n, (ch + 1) * CHUNK_ROWS)
            for i in range(ch * CHUNK_ROWS, stop):
                top = -INFINITY
                for c in range(k):
                    if jll[i, c] > top:
                        top = jll[i, c]
                if isinf(top):
                    top = 0.0
                s = 0.0
                for c in range(k):
                    proba[i, c] = exp_or_zero(jll[i, c] - top)
                    s = s + proba[i, c]
                for c in range(k):
                    proba[i, c] = proba[i, c] / s
