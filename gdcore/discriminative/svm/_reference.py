"""NumPy twin of ``gdcore.discriminative.svm._svm``: plain SMO on a precomputed kernel matrix.

The specification the compiled solver is tested against.  Same signature,
same outputs, same working-set rule (WSS2 of Fan, Chen and Lin, JMLR 2005,
as in libsvm's ``Solver::select_working_set``, ties going to the last index),
same two-variable update, same stopping rule (m(alpha) - M(alpha) < tol) and
the same rho and objective.  It keeps the whole matrix Q in memory and never
shrinks, so ``cache_bytes``, ``shrinking`` and ``n_threads`` are accepted and
ignored.  Like the solver (and libsvm) it rounds kernel values to single
precision, keeping the diagonal and the gradient in double.  Written for
clarity, never used on a hot path.

The problem, libsvm's general form over l variables::

    min_a 0.5 a'Qa + p'a   s.t.  y'a = 0,  0 <= a_t <= C_t,
    Q_st = y_s y_t K(x[var_data[s]], x[var_data[t]])

C-SVC: l = n, var_data = range(n), p = -1.  epsilon-SVR: l = 2n, each row
twice (y = +1 with p = eps - z, y = -1 with p = eps + z).
"""

import numpy as np
from scipy import sparse

LINEAR, POLY, RBF, SIGMOID, PRECOMPUTED = 0, 1, 2, 3, 4
STATUS_OK = 0
STATUS_MAX_ITER = 1
TAU = 1e-12
# as _svm_block's: shrink when 1/SHRINK_DIV of the active variables can leave
SHRINK_DIV = 8


def kernel_matrix(A, B, sq_a, sq_b, kernel, gamma, coef0, degree):
    """K(A, B) for the dense kernels (rbf through the norms, as the solver does)."""
    if kernel == PRECOMPUTED:
        return np.asarray(A, dtype=np.float64)
    dots = np.asarray(A, np.float64) @ np.asarray(B, np.float64).T
    if kernel == LINEAR:
        return dots
    if kernel == POLY:
        return (gamma * dots + coef0) ** degree
    if kernel == RBF:
        d2 = (np.asarray(sq_a, np.float64)[:, None] + np.asarray(sq_b, np.float64)[None, :]
              - 2 * dots)
        return np.exp(-gamma * d2)
    return np.tanh(gamma * dots + coef0)


def _bounds(alpha, C):
    """Libsvm's alpha status: at the upper bound first, else at zero (callers drop C_t = 0)."""
    upper = alpha >= C
    return upper, ~upper & (alpha <= 0)


def _select_working_set(G, y, alpha, C, Q, QD, tol):
    """(i, j) by WSS2, or None when the maximal violation is below tol."""
    upper, lower = _bounds(alpha, C)
    up = np.where(y > 0, ~upper, ~lower)           # I_up: can move along +y
    low = np.where(y > 0, ~lower, ~upper)          # I_low
    minus_yG = -y * G
    if not up.any():
        return None
    cand = np.flatnonzero(up)
    i = cand[np.flatnonzero(minus_yG[cand] == minus_yG[cand].max())[-1]]
    g_max = minus_yG[i]
    g_max2 = (-minus_yG[low]).max() if low.any() else -np.inf
    grad_diff = g_max + y * G                        # = g_max - (-y G)
    quad = QD[i] + QD - 2.0 * y[i] * y * Q[i]
    quad = np.where(quad > 0, quad, TAU)
    ok = low & (grad_diff > 0)
    if g_max + g_max2 < tol or not ok.any():
        return None
    obj = np.where(ok, -(grad_diff ** 2) / quad, np.inf)
    j = np.flatnonzero(obj == obj[ok].min())[-1]
    return i, j


def _update_pair(i, j, G, y, alpha, C, Q, QD):
    """Libsvm's analytic two-variable step, clipped to the box."""
    Ci, Cj = C[i], C[j]
    ai, aj = alpha[i], alpha[j]
    if y[i] != y[j]:
        quad = QD[i] + QD[j] + 2 * Q[i, j]
        delta = (-G[i] - G[j]) / (quad if quad > 0 else TAU)
        diff = ai - aj
        ai += delta
        aj += delta
        if diff > 0:
            if aj < 0:
                aj, ai = 0.0, diff
        elif ai < 0:
            ai, aj = 0.0, -diff
        if diff > Ci - Cj:
            if ai > Ci:
                ai, aj = Ci, Ci - diff
        elif aj > Cj:
            aj, ai = Cj, Cj + diff
    else:
        quad = QD[i] + QD[j] - 2 * Q[i, j]
        delta = (G[i] - G[j]) / (quad if quad > 0 else TAU)
        total = ai + aj
        ai -= delta
        aj += delta
        if total > Ci:
            if ai > Ci:
                ai, aj = Ci, total - Ci
        elif aj < 0:
            aj, ai = 0.0, total
        if total > Cj:
            if aj > Cj:
                aj, ai = Cj, total - Cj
        elif ai < 0:
            ai, aj = 0.0, total
    G += Q[i] * (ai - alpha[i]) + Q[j] * (aj - alpha[j])
    alpha[i], alpha[j] = ai, aj


def _rho(G, y, alpha, C):
    """Mean of y G over free variables, else the middle of the feasible interval."""
    yG = y * G
    upper, lower = _bounds(alpha, C)
    free = ~upper & ~lower
    if free.any():
        return yG[free].mean()
    ub_mask = (upper & (y < 0)) | (lower & (y > 0))
    lb_mask = (upper & (y > 0)) | (lower & (y < 0))
    ub = yG[ub_mask].min() if ub_mask.any() else np.inf
    lb = yG[lb_mask].max() if lb_mask.any() else -np.inf
    return 0.5 * (ub + lb)


def smo_solve(X, sqnorm, kernel, gamma, coef0, degree, var_data, y, p, C,
              alpha, tol, max_iter, cache_bytes, shrinking, n_threads):
    """Solve the dual; fill alpha (OUT, length l) and return (status, n_iter, rho, obj).

    status is STATUS_MAX_ITER when max_iter > 0 iterations did not converge.
    """
    var_data = np.asarray(var_data)
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    sq = np.asarray(sqnorm, dtype=np.float64)
    K = kernel_matrix(X, X, sq, sq, kernel, gamma, coef0, degree)
    K = K[np.ix_(var_data, var_data)]
    QD = np.diag(K).copy()          # the diagonal stays in double, as in libsvm
    # Kernel values are held in single precision (libsvm's Qfloat).
    Q = y[:, None] * y[None, :] * K.astype(np.float32).astype(np.float64)
    a = np.zeros(len(y))
    G = p.copy()
    n_iter, status = 0, STATUS_OK
    while True:
        if max_iter > 0 and n_iter >= max_iter:
            status = STATUS_MAX_ITER
            break
        pair = _select_working_set(G, y, a, C, Q, QD, tol)
        if pair is None:
            break
        n_iter += 1
        _update_pair(pair[0], pair[1], G, y, a, C, Q, QD)
    alpha[:] = a
    obj = 0.5 * float(np.dot(a, G + p))
    return status, n_iter, float(_rho(G, y, a, C)), obj


def decision_values(X, SV, sv_sq, kernel, gamma, coef0, degree, coef, group_ptr, out_col,
                    intercept, out, n_threads):
    """Twin of ``_svm_predict.decision_values``: fill out (n, n_out) in place.

    out[i, out_col[g, r]] = intercept + the sum over groups g of
    coef[r, s] K(X_i, SV_s) over group g's columns s; rbf's squared distance
    is clamped at 0 as in the kernel.  ``n_threads`` is accepted and ignored.
    """
    X = np.asarray(X, np.float64)
    SV = np.asarray(SV, np.float64)
    if kernel == RBF:
        dots = X @ SV.T
        d2 = np.maximum((X * X).sum(1)[:, None] + np.asarray(sv_sq)[None, :] - 2 * dots, 0)
        K = np.exp(-gamma * d2)
    else:
        K = kernel_matrix(X, SV, None, None, kernel, gamma, coef0, degree)
    out[:] = intercept
    for g in range(len(group_ptr) - 1):
        cols = slice(group_ptr[g], group_ptr[g + 1])
        for r in range(coef.shape[0]):
            out[:, out_col[g, r]] += K[:, cols] @ coef[r, cols]



def sparse_kernel_matrix(data, indices, indptr, sv_data, sv_indices, sv_indptr, sq_x, sq_sv,
                         kernel, gamma, coef0, degree, n_features, out, n_threads):
    """Twin of ``_svm_sparse.sparse_kernel_matrix`` and of the solver's CSR kernel rows.

    Fill out (n, m) with K(X, SV) of CSR rows (each layout with one padding
    value after its nnz entries): dot products in double, rbf through the
    squared norms with the distance clamped at 0.  ``n_threads`` is
    accepted and ignored.
    """
    def csr(values, columns, ptr):
        nnz = ptr[-1]
        return sparse.csr_matrix((np.asarray(values[:nnz], np.float64), columns[:nnz], ptr),
                                 shape=(len(ptr) - 1, n_features))

    dots = (csr(data, indices, indptr) @ csr(sv_data, sv_indices, sv_indptr).T).toarray()
    if kernel == LINEAR:
        out[:] = dots
    elif kernel == POLY:
        out[:] = (gamma * dots + coef0) ** degree
    elif kernel == RBF:
        d2 = np.asarray(sq_x)[:, None] + np.asarray(sq_sv)[None, :] - 2 * dots
        out[:] = np.exp(-gamma * np.maximum(d2, 0))
    else:
        out[:] = np.tanh(gamma * dots + coef0)


def _block_sizes(n_rows, n_vars, cache_bytes, q_max):
    """(q, cache slots) as ``_svm_block.set_size``."""
    q = 2
    while q * 2 <= min(n_vars // 4, q_max):
        q *= 2
    return q, max(q, min(n_rows, int(cache_bytes / (4.0 * max(n_rows, 1)))))


def _best_first(v, ok, k):
    """Up to k indices t with ok[t], larger v[t] first, then smaller t."""
    cand = np.flatnonzero(ok)
    return cand[np.lexsort((cand, -v[cand]))][:k]


def _select_set(ws, q, up, low, up_v, low_v):
    """Twin of the block solver's select_set: (new set, global gap)."""
    gap = ((up_v[up].max() if up.any() else -np.inf)
           + (low_v[low].max() if low.any() else -np.inf))
    keep = min(len(ws), q // 2)
    new = list(ws[len(ws) - keep:])
    in_ws = np.zeros(len(up), dtype=bool)
    in_ws[new] = True
    ups = _best_first(up_v, up & ~in_ws, q - keep)
    lows = _best_first(low_v, low & ~in_ws, q - keep)
    a = b = 0
    while len(new) < q and (a < len(ups) or b < len(lows)):
        for side in (0, 1):
            cands, k = (ups, a) if side == 0 else (lows, b)
            while k < len(cands) and in_ws[cands[k]]:
                k += 1
            if k < len(cands):
                new.append(cands[k])
                in_ws[cands[k]] = True
                k += 1
            a, b = (k, b) if side == 0 else (a, k)
            if len(new) == q:
                break
    return np.array(new, dtype=np.intp), gap


def _solve_set(ws, y, C, QD, G, alpha, Kw, tol, cap):
    """Twin of the block solver's solve_block: (new alpha of the set, iterations)."""
    a, g, yw, Cw, QDw = alpha[ws].copy(), G[ws].copy(), y[ws], C[ws], QD[ws]
    it, local_eps = 0, 0.0
    while cap <= 0 or it < cap:
        up = np.where(yw > 0, a < Cw, a > 0)
        low = np.where(yw > 0, a > 0, a < Cw)
        if not up.any():
            break
        v_up = -yw * g
        i = np.flatnonzero(up & (v_up == v_up[up].max()))[-1]
        g_max, v_low = v_up[i], yw * g
        g_max2 = v_low[low].max() if low.any() else -np.inf
        grad_diff = g_max + v_low
        ok = low & (grad_diff > 0)
        j = -1
        if ok.any():
            quad = QDw[i] + QDw - 2.0 * Kw[i]
            obj = np.where(ok, -(grad_diff * grad_diff) / np.where(quad > 0, quad, TAU), np.inf)
            j = np.flatnonzero(obj == obj[ok].min())[-1]
        if it == 0:
            local_eps = max(tol, 0.1 * (g_max + g_max2))
        if g_max + g_max2 < local_eps or j < 0:
            break
        it += 1
        Q = np.array([[Kw[i, i], Kw[i, j]], [Kw[j, i], Kw[j, j]]]) * np.outer(yw[[i, j]],
                                                                             yw[[i, j]])
        pair_G = g[[i, j]].copy()
        pair_a = a[[i, j]].copy()
        _update_pair(0, 1, pair_G, yw[[i, j]], pair_a, Cw[[i, j]], Q, QDw[[i, j]])
        wi, wj = yw[i] * (pair_a[0] - a[i]), yw[j] * (pair_a[1] - a[j])
        a[i], a[j] = pair_a
        g += yw * (wi * Kw[i] + wj * Kw[j])
    return a, it


def _can_shrink(up, low, up_v, low_v, g_up, g_low):
    """Twin of the block solver's can_shrink, for every variable."""
    return (up & ~low & (up_v < -g_low)) | (low & ~up & (low_v < -g_up))


def _reconstruct(G, G0, a, a0, y, K32, var_data, active):
    """Twin of the block solver's reconstruct: G of the shrunk variables."""
    S = np.zeros(K32.shape[0])
    for w in np.flatnonzero(a != a0):
        S = S + y[w] * (a[w] - a0[w]) * K32[var_data[w]]
    off = ~active
    G[off] = G0[off] + y[off] * S[var_data[off]]


def block_solve(X, sqnorm, kernel, gamma, coef0, degree, var_data, y, p, C, alpha, tol,
                max_iter, cache_bytes, n_threads, q_max=1024, shrinking=True):
    """Twin of ``_svm_block.block_solve``: fill alpha and return (status, n_iter, rho, obj).

    The working-set solver on the whole kernel matrix (rounded to single
    precision, as its cache rows are): select a set, solve its sub-problem
    with WSS2 SMO to max(tol, a tenth of its first gap), add its change to
    every active gradient, until the global gap is below tol; with libsvm's
    shrinking (SHRINK_DIV) and the gradient of the shrunk variables rebuilt
    from the one at the first shrink.  ``cache_bytes`` and ``n_threads`` are
    accepted and ignored; q_max is the set's size cap.
    """
    var_data = np.asarray(var_data)
    y, p, C = (np.asarray(a, dtype=np.float64) for a in (y, p, C))
    sq = np.asarray(sqnorm, dtype=np.float64)
    K = kernel_matrix(X, X, sq, sq, kernel, gamma, coef0, degree)
    if kernel == PRECOMPUTED:
        QD = np.diag(K)
    elif kernel == RBF:
        QD = np.ones(len(sq))
    elif kernel == LINEAR:
        QD = sq
    else:
        QD = (gamma * sq + coef0) ** degree if kernel == POLY else np.tanh(gamma * sq + coef0)
    QD = QD[var_data]
    K32 = K.astype(np.float32).astype(np.float64)
    q, _ = _block_sizes(len(sq), len(y), cache_bytes, q_max)
    a = np.zeros(len(y))
    G = p.copy()
    ws = np.empty(0, dtype=np.intp)
    it, status = 0, STATUS_OK
    active = np.ones(len(y), dtype=bool)
    shrunk = False
    G0 = a0 = None
    while True:
        upper = a >= C
        lower = ~upper & (a <= 0)
        up = np.where(y > 0, ~upper, ~lower) & active
        low = np.where(y > 0, ~lower, ~upper) & active
        up_v, low_v = -y * G, y * G
        ws, gap = _select_set(ws, q, up, low, up_v, low_v)
        if gap < tol:
            if shrunk:
                _reconstruct(G, G0, a, a0, y, K32, var_data, active)
                active[:], shrunk = True, False
                continue
            break
        if max_iter > 0 and it >= max_iter:
            status = STATUS_MAX_ITER
            break
        in_ws = np.zeros(len(y), dtype=bool)
        in_ws[ws] = True
        g_up = up_v[up].max()
        g_low = low_v[low].max()
        off = ~in_ws & _can_shrink(up, low, up_v, low_v, g_up, g_low)
        if shrinking and off.any() and off.sum() * SHRINK_DIV >= active.sum():
            if not shrunk:
                G0, a0, shrunk = G.copy(), a.copy(), True
            active &= ~off
        rows = var_data[ws]
        new, inner = _solve_set(ws, y, C, QD, G, a, K32[np.ix_(rows, rows)], tol,
                                max_iter - it if max_iter > 0 else 0)
        if inner == 0:
            break
        it += inner
        coef = y[ws] * (new - a[ws])
        a[ws] = new
        S = np.zeros(K.shape[0])
        for w in range(len(ws)):
            if coef[w] != 0.0:
                S = S + coef[w] * K32[rows[w]]
        G[active] += y[active] * S[var_data[active]]
    if shrunk:
        _reconstruct(G, G0, a, a0, y, K32, var_data, active)
    alpha[:] = a
    return status, it, float(_rho(G, y, a, C)), 0.5 * float(np.dot(a, G + p))
