# The SMO solver's passes over its variables (_svm.pyx): the working-set
# selection (WSS2's scans for i and j) and the gradient updates, each in
# chunks of VAR_CHUNK variables that a work team (_work_team.pxd) can share.
# Chunks are fixed by the problem and merged in chunk order, so the answer
# does not depend on the thread count.  Where every variable is active the
# scans run as the vectorized loops of _svm_simd.pxd.
from cython cimport floating
from libc.math cimport INFINITY

from gdcore.discriminative.svm._svm_rows cimport get_row
from gdcore.discriminative.svm._svm_simd cimport gd_svm_add_pair_dense, gd_svm_low_dense
from gdcore.discriminative.svm._svm_state cimport SVM_TAU, State
from gdcore._cy._work_team cimport gd_chunk_fn, gd_team_run

cdef enum:
    # Variables per chunk of a scan or gradient update: enough work that
    # claiming a chunk costs little, few enough that a team splits a pass
    # evenly.  Measured by `gdcore bench svm` (SVC rbf fit, 20000x50 hard).
    VAR_CHUNK = 2048

cdef extern from *:
    """
    static const double GD_SVM_NEAR_ONE = 1.0 - 8.8817841970012523e-16;  /* 1 - 2^-50 */
    """
    # 1 - 8 ulps of 1: a product this much below best * quad cannot round up to it
    const double NEAR_ONE "GD_SVM_NEAR_ONE"


ctypedef struct VarJob:
    State* s
    int i              # scan_low: the working set's first variable
    double g_max       # scan_low: -y_i G_i
    float* Ki          # scan_low, gradient update, G_bar: rows of K
    float* Kj
    double wi, wj      # gradient update weights; wi alone for G_bar
    int n_chunks


cdef inline void chunk_range(int count, int c, int* lo, int* hi) noexcept nogil:
    lo[0] = c * VAR_CHUNK
    hi[0] = lo[0] + VAR_CHUNK if count - lo[0] > VAR_CHUNK else count


cdef inline void run_var_job(State* s, gd_chunk_fn fn, VarJob* job, int count) noexcept nogil:
    """fn over the chunks of count variables, on the team when it is worth it."""
    cdef int c
    job.s = s
    job.n_chunks = (count + VAR_CHUNK - 1) // VAR_CHUNK
    if s.team != NULL and count >= s.team_vars:
        gd_team_run(s.team, fn, job, job.n_chunks)
    else:
        for c in range(job.n_chunks):
            fn(job, c)


cdef inline void up_candidate(const double* y, const char* bound, const char* up_out,
                              int t, double g, double* best, int* best_idx) noexcept nogil:
    """Keep t if it is in I_up and -y_t g >= best: the last index wins ties."""
    cdef double v = -y[t] * g
    if bound[t] != up_out[t] and v >= best[0]:
        best[0] = v
        best_idx[0] = t


cdef inline void low_dense(State* s, int lo, int hi, const float* Ki, double g_max,
                           double QD_i, double* obj_min, int* obj_idx,
                           double* g_max2) noexcept nogil:
    """scan_low's answer on variables lo:hi by gd_svm_low_dense, one call per
    run of variables whose data rows are consecutive: variable t's data row
    is t mod n (one run in C-SVC, two in SVR, whose variables t and t + n
    share data row t).  Later runs win ties, as later indices do."""
    cdef int start = lo, stop, base, idx
    cdef double o, m2
    obj_min[0], obj_idx[0], g_max2[0] = INFINITY, -1, -INFINITY
    while start < hi:
        base = start - start % s.n
        stop = min(hi, base + s.n)
        idx = gd_svm_low_dense(start - base, stop - base, s.y + base, s.G + base,
                               s.QD + base, s.low_gate + base, Ki, g_max, QD_i, SVM_TAU,
                               s.scratch + base, &o, &m2)
        if idx >= 0 and o <= obj_min[0]:
            obj_min[0], obj_idx[0] = o, idx + base
        g_max2[0] = max(g_max2[0], m2)
        start = stop


cdef inline void add_pair_dense(State* s, int lo, int hi, const float* Ki, const float* Kj,
                                double wi, double wj, double* best,
                                int* best_idx) noexcept nogil:
    """add_pair_to_G on variables lo:hi by gd_svm_add_pair_dense, in runs as
    in low_dense."""
    cdef int start = lo, stop, base, idx
    cdef double v
    best[0], best_idx[0] = -INFINITY, -1
    while start < hi:
        base = start - start % s.n
        stop = min(hi, base + s.n)
        idx = gd_svm_add_pair_dense(start - base, stop - base, s.y + base, s.G + base,
                                    s.up_gate + base, Ki, Kj, wi, wj, s.scratch + base, &v)
        if idx >= 0 and v >= best[0]:
            best[0], best_idx[0] = v, idx + base
        start = stop


cdef inline void scan_up(void* ctx, int c) noexcept nogil:
    """Chunk c of the active list: max of -y_t G_t over I_up, the last index on ties."""
    cdef State* s = (<VarJob*> ctx).s
    cdef const int* A = s.A
    cdef int k, lo, hi, best_idx = -1
    cdef double best = -INFINITY
    chunk_range(s.la, c, &lo, &hi)
    for k in range(lo, hi):
        up_candidate(s.y, s.bound, s.up_out, A[k], s.G[A[k]], &best, &best_idx)
    s.red_val[c] = best
    s.red_idx[c] = best_idx


cdef inline void scan_low(void* ctx, int c) noexcept nogil:
    """Chunk c: WSS2's j over I_low, and max of y_t G_t over I_low.

    Struct fields are read into locals once: the compiler cannot keep them in
    registers through the loop otherwise (stores to G may alias the State).
    """
    cdef VarJob* job = <VarJob*> ctx
    cdef State* s = job.s
    cdef const int* A = s.A
    cdef const int* var_data = s.var_data
    cdef const double* y = s.y
    cdef const double* G = s.G
    cdef const double* QD = s.QD
    cdef const char* bound = s.bound
    cdef const char* low_out = s.low_out
    cdef const float* Ki = job.Ki
    cdef int k, t, lo, hi, obj_idx = -1
    cdef double yG, grad_diff, quad, num, obj, g_max = job.g_max, QD_i = s.QD[job.i]
    cdef double obj_min = INFINITY, best = -INFINITY, g_max2 = -INFINITY
    chunk_range(s.la, c, &lo, &hi)
    if s.dense_scans and s.la == s.l:
        low_dense(s, lo, hi, Ki, g_max, QD_i, &s.red_val[c], &s.red_idx[c],
                  &s.red_val[job.n_chunks + c])
        return
    for k in range(lo, hi):
        t = A[k]
        if bound[t] == low_out[t]:
            continue
        yG = y[t] * G[t]
        if yG >= g_max2:
            g_max2 = yG
        grad_diff = g_max + yG
        if grad_diff > 0:
            quad = QD_i + QD[t] - 2.0 * Ki[var_data[t]]
            if quad <= 0:
                quad = SVM_TAU
            num = grad_diff * grad_diff
            # obj = -num / quad wins when num / quad >= best = -obj_min.  A num
            # 8 ulps below best * quad cannot round up to it, so most losers
            # skip the division (whose latency is long next to the scan's
            # multiply-adds).
            if num < best * quad * NEAR_ONE:
                continue
            obj = -num / quad
            if obj <= obj_min:
                obj_min = obj
                best = -obj
                obj_idx = t
    s.red_val[c] = obj_min
    s.red_idx[c] = obj_idx
    s.red_val[job.n_chunks + c] = g_max2


cdef inline int select_working_set(State* s, int* out_i, int* out_j, double tol,
                                   floating dummy) noexcept nogil:
    """WSS2 over the active set: 0 and (i, j), or 1 when optimal within tol.

    Chunk results are merged in chunk order with the scans' own tie rules,
    which is the single scan's answer whatever the chunking.
    """
    cdef VarJob job
    cdef int c, i = -1, j = -1
    cdef double g_max = -INFINITY, g_max2 = -INFINITY, obj_min = INFINITY
    if s.up_ready:
        job.n_chunks = s.up_chunks       # the last gradient update scanned I_up
        s.up_ready = False
    else:
        run_var_job(s, scan_up, &job, s.la)
    for c in range(job.n_chunks):
        if s.red_idx[c] >= 0 and s.red_val[c] >= g_max:
            g_max = s.red_val[c]
            i = s.red_idx[c]
    if i < 0:
        # Nothing in I_up: only g_max2 matters, and it cannot be < tol - (-inf).
        return 1
    job.i, job.g_max = i, g_max
    job.Ki = get_row(s, s.var_data[i], False, dummy)
    run_var_job(s, scan_low, &job, s.la)
    for c in range(job.n_chunks):
        if s.red_val[job.n_chunks + c] > g_max2:
            g_max2 = s.red_val[job.n_chunks + c]
        if s.red_idx[c] >= 0 and s.red_val[c] <= obj_min:
            obj_min = s.red_val[c]
            j = s.red_idx[c]
    if g_max + g_max2 < tol or j == -1:
        return 1
    out_i[0] = i
    out_j[0] = j
    return 0


cdef inline void add_pair_to_G(void* ctx, int c) noexcept nogil:
    """Chunk c: G_t += y_t (wi K_it + wj K_jt) over the active variables, and
    the next iteration's scan_up of the chunk on the way (the G values it
    reads are the ones just written: one pass over the active set instead of
    two).  Locals as in scan_low."""
    cdef VarJob* job = <VarJob*> ctx
    cdef State* s = job.s
    cdef const int* A = s.A
    cdef const int* var_data = s.var_data
    cdef const double* y = s.y
    cdef double* G = s.G
    cdef const char* bound = s.bound
    cdef const char* up_out = s.up_out
    cdef const float* Ki = job.Ki
    cdef const float* Kj = job.Kj
    cdef double wi = job.wi, wj = job.wj
    cdef int k, t, lo, hi, best_idx = -1
    cdef double g, best = -INFINITY
    chunk_range(s.la, c, &lo, &hi)
    if s.dense_scans and s.la == s.l:
        add_pair_dense(s, lo, hi, Ki, Kj, wi, wj, &s.red_val[c], &s.red_idx[c])
        return
    for k in range(lo, hi):
        t = A[k]
        g = G[t] + y[t] * (wi * Ki[var_data[t]] + wj * Kj[var_data[t]])
        G[t] = g
        up_candidate(y, bound, up_out, t, g, &best, &best_idx)
    s.red_val[c] = best
    s.red_idx[c] = best_idx


cdef inline void add_row_to_G_bar(void* ctx, int c) noexcept nogil:
    """Chunk c: G_bar_t += wi y_t K_it over every variable."""
    cdef VarJob* job = <VarJob*> ctx
    cdef State* s = job.s
    cdef int t, lo, hi
    chunk_range(s.l, c, &lo, &hi)
    for t in range(lo, hi):
        s.G_bar[t] += job.wi * s.y[t] * job.Ki[s.var_data[t]]
