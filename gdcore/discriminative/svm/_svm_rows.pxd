# Kernel rows of the SMO solver (_svm.pyx) and their LRU cache.
#
# A row is computed over P, a copy of X with the active data rows first (in
# perm's order): entries lo:hi of a row are one gemv of P[lo:hi] against x_i
# and the kernel's transform, in chunks of s.row_chunk rows.  The chunks
# depend on d alone, so a row is the same whether one thread or a team
# (_work_team.pxd) computed it.  CSR data (s.sp_ptr) have no P: x_i is
# scattered into a dense work vector once and each row's dot product reads
# only its non-zeros, in the same chunks (sized by the mean non-zeros a row).
from cython cimport floating
from libc.math cimport exp
from libc.string cimport memcpy

from gdcore._cy._blas cimport gemv
from gdcore.discriminative.svm._svm_simd cimport gd_rbf_row_d, gd_rbf_row_f
from gdcore.discriminative.svm._svm_state cimport (
    FULL, PRECOMPUTED_K, RBF_K, State, kernel_value)
from gdcore._cy._work_team cimport gd_team_run


ctypedef struct RowJob:
    State* s
    const void* P          # s.P, or s.P32 for a float32 row
    void* tmp              # the gemv's output: s.tmp or s.tmp32
    const void* Xi         # the row's data point, float or double as P
    bint single            # P holds float32
    int lo, hi
    double sq_i
    float* out


cdef inline void kernel_block(State* s, const floating* P, const floating* Xi, int lo, int hi,
                              double sq_i, floating* tmp, float* out) noexcept nogil:
    """Entries lo:hi of a kernel row: one gemv, then the kernel's transform."""
    cdef Py_ssize_t k
    cdef double g = s.gamma
    cdef const double* sqp = s.sqp
    cdef const int* perm = s.perm
    cdef float* row = out + lo if s.ld == s.n else s.row_buf + lo
    if hi <= lo:
        return
    gemv(False, hi - lo, s.d, <floating> 1.0, P + <Py_ssize_t> lo * s.d, s.d,
         Xi, 1, <floating> 0.0, tmp + lo, 1)
    if s.kernel == RBF_K:
        # One vectorized pass; into the row itself while every data row is
        # active (perm is the identity), else scattered through perm.
        if floating is float:
            gd_rbf_row_f(tmp + lo, sqp + lo, sq_i, g, hi - lo, row)
        else:
            gd_rbf_row_d(tmp + lo, sqp + lo, sq_i, g, hi - lo, row)
        if s.ld != s.n:
            for k in range(lo, hi):
                out[perm[k]] = s.row_buf[k]
        return
    for k in range(lo, hi):
        out[perm[k]] = <float> kernel_value(s, tmp[k], sq_i, sqp[k])


cdef inline void sparse_block(State* s, const floating* work, int lo, int hi, double sq_i,
                              float* out) noexcept nogil:
    """Entries lo:hi of a CSR kernel row: x_i is scattered in work, so each
    dot product reads only the other row's non-zeros (in double, as libsvm's
    sparse dot)."""
    cdef const floating* data = <const floating*> s.X
    cdef const int* idx = s.sp_idx
    cdef int k, t, r, q
    cdef double dot, d2
    for k in range(lo, hi):
        t = s.perm[k]
        r = s.rows[t]
        dot = 0.0
        for q in range(s.sp_ptr[r], s.sp_ptr[r + 1]):
            dot += <double> data[q] * work[idx[q]]
        if s.kernel == RBF_K:
            # |x_i - x_t|^2 from the norms may round below zero for equal rows
            d2 = sq_i + s.sq[t] - 2.0 * dot
            out[t] = <float> exp(-s.gamma * (d2 if d2 > 0.0 else 0.0))
        else:
            out[t] = <float> kernel_value(s, dot, sq_i, s.sq[t])


cdef inline void row_chunk(void* ctx, int c) noexcept nogil:
    """Chunk c of a RowJob (a gd_chunk_fn)."""
    cdef RowJob* job = <RowJob*> ctx
    cdef State* s = job.s
    cdef int lo = job.lo + c * s.row_chunk
    cdef int hi = lo + s.row_chunk if job.hi - lo > s.row_chunk else job.hi
    if s.sp_ptr != NULL:
        if job.single:
            sparse_block(s, <const float*> s.work, lo, hi, job.sq_i, job.out)
        else:
            sparse_block(s, <const double*> s.work, lo, hi, job.sq_i, job.out)
    elif job.single:
        kernel_block(s, <const float*> job.P, <const float*> job.Xi, lo, hi, job.sq_i,
                     <float*> job.tmp, job.out)
    else:
        kernel_block(s, <const double*> job.P, <const double*> job.Xi, lo, hi, job.sq_i,
                     <double*> job.tmp, job.out)


cdef inline void sparse_row(State* s, int di, int lo, int hi, float* out,
                            floating dummy) noexcept nogil:
    """kernel_row of CSR data: x_di scattered into s.work once, the chunks
    read it (a team's threads too), then the work vector is zeroed again."""
    cdef floating* work = <floating*> s.work
    cdef const floating* data = <const floating*> s.X
    cdef int r = s.rows[di], q, c, n_chunks
    cdef RowJob job
    if hi <= lo:
        return
    s.n_rows += 1
    for q in range(s.sp_ptr[r], s.sp_ptr[r + 1]):
        work[s.sp_idx[q]] = data[q]
    job.s, job.single, job.lo, job.hi, job.sq_i, job.out = (
        s, floating is float, lo, hi, s.sq[di], out)
    n_chunks = (hi - lo + s.row_chunk - 1) // s.row_chunk
    if s.team != NULL and <long long> (hi - lo) * s.row_width >= s.team_rows:
        gd_team_run(s.team, row_chunk, &job, n_chunks)
    else:
        for c in range(n_chunks):
            row_chunk(&job, c)
    for q in range(s.sp_ptr[r], s.sp_ptr[r + 1]):
        work[s.sp_idx[q]] = 0


cdef inline void kernel_row(State* s, int di, int lo, int hi, float* out,
                            floating dummy) noexcept nogil:
    """out[perm[k]] = K(x_di, x_perm[k]) for k in lo:hi (P's rows lo:hi)."""
    cdef const floating* Xi
    cdef RowJob job
    cdef int k, c, n_chunks
    if s.sp_ptr != NULL:
        sparse_row(s, di, lo, hi, out, dummy)
        return
    Xi = <const floating*> s.X + <Py_ssize_t> s.rows[di] * (
        s.N if s.kernel == PRECOMPUTED_K else s.d)
    if s.kernel == PRECOMPUTED_K:
        for k in range(lo, hi):
            out[s.perm[k]] = <float> Xi[s.rows[s.perm[k]]]
        return
    if hi <= lo:
        return
    s.n_rows += 1
    if s.P32 != NULL and s.row32[di]:
        job.s, job.P, job.tmp, job.single = s, s.P32, s.tmp32, True
        job.Xi = s.X32 + <Py_ssize_t> s.rows[di] * s.d
    else:
        job.s, job.P, job.tmp, job.Xi, job.single = s, s.P, s.tmp, Xi, floating is float
    job.lo, job.hi, job.sq_i, job.out = lo, hi, s.sq[di], out
    n_chunks = (hi - lo + s.row_chunk - 1) // s.row_chunk
    if s.team != NULL and <long long> (hi - lo) * s.d >= s.team_rows:
        gd_team_run(s.team, row_chunk, &job, n_chunks)
    else:
        for c in range(n_chunks):
            row_chunk(&job, c)


cdef inline float* take_slot(State* s, int di) noexcept nogil:
    """A cache slot for data row di (a free one, else the least recently used)."""
    cdef int slot, k
    cdef long long oldest
    if s.n_filled < s.n_slots:
        # A free slot: those never used are n_filled on (the LRU scan
        # would pick the same one, at n_slots reads a miss).
        slot = s.n_filled
        s.n_filled += 1
    else:
        # Evict the least recently used slot; the two rows of the current
        # pair were used last, so with >= 2 slots neither is ever evicted.
        slot = 0
        oldest = s.stamp[0]
        for k in range(1, s.n_slots):
            if s.stamp[k] < oldest:
                oldest = s.stamp[k]
                slot = k
        s.slot_of[s.data_of[slot]] = -1
    s.data_of[slot] = di
    s.slot_of[di] = slot
    s.stamp[slot] = s.clock
    return s.cache + <Py_ssize_t> slot * s.n


cdef inline float* get_row(State* s, int di, bint need_full, floating dummy) noexcept nogil:
    """Row di of K from the LRU cache, computed on a miss (dummy picks the dtype).

    A partial row of the current generation asked for in full is completed
    over the inactive rows only (libsvm extends a short cached row the same
    way): on a large rbf problem most rows asked for in full are such
    upgrades, and completing one computes only its inactive entries.
    """
    cdef int slot = s.slot_of[di], g
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
    # A miss, or a stale partial row (its slot is reused).
    if slot < 0:
        row = take_slot(s, di)
    need_full = need_full or s.ld == s.n
    s.gen[s.slot_of[di]] = FULL if need_full else s.cur_gen
    kernel_row(s, di, 0, s.n if need_full else s.ld, row, dummy)
    return row


cdef inline void rebuild_active_data(State* s, floating dummy) noexcept nogil:
    """perm, P (and P32) and sqp from the active variables (after a shrink or
    activate_all).  With every data row active perm is the identity, and the
    copy is skipped when P already holds that order (a solve's first and
    last activate_all, most of digits' pairs)."""
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
    if s.kernel == PRECOMPUTED_K or s.sp_ptr != NULL or (s.ld == s.n and s.P_identity):
        return      # precomputed and CSR rows gather from X through perm
    for k in range(s.n):
        t = s.perm[k]
        memcpy(P + <Py_ssize_t> k * s.d, X + <Py_ssize_t> s.rows[t] * s.d,
               s.d * sizeof(floating))
        if s.P32 != NULL:
            memcpy(s.P32 + <Py_ssize_t> k * s.d, s.X32 + <Py_ssize_t> s.rows[t] * s.d,
                   s.d * sizeof(float))
        s.sqp[k] = s.sq[t]
    s.P_identity = s.ld == s.n
