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
from cython.parallel cimport prange
from libc.math cimport exp, fabs

cdef enum:
    SQUARED_ERROR = 0
    POISSON = 1
    GAMMA = 2
    BINOMIAL = 3
    MULTINOMIAL = 4

LOSS_IDS = {"squared_error": SQUARED_ERROR, "poisson": POISSON, "gamma": GAMMA,
            "binomial": BINOMIAL, "multinomial": MULTINOMIAL}


cdef inline double _grad(int loss, double y, double raw) noexcept nogil:
    cdef double e
    if loss == SQUARED_ERROR:
        return raw - y
    if loss == POISSON:
        return exp(raw) - y
    if loss == GAMMA:
        return 1.0 - y * exp(-raw)
    # BINOMIAL: expit(raw) - y, without overflow on either side
    e = exp(-fabs(raw))
    return (1.0 / (1.0 + e) if raw >= 0 else e / (1.0 + e)) - y


cdef inline double _hess(int loss, double y, double raw) noexcept nogil:
    cdef double e
    if loss == SQUARED_ERROR:
        return 1.0
    if loss == POISSON:
        return exp(raw)
    if loss == GAMMA:
        return y * exp(-raw)
    e = exp(-fabs(raw))     # BINOMIAL: p (1 - p)
    return e / ((1.0 + e) * (1.0 + e))


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
    """Gradients and hessians of the loss at raw, times the sample weights."""
    cdef Py_ssize_t i, k, K = raw.shape[0], n = raw.shape[1]
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef double g, h, w, top, total
    with nogil:
        if loss != MULTINOMIAL:
            for i in prange(n, schedule="static", num_threads=n_threads):
                w = sample_weight[i] if weighted else 1.0
                gradient[0, i] = <floating> (_grad(loss, y[i], raw[0, i]) * w)
                if not skip_hessian:
                    hessian[0, i] = <floating> (_hess(loss, y[i], raw[0, i]) * w)
        else:
            for i in prange(n, schedule="static", num_threads=n_threads):
                top = raw[0, i]
                for k in range(1, K):
                    if raw[k, i] > top:
                        top = raw[k, i]
                total = 0.0
                for k in range(K):
                    total = total + exp(raw[k, i] - top)
                w = sample_weight[i] if weighted else 1.0
                for k in range(K):
                    h = exp(raw[k, i] - top) / total       # p_k
                    g = h - (1.0 if y[i] == k else 0.0)
                    gradient[k, i] = <floating> (g * w)
                    hessian[k, i] = <floating> (h * (1.0 - h) * w)
