# Allocation of the SMO solver's State (_svm_state.pxd) for one problem, and
# its release: buffers, cache, and the float32 rows of an rbf problem.
from cython cimport floating
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

from gdcore._cy._traced cimport traced_free, traced_malloc
from gdcore.discriminative.svm._svm_passes cimport VAR_CHUNK
from gdcore.discriminative.svm._svm_state cimport (
    LOWER_B, PRECOMPUTED_K, RBF_K, UPPER_B, State, kernel_value)

cdef enum:
    # Multiply-adds per chunk of a kernel row (640 rows at d = 50): enough
    # work that claiming a chunk costs little next to its gemv, few enough
    # that a team of threads splits one row evenly.
    ROW_CHUNK_WORK = 32768


cdef inline int state_init(State* s, const floating* X, const int* sp_ptr, const int* sp_idx,
                           const float* X32, double f32_limit, int N, int d, const double* sqnorm,
                           int kernel, double gamma, double coef0, int degree,
                           const int* rows, int n, const int* var_data, int l,
                           const double* y, const double* p, const double* C, double* alpha,
                           double cache_bytes, bint dense_scans, long long team_rows,
                           int team_vars) noexcept nogil:
    """Point s at one problem and allocate its buffers; -1 when out of memory.

    dense_scans, team_rows and team_vars are the solver's settings
    (_svm.pyx: DENSE_SCANS, TEAM_ROWS, TEAM_VARS).
    """
    cdef int t, v, var_chunks = (l + VAR_CHUNK - 1) // VAR_CHUNK
    cdef long long n_slots = <long long> (cache_bytes / (4.0 * n))
    if n_slots > n:
        n_slots = n
    if n_slots < 2:
        n_slots = 2
    memset(s, 0, sizeof(State))
    s.n, s.d, s.l, s.kernel, s.degree, s.N = n, d, l, kernel, degree, N
    s.gamma, s.coef0 = gamma, coef0
    s.X, s.rows, s.sp_ptr, s.sp_idx = X, rows, sp_ptr, sp_idx
    s.var_data, s.y, s.p, s.C, s.alpha = var_data, y, p, C, alpha
    s.dense_scans = dense_scans
    for t in range(l):
        s.dense_scans = s.dense_scans and var_data[t] == t % n
    s.n_slots = <int> n_slots
    s.team_rows, s.team_vars = team_rows, team_vars
    # A multiple of 16 rows, so that the gemv's blocking of rows is the same
    # in every chunk.
    s.row_width = d if sp_ptr == NULL else max(1, sp_ptr[N] // max(N, 1))
    s.row_chunk = max(16, (ROW_CHUNK_WORK // max(s.row_width, 1)) // 16 * 16)
    s.sq = <double*> malloc(n * sizeof(double))
    s.G = <double*> malloc(l * sizeof(double))
    s.G_bar = <double*> malloc(l * sizeof(double))
    s.scratch = <double*> malloc(l * sizeof(double))
    s.up_gate = <double*> malloc(l * sizeof(double))
    s.low_gate = <double*> malloc(l * sizeof(double))
    s.QD = <double*> malloc(l * sizeof(double))
    s.A = <int*> malloc(l * sizeof(int))
    s.is_active = <char*> malloc(l)
    s.bound = <char*> malloc(l)
    s.up_out = <char*> malloc(l)
    s.low_out = <char*> malloc(l)
    s.perm = <int*> malloc(n * sizeof(int))
    s.data_mark = <char*> malloc(n)
    s.P = traced_malloc((<size_t> n if kernel != PRECOMPUTED_K and sp_ptr == NULL else 1)
                        * d * sizeof(floating))
    s.work = calloc(d if sp_ptr != NULL else 1, sizeof(floating))
    s.sqp = <double*> malloc(n * sizeof(double))
    s.tmp = malloc(n * sizeof(floating))
    s.row_buf = <float*> malloc(n * sizeof(float))
    s.cache = <float*> traced_malloc(<size_t> n_slots * n * sizeof(float))
    s.slot_of = <int*> malloc(n * sizeof(int))
    s.data_of = <int*> malloc(n_slots * sizeof(int))
    s.stamp = <long long*> calloc(n_slots, sizeof(long long))
    s.gen = <int*> calloc(n_slots, sizeof(int))
    s.red_val = <double*> malloc(2 * var_chunks * sizeof(double))
    s.red_idx = <int*> malloc(var_chunks * sizeof(int))
    if (s.sq == NULL or s.G == NULL or s.G_bar == NULL or s.scratch == NULL
            or s.up_gate == NULL or s.low_gate == NULL
            or s.QD == NULL or s.A == NULL
            or s.is_active == NULL or s.bound == NULL or s.up_out == NULL
            or s.low_out == NULL or s.perm == NULL or s.data_mark == NULL
            or s.P == NULL or s.work == NULL or s.sqp == NULL or s.tmp == NULL or s.row_buf == NULL
            or s.cache == NULL
            or s.slot_of == NULL or s.data_of == NULL or s.stamp == NULL
            or s.gen == NULL or s.red_val == NULL or s.red_idx == NULL):
        return -1
    for t in range(n):
        s.sq[t] = sqnorm[rows[t]]
        s.slot_of[t] = -1
    if X32 != NULL and kernel == RBF_K and init_float32_rows(s, X32, f32_limit) != 0:
        return -1
    for t in range(l):
        s.up_out[t] = UPPER_B if y[t] > 0 else LOWER_B
        s.low_out[t] = LOWER_B if y[t] > 0 else UPPER_B
        v = var_data[t]
        if kernel == PRECOMPUTED_K:
            s.QD[t] = X[<Py_ssize_t> rows[v] * N + rows[v]]
        else:
            s.QD[t] = kernel_value(s, s.sq[v], s.sq[v], s.sq[v])
    return 0


cdef inline int init_float32_rows(State* s, const float* X32, double f32_limit) noexcept nogil:
    """Mark the rows whose float32 dot products err little enough (row32), and
    allocate P32 if any does; -1 when out of memory.

    A float32 product x_i.x_j errs by about sqrt(d) 2^-24 |x_i| |x_j|, so
    row i qualifies when |x_i| times the largest norm of the problem is at
    most f32_limit (the caller's bound on that product, see solver_data).
    """
    cdef int t, n_32 = 0
    cdef double q_max = 0.0
    s.row32 = <char*> malloc(s.n)
    if s.row32 == NULL:
        return -1
    for t in range(s.n):
        q_max = max(q_max, s.sq[t])
    for t in range(s.n):
        s.row32[t] = s.sq[t] * q_max <= f32_limit * f32_limit
        n_32 += s.row32[t]
    if n_32 == 0:
        return 0
    s.X32 = X32
    s.P32 = <float*> traced_malloc(<size_t> s.n * s.d * sizeof(float))
    s.tmp32 = <float*> malloc(s.n * sizeof(float))
    return -1 if s.P32 == NULL or s.tmp32 == NULL else 0


cdef inline void state_free(State* s) noexcept nogil:
    free(s.sq)
    free(s.G)
    free(s.G_bar)
    free(s.scratch)
    free(s.QD)
    free(s.A)
    free(s.is_active)
    free(s.bound)
    free(s.up_out)
    free(s.low_out)
    free(s.up_gate)
    free(s.low_gate)
    free(s.perm)
    free(s.data_mark)
    traced_free(s.P)
    free(s.work)
    free(s.sqp)
    free(s.tmp)
    free(s.row_buf)
    traced_free(s.cache)
    free(s.slot_of)
    free(s.data_of)
    free(s.stamp)
    free(s.gen)
    free(s.red_val)
    free(s.red_idx)
    free(s.row32)
    traced_free(s.P32)
    free(s.tmp32)
