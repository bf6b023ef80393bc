# The nodes of a growing tree still to be split, for _tree_build.pyx: a stack
# (depth first, node ids in preorder) or a max-heap on the impurity
# improvement (best first, max_leaf_nodes), in one growable array of records
# with, beside each, the node's totals when they are already known (a parent's
# split computed its children's, so depth first need not recount them).
# Inline helpers: push O(1) amortized (doubling), heap sift O(log n).
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

from gdcore.discriminative.tree._tree_split cimport Split


cdef struct Record:
    Py_ssize_t start
    Py_ssize_t end
    Py_ssize_t pos                 # best first: where the split cut the node
    Py_ssize_t depth
    Py_ssize_t parent
    Py_ssize_t node                # best first: the node's id
    bint is_left
    int hist                       # histogram buffer id, -1 if none
    bint known                     # depth first: totals (in totals) and impurity known
    double impurity
    double improvement
    Split split


cdef struct Frontier:
    Record* recs
    double* totals                 # (cap, S) totals of known records
    Py_ssize_t S                   # doubles per totals row: 2 + K
    Py_ssize_t n
    Py_ssize_t cap


cdef inline bint frontier_push(Frontier* fr, Record* r, const double* totals) noexcept nogil:
    """Append r (with its node totals, if given); False when out of memory."""
    cdef void* p
    cdef Py_ssize_t cap
    if fr.n == fr.cap:
        cap = 2 * fr.cap if fr.cap > 0 else 64
        p = realloc(fr.recs, cap * sizeof(Record))
        if p == NULL:
            return False
        fr.recs = <Record*> p
        p = realloc(fr.totals, cap * fr.S * sizeof(double))
        if p == NULL:
            return False
        fr.totals = <double*> p
        fr.cap = cap
    r.known = totals != NULL
    if totals != NULL:
        memcpy(fr.totals + fr.n * fr.S, totals, fr.S * sizeof(double))
    fr.recs[fr.n] = r[0]
    fr.n += 1
    return True


cdef inline Record frontier_pop(Frontier* fr, double* totals) noexcept nogil:
    """Remove the last record (stack order); its totals to totals if known."""
    fr.n -= 1
    if fr.recs[fr.n].known:
        memcpy(totals, fr.totals + fr.n * fr.S, fr.S * sizeof(double))
    return fr.recs[fr.n]


cdef inline void frontier_sift_up(Frontier* fr) noexcept nogil:
    """Restore the max-heap after frontier_push."""
    cdef Record* heap = fr.recs
    cdef Record tmp
    cdef Py_ssize_t k = fr.n - 1
    while k > 0 and heap[(k - 1) // 2].improvement < heap[k].improvement:
        tmp = heap[k]
        heap[k] = heap[(k - 1) // 2]
        heap[(k - 1) // 2] = tmp
        k = (k - 1) // 2


cdef inline Record frontier_pop_max(Frontier* fr) noexcept nogil:
    """Remove and return the top of the max-heap."""
    cdef Record* heap = fr.recs
    cdef Record top = heap[0], tmp
    cdef Py_ssize_t k = 0, c, n = fr.n - 1
    heap[0] = heap[n]
    fr.n = n
    while True:
        c = 2 * k + 1
        if c >= n:
            break
        if c + 1 < n and heap[c + 1].improvement > heap[c].improvement:
            c += 1
        if heap[c].improvement <= heap[k].improvement:
            break
        tmp = heap[k]
        heap[k] = heap[c]
        heap[c] = tmp
        k = c
    return top


cdef inline void frontier_free(Frontier* fr) noexcept nogil:
    free(fr.recs)
    free(fr.totals)
