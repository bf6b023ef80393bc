"""Working-set block solver for large SVM duals (oneDAL's "thunder" method).

The problem is _svm.pyx's (libsvm's general form, C-SVC and epsilon-SVR)::

    min_a 0.5 a'Qa + p'a   s.t.  y'a = 0,  0 <= a_t <= C_t,   t < l
    Q_st = y_s y_t K(x[var_data[s]], x[var_data[t]])

and the answer is the same optimum: the solve stops on libsvm's rule,
max_{I_up} -y G + max_{I_low} y G < tol, checked on the exact gradient of
every variable, and rho and the objective follow libsvm's calculate_rho.

Why another solver: libsvm's SMO takes two kernel rows an iteration, each a
gemv that reads the whole data matrix, and when the kernel cache cannot hold
the rows that SMO keeps coming back to (n = 40,000 rows x 50 with the
default 200 MB), nearly every iteration computes its rows afresh: the fit is
bound by memory bandwidth, and its time grows as iterations x n.  Here an
outer iteration

1. selects a working set of q variables (WSS of oneDAL and ThunderSVM):
   half of the previous set is kept (the half selected last), and the rest
   alternate between the largest -y_t G_t over I_up and the largest
   y_t G_t over I_low, skipping members;
2. computes the kernel rows of the set's new data rows as ONE gemm against
   the problem's active rows (in fixed chunks of columns, one per task), with an
   LRU cache of rows between outer iterations, allocated as it fills (as
   libsvm's), so that a problem takes the memory of the rows it touches, up
   to cache_size, and never less than the set's q rows;
3. solves the q-variable sub-problem with libsvm's SMO (WSS2 and its
   two-variable step) on the q x q block, held in cache, until its own gap is
   below max(tol, a tenth of its first gap) (oneDAL's local tolerance);
4. adds the block's change to every active gradient, G_t += y_t sum_w K_tw y_w
   da_w, in double over the rows (held in single precision, libsvm's
   Qfloat), the set's members in order.

Shrinking (libsvm's, Joachims'): when at least 1/SHRINK_DIV of the active
variables are at a bound with a gradient that cannot make them violators
(libsvm's be_shrunk against the current best of each side), they leave the
selection, the gradient update and the kernel rows' columns: the active data
rows are gathered into a compact copy and the cached rows are compacted in
place (the active set only shrinks, so every cached row holds all its
columns).  The shrunk variables' gradient is rebuilt from the full gradient
and alpha saved at the first shrink, G_t = G0_t + y_t sum_w K_tw y_w (alpha_w
- alpha0_w), over the variables that moved since, whenever the active gap
falls below tol; the solve then goes on with every variable unless the full
gap is below tol too, the cache emptied, its rows lacking columns.  Unlike
libsvm, nothing is unshrunk at 10 tol: on the bench's SVC fits that rebuild
(and the cache refill after it) cost more than the wrong shrinks it guards
against, which the final check catches anyway.
Every result is independent of the thread count: chunks are fixed by the
problem alone, each sum runs in a fixed order, and the sub-problem runs on
one thread.

The NumPy twin is ``block_solve`` in ``gdcore/discriminative/svm/_reference.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY, pow, tanh
from libc.stdio cimport fflush, printf, stdout
from libc.stdlib cimport calloc, free, malloc

from gdcore._cy._blas cimport gemm
from gdcore._cy._openmp cimport omp_get_thread_num
from gdcore._cy._traced cimport traced_free, traced_malloc
from gdcore.discriminative.svm._svm_block_select cimport Cand, select_set, set_bounds
from gdcore.discriminative.svm._svm_step cimport pair_step
from gdcore.discriminative.svm._svm_simd cimport (
    gd_axpy_f2d, gd_rbf_block_row_d, gd_rbf_block_row_f)

cdef enum:
    LINEAR_K = 0
    POLY_K = 1
    RBF_K = 2
    SIGMOID_K = 3
    PRECOMPUTED_K = 4
    OK_STATUS = 0
    MAX_ITER_STATUS = 1
    INTERRUPTED_STATUS = 3
    NO_MEMORY_STATUS = 4
    # Columns of a kernel block computed by one gemm (a task): with q = 1024
    # new rows a chunk's output stays within a core's L2, and 40,000 rows
    # still give ~150 tasks to spread.
    COL_CHUNK = 256
    # Rows of the gradient update per task: its q axpys over them then read
    # the block once from memory.
    GRAD_CHUNK = 4096
    # Outer iterations between two progress lines with verbose (a line
    # about as often as SMO's every 1,000 iterations).
    REPORT_EVERY = 2
    # Cache rows allocated at once as the cache fills: at most this many
    # rows are held beyond those computed, against one malloc per chunk
    # (a few dozen per fit).  Measured by `gdcore bench svm` (SVC rbf fit,
    # 20000x50 hard) and test_memory_growth.
    CACHE_CHUNK_ROWS = 64
    # Shrink when at least 1/SHRINK_DIV of the active variables can leave:
    # each shrink gathers the active rows and compacts the cache (a pass over
    # it), so few large shrinks beat one per outer iteration.  Not tuned (the
    # first value tried); `gdcore bench svm` (SVC rbf fit, 20000x50 hard)
    # measures it.
    SHRINK_DIV = 8

STATUS_OK = OK_STATUS
STATUS_MAX_ITER = MAX_ITER_STATUS
SHRINK_FRACTION_DIV = SHRINK_DIV

# libsvm's TAU: stands in for a non-positive quad (K_ii + K_jj - 2 K_ij)
cdef double TAU = 1e-12
# The sub-problem stops at this fraction of its first gap (oneDAL, ThunderSVM):
# solving it exactly would spend iterations on variables whose gradient
# is stale outside the set.
cdef double LOCAL_GAP_FRACTION = 0.1


cdef extern from "Python.h":
    # Declared without Cython's "except -1": a pending KeyboardInterrupt is
    # cleared here and raised again once the solve has stopped.
    int check_signals "PyErr_CheckSignals" () noexcept
    void clear_error "PyErr_Clear" () noexcept


cdef inline double kernel_of(int kernel, double dot, double gamma, double coef0,
                             int degree) noexcept nogil:
    """K from a dot product: linear, poly or sigmoid."""
    if kernel == LINEAR_K:
        return dot
    if kernel == POLY_K:
        return pow(gamma * dot + coef0, degree)
    return tanh(gamma * dot + coef0)


cdef void compute_rows(const floating* P, const double* sq, int n, int d, int kernel,
                       double gamma, double coef0, int degree, const int* new_rows,
                       const int* new_slot, int k_new, floating* Xw, floating* tmp,
                       float** slot_row, int n_threads, const floating* Pc,
                       const double* sqc, const int* cols, int n_c) noexcept nogil:
    """Cache rows slot_row[new_slot[k]][c] = K(x[new_rows[k]], x[cols[c]]), c < n_c,
    with Pc, sqc the rows cols of P and sq (gathered): one gemm per chunk of
    COL_CHUNK columns, then the kernel's transform (precomputed: a copy)."""
    cdef int k, c, c0, cw, r, n_chunks = (n_c + COL_CHUNK - 1) // COL_CHUNK
    cdef floating* out
    cdef float* row
    if k_new == 0:
        return
    if kernel == PRECOMPUTED_K:
        for k in range(k_new):
            row = slot_row[new_slot[k]]
            for r in range(n_c):
                row[r] = <float> P[<Py_ssize_t> new_rows[k] * n + cols[r]]
        return
    for k in range(k_new):
        for r in range(d):
            Xw[<Py_ssize_t> k * d + r] = P[<Py_ssize_t> new_rows[k] * d + r]
    for c in prange(n_chunks, num_threads=n_threads, schedule='dynamic'):
        c0 = c * COL_CHUNK
        cw = min(COL_CHUNK, n_c - c0)
        out = tmp + <Py_ssize_t> omp_get_thread_num() * k_new * COL_CHUNK
        gemm(False, True, k_new, cw, d, <floating> 1.0, Xw, d, Pc + <Py_ssize_t> c0 * d, d,
             <floating> 0.0, out, cw)
        for k in range(k_new):
            row = slot_row[new_slot[k]] + c0
            if kernel == RBF_K:
                if floating is float:
                    gd_rbf_block_row_f(out + k * cw, sqc + c0, sq[new_rows[k]], gamma, cw, row)
                else:
                    gd_rbf_block_row_d(out + k * cw, sqc + c0, sq[new_rows[k]], gamma, cw, row)
            else:
                for r in range(cw):
                    row[r] = <float> kernel_of(kernel, out[k * cw + r], gamma, coef0, degree)


cdef int fill_slot(int s, int n_slots, int n, float** slot_row, float** chunks) noexcept nogil:
    """Give slot s (the next unfilled one) its row: a new chunk of
    CACHE_CHUNK_ROWS rows when s starts one; -1 when out of memory."""
    cdef int k, rows
    cdef float* chunk
    if s % CACHE_CHUNK_ROWS == 0:
        rows = min(CACHE_CHUNK_ROWS, n_slots - s)
        chunk = <float*> traced_malloc(<size_t> rows * n * sizeof(float))
        if chunk == NULL:
            return -1
        chunks[s // CACHE_CHUNK_ROWS] = chunk
        for k in range(rows):
            slot_row[s + k] = chunk + <Py_ssize_t> k * n
    return 0


cdef int fetch_rows(const int* ws, int m, const int* var_data, int* slot_of, int* data_of,
                    long long* stamp, int n_slots, int* n_filled, long long now,
                    int* new_rows, int* new_slot, int* member_slot, int n, float** slot_row,
                    float** chunks) noexcept nogil:
    """Cache slots of the set's data rows (member_slot); the rows to compute are
    returned in new_rows / new_slot (their count), -1 when out of memory.
    Slots used in this outer iteration are never evicted (n_slots >= q)."""
    cdef int w, r, s, k, k_new = 0
    cdef long long oldest
    for w in range(m):
        s = slot_of[var_data[ws[w]]]
        if s >= 0:
            stamp[s] = now
    for w in range(m):
        r = var_data[ws[w]]
        s = slot_of[r]
        if s < 0:
            if n_filled[0] < n_slots:
                s = n_filled[0]
                if fill_slot(s, n_slots, n, slot_row, chunks) != 0:
                    return -1
                n_filled[0] += 1
            else:
                s, oldest = -1, now
                for k in range(n_slots):
                    if stamp[k] < oldest:
                        oldest, s = stamp[k], k
                if data_of[s] >= 0:
                    slot_of[data_of[s]] = -1
            slot_of[r], data_of[s], stamp[s] = s, r, now
            new_rows[k_new], new_slot[k_new] = r, s
            k_new += 1
        member_slot[w] = s
    return k_new


cdef long long solve_block(int m, const int* ws, const int* member_slot, const int* var_data,
                           const int* pos, float** slot_row, const double* y, const double* C,
                           const double* QD, const double* G, double* alpha, double tol,
                           long long max_iter, double* a, double* g, float* Kw,
                           char* up, char* low) noexcept nogil:
    """libsvm's SMO on the set's sub-problem, from alpha and G of the members:
    their new alpha in a[:m], the iterations returned."""
    cdef int u, w, i, j
    cdef long long it = 0
    cdef double g_max, g_max2, v, quad, grad_diff, obj, obj_min, local_eps = 0.0
    cdef double Ci, Cj, ai, aj, wi, wj, Kij
    cdef const float* Ki
    cdef const float* Kj
    cdef const float* row
    for u in range(m):
        a[u] = alpha[ws[u]]
        g[u] = G[ws[u]]
        row = slot_row[member_slot[u]]
        for w in range(m):
            Kw[<Py_ssize_t> u * m + w] = row[pos[var_data[ws[w]]]]
    while max_iter <= 0 or it < max_iter:
        for u in range(m):
            w = ws[u]
            up[u] = (a[u] < C[w]) if y[w] > 0 else (a[u] > 0)
            low[u] = (a[u] > 0) if y[w] > 0 else (a[u] < C[w])
        # WSS2 on the members, ties to the last (libsvm's >=)
        i, g_max = -1, -INFINITY
        for u in range(m):
            v = -y[ws[u]] * g[u]
            if up[u] and v >= g_max:
                g_max, i = v, u
        if i < 0:
            break
        Ki = Kw + <Py_ssize_t> i * m
        j, g_max2, obj_min = -1, -INFINITY, INFINITY
        for u in range(m):
            if not low[u]:
                continue
            v = y[ws[u]] * g[u]
            if v >= g_max2:
                g_max2 = v
            grad_diff = g_max + v
            if grad_diff > 0:
                quad = QD[ws[i]] + QD[ws[u]] - 2.0 * Ki[u]
                obj = -(grad_diff * grad_diff) / (quad if quad > 0 else TAU)
                if obj <= obj_min:
                    obj_min, j = obj, u
        if it == 0:
            local_eps = max(tol, LOCAL_GAP_FRACTION * (g_max + g_max2))
        if g_max + g_max2 < local_eps or j < 0:
            break
        it += 1
        # libsvm's analytic two-variable step
        Kj = Kw + <Py_ssize_t> j * m
        Ci, Cj, ai, aj, Kij = C[ws[i]], C[ws[j]], a[i], a[j], Ki[j]
        pair_step(y[ws[i]] == y[ws[j]], QD[ws[i]] + QD[ws[j]] - 2.0 * Kij, g[i], g[j],
                  Ci, Cj, TAU, &ai, &aj)
        wi = y[ws[i]] * (ai - a[i])
        wj = y[ws[j]] * (aj - a[j])
        a[i], a[j] = ai, aj
        for u in range(m):
            g[u] += y[ws[u]] * (wi * Ki[u] + wj * Kj[u])
    return it


cdef void update_gradient(int m, const int* member_slot, float** slot_row, int n,
                          const double* coef, double* S, bint accumulate,
                          int n_threads) noexcept nogil:
    """S[r] (+)= sum over members w (in order) of coef[w] K(x_r, x_w), in double."""
    cdef int c, r, w, r0, r1, n_chunks = (n + GRAD_CHUNK - 1) // GRAD_CHUNK
    cdef const float* row
    cdef double cw
    for c in prange(n_chunks, num_threads=n_threads, schedule='static'):
        r0 = c * GRAD_CHUNK
        r1 = min(n, r0 + GRAD_CHUNK)
        if not accumulate:
            for r in range(r0, r1):
                S[r] = 0.0
        for w in range(m):
            cw = coef[w]
            if cw == 0.0:
                continue
            row = slot_row[member_slot[w]]
            gd_axpy_f2d(r1 - r0, cw, row + r0, S + r0)


cdef inline bint can_shrink(int t, const char* in_up, const char* in_low, const double* up_v,
                            const double* low_v, double g_up, double g_low) noexcept nogil:
    """libsvm's be_shrunk: t is at a bound (in one side only) and pairs with no
    variable of the other side into a violation (g_up, g_low: each side's best)."""
    if in_up[t] and not in_low[t]:
        return up_v[t] < -g_low
    if in_low[t] and not in_up[t]:
        return low_v[t] < -g_up
    return False


cdef void flush_cache(int n_filled, int* slot_of, int* data_of, long long* stamp) noexcept nogil:
    """Empty the cache (its slots stay allocated, first in line for reuse)."""
    cdef int s
    for s in range(n_filled):
        if data_of[s] >= 0:
            slot_of[data_of[s]] = -1
        data_of[s] = -1
        stamp[s] = 0


cdef void gather_rows(const floating* P, const double* sq, int d, const int* rows, int k,
                      floating* Pc, double* sqc) noexcept nogil:
    """Pc, sqc = P[rows[:k]], sq[rows[:k]]: the columns of the kernel rows."""
    cdef int c, r
    for c in range(k):
        sqc[c] = sq[rows[c]]
        for r in range(d):
            Pc[<Py_ssize_t> c * d + r] = P[<Py_ssize_t> rows[c] * d + r]


cdef int mark_rows(int n, int n_var, const int* var_data, const char* active, char want,
                   char* mark) noexcept nogil:
    """mark[r]: data row r holds a variable with active[t] == want."""
    cdef int r, t
    for r in range(n):
        mark[r] = 0
    for t in range(n_var):
        if active[t] == want:
            mark[var_data[t]] = 1
    return 0


cdef int compact_active(int n, int n_var, const int* var_data, const char* active, int* arow,
                        int* pos, int n_ar, char* mark, int n_filled, const int* data_of,
                        float** slot_row, int n_threads) noexcept nogil:
    """Drop the data rows left without an active variable from arow (kept in
    order), move the cached rows' columns to match and update pos; returns
    the new count.  Column c's new place is never after its old one."""
    cdef int c, k = 0, s, r
    cdef float* row
    mark_rows(n, n_var, var_data, active, 1, mark)
    for c in range(n_ar):
        if mark[arow[c]]:
            arow[k] = arow[c]
            k += 1
    for s in prange(n_filled, num_threads=n_threads, schedule='static'):
        if data_of[s] >= 0:
            row = slot_row[s]
            for c in range(k):
                row[c] = row[pos[arow[c]]]
    for r in range(n):
        pos[r] = -1
    for c in range(k):
        pos[arow[c]] = c
    return k


cdef void reconstruct(const floating* P, const double* sq, int n, int d, int kernel,
                      double gamma, double coef0, int degree, int n_var, const int* var_data,
                      const double* y, const char* active, const double* alpha,
                      const double* alpha0, const double* G0, double* G, int* irow, int* pos,
                      char* mark, floating* Pbuf, double* sqc, bint dense, int* new_rows,
                      int* new_slot, double* coef, double* S, floating* Xw, floating* tmp,
                      float** slot_row, int batch, int n_threads) noexcept nogil:
    """G of the shrunk variables: G0 + y_t sum_w K_tw y_w (alpha_w - alpha0_w)
    over the w that moved since G0, in order, in batches of rows held in the
    first cache slots (the cache is emptied after).  Leaves pos for irow."""
    cdef int r, t, k = 0, n_i = 0
    mark_rows(n, n_var, var_data, active, 0, mark)
    for r in range(n):
        if mark[r]:
            irow[n_i] = r
            pos[r] = n_i
            n_i += 1
    if dense:
        gather_rows(P, sq, d, irow, n_i, Pbuf, sqc)
    for r in range(n_i):
        S[r] = 0.0
    for t in range(n_var + 1):
        if t < n_var and alpha[t] != alpha0[t]:
            new_rows[k], new_slot[k] = var_data[t], k
            coef[k] = y[t] * (alpha[t] - alpha0[t])
            k += 1
        if k > 0 and (k == batch or t == n_var):
            compute_rows(P, sq, n, d, kernel, gamma, coef0, degree, new_rows, new_slot, k, Xw,
                         tmp, slot_row, n_threads, Pbuf, sqc, irow, n_i)
            update_gradient(k, new_slot, slot_row, n_i, coef, S, True, n_threads)
            k = 0
    for t in range(n_var):
        if not active[t]:
            G[t] = G0[t] + y[t] * S[pos[var_data[t]]]


cdef void activate_all(int n_var, int n, char* active, int* arow, int* pos) noexcept nogil:
    cdef int t
    for t in range(n_var):
        active[t] = 1
    for t in range(n):
        arow[t], pos[t] = t, t


cdef double calculate_rho(const double* y, const double* alpha, const double* C,
                          const double* G, int l) noexcept nogil:
    """libsvm's rho: the mean of y G over free variables, else the middle of
    the feasible interval."""
    cdef double ub = INFINITY, lb = -INFINITY, sum_free = 0.0, yG
    cdef int t, nr_free = 0
    for t in range(l):
        yG = y[t] * G[t]
        if alpha[t] >= C[t]:
            if y[t] < 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        elif alpha[t] <= 0:
            if y[t] > 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        else:
            nr_free += 1
            sum_free += yG
    if nr_free > 0:
        return sum_free / nr_free
    return 0.5 * (ub + lb)


# The working set's size cap (oneDAL's maxBlockSize is 2048).
cdef long long Q_MAX = 1024


cdef void report(long long outer, long long it, double gap, int m, long long n_rows,
                 int n_act) noexcept nogil:
    """One line of verbose progress on C's stdout, as _svm.pyx prints SMO's."""
    printf(b"[block] outer iter %lld, SMO iter %lld, set %d, gap %.6g, "
           b"kernel rows computed %lld, active %d\n", outer, it, m, gap, n_rows, n_act)
    fflush(stdout)


def set_max_set_size(long long q):
    """Set the working set's size cap; returns the previous one (for tests,
    which need several outer iterations on small problems)."""
    global Q_MAX
    old = Q_MAX
    Q_MAX = q
    return old


def set_size(long long n_rows, long long n_vars, double cache_bytes):
    """Return (q, cache slots) for a problem of n_rows data rows and n_vars variables.

    q is the largest power of two <= min(n_vars / 4, Q_MAX), and 2 at least
    (oneDAL takes min(n_vars, 2048)): a set of a quarter of the variables at
    most leaves the selection room to pick violators, and a cap of 1024
    keeps the sub-problem's q x q block within a core's L2.  Measured by
    `gdcore bench svm` (SVC rbf fit, 2500x50 hard and 20000x50 hard).  The
    cache holds up to cache_bytes of single-precision rows, and at least q
    (the set's rows are computed whatever cache_size is); its memory is
    taken as rows are computed.
    """
    cdef long long q = 2
    while q * 2 <= min(n_vars // 4, Q_MAX):
        q *= 2
    slots = max(q, min(n_rows, <long long> (cache_bytes / (4.0 * max(n_rows, 1)))))
    return int(q), int(slots)


def block_solve(
    const floating[:, ::1] P,     # IN (n, d) the problem's data rows, or its (n, n) Gram matrix
    const double[::1] sq,         # IN (n,) squared row norms (rbf)
    int kernel, double gamma, double coef0, int degree,
    const int[::1] var_data,      # IN (n_var,) data row of each variable
    const double[::1] y,          # IN (n_var,) +1 / -1
    const double[::1] p,          # IN (n_var,) linear term
    const double[::1] C,          # IN (n_var,) upper bounds, all > 0
    double[::1] alpha,            # OUT (n_var,) the dual solution
    double tol,                   # IN stopping tolerance on the maximal violation
    long long max_iter,           # IN cap on the sub-problems' SMO iterations, <= 0 for none
    double cache_bytes,           # IN kernel cache size (at least the set's rows are held)
    int n_threads,
    int verbose=0,                # IN > 0: a progress line (outer iterations, SMO
                                  # iterations, gap) every REPORT_EVERY outer iterations
    bint shrinking=True,          # IN shrink the active set (the estimators' shrinking)
):
    """Solve the dual; fill alpha and return (status, n_iter, rho, objective).

    n_iter counts the sub-problems' SMO iterations.  status is 1 when
    max_iter > 0 iterations did not converge (the answer is then the last
    iterate).  Raises KeyboardInterrupt on Ctrl-C (checked every outer
    iteration) and MemoryError when the buffers cannot be allocated.
    """
    cdef int n = P.shape[0], d = P.shape[1], n_var = y.shape[0]
    cdef int t, w, m = 0, k_new, n_filled = 0, n_act = n_var, n_ar = n, n_off
    cdef bint shrunk = False
    q_, slots_ = set_size(n, n_var, cache_bytes)
    cdef int q = q_, n_slots = slots_, status = OK_STATUS
    cdef long long it = 0, outer = 0, cap = max_iter, inner, n_rows = 0
    cdef bint dense = kernel != PRECOMPUTED_K
    cdef double gap
    cdef double[3] gaps
    dtype = np.float32 if floating is float else np.float64
    cdef floating[::1] Xw = np.empty(q * d if dense else 1, dtype=dtype)
    cdef floating[::1] tmp = np.empty(n_threads * q * COL_CHUNK if dense else 1, dtype=dtype)
    cdef double[::1] G = np.array(p, dtype=np.float64)
    cdef double[::1] QD = np.empty(n_var), S = np.empty(n), coef = np.empty(q)
    cdef double[::1] a = np.empty(q), g = np.empty(q)
    cdef double[::1] up_v = np.empty(n_var), low_v = np.empty(n_var)
    cdef float[::1] Kw = np.empty(<Py_ssize_t> q * q, dtype=np.float32)
    cdef char[::1] in_up = np.empty(n_var, dtype=np.int8)
    cdef char[::1] in_low = np.empty(n_var, dtype=np.int8)
    cdef char[::1] in_ws = np.zeros(n_var, dtype=np.int8)
    cdef char[::1] up = np.empty(q, dtype=np.int8), low = np.empty(q, dtype=np.int8)
    cdef int[::1] ws = np.empty(q, dtype=np.intc), member_slot = np.empty(q, dtype=np.intc)
    cdef int[::1] new_rows = np.empty(q, dtype=np.intc), new_slot = np.empty(q, dtype=np.intc)
    cdef int[::1] slot_of = np.full(n, -1, dtype=np.intc), data_of = np.empty(n_slots, np.intc)
    cdef long long[::1] stamp = np.zeros(n_slots, dtype=np.int64)
    # shrinking: active variables, their data rows (arow, pos: compact
    # position of a row), the gathered columns, and G, alpha at the first shrink
    cdef char[::1] active = np.ones(n_var, dtype=np.int8)
    cdef char[::1] mark = np.empty(n, dtype=np.int8)
    cdef int[::1] arow = np.arange(n, dtype=np.intc), pos = np.arange(n, dtype=np.intc)
    cdef int[::1] irow = np.empty(n, dtype=np.intc)
    cdef floating[::1] Pbuf = np.empty(<Py_ssize_t> n * d if dense else 1, dtype=dtype)
    cdef double[::1] sqc = np.empty(n), G0 = np.empty(n_var), alpha0 = np.empty(n_var)
    cdef const floating* Pc = &P[0, 0]
    cdef const double* sqp = &sq[0]
    cdef unsigned char[::1] cand_buf = np.empty(2 * q * sizeof(Cand), dtype=np.uint8)
    cdef Cand* cands = <Cand*> &cand_buf[0]
    # the cache's rows, by slot, in chunks malloc'd as slots fill (fill_slot)
    cdef int n_chunks = (n_slots + CACHE_CHUNK_ROWS - 1) // CACHE_CHUNK_ROWS
    cdef float** slot_row = <float**> malloc(n_slots * sizeof(float*))
    cdef float** chunks = <float**> calloc(n_chunks, sizeof(float*))
    if slot_row == NULL or chunks == NULL:
        free(slot_row)
        free(chunks)
        raise MemoryError()
    for t in range(n_var):
        w = var_data[t]
        QD[t] = (P[w, w] if kernel == PRECOMPUTED_K else
                 1.0 if kernel == RBF_K else
                 kernel_of(kernel, sq[w], gamma, coef0, degree))
        alpha[t] = 0.0
    with nogil:
        while True:
            set_bounds(&y[0], &alpha[0], &C[0], &G[0], &active[0], n_var, &in_up[0], &in_low[0],
                       &up_v[0], &low_v[0])
            m = select_set(n_var, q, &ws[0], m, &in_ws[0], &in_up[0], &in_low[0], &up_v[0],
                           &low_v[0], cands, cands + q, gaps)
            gap = gaps[0]
            if gap < tol:
                # the check on all variables
                if shrunk:
                    reconstruct(&P[0, 0], &sq[0], n, d, kernel, gamma, coef0, degree, n_var,
                                &var_data[0], &y[0], &active[0], &alpha[0], &alpha0[0], &G0[0],
                                &G[0], &irow[0], &pos[0], &mark[0], &Pbuf[0], &sqc[0], dense,
                                &new_rows[0], &new_slot[0], &coef[0], &S[0], &Xw[0], &tmp[0],
                                slot_row, min(n_filled, q), n_threads)
                    activate_all(n_var, n, &active[0], &arow[0], &pos[0])
                    flush_cache(n_filled, &slot_of[0], &data_of[0], &stamp[0])
                    n_act, n_ar, Pc, sqp, shrunk = n_var, n, &P[0, 0], &sq[0], False
                    continue
                break
            if cap > 0 and it >= cap:
                status = MAX_ITER_STATUS
                break
            n_off = 0
            for t in range(n_var if shrinking else 0):
                if not in_ws[t] and can_shrink(t, &in_up[0], &in_low[0], &up_v[0], &low_v[0],
                                               gaps[1], gaps[2]):
                    n_off += 1
            if shrinking and n_off > 0 and n_off * SHRINK_DIV >= n_act:
                if not shrunk:
                    for t in range(n_var):
                        G0[t], alpha0[t] = G[t], alpha[t]
                    shrunk = True
                for t in range(n_var):
                    if not in_ws[t] and can_shrink(t, &in_up[0], &in_low[0], &up_v[0],
                                                   &low_v[0], gaps[1], gaps[2]):
                        active[t] = 0
                n_act -= n_off
                n_ar = compact_active(n, n_var, &var_data[0], &active[0], &arow[0], &pos[0],
                                      n_ar, &mark[0], n_filled, &data_of[0], slot_row,
                                      n_threads)
                if dense:
                    gather_rows(&P[0, 0], &sq[0], d, &arow[0], n_ar, &Pbuf[0], &sqc[0])
                    Pc, sqp = &Pbuf[0], &sqc[0]
            outer += 1
            k_new = fetch_rows(&ws[0], m, &var_data[0], &slot_of[0], &data_of[0], &stamp[0],
                               n_slots, &n_filled, outer, &new_rows[0], &new_slot[0],
                               &member_slot[0], n, slot_row, chunks)
            if k_new < 0:
                status = NO_MEMORY_STATUS
                break
            n_rows += k_new
            compute_rows(&P[0, 0], &sq[0], n, d, kernel, gamma, coef0, degree, &new_rows[0],
                         &new_slot[0], k_new, &Xw[0], &tmp[0], slot_row, n_threads, Pc, sqp,
                         &arow[0], n_ar)
            for w in range(m):
                coef[w] = alpha[ws[w]]
            inner = solve_block(m, &ws[0], &member_slot[0], &var_data[0], &pos[0], slot_row,
                                &y[0], &C[0], &QD[0], &G[0], &alpha[0], tol,
                                cap - it if cap > 0 else 0, &a[0], &g[0], &Kw[0],
                                &up[0], &low[0])
            if inner == 0:
                break       # no step is possible (rounding): the set's gap is its best
            it += inner
            for w in range(m):
                coef[w] = y[ws[w]] * (a[w] - coef[w])
                alpha[ws[w]] = a[w]
            update_gradient(m, &member_slot[0], slot_row, n_ar, &coef[0], &S[0], False,
                            n_threads)
            for t in range(n_var):
                if active[t]:
                    G[t] += y[t] * S[pos[var_data[t]]]
            with gil:
                if check_signals() != 0:
                    clear_error()
                    status = INTERRUPTED_STATUS
            if status == INTERRUPTED_STATUS:
                break
            if verbose and outer % REPORT_EVERY == 0:
                report(outer, it, gap, m, n_rows, n_act)
        if shrunk and (status == OK_STATUS or status == MAX_ITER_STATUS):
            # the answer's rho and objective read every gradient
            reconstruct(&P[0, 0], &sq[0], n, d, kernel, gamma, coef0, degree, n_var,
                        &var_data[0], &y[0], &active[0], &alpha[0], &alpha0[0], &G0[0], &G[0],
                        &irow[0], &pos[0], &mark[0], &Pbuf[0], &sqc[0], dense, &new_rows[0],
                        &new_slot[0], &coef[0], &S[0], &Xw[0], &tmp[0], slot_row,
                        min(n_filled, q), n_threads)
        if verbose:
            report(outer, it, gap, m, n_rows, n_act)
    for t in range(n_chunks):
        traced_free(chunks[t])
    free(chunks)
    free(slot_row)
    if status == NO_MEMORY_STATUS:
        raise MemoryError(f"the block solver's kernel cache ({n_slots} rows of {n}) could not "
                          "be allocated; lower cache_size.")
    if status == INTERRUPTED_STATUS:
        raise KeyboardInterrupt
    obj = 0.0
    for t in range(n_var):
        obj += alpha[t] * (G[t] + p[t])
    rho = calculate_rho(&y[0], &alpha[0], &C[0], &G[0], n_var)
    return status, int(it), float(rho), 0.5 * obj
