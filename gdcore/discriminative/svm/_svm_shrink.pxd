# Shrinking of the SMO solver's active set (libsvm's do_shrinking, be_shrunk,
# reconstruct_gradient; Joachims): bounded variables that cannot move leave
# the active set, and G_bar keeps their gradient exact to rebuild it.
from cython cimport floating
from libc.math cimport INFINITY

from gdcore.discriminative.svm._svm_rows cimport get_row, rebuild_active_data
from gdcore.discriminative.svm._svm_state cimport State, is_lower, is_upper


cdef inline void activate_all(State* s, floating dummy) noexcept nogil:
    cdef int t
    for t in range(s.l):
        s.A[t] = t
        s.is_active[t] = 1
    s.la = s.l
    s.cur_gen += 1          # the active set grew: partial rows are stale
    s.up_ready = False
    rebuild_active_data(s, dummy)


cdef inline void reconstruct_gradient(State* s, floating dummy) noexcept nogil:
    """G of the shrunk variables from G_bar and the free active ones (libsvm's rule)."""
    cdef int k, t, u, nr_free = 0
    cdef float* row
    cdef double acc
    if s.la == s.l:
        return
    for t in range(s.l):
        if not s.is_active[t]:
            s.G[t] = s.G_bar[t] + s.p[t]
    for k in range(s.la):
        t = s.A[k]
        if not is_upper(s, t) and not is_lower(s, t):
            nr_free += 1
    if <double> nr_free * s.l > 2.0 * s.la * (s.l - s.la):
        # Few shrunk variables: one partial row each, summed over the free ones.
        for t in range(s.l):
            if s.is_active[t]:
                continue
            row = get_row(s, s.var_data[t], False, dummy)
            acc = 0.0
            for k in range(s.la):
                u = s.A[k]
                if not is_upper(s, u) and not is_lower(s, u):
                    acc = acc + s.alpha[u] * s.y[u] * row[s.var_data[u]]
            s.G[t] += s.y[t] * acc
    else:
        # Few free variables: one full row each, spread over the shrunk ones.
        for k in range(s.la):
            u = s.A[k]
            if is_upper(s, u) or is_lower(s, u):
                continue
            row = get_row(s, s.var_data[u], True, dummy)
            for t in range(s.l):
                if not s.is_active[t]:
                    s.G[t] += s.alpha[u] * s.y[u] * s.y[t] * row[s.var_data[t]]


cdef inline bint be_shrunk(State* s, int t, double g_max1, double g_max2) noexcept nogil:
    if is_upper(s, t):
        return -s.G[t] > g_max1 if s.y[t] > 0 else -s.G[t] > g_max2
    if is_lower(s, t):
        return s.G[t] > g_max2 if s.y[t] > 0 else s.G[t] > g_max1
    return False


cdef inline void do_shrinking(State* s, double tol, bint* unshrink, floating dummy) noexcept nogil:
    """Drop bounded variables that the current violation bounds say cannot move."""
    s.up_ready = False          # the active set may change
    cdef double g_max1 = -INFINITY, g_max2 = -INFINITY
    cdef int k, t, la = 0
    for k in range(s.la):
        t = s.A[k]
        if s.y[t] > 0:
            if not is_upper(s, t) and -s.G[t] >= g_max1:
                g_max1 = -s.G[t]
            if not is_lower(s, t) and s.G[t] >= g_max2:
                g_max2 = s.G[t]
        else:
            if not is_upper(s, t) and -s.G[t] >= g_max2:
                g_max2 = -s.G[t]
            if not is_lower(s, t) and s.G[t] >= g_max1:
                g_max1 = s.G[t]
    if not unshrink[0] and g_max1 + g_max2 <= tol * 10:
        # Close to the end: bring everything back once, as libsvm does.
        unshrink[0] = True
        reconstruct_gradient(s, dummy)
        activate_all(s, dummy)
    for k in range(s.la):
        t = s.A[k]
        if be_shrunk(s, t, g_max1, g_max2):
            s.is_active[t] = 0
        else:
            s.A[la] = t
            la += 1
    if la != s.la:
        s.la = la
        rebuild_active_data(s, dummy)
