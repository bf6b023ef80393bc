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
- a kernel row is gemvs of the active rows of X against x_i (in chunks
  fixed by d) followed by a vectorizable transform, not m dot products one
  at a time; rbf uses precomputed squared norms (_svm_rows.pxd).
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
- with several threads, one OpenMP region spans the whole solve: thread 0
  runs SMO and the others help with each kernel row, working-set scan and
  gradient update, claiming chunks of it (_work_team.pxd), so SMO never
  waits at a barrier for a thread that is asleep or descheduled.  Chunks are
  fixed by the problem and the scans merge them in chunk order: the same
  (i, j), alpha and rho on any number of threads.
- one problem's data rows are rows of a shared X (``rows``), so the
  one-vs-one pairs of a multiclass fit are solved in one call, one pair per
  thread, without copying X per pair; the state is malloc'd per problem
  and freed when it is solved, so memory is that of the running problems.
- CSR X (``X_indptr``) is served by the same solver, cache and shrinking:
  a kernel row scatters x_i into a dense work vector (one per problem, so
  one per thread) and each other row's dot product reads only its non-zeros,
  O(nnz) a row as libsvm's sparse rows; there is no P to copy at a shrink.
- rbf rows go through a vectorized exp, and may be computed from float32
  data, row by row where the rounding error allows (init_float32_rows).
- while every variable of a C-SVC or SVR problem is active (before any shrink:
  most of digits' pairs, every iteration), the two scans are straight
  vectorized loops over gates instead of branches on bound bytes, with an
  AVX2 clone (_svm_simd.pxd); they give the general loops' answer bit for
  bit.  On small problems whose kernel rows stay cached, the scans are the
  largest part of a solve, and their branches on bound bytes mispredict;
  the vectorized loops have none.  Measured by `gdcore bench svm` (SVC rbf
  fit, digits: 45 pairs of ~290 rows).

Where a large fit's time goes, in decreasing order: the gemvs of the kernel
rows, the working-set scans, exp, the exponents and scatter, the gradient
update, reconstruct_gradient (a sizeable share of all kernel values, in few
calls) and G_bar.  Measured by `gdcore bench svm` (SVC rbf fit, 20000x50
hard).

The NumPy twin is ``gdcore/discriminative/svm/_reference.py``.
"""


import numpy as np

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY
from libc.stdio cimport fflush, printf, stdout

from gdcore._cy._blas cimport BLAS_INT_MAX, blas_dims_fit
from gdcore._cy._openmp cimport omp_get_thread_num
from gdcore.discriminative.svm._svm_alloc cimport state_free, state_init
from gdcore.discriminative.svm._svm_passes cimport (
    VarJob, add_pair_to_G, add_row_to_G_bar, run_var_job, select_working_set)
from gdcore.discriminative.svm._svm_rows cimport get_row
from gdcore.discriminative.svm._svm_shrink cimport (
    activate_all, do_shrinking, reconstruct_gradient)
from gdcore.discriminative.svm._svm_step cimport pair_step
from gdcore.discriminative.svm._svm_state cimport (
    LINEAR_K, POLY_K, PRECOMPUTED_K, RBF_K, SIGMOID_K, SVM_TAU,
    State, is_lower, is_upper, set_bound)
from gdcore._cy._work_team cimport (
    gd_load32, gd_store32, gd_team, gd_team_help, gd_team_init, gd_team_stop)

cdef enum:
    SHRINK_EVERY = 1000
    OK_STATUS = 0
    MAX_ITER_STATUS = 1
    MEMORY_STATUS = 2
    INTERRUPTED_STATUS = 3
    # SMO iterations between two looks for a pending Ctrl-C.  A look takes
    # the GIL on the main thread (where CPython delivers signals), so it is
    # rare enough to cost nothing next to the iterations, and frequent enough
    # that an interrupt stops even a large solve within a fraction of a
    # second (the iterations of `gdcore bench svm`'s 20,000-row fit take
    # microseconds each, up to tens with a small kernel cache).
    INTERRUPT_CHECK_EVERY = 4096
    # SMO iterations between two progress lines with verbose (libsvm prints
    # its "." as often: at every shrinking step).
    REPORT_EVERY = 1000

LINEAR = LINEAR_K
POLY = POLY_K
RBF = RBF_K
SIGMOID = SIGMOID_K
PRECOMPUTED = PRECOMPUTED_K
STATUS_OK = OK_STATUS
STATUS_MAX_ITER = MAX_ITER_STATUS

# A team shares kernel rows of at least TEAM_ROWS multiply-adds and passes
# over at least TEAM_VARS variables; smaller ones run on the solver's thread,
# where handing them to helpers would cost more than their share of the work.
# Measured by `gdcore bench svm` (SVC rbf fit, 20000x50 hard, 2 threads).
cdef long long TEAM_ROWS = 32768
cdef int TEAM_VARS = 4096

# The dense scans (_svm_simd.pxd) run where they apply; tests turn
# them off to hold them to the general loops.
cdef bint DENSE_SCANS = True


def set_dense_scans(bint on):
    """Allow the dense scans or not; returns the previous setting (for tests)."""
    global DENSE_SCANS
    old = DENSE_SCANS
    DENSE_SCANS = on
    return old


def set_team_thresholds(long long rows, int n_vars):
    """Set (TEAM_ROWS, TEAM_VARS) and return the previous pair (for tests,
    which need teams on small problems)."""
    global TEAM_ROWS, TEAM_VARS
    old = (TEAM_ROWS, TEAM_VARS)
    TEAM_ROWS, TEAM_VARS = rows, n_vars
    return old


cdef void update_pair(State* s, int i, int j, floating dummy) noexcept nogil:
    """libsvm's analytic two-variable step, then G (active) and G_bar (all)."""
    cdef float* Ki = get_row(s, s.var_data[i], False, dummy)
    cdef float* Kj = get_row(s, s.var_data[j], False, dummy)
    cdef double Ci = s.C[i], Cj = s.C[j]
    cdef double ai = s.alpha[i], aj = s.alpha[j]
    cdef double qij = s.y[i] * s.y[j] * Ki[s.var_data[j]]
    cdef double wi, wj
    cdef bint ui = is_upper(s, i), uj = is_upper(s, j)
    cdef VarJob job
    # y_i y_j K_ij = qij, so K_ii + K_jj - 2 K_ij is QD_i + QD_j -+ 2 qij
    pair_step(s.y[i] == s.y[j], s.QD[i] + s.QD[j] + (-2.0 if s.y[i] == s.y[j] else 2.0) * qij,
              s.G[i], s.G[j], Ci, Cj, SVM_TAU, &ai, &aj)
    # G_t += Q_ti dai + Q_tj daj = y_t (y_i dai K_it + y_j daj K_jt)
    wi = s.y[i] * (ai - s.alpha[i])
    wj = s.y[j] * (aj - s.alpha[j])
    s.alpha[i] = ai
    s.alpha[j] = aj
    set_bound(s, i)
    set_bound(s, j)
    job.wi, job.wj, job.Ki, job.Kj = wi, wj, Ki, Kj
    run_var_job(s, add_pair_to_G, &job, s.la)
    s.up_ready, s.up_chunks = True, job.n_chunks
    if ui != is_upper(s, i):
        update_G_bar(s, i, Ci if not ui else -Ci, dummy)
    if uj != is_upper(s, j):
        update_G_bar(s, j, Cj if not uj else -Cj, dummy)


cdef void update_G_bar(State* s, int i, double c, floating dummy) noexcept nogil:
    """G_bar_t += c Q_ti for every variable (i entered or left its upper bound)."""
    cdef VarJob job
    job.Ki = get_row(s, s.var_data[i], True, dummy)
    job.wi = c * s.y[i]
    run_var_job(s, add_row_to_G_bar, &job, s.l)


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


cdef double max_violation(State* s) noexcept nogil:
    """The duality gap SMO stops on: max over I_up of -y G plus max over I_low
    of y G, on the active variables (verbose's progress, not the hot path)."""
    cdef double up = -INFINITY, low = -INFINITY, v
    cdef int k, t
    for k in range(s.la):
        t = s.A[k]
        v = -s.y[t] * s.G[t]
        if s.bound[t] != s.up_out[t] and v > up:
            up = v
        if s.bound[t] != s.low_out[t] and -v > low:
            low = -v
    return up + low


cdef void report(State* s, long long it, const char* what) noexcept nogil:
    """One line of verbose progress on C's stdout, as libsvm prints its own."""
    printf(b"%s iter %lld, active %d of %d, gap %.6g, kernel rows computed %lld\n",
           what, it, s.la, s.l, max_violation(s), s.n_rows)
    fflush(stdout)


cdef extern from "Python.h":
    # Declared without Cython's "except -1": the KeyboardInterrupt it sets is
    # cleared here and raised again once every solver has stopped.
    int check_signals "PyErr_CheckSignals" () noexcept
    void clear_error "PyErr_Clear" () noexcept


# Set by the solver on the main thread when it finds a pending interrupt;
# every solver in flight (one per one-vs-one pair in a prange) polls it.
cdef int _interrupted = 0


cdef bint interrupt_requested() noexcept nogil:
    """Whether Ctrl-C was pressed: looked up on OpenMP thread 0, read by all.

    Thread 0 of the region is the thread that called the kernel; when that is
    the main thread, PyErr_CheckSignals runs CPython's handler, whose
    KeyboardInterrupt is cleared here and raised again by smo_solve_many
    once every thread has stopped.
    """
    if omp_get_thread_num() == 0:
        with gil:
            if check_signals() != 0:
                clear_error()
                gd_store32(&_interrupted, 1)
    return gd_load32(&_interrupted) != 0


cdef int solve(State* s, double tol, long long max_iter, bint shrinking,
               long long* n_iter, int verbose, floating dummy) noexcept nogil:
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
        if verbose and it % REPORT_EVERY == 0:
            report(s, it, b"[SMO]")
        if it % INTERRUPT_CHECK_EVERY == 0 and interrupt_requested():
            status = INTERRUPTED_STATUS
            break
    if s.la < s.l:
        reconstruct_gradient(s, dummy)
        activate_all(s, dummy)
    if verbose:
        report(s, it, b"[SMO] finished:")
    n_iter[0] = it
    return status


cdef int solve_problem(const floating* X, const int* sp_ptr, const int* sp_idx,
                       const float* X32, double f32_limit,
                       int N, int d, const double* sqnorm,
                       int kernel, double gamma, double coef0, int degree,
                       const int* rows, int n, const int* var_data, int l,
                       const double* y, const double* p, const double* C, double* alpha,
                       double tol, long long max_iter, double cache_bytes,
                       bint shrinking, int n_threads, long long* n_iter,
                       double* rho, double* obj, int verbose) noexcept nogil:
    """One dual problem from allocation to (status, n_iter, rho, objective).

    With n_threads > 1 and a problem large enough for a team, one parallel
    region spans the solve: thread 0 runs SMO, the others help (_work_team).
    """
    cdef State s
    cdef gd_team team
    cdef int status, t
    cdef int* status_out = &status
    cdef floating dummy = 0
    status = MEMORY_STATUS if state_init(
        &s, X, sp_ptr, sp_idx, X32, f32_limit, N, d, sqnorm, kernel, gamma, coef0, degree,
        rows, n, var_data, l, y, p, C, alpha, cache_bytes, DENSE_SCANS, TEAM_ROWS,
        TEAM_VARS) != 0 else OK_STATUS
    if status == OK_STATUS and n_threads > 1 and (
            <long long> n * s.row_width >= TEAM_ROWS or l >= TEAM_VARS):
        gd_team_init(&team)
        s.team = &team
        with parallel(num_threads=n_threads):
            if omp_get_thread_num() == 0:
                status_out[0] = solve(&s, tol, max_iter, shrinking, n_iter, verbose, dummy)
                gd_team_stop(&team)
            else:
                gd_team_help(&team)
        s.team = NULL
    elif status == OK_STATUS:
        status = solve(&s, tol, max_iter, shrinking, n_iter, verbose, dummy)
    if status != MEMORY_STATUS:
        rho[0] = calculate_rho(&s)
        obj[0] = 0.0
        for t in range(l):
            obj[0] += alpha[t] * (s.G[t] + p[t])
        obj[0] *= 0.5
    state_free(&s)
    return status


def check_int_dims(Py_ssize_t n_rows, Py_ssize_t n_cols, Py_ssize_t n_variables):
    """Raise a ValueError when a dimension exceeds the solver's C ints (and BLAS's).

    Rows, columns and dual variables are C ints in the solver and in its
    gemv calls; past 2**31 - 1 they would narrow silently.
    """
    if not blas_dims_fit(n_rows, n_cols, n_variables):
        raise ValueError(
            f"The SVM solver takes at most {BLAS_INT_MAX} rows, columns and dual "
            f"variables; got {n_rows} rows, {n_cols} columns, {n_variables} variables. "
            f"Fit on a subsample.")


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
    X32=None, double f32_limit=0.0,   # IN as in smo_solve_many
    int verbose=0,                # IN as in smo_solve_many
):
    """Solve the dual; fill alpha and return (status, n_iter, rho, objective).

    status is STATUS_MAX_ITER when max_iter > 0 iterations did not converge
    (the answer is then the last iterate, rho and objective included).
    """
    check_int_dims(X.shape[0], X.shape[1], y.shape[0])
    cdef int n = X.shape[0]
    cdef int[::1] rows = np.arange(n, dtype=np.intc), row_ptr = np.array([0, n], dtype=np.intc)
    cdef int[::1] var_ptr = np.array([0, y.shape[0]], dtype=np.intc)
    status, n_iter, rho, obj = (np.empty(1, dtype=np.intc), np.empty(1, dtype=np.int64),
                                np.empty(1), np.empty(1))
    smo_solve_many(X, sqnorm, kernel, gamma, coef0, degree, rows, row_ptr, var_data,
                   var_ptr, y, p, C, alpha, status, n_iter, rho, obj, tol, max_iter,
                   cache_bytes, shrinking, n_threads, X32, f32_limit, verbose)
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
    const float[:, ::1] X32=None,  # IN (N, d) rbf: X in float32, X's values exactly
    double f32_limit=0.0,          # IN rbf: rows with |x_i| max|x_j| <= this use X32
    int verbose=0,                 # IN > 0: a progress line (iterations, active
                                   # variables, gap) every REPORT_EVERY iterations
    const int[::1] X_indptr=None,  # IN (N + 1,) CSR X: X is then its data, shape
    const int[::1] X_indices=None,  # (1, nnz + 1) (one padding value), and
    int n_features=0,              # X_indices its columns, < n_features
):
    """Solve m independent duals on rows of one X (one-vs-one class pairs).

    Several problems run one per thread (dynamic schedule: pairs differ in
    size), never splitting a problem: one-vs-one pairs are often small
    (digits' have ~290 rows), so a parallel region per kernel row would cost
    more than it saves (callers pass n_threads=1 when the whole is too small
    for threads).  A single problem gets a team of n_threads (see
    solve_problem).  Raises MemoryError when a problem's buffers cannot be
    allocated.
    """
    cdef int m = row_ptr.shape[0] - 1, q, inner = n_threads, outer = 1
    cdef int N = X.shape[0], d = X.shape[1]
    cdef const float* X32_ptr = NULL
    cdef const int* sp_ptr = NULL
    cdef const int* sp_idx = NULL
    if X_indptr is not None:
        N, d = X_indptr.shape[0] - 1, n_features
        if (X_indices is None or X.shape[0] != 1 or X.shape[1] != X_indptr[N] + 1
                or X_indices.shape[0] < X_indptr[N] or kernel == PRECOMPUTED_K):
            raise ValueError("CSR X needs X_indices and X of shape (1, nnz + 1), "
                             "and a kernel other than precomputed")
        sp_ptr, sp_idx = &X_indptr[0], &X_indices[0] if X_indptr[N] > 0 else NULL
    check_int_dims(N, d, y.shape[0])
    if X32 is not None and floating is double:
        if X32.shape[0] != N or X32.shape[1] != d:
            raise ValueError(f"X32 has shape {(X32.shape[0], X32.shape[1])}, X {(N, d)}")
        X32_ptr = &X32[0, 0]
    if m > 1 and n_threads > 1:
        outer, inner = min(n_threads, m), 1
    with nogil:
        if outer == 1:
            for q in range(m):
                status[q] = solve_problem(
                    &X[0, 0], sp_ptr, sp_idx, X32_ptr, f32_limit, N, d, &sqnorm[0], kernel,
                    gamma, coef0, degree,
                    &rows[row_ptr[q]], row_ptr[q + 1] - row_ptr[q],
                    &var_data[var_ptr[q]], var_ptr[q + 1] - var_ptr[q],
                    &y[var_ptr[q]], &p[var_ptr[q]], &C[var_ptr[q]], &alpha[var_ptr[q]],
                    tol, max_iter, cache_bytes, shrinking, inner, &n_iter[q], &rho[q], &obj[q],
                    verbose)
        else:
            for q in prange(m, num_threads=outer, schedule='dynamic'):
                status[q] = solve_problem(
                    &X[0, 0], sp_ptr, sp_idx, X32_ptr, f32_limit, N, d, &sqnorm[0], kernel,
                    gamma, coef0, degree,
                    &rows[row_ptr[q]], row_ptr[q + 1] - row_ptr[q],
                    &var_data[var_ptr[q]], var_ptr[q + 1] - var_ptr[q],
                    &y[var_ptr[q]], &p[var_ptr[q]], &C[var_ptr[q]], &alpha[var_ptr[q]],
                    tol, max_iter, cache_bytes, shrinking, inner, &n_iter[q], &rho[q], &obj[q],
                    verbose)
    for q in range(m):
        if status[q] == INTERRUPTED_STATUS:
            gd_store32(&_interrupted, 0)
            raise KeyboardInterrupt
    for q in range(m):
        if status[q] == MEMORY_STATUS:
            raise MemoryError(
                f"Cannot allocate the SVM solver's buffers for a problem of "
                f"{row_ptr[q + 1] - row_ptr[q]} rows; lower cache_size.")
