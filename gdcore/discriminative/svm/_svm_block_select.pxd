# The working-set selection of the block solver (_svm_block.pyx): I_up / I_low
# membership and keys, and the next set of q variables, half kept from the
# last set, the rest alternating between the best violators of each side
# (as SVMlight's and oneDAL's selections do).  Ties go to the smaller index,
# so the set never depends on the thread count.
from libc.math cimport INFINITY
from libc.stdlib cimport qsort


ctypedef struct Cand:
    double v
    int t


cdef inline int cand_order(const void* a, const void* b) noexcept nogil:
    """Best first: larger value, then smaller index (a total order)."""
    cdef const Cand* x = <const Cand*> a
    cdef const Cand* z = <const Cand*> b
    if x.v != z.v:
        return -1 if x.v > z.v else 1
    return -1 if x.t < z.t else (1 if x.t > z.t else 0)


cdef inline bint worse(Cand a, Cand b) noexcept nogil:
    return a.v < b.v or (a.v == b.v and a.t > b.t)


cdef inline int top_k(const double* v, const char* ok, const char* skip, int l, int k,
                      Cand* heap) noexcept nogil:
    """The k best (value v_t, then smaller t) of the t with ok[t] and not
    skip[t], best first in heap[:returned count]: a heap of the k best so far
    (its worst at the root), sorted at the end."""
    cdef int t, m = 0, c, r
    cdef Cand x, tmp
    if k <= 0:
        return 0
    for t in range(l):
        if not ok[t] or skip[t]:
            continue
        x.v, x.t = v[t], t
        if m < k:
            # sift up
            c = m
            m += 1
            heap[c] = x
            while c > 0 and worse(heap[c], heap[(c - 1) // 2]):
                r = (c - 1) // 2
                tmp = heap[c]
                heap[c] = heap[r]
                heap[r] = tmp
                c = r
        elif worse(heap[0], x):
            # replace the worst, sift down
            heap[0] = x
            c = 0
            while True:
                r = 2 * c + 1
                if r >= m:
                    break
                if r + 1 < m and worse(heap[r + 1], heap[r]):
                    r += 1
                if not worse(heap[r], heap[c]):
                    break
                tmp = heap[c]
                heap[c] = heap[r]
                heap[r] = tmp
                c = r
    qsort(heap, m, sizeof(Cand), cand_order)
    return m


cdef inline void set_bounds(const double* y, const double* alpha, const double* C, const double* G,
                            const char* active, int l, char* in_up, char* in_low,
                            double* up_v, double* low_v) noexcept nogil:
    """I_up / I_low membership (active variables only) and the keys -y G
    (I_up) and y G (I_low)."""
    cdef int t
    cdef bint upper, lower
    for t in range(l):
        upper = alpha[t] >= C[t]
        lower = (not upper) and alpha[t] <= 0
        if not active[t]:
            in_up[t], in_low[t] = 0, 0
        elif y[t] > 0:
            in_up[t], in_low[t] = not upper, not lower
        else:
            in_up[t], in_low[t] = not lower, not upper
        up_v[t] = -y[t] * G[t]
        low_v[t] = y[t] * G[t]


cdef inline int select_set(int l, int q, int* ws, int m_prev, char* in_ws, const char* in_up,
                           const char* in_low, const double* up_v, const double* low_v,
                           Cand* up_c, Cand* low_c, double* gap) noexcept nogil:
    """The next working set in ws (returns its size), the global gap in
    gap[0] and the best of I_up and of I_low in gap[1], gap[2].

    The last half of the previous set moves to the front; new members then
    alternate between the best of I_up and the best of I_low, skipping
    members, until q are chosen or both sides run out.
    """
    cdef int k, keep = min(m_prev, q // 2), m, n_up, n_low, a = 0, b = 0, need, t
    cdef Cand best_up, best_low
    for k in range(l):
        in_ws[k] = 0
    # the global gap from the best of each side over all variables
    n_up = top_k(up_v, in_up, in_ws, l, 1, &best_up)
    n_low = top_k(low_v, in_low, in_ws, l, 1, &best_low)
    gap[1] = best_up.v if n_up else -INFINITY
    gap[2] = best_low.v if n_low else -INFINITY
    gap[0] = gap[1] + gap[2]
    for k in range(keep):
        ws[k] = ws[m_prev - keep + k]
        in_ws[ws[k]] = 1
    m = keep
    need = q - keep
    n_up = top_k(up_v, in_up, in_ws, l, need, up_c)
    n_low = top_k(low_v, in_low, in_ws, l, need, low_c)
    while m < q and (a < n_up or b < n_low):
        while a < n_up and in_ws[up_c[a].t]:
            a += 1
        if a < n_up:
            t = up_c[a].t
            ws[m] = t
            in_ws[t] = 1
            m += 1
            a += 1
        if m == q:
            break
        while b < n_low and in_ws[low_c[b].t]:
            b += 1
        if b < n_low:
            t = low_c[b].t
            ws[m] = t
            in_ws[t] = 1
            m += 1
            b += 1
    return m
