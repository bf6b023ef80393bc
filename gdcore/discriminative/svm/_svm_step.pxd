# libsvm's analytic step on a pair of variables (Solver::Solve: alpha_i and
# alpha_j moved along the constraint sum y_t alpha_t = const, then clipped to
# their boxes), shared by the SMO solver (_svm.pyx) and the working-set block
# solver's inner SMO (_svm_block.pyx).


cdef inline void pair_step(bint same_label, double quad, double gi, double gj,
                           double Ci, double Cj, double tau,
                           double* ai_io, double* aj_io) noexcept nogil:
    """Move (alpha_i, alpha_j) in place by libsvm's two-variable step.

    same_label is y_i == y_j; quad is K_ii + K_jj - 2 K_ij (tau stands in
    when it is not positive); gi, gj are the two variables' gradients.
    """
    cdef double ai = ai_io[0], aj = aj_io[0], delta, diff, total
    if not same_label:
        delta = (-gi - gj) / (quad if quad > 0 else tau)
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
        delta = (gi - gj) / (quad if quad > 0 else tau)
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
    ai_io[0] = ai
    aj_io[0] = aj
