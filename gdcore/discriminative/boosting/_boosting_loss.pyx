"""Gradients and hessians of the boosting losses, one pass over the rows.

For each row i and output k, the derivative of the loss with respect to the
raw prediction raw[k, i] and its second derivative, times the row's weight,
computed in float64 and stored in the gradient dtype (float32 by default,
scikit-learn's G_H_DTYPE).  Losses are scikit-learn's: half squared error,
half Poisson and half Gamma deviance (log link), half binomial (logit link)
and half multinomial log-loss (softmax, with the row's maximum subtracted
so that exp never overflows).  O(n K), parallel over rows; each row is
independent, so any thread count gives the same bits.  NumPy twin:
``gdcore/discriminative/boosting/_reference/boosting_loss.py``.
"""

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport exp, fabs
from libc.stdlib cimport free, malloc

cdef enum:
    SQUARED_ERROR = 0
    POISSON = 1
    GAMMA = 2
    BINOMIAL = 3
    MULTINOMIAL = 4

LOSS_IDS = {"squared_error": SQUARED_ERROR, "poisson": POISSON, "gamma": GAMMA,
            "binomial": BINOMIAL, "multinomial": MULTINOMIAL}


cdef inline double _grad(int loss, double y, double raw) noexcept nogil:
    if loss == SQUARED_ERROR:
        return raw - y
    if loss == POISSON:
        return exp(raw) - y
    return 1.0 - y * exp(-raw)      # GAMMA


cdef inline double _hess(int loss, double y, double raw) noexcept nogil:
    if loss == SQUARED_ERROR:
        return 1.0
    if loss == POISSON:
        return exp(raw)
    return y * exp(-raw)            # GAMMA


def gradient_hessian(
    int loss,                          # a LOSS_IDS value
    const double[::1] y,               # IN (n,) targets (class codes for multinomial)
    const double[:, ::1] raw,          # IN (K, n) raw predictions
    const double[::1] sample_weight,   # IN (n,) or empty for unit weights
    floating[:, ::1] gradient,         # OUT (K, n)
    floating[:, ::1] hessian,          # OUT (K, n) not written when skip_hessian
    bint skip_hessian,                 # constant hessian: leave `hessian` as it is
    int n_threads,
):
    """Gradients and hessians of the loss at raw, times the sample weights.

    The binomial and multinomial losses take each exp once for the gradient
    and the hessian (the same value both times, so the same bits): exp is
    most of this pass, which runs once per boosting iteration over every row.
    """
    cdef Py_ssize_t i, k, K = raw.shape[0], n = raw.shape[1]
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef double g, h, w, top, total, e, r
    cdef double* ex
    if loss == MULTINOMIAL and K == 0:
        return
    with nogil:
        if loss == BINOMIAL:
            for i in prange(n, schedule="static", num_threads=n_threads):
                w = sample_weight[i] if weighted else 1.0
                r = raw[0, i]
                e = exp(-fabs(r))       # expit(r) without overflow on either side
                g = (1.0 / (1.0 + e) if r >= 0 else e / (1.0 + e)) - y[i]
                gradient[0, i] = <floating> (g * w)
                if not skip_hessian:
                    hessian[0, i] = <floating> (e / ((1.0 + e) * (1.0 + e)) * w)
        elif loss != MULTINOMIAL:
            for i in prange(n, schedule="static", num_threads=n_threads):
                w = sample_weight[i] if weighted else 1.0
                gradient[0, i] = <floating> (_grad(loss, y[i], raw[0, i]) * w)
                if not skip_hessian:
                    hessian[0, i] = <floating> (_hess(loss, y[i], raw[0, i]) * w)
        else:
            with parallel(num_threads=n_threads):
                # this thread's exp(raw - top) of one row's K outputs
                ex = <double*> malloc(K * sizeof(double))
                if ex != NULL:
                    for i in prange(n, schedule="static"):
                        top = raw[0, i]
                        for k in range(1, K):
                            if raw[k, i] > top:
                                top = raw[k, i]
                        total = 0.0
                        for k in range(K):
                            ex[k] = exp(raw[k, i] - top)
                            total = total + ex[k]
                        w = sample_weight[i] if weighted else 1.0
                        for k in range(K):
                            h = ex[k] / total       # p_k
                            g = h - (1.0 if y[i] == k else 0.0)
                            gradient[k, i] = <floating> (g * w)
                            hessian[k, i] = <floating> (h * (1.0 - h) * w)
                    free(ex)
                else:
                    with gil:
                        raise MemoryError("no memory for a row's softmax")
