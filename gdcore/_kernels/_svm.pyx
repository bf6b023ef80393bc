"""SMO for the SVM dual, libsvm's Solver with blocked, parallel kernel rows.

The problem (libsvm's general form, C-SVC and epsilon-SVR alike)::

    min_a 0.5 a'Qa + p'a   s.t.  y'a = 0,  0 <= a_t <= C_t,   t < l
    Q_st = y_s y_t K(x[var_data[s]], x[var_data[t]])

Algorithm: sequential minimal optimization with the second-order working-set
selection WSS2 (Fan, Chen and Lin, "Working set selection using second order
information for training SVM", JMLR 6, 2005): i maximizes -y_t G_t over I_up,
j minimizes -(G_max + y_t G_t)^2 / (K_ii + K_tt - 2 K_it) over I_low; stop when
max_{I_up} -yG + max_{I_low} yG < tol.  Shrinking (Joachims; libsvm's
do_shrinking / be_shrunk / reconstruct_gradient) removes bounded variables
that cannot move every min(l, 1000) iterations; G_bar keeps their gradient
contribution so it is rebuilt exactly before the final check.  rho and the
objective follow libsvm's calculate_rho.  One iteration costs two kernel rows
(O(m d) on a miss, m = active rows) plus O(m) for the gradient.

What differs from libsvm, and why:
- a kernel row is one gemv of the active rows of X against x_i (in blocks,
  one per thread) followed by a vectorizable transform, not m dot products
  one at a time; rbf uses precomputed squared norms.
- variables are never swapped: the active set is an ordered index list and
  at each shrink X is copied with the active rows first (P, in perm's
  order), so a partial row is one gemv over P's head and completing it one
  over P's tail.  The scans walk the active list in index order, so ties
  break exactly as in the NumPy twin (the last index wins, as libsvm's
  `>=` does) and the path does not depend on the thread count.
- the LRU cache holds rows of K in single precision, as libsvm's Qfloat
  (twice the rows of a double cache in the same cache_size; the gradient
  stays in double), by data row, so SVR's two copies of a row share one.
  A row computed while some rows were shrunk is tagged with the active-set
  generation and is valid until the active set grows again; rows needed in
  full (G_bar updates) are completed over the inactive rows and tagged FULL.
- reductions (the two working-set scans) run over fixed chunks of the active
  list merged in chunk order: the same (i, j) on any number of threads.
- one problem's data rows are rows of a shared X (``rows``), so the
  one-vs-one pairs of a multiclass fit are solved in one call, one pair per
  thread, without copying X per pair; the state is malloc'd per problem
  and freed when it is solved, so memory is that of the running problems.
- rbf rows go through a vectorized exp (gd_exp_inplace below).

Measured on make_classification(20000, 50, flip_y=0.1), 16,000 training
rows, rbf, C=1, one thread (py-spy/perf, 12,452 iterations): gemv ~30% of
the fit, working-set scans ~12%, exp ~6%, exponents and scatter ~5%,
gradient update ~4%, reconstruct_gradient ~3% (14% of the kernel values,
1,791 rows in two calls), G_bar ~2%.

The NumPy twin is ``gdcore/_reference/svm.py``.
"""

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY, exp, pow, tanh
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

from gdcore._kernels._blas cimport gemv

cdef extern from *:
    """
    /* exp(x[k]) in place, in a loop the compiler vectorizes (libm's exp is
       one call per value: 5-8 ns each, 10% of a 16,000 x 50 rbf fit).
       Cody-Waite reduction x = k ln2 + r, |r| <= ln2 / 2, a degree-10
       Taylor polynomial (relative error < 1e-12: every value is rounded to
       single precision for the cache anyway), 2^k built in the exponent
       bits.  Needs -708 <= x <= 708 (exp a normal double): the caller
       clamps, as a clamp here stops gcc from vectorizing the loop. */
    static void gd_exp_inplace(double* x, int n) {
        const double shift = 6755399441055744.0;          /* 1.5 * 2^52 */
        const long long shift_bits = 0x4338000000000000LL;
        #pragma omp simd
        for (int k = 0; k < n; k++) {
            double t = x[k];
            union { double d; long long i; } y, scale;
            y.d = t * 1.4426950408889634 + shift;          /* round(t / ln2) */
            double kf = y.d - shift;
            double r = (t - kf * 6.93147180369123816490e-01) - kf * 1.90821492927058770002e-10;
            double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24
                       + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040
                       + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800))))))))));
            scale.i = (y.i - shift_bits + 1023) << 52;
            x[k] = p * scale.d;
        }
    }
    """
    void gd_exp_inplace(double* x, int n) noexcept nogil

cdef enum:
    LINEAR_K = 0
    POLY_K = 1
    RBF_K = 2
    SIGMOID_K = 3
    PRECOMPUTED_K = 4
    FULL = -1          # cache tag: the row holds every data row
    # Below these sizes a parallel region costs more than it saves.  A scan
    # of the active set is memory-bound (~1 ns a variable) and one OpenMP
    # fork/join costs ~2 us idle but up to milliseconds on a loaded machine
    # (5000 x 50 rbf: 0.8 s on 1 thread, 7.6 s on 2 with scans split from
    # 4096 variables up, at load 8 on 2 cores); so scans split only past
    # 65536 variables and kernel rows only past 2**22 multiply-adds (~1 ms
    # of work).  Rows of 20000 x 50 split in two measured 13.3 s CPU serial
    # against 144 s (spinning) on 2 threads at load 9; again this session,
    # with the gate at 2**19 so that 16,000 x 50 float32 rows split: 67 s
    # wall on 2 threads against 9.9 s on 1 at load 5.7 (every row waits at
    # the barrier for a descheduled thread).  Not worth the risk.
    MIN_PARALLEL_VARS = 65536
    MIN_PARALLEL_FLOPS = 4194304
    SHRINK_EVERY = 1000
    OK_STATUS = 0
    MAX_ITER_STATUS = 1
    MEMORY_STATUS = 2
    FREE_B = 0
    LOWER_B = 1
    UPPER_B = 2

LINEAR = LINEAR_K
POLY = POLY_K
RBF = RBF_K
SIGMOID = SIGMOID_K
PRECOMPUTED = PRECOMPUTED_K
STATUS_OK = OK_STATUS
STATUS_MAX_ITER = MAX_ITER_STATUS
cdef double TAU = 1e-12


ctypedef struct State:
    # problem: n data rows, rows[k] of X (N rows), and l variables on them
    int n, d, l, kernel, degree, N
    double gamma, coef0
    const void* X          # (N, d) floating, or (N, N) for precomputed
    const int* rows        # (n,) row of X of each data row
    double* sq             # (n,) squared norms of the data rows
    const int* var_data
    const double* y
    const double* p
    const double* C
    double* alpha
    char* bound            # (l,) FREE_B, LOWER_B or UPPER_B of alpha
    double* G
    double* G_bar
    double* QD
    # active set
    int* A                 # active variables, increasing
    int la
    char* is_active        # (l,)
    int* perm              # (n,) active data rows, then the others, each increasing
    int ld                 # number of active data rows: perm[:ld]
    char* data_mark        # (n,)
    void* P                # (n, d) rows of X in perm's order
    double* sqp            # (n,) their squared norms
    void* tmp              # (n,) gemv output
    double* expo           # (n,) rbf exponents
    # cache
    float* cache           # (n_slots, n) single precision, as libsvm's Qfloat
    int n_slots
    int* slot_of           # (n,) slot of a data row, -1 if none
    int* data_of           # (n_slots,)
    long long* stamp       # (n_slots,) last use
    int* gen               # (n_slots,) generation of a partial row, or FULL
    long long clock
    int cur_gen
    # threads and scratch for the chunked reductions
    int n_threads
    double* red_val        # (2 * n_threads,)
    int* red_idx           # (2 * n_threads,)


cdef inline bint is_upper(State* s, int t) noexcept nogil:
    return s.bound[t] == UPPER_B


cdef inline bint is_lower(State* s, int t) noexcept nogil:
    return s.bound[t] == LOWER_B


cdef inline void set_bound(State* s, int t) noexcept nogil:
    """libsvm's alpha_status of variable t: one byte, so the scans read no C."""
    if s.alpha[t] >= s.C[t]:
        s.bound[t] = UPPER_B
    elif s.alpha[t] <= 0:
        s.bound[t] = LOWER_B
    else:
        s.bound[t] = FREE_B


cdef inline double kernel_value(State* s, double dot, double sq_i,
                                double sq_j) noexcept nogil:
    if s.kernel == LINEAR_K:
        return dot
    if s.kernel == POLY_K:
        return pow(s.gamma * dot + s.coef0, s.degree)
    if s.kernel == RBF_K:
        return exp(-s.gamma * (sq_i + sq_j - 2.0 * dot))
    return tanh(s.gamma * dot + s.coef0)


cdef void kernel_row(State* s, int di, int lo, int hi, float* out,
                     floating dummy) noexcept nogil:
    """out[perm[k]] = K(x_di, x_perm[k]) for k in lo:hi (P's rows lo:hi)."""
    cdef const floating* Xi = <const floating*> s.X + <Py_ssize_t> s.rows[di] * (
        s.N if s.kernel == PRECOMPUTED_K else s.d)
    cdef floating* tmp = <floating*> s.tmp
    cdef int n_blocks = 1, b, k
    cdef double sq_i = s.sq[di]
    if s.kernel == PRECOMPUTED_K:
        for k in range(lo, hi):
            out[s.perm[k]] = <float> Xi[s.rows[s.perm[k]]]
        return
    if <long long> (hi - lo) * s.d >= MIN_PARALLEL_FLOPS:
        n_blocks = s.n_threads
    if n_blocks == 1:
        # No parallel region at all: even a one-thread one costs ~1 us, which
        # is 10% of an iteration on a 300-row problem (digits' class pairs).
        kernel_block(s, Xi, lo, hi, sq_i, tmp, out)
        return
    for b in prange(n_blocks, num_threads=n_blocks, schedule='static'):
        kernel_block(s, Xi, lo + <int> ((<long long> (hi - lo) * b) // n_blocks),
                     lo + <int> ((<long long> (hi - lo) * (b + 1)) // n_blocks),
                     sq_i, tmp, out)


cdef void kernel_block(State* s, const floating* Xi, int lo, int hi, double sq_i,
                       floating* tmp, float* out) noexcept nogil:
    """Entries lo:hi of a kernel row: one gemv, then the kernel's transform."""
    cdef int k
    cdef double e
    cdef const floating* P = <const floating*> s.P
    cdef const double* sqp = s.sqp
    if hi <= lo:
        return
    gemv(False, hi - lo, s.d, <floating> 1.0, P + <Py_ssize_t> lo * s.d, s.d,
         Xi, 1, <floating> 0.0, tmp + lo, 1)
    if s.kernel == RBF_K:
        # Three simple loops: exponents and exp vectorize, the scatter cannot.
        for k in range(lo, hi):
            e = -s.gamma * (sq_i + sqp[k] - 2.0 * tmp[k])   # <= 0 up to rounding
            s.expo[k] = e if e > -708.0 else -708.0         # exp(-708) ~ 0 in float
        gd_exp_inplace(s.expo + lo, hi - lo)
        for k in range(lo, hi):
            out[s.perm[k]] = <float> s.expo[k]
        return
    for k in range(lo, hi):
        out[s.perm[k]] = <float> kernel_value(s, tmp[k], sq_i, sqp[k])


cdef float* get_row(State* s, int di, bint need_full, floating dummy) noexcept nogil:
    """Row di of K from the LRU cache, computed on a miss (dummy picks the dtype).

    A partial row of the current generation asked for in full is completed
    over the inactive rows only (libsvm extends a short cached row the same
    way): on 16,000 x 50 rbf, 7,771 of 9,772 full rows were such upgrades,
    and completing them computes 35M kernel values instead of 124M.
    """
    cdef int slot = s.slot_of[di], k, g
    cdef long long oldest
    cdef float* row
    s.clock += 1
    if slot >= 0:
        g = s.gen[slot]
        row = s.cache + <Py_ssize_t> slot * s.n
        s.stamp[slot] = s.clock
        if g == FULL or (not need_full and g == s.cur_gen):
            return row
        if g == s.cur_gen:
            kernel_row(s, di, s.ld, s.n, row, dummy)
            s.gen[slot] = FULL
            return row
    else:
        # Evict the least recently used slot; the two rows of the current
        # pair were used last, so with >= 2 slots neither is ever evicted.
        slot = 0
        oldest = s.stamp[0]
        for k in range(1, s.n_slots):
            if s.stamp[k] < oldest:
                oldest = s.stamp[k]
                slot = k
        if s.data_of[slot] >= 0:
            s.slot_of[s.data_of[slot]] = -1
        s.data_of[slot] = di
        s.slot_of[di] = slot
        row = s.cache + <Py_ssize_t> slot * s.n
    need_full = need_full or s.ld == s.n
    kernel_row(s, di, 0, s.n if need_full else s.ld, row, dummy)
    s.gen[slot] = FULL if need_full else s.cur_gen
    s.stamp[slot] = s.clock
    return row


cdef void rebuild_active_data(State* s, floating dummy) noexcept nogil:
    """perm, P and sqp from the active variables (after a shrink or activate_all)."""
    cdef int k, t, ld = 0, rest
    cdef const floating* X = <const floating*> s.X
    cdef floating* P = <floating*> s.P
    for k in range(s.n):
        s.data_mark[k] = 0
    for k in range(s.la):
        s.data_mark[s.var_data[s.A[k]]] = 1
    for k in range(s.n):
        if s.data_mark[k]:
            ld += 1
    s.ld = ld
    rest = ld
    ld = 0
    for k in range(s.n):
        if s.data_mark[k]:
            s.perm[ld] = k
            ld += 1
        else:
            s.perm[rest] = k
            rest += 1
    if s.kernel == PRECOMPUTED_K:
        return      # precomputed rows gather from X through perm
    for k in range(s.n):
        t = s.perm[k]
        memcpy(P + <Py_ssize_t> k * s.d, X + <Py_ssize_t> s.rows[t] * s.d,
               s.d * sizeof(floating))
        s.sqp[k] = s.sq[t]


cdef void activate_all(State* s, floating dummy) noexcept nogil:
    cdef int t
    for t in range(s.l):
        s.A[t] = t
        s.is_active[t] = 1
    s.la = s.l
    s.cur_gen += 1          # the active set grew: partial rows are stale
    rebuild_active_data(s, dummy)


cdef void reconstruct_gradient(State* s, floating dummy) noexcept nogil:
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


cdef void scan_up(State* s, int lo, int hi, double* best, int* best_idx) noexcept nogil:
    """max of -y_t G_t over I_up in A[lo:hi], the last index on ties."""
    cdef int k, t
    cdef double v
    for k in range(lo, hi):
        t = s.A[k]
        if s.y[t] > 0:
            if is_upper(s, t):
                continue
            v = -s.G[t]
        else:
            if is_lower(s, t):
                continue
            v = s.G[t]
        if v >= best[0]:
            best[0] = v
            best_idx[0] = t


cdef void scan_low(State* s, int lo, int hi, int i, double g_max, float* Ki,
                   double* obj_min, int* obj_idx, double* g_max2) noexcept nogil:
    """WSS2's j over I_low in A[lo:hi], and max of y_t G_t over I_low."""
    cdef int k, t
    cdef double yG, grad_diff, quad, obj, kit
    for k in range(lo, hi):
        t = s.A[k]
        if s.y[t] > 0:
            if is_lower(s, t):
                continue
        elif is_upper(s, t):
            continue
        yG = s.y[t] * s.G[t]
        if yG >= g_max2[0]:
            g_max2[0] = yG
        grad_diff = g_max + yG
        if grad_diff > 0:
            kit = Ki[s.var_data[t]]
            quad = s.QD[i] + s.QD[t] - 2.0 * kit
            if quad <= 0:
                quad = TAU
            obj = -(grad_diff * grad_diff) / quad
            if obj <= obj_min[0]:
                obj_min[0] = obj
                obj_idx[0] = t


cdef int select_working_set(State* s, int* out_i, int* out_j, double tol,
                            floating dummy) noexcept nogil:
    """WSS2 over the active set: 0 and (i, j), or 1 when optimal within tol."""
    cdef int nc = s.n_threads if s.la >= MIN_PARALLEL_VARS else 1
    cdef int c, i = -1, j = -1
    cdef double g_max = -INFINITY, g_max2 = -INFINITY, obj_min = INFINITY
    cdef float* Ki = NULL
    for c in range(nc):
        s.red_val[c] = -INFINITY
        s.red_idx[c] = -1
        s.red_val[nc + c] = -INFINITY
    if nc == 1:
        scan_up(s, 0, s.la, &s.red_val[0], &s.red_idx[0])
    else:
        for c in prange(nc, num_threads=nc, schedule='static'):
            scan_up(s, <int> ((<long long> s.la * c) // nc),
                    <int> ((<long long> s.la * (c + 1)) // nc), &s.red_val[c], &s.red_idx[c])
    for c in range(nc):
        if s.red_idx[c] >= 0 and s.red_val[c] >= g_max:
            g_max = s.red_val[c]
            i = s.red_idx[c]
    if i >= 0:
        Ki = get_row(s, s.var_data[i], False, dummy)
        for c in range(nc):
            s.red_val[c] = INFINITY
            s.red_idx[c] = -1
        if nc == 1:
            scan_low(s, 0, s.la, i, g_max, Ki, &s.red_val[0], &s.red_idx[0], &s.red_val[1])
        else:
            for c in prange(nc, num_threads=nc, schedule='static'):
                scan_low(s, <int> ((<long long> s.la * c) // nc),
                         <int> ((<long long> s.la * (c + 1)) // nc), i, g_max, Ki,
                         &s.red_val[c], &s.red_idx[c], &s.red_val[nc + c])
        for c in range(nc):
            if s.red_val[nc + c] > g_max2:
                g_max2 = s.red_val[nc + c]
            if s.red_idx[c] >= 0 and s.red_val[c] <= obj_min:
                obj_min = s.red_val[c]
                j = s.red_idx[c]
    else:
        # Nothing in I_up: only g_max2 matters, and it cannot be < tol - (-inf).
        return 1
    if g_max + g_max2 < tol or j == -1:
        return 1
    out_i[0] = i
    out_j[0] = j
    return 0


cdef void update_pair(State* s, int i, int j, floating dummy) noexcept nogil:
    """libsvm's analytic two-variable step, then G (active) and G_bar (all)."""
    cdef float* Ki = get_row(s, s.var_data[i], False, dummy)
    cdef float* Kj = get_row(s, s.var_data[j], False, dummy)
    cdef double Ci = s.C[i], Cj = s.C[j]
    cdef double ai = s.alpha[i], aj = s.alpha[j]
    cdef double qij = s.y[i] * s.y[j] * Ki[s.var_data[j]]
    cdef double quad, delta, diff, total, wi, wj
    cdef bint ui = is_upper(s, i), uj = is_upper(s, j)
    cdef int k, t, nt
    if s.y[i] != s.y[j]:
        quad = s.QD[i] + s.QD[j] + 2.0 * qij
        delta = (-s.G[i] - s.G[j]) / (quad if quad > 0 else TAU)
        diff = ai - aj
        ai += delta
        aj += delta
        if diff > 0:
            if aj < 0:
                aj = 0.0
                ai = diff
        elif ai < 0:
            ai = 0.0
            aj = -diff
        if diff > Ci - Cj:
            if ai > Ci:
                ai = Ci
                aj = Ci - diff
        elif aj > Cj:
            aj = Cj
            ai = Cj + diff
    else:
        quad = s.QD[i] + s.QD[j] - 2.0 * qij
        delta = (s.G[i] - s.G[j]) / (quad if quad > 0 else TAU)
        total = ai + aj
        ai -= delta
        aj += delta
        if total > Ci:
            if ai > Ci:
                ai = Ci
                aj = total - Ci
        elif aj < 0:
            aj = 0.0
            ai = total
        if total > Cj:
            if aj > Cj:
                aj = Cj
                ai = total - Cj
        elif ai < 0:
            ai = 0.0
            aj = total
    # G_t += Q_ti dai + Q_tj daj = y_t (y_i dai K_it + y_j daj K_jt)
    wi = s.y[i] * (ai - s.alpha[i])
    wj = s.y[j] * (aj - s.alpha[j])
    s.alpha[i] = ai
    s.alpha[j] = aj
    set_bound(s, i)
    set_bound(s, j)
    nt = s.n_threads if s.la >= MIN_PARALLEL_VARS else 1
    if nt == 1:
        for k in range(s.la):
            t = s.A[k]
            s.G[t] += s.y[t] * (wi * Ki[s.var_data[t]] + wj * Kj[s.var_data[t]])
    else:
        for k in prange(s.la, num_threads=nt, schedule='static'):
            t = s.A[k]
            s.G[t] += s.y[t] * (wi * Ki[s.var_data[t]] + wj * Kj[s.var_data[t]])
    if ui != is_upper(s, i):
        update_G_bar(s, i, Ci if not ui else -Ci, dummy)
    if uj != is_upper(s, j):
        update_G_bar(s, j, Cj if not uj else -Cj, dummy)


cdef void update_G_bar(State* s, int i, double c, floating dummy) noexcept nogil:
    """G_bar_t += c Q_ti for every variable (i entered or left its upper bound)."""
    cdef float* Ki = get_row(s, s.var_data[i], True, dummy)
    cdef double w = c * s.y[i]
    cdef int t
    cdef int nt = s.n_threads if s.l >= MIN_PARALLEL_VARS else 1
    if nt == 1:
        for t in range(s.l):
            s.G_bar[t] += w * s.y[t] * Ki[s.var_data[t]]
    else:
        for t in prange(s.l, num_threads=nt, schedule='static'):
            s.G_bar[t] += w * s.y[t] * Ki[s.var_data[t]]


cdef bint be_shrunk(State* s, int t, double g_max1, double g_max2) noexcept nogil:
    if is_upper(s, t):
        return -s.G[t] > g_max1 if s.y[t] > 0 else -s.G[t] > g_max2
    if is_lower(s, t):
        return s.G[t] > g_max2 if s.y[t] > 0 else s.G[t] > g_max1
    return False


cdef void do_shrinking(State* s, double tol, bint* unshrink, floating dummy) noexcept nogil:
    """Drop bounded variables that the current violation bounds say cannot move."""
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


cdef double calculate_rho(State* s) noexcept nogil:
    cdef double ub = INFINITY, lb = -INFINITY, sum_free = 0.0, yG
    cdef int t, nr_free = 0
    for t in range(s.l):
        yG = s.y[t] * s.G[t]
        if is_upper(s, t):
            if s.y[t] < 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        elif is_lower(s, t):
            if s.y[t] > 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        else:
            nr_free += 1
            sum_free += yG
    if nr_free > 0:
        return sum_free / nr_free
    return 0.5 * (ub + lb)


cdef int solve(State* s, double tol, long long max_iter, bint shrinking,
               long long* n_iter, floating dummy) noexcept nogil:
    cdef long long it = 0
    cdef int counter, i = 0, j = 0, status = OK_STATUS, t
    cdef bint unshrink = False
    cdef int every = min(s.l, SHRINK_EVERY)
    counter = every + 1
    for t in range(s.l):
        s.G[t] = s.p[t]
        s.G_bar[t] = 0.0
        s.alpha[t] = 0.0
        set_bound(s, t)
    activate_all(s, dummy)
    while True:
        if max_iter > 0 and it >= max_iter:
            status = MAX_ITER_STATUS
            break
        counter -= 1
        if counter == 0:
            counter = every
            if shrinking:
                do_shrinking(s, tol, &unshrink, dummy)
        if select_working_set(s, &i, &j, tol, dummy) != 0:
            reconstruct_gradient(s, dummy)
            activate_all(s, dummy)
            if select_working_set(s, &i, &j, tol, dummy) != 0:
                break
            counter = 1     # shrink again at the next iteration
        it += 1
        update_pair(s, i, j, dummy)
    if s.la < s.l:
        reconstruct_gradient(s, dummy)
        activate_all(s, dummy)
    n_iter[0] = it
    return status


cdef int state_init(State* s, const floating* X, int N, int d, const double* sqnorm,
                    int kernel, double gamma, double coef0, int degree,
                    const int* rows, int n, const int* var_data, int l,
                    const double* y, const double* p, const double* C, double* alpha,
                    double cache_bytes, int n_threads) noexcept nogil:
    """Point s at one problem and allocate its buffers; MEMORY_STATUS on failure."""
    cdef int t, v
    cdef long long n_slots = <long long> (cache_bytes / (4.0 * n))
    if n_slots > n:
        n_slots = n
    if n_slots < 2:
        n_slots = 2
    memset(s, 0, sizeof(State))
    s.n, s.d, s.l, s.kernel, s.degree, s.N = n, d, l, kernel, degree, N
    s.gamma, s.coef0 = gamma, coef0
    s.X, s.rows = X, rows
    s.var_data, s.y, s.p, s.C, s.alpha = var_data, y, p, C, alpha
    s.n_slots, s.n_threads = <int> n_slots, max(1, n_threads)
    s.sq = <double*> malloc(n * sizeof(double))
    s.G = <double*> malloc(l * sizeof(double))
    s.G_bar = <double*> malloc(l * sizeof(double))
    s.QD = <double*> malloc(l * sizeof(double))
    s.A = <int*> malloc(l * sizeof(int))
    s.is_active = <char*> malloc(l)
    s.bound = <char*> malloc(l)
    s.perm = <int*> malloc(n * sizeof(int))
    s.data_mark = <char*> malloc(n)
    s.P = malloc((<size_t> n if kernel != PRECOMPUTED_K else 1) * d * sizeof(floating))
    s.sqp = <double*> malloc(n * sizeof(double))
    s.tmp = malloc(n * sizeof(floating))
    s.expo = <double*> malloc(n * sizeof(double))
    s.cache = <float*> malloc(<size_t> n_slots * n * sizeof(float))
    s.slot_of = <int*> malloc(n * sizeof(int))
    s.data_of = <int*> malloc(n_slots * sizeof(int))
    s.stamp = <long long*> calloc(n_slots, sizeof(long long))
    s.gen = <int*> calloc(n_slots, sizeof(int))
    s.red_val = <double*> malloc(2 * s.n_threads * sizeof(double))
    s.red_idx = <int*> malloc(2 * s.n_threads * sizeof(int))
    if (s.sq == NULL or s.G == NULL or s.G_bar == NULL or s.QD == NULL or s.A == NULL
            or s.is_active == NULL or s.bound == NULL or s.perm == NULL or s.data_mark == NULL
            or s.P == NULL or s.sqp == NULL or s.tmp == NULL or s.expo == NULL
            or s.cache == NULL
            or s.slot_of == NULL or s.data_of == NULL or s.stamp == NULL
            or s.gen == NULL or s.red_val == NULL or s.red_idx == NULL):
        return MEMORY_STATUS
    for t in range(n):
        s.sq[t] = sqnorm[rows[t]]
        s.slot_of[t] = -1
    for t in range(n_slots):
        s.data_of[t] = -1
    for t in range(l):
        v = var_data[t]
        if kernel == PRECOMPUTED_K:
            s.QD[t] = X[<Py_ssize_t> rows[v] * N + rows[v]]
        else:
            s.QD[t] = kernel_value(s, s.sq[v], s.sq[v], s.sq[v])
    return OK_STATUS


cdef void state_free(State* s) noexcept nogil:
    free(s.sq); free(s.G); free(s.G_bar); free(s.QD); free(s.A); free(s.is_active); free(s.bound)
    free(s.perm); free(s.data_mark); free(s.P); free(s.sqp); free(s.tmp); free(s.expo); free(s.cache)
    free(s.slot_of); free(s.data_of); free(s.stamp); free(s.gen)
    free(s.red_val); free(s.red_idx)


cdef int solve_problem(const floating* X, int N, int d, const double* sqnorm,
                       int kernel, double gamma, double coef0, int degree,
                       const int* rows, int n, const int* var_data, int l,
                       const double* y, const double* p, const double* C, double* alpha,
                       double tol, long long max_iter, double cache_bytes,
                       bint shrinking, int n_threads, long long* n_iter,
                       double* rho, double* obj) noexcept nogil:
    """One dual problem from allocation to (status, n_iter, rho, objective)."""
    cdef State s
    cdef int status, t
    cdef floating dummy = 0
    status = state_init(&s, X, N, d, sqnorm, kernel, gamma, coef0, degree, rows, n,
                        var_data, l, y, p, C, alpha, cache_bytes, n_threads)
    if status == OK_STATUS:
        status = solve(&s, tol, max_iter, shrinking, n_iter, dummy)
        rho[0] = calculate_rho(&s)
        obj[0] = 0.0
        for t in range(l):
            obj[0] += alpha[t] * (s.G[t] + p[t])
        obj[0] *= 0.5
    state_free(&s)
    return status


def smo_solve(
    const floating[:, ::1] X,     # IN (n, d) data, or (n, n) Gram matrix if precomputed
    const double[::1] sqnorm,     # IN (n,) squared row norms of X (rbf)
    int kernel,                   # IN LINEAR, POLY, RBF, SIGMOID or PRECOMPUTED
    double gamma, double coef0, int degree,
    const int[::1] var_data,      # IN (l,) data row of each variable
    const double[::1] y,          # IN (l,) +1 / -1
    const double[::1] p,          # IN (l,) linear term
    const double[::1] C,          # IN (l,) upper bounds, all > 0
    double[::1] alpha,            # OUT (l,) the dual solution
    double tol,                   # IN stopping tolerance on the maximal violation
    long long max_iter,           # IN iteration cap, <= 0 for none
    double cache_bytes,           # IN kernel cache size
    bint shrinking,
    int n_threads,
):
    """Solve the dual; fill alpha and return (status, n_iter, rho, objective).

    status is STATUS_MAX_ITER when max_iter > 0 iterations did not converge
    (the answer is then the last iterate, rho and objective included).
    """
    cdef int n = X.shape[0]
    cdef int[::1] rows = np.arange(n, dtype=np.intc), row_ptr = np.array([0, n], dtype=np.intc)
    cdef int[::1] var_ptr = np.array([0, y.shape[0]], dtype=np.intc)
    status, n_iter, rho, obj = (np.empty(1, dtype=np.intc), np.empty(1, dtype=np.int64),
                                np.empty(1), np.empty(1))
    smo_solve_many(X, sqnorm, kernel, gamma, coef0, degree, rows, row_ptr, var_data,
                   var_ptr, y, p, C, alpha, status, n_iter, rho, obj, tol, max_iter,
                   cache_bytes, shrinking, n_threads)
    return int(status[0]), int(n_iter[0]), float(rho[0]), float(obj[0])


def smo_solve_many(
    const floating[:, ::1] X,     # IN (N, d) data, or (N, N) Gram matrix if precomputed
    const double[::1] sqnorm,     # IN (N,) squared row norms of X (rbf)
    int kernel,                   # IN LINEAR, POLY, RBF, SIGMOID or PRECOMPUTED
    double gamma, double coef0, int degree,
    const int[::1] rows,          # IN rows of X of each problem, back to back
    const int[::1] row_ptr,       # IN (m + 1,) problem q's rows: rows[row_ptr[q]:row_ptr[q+1]]
    const int[::1] var_data,      # IN data row of each variable, local to its problem
    const int[::1] var_ptr,       # IN (m + 1,) problem q's variables: var_ptr[q]:var_ptr[q+1]
    const double[::1] y,          # IN +1 / -1 of each variable
    const double[::1] p,          # IN linear term
    const double[::1] C,          # IN upper bounds, all > 0
    double[::1] alpha,            # OUT the dual solutions
    int[::1] status,              # OUT (m,) STATUS_OK or STATUS_MAX_ITER
    long long[::1] n_iter,        # OUT (m,)
    double[::1] rho,              # OUT (m,)
    double[::1] obj,              # OUT (m,) dual objectives
    double tol, long long max_iter,
    double cache_bytes,           # IN kernel cache size of one problem
    bint shrinking,
    int n_threads,
):
    """Solve m independent duals on rows of one X (one-vs-one class pairs).

    Several problems run one per thread (dynamic schedule: pairs differ in
    size), never splitting a problem: digits' 45 pairs are ~0.4 ms each, so
    a parallel region per kernel row would cost more than it saves (callers
    pass n_threads=1 when the whole is too small for threads).  A single
    problem gets every thread for its kernel rows.  Raises MemoryError when
    a problem's buffers cannot be allocated.
    """
    cdef int m = row_ptr.shape[0] - 1, q, inner = n_threads, outer = 1
    cdef int N = X.shape[0], d = X.shape[1]
    if m > 1 and n_threads > 1:
        outer, inner = min(n_threads, m), 1
    with nogil:
        if outer == 1:
            for q in range(m):
                status[q] = solve_problem(
                    &X[0, 0], N, d, &sqnorm[0], kernel, gamma, coef0, degree,
                    &rows[row_ptr[q]], row_ptr[q + 1] - row_ptr[q],
                    &var_data[var_ptr[q]], var_ptr[q + 1] - var_ptr[q],
                    &y[var_ptr[q]], &p[var_ptr[q]], &C[var_ptr[q]], &alpha[var_ptr[q]],
                    tol, max_iter, cache_bytes, shrinking, inner, &n_iter[q], &rho[q], &obj[q])
        else:
            for q in prange(m, num_threads=outer, schedule='dynamic'):
                status[q] = solve_problem(
                    &X[0, 0], N, d, &sqnorm[0], kernel, gamma, coef0, degree,
                    &rows[row_ptr[q]], row_ptr[q + 1] - row_ptr[q],
                    &var_data[var_ptr[q]], var_ptr[q + 1] - var_ptr[q],
                    &y[var_ptr[q]], &p[var_ptr[q]], &C[var_ptr[q]], &alpha[var_ptr[q]],
                    tol, max_iter, cache_bytes, shrinking, inner, &n_iter[q], &rho[q], &obj[q])
    for q in range(m):
        if status[q] == MEMORY_STATUS:
            raise MemoryError(
                f"Cannot allocate the SVM solver's buffers for a problem of "
                f"{row_ptr[q + 1] - row_ptr[q]} rows; lower cache_size.")
