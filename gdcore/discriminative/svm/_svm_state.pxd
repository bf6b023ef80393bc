# The SMO solver's state (one dual problem) and its one-line helpers, shared
# by _svm.pyx (the solver) and _svm_rows.pxd (kernel rows and their cache).
from libc.math cimport INFINITY, exp, pow, tanh

from gdcore._cy._work_team cimport gd_team

cdef extern from *:
    """
    static const double GD_SVM_TAU = 1e-12;
    """
    # libsvm's TAU: stands in for a non-positive quad (K_ii + K_jj - 2 K_ij)
    const double SVM_TAU "GD_SVM_TAU"

cdef enum:
    LINEAR_K = 0
    POLY_K = 1
    RBF_K = 2
    SIGMOID_K = 3
    PRECOMPUTED_K = 4
    FULL = -1          # cache tag: the row holds every data row
    FREE_B = 0
    LOWER_B = 1
    UPPER_B = 2


ctypedef struct State:
    # problem: n data rows, rows[k] of X (N rows), and l variables on them
    int n, d, l, kernel, degree, N
    double gamma, coef0
    const void* X          # (N, d) floating, or (N, N) for precomputed, or CSR data
    # CSR X (sp_ptr not NULL): row r's values X[sp_ptr[r]:sp_ptr[r+1]] at
    # columns sp_idx[...]; a kernel row scatters x_i into work (d zeros
    # between rows) and each other row's dot product reads only its non-zeros
    const int* sp_ptr
    const int* sp_idx
    void* work             # (d,) floating, zero but while a row is computed
    int row_width          # d, or the mean non-zeros of a CSR row: work per data row
    const int* rows        # (n,) row of X of each data row
    double* sq             # (n,) squared norms of the data rows
    const int* var_data
    # var_data[t] == t mod n for every t (C-SVC, SVR), so the dense scans run
    # while every variable is active
    bint dense_scans
    const double* y
    const double* p
    const double* C
    double* alpha
    char* bound            # (l,) FREE_B, LOWER_B or UPPER_B of alpha
    char* up_out           # (l,) the bound that puts t out of I_up (UPPER_B if y_t > 0)
    char* low_out          # (l,) the bound that puts t out of I_low (LOWER_B if y_t > 0)
    double* up_gate        # (l,) 0 if t is in I_up, else -inf (set_bound keeps them)
    double* low_gate       # (l,) the same for I_low
    bint up_ready          # red_val/red_idx[:up_chunks] hold the next scan_up's chunks
    int up_chunks
    double* G
    double* G_bar
    double* scratch        # (l,) per-variable scratch of the dense scans
    double* QD
    # active set
    int* A                 # active variables, increasing
    int la
    char* is_active        # (l,)
    int* perm              # (n,) active data rows, then the others, each increasing
    int ld                 # number of active data rows: perm[:ld]
    char* data_mark        # (n,)
    void* P                # (n, d) rows of X in perm's order
    bint P_identity        # P (and P32) hold the data rows in their own order
    # float32 rows of a double X (rbf): X32 is X in float32 (X itself holds
    # float32 values), and data row k's kernel row is computed from P32 when
    # row32[k]; P32 is NULL when no row is
    const float* X32
    float* P32             # (n, d) rows of X32 in perm's order
    float* tmp32           # (n,) sgemv output
    char* row32            # (n,)
    double* sqp            # (n,) their squared norms
    void* tmp              # (n,) gemv output
    float* row_buf         # (n,) an rbf row before its scatter through perm
    # cache
    float* cache           # (n_slots, n) single precision, as libsvm's Qfloat
    int n_slots
    int n_filled           # slots used so far: 0 .. n_filled - 1
    int* slot_of           # (n,) slot of a data row, -1 if none
    int* data_of           # (n_slots,)
    long long* stamp       # (n_slots,) last use
    int* gen               # (n_slots,) generation of a partial row, or FULL
    long long clock
    long long n_rows           # kernel rows (or completions of rows) computed: verbose
    int cur_gen
    # work sharing: chunks fixed by the problem alone (never by the thread
    # count), so every result is the same on any number of threads
    gd_team* team          # NULL when the solve runs on one thread
    long long team_rows    # kernel rows of at least this many multiply-adds,
    int team_vars          # and passes over at least this many variables, use it
    int row_chunk          # data rows per chunk of a kernel row
    double* red_val        # (2 * max chunks of the variables,) scan results
    int* red_idx


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
    s.up_gate[t] = 0.0 if s.bound[t] != s.up_out[t] else -INFINITY
    s.low_gate[t] = 0.0 if s.bound[t] != s.low_out[t] else -INFINITY


cdef inline double kernel_value(State* s, double dot, double sq_i,
                                double sq_j) noexcept nogil:
    if s.kernel == LINEAR_K:
        return dot
    if s.kernel == POLY_K:
        return pow(s.gamma * dot + s.coef0, s.degree)
    if s.kernel == RBF_K:
        return exp(-s.gamma * (sq_i + sq_j - 2.0 * dot))
    return tanh(s.gamma * dot + s.coef0)
